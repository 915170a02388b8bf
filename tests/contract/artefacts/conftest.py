"""Fixtures for the artefact-store contract: one harness per implementation.

The S3 adapter runs against moto's S3 server started as a separate process on a free
loopback port: real HTTP, real SigV4 requests from boto3, bucket-name validation and
S3 error responses. (MinIO is in neither Debian nor PyPI here, and Ceph's radosgw in
Debian 12 needs a whole RADOS cluster.)
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cadml.artefacts import ArtefactStore, LocalArtefactStore, S3ArtefactStore

ACCESS_KEY = "cadml-test-access"
SECRET_KEY = "cadml-test-secret-never-shown"


@dataclass
class StoreHarness:
    """One implementation under test plus the backdoors the contract needs.

    Args:
        name: ``"local"`` or ``"s3"``.
        store: the store under test.
        corrupt: overwrite the object under a key with other bytes, bypassing the store.
        peer: build a second, independent store over the same backing storage.
    """

    name: str
    store: ArtefactStore
    corrupt: Callable[[str, bytes], None]
    peer: Callable[[], ArtefactStore]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Run moto's S3 server in its own process for the whole session."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30.0
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1.0):
                    break
            except (urllib.error.URLError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start on {url}") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def make_s3_store(endpoint: str, bucket: str, **kwargs: object) -> S3ArtefactStore:
    """An S3 store on the test server with the test credentials."""
    options: dict[str, Any] = {"region": "us-east-1", **kwargs}
    return S3ArtefactStore(
        bucket, endpoint_url=endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, **options
    )


@pytest.fixture
def local_harness(tmp_path: Path) -> StoreHarness:
    """A local store in a fresh directory that does not exist yet."""
    root = tmp_path / "artefacts"
    store = LocalArtefactStore(root)

    def corrupt(key: str, data: bytes) -> None:
        store.path_for(key).write_bytes(data)

    return StoreHarness("local", store, corrupt, lambda: LocalArtefactStore(root))


@pytest.fixture
def s3_harness(s3_endpoint: str) -> Iterator[StoreHarness]:
    """An S3 store on a fresh bucket name that does not exist yet."""
    bucket = f"cadml-test-{uuid.uuid4().hex[:16]}"
    store = make_s3_store(s3_endpoint, bucket)
    peers: list[S3ArtefactStore] = []

    def corrupt(key: str, data: bytes) -> None:
        store._client.put_object(Bucket=bucket, Key=f"sha256/{key}", Body=data)

    def peer() -> ArtefactStore:
        other = make_s3_store(s3_endpoint, bucket)
        peers.append(other)
        return other

    yield StoreHarness("s3", store, corrupt, peer)
    for each in [store, *peers]:
        each.close()


@pytest.fixture(params=["local", "s3"])
def harness(request: pytest.FixtureRequest) -> StoreHarness:
    """Every artefact-store implementation, one after the other."""
    return request.getfixturevalue(f"{request.param}_harness")


@pytest.fixture
def s3_factory(s3_endpoint: str) -> Iterator[Callable[..., S3ArtefactStore]]:
    """Build S3 stores (``factory(bucket, endpoint_url=..., **options)``), closed afterwards."""
    made: list[S3ArtefactStore] = []

    def factory(bucket: str, endpoint_url: str = s3_endpoint, **options: object) -> S3ArtefactStore:
        store = make_s3_store(endpoint_url, bucket, **options)
        made.append(store)
        return store

    yield factory
    for store in made:
        store.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port with no server behind it."""
    return free_port()
