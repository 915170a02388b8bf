"""Fixtures for the uplink tests: a fault-injecting ingest server, a TCP proxy in front
of the real Mosquitto, and a self-signed certificate for 127.0.0.1."""

from __future__ import annotations

import importlib.util
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent


def load_helper(name: str) -> ModuleType:
    """Import ``tests/uplink/<name>.py`` once (tests are not a package)."""
    key = f"edge_test_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


ingest_server = load_helper("ingest_server")
tcp_proxy = load_helper("tcp_proxy")


@pytest.fixture
def ingest() -> Iterator[object]:
    with ingest_server.IngestServer() as server:
        yield server


@pytest.fixture
def device_id() -> str:
    return f"dev-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed server certificate for 127.0.0.1 (also the CA) and a client cert."""
    d = tmp_path_factory.mktemp("certs")
    for name, san in (("server", "subjectAltName=IP:127.0.0.1"), ("client", None)):
        args = [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-keyout",
            str(d / f"{name}.key"),
            "-out",
            str(d / f"{name}.pem"),
        ]
        if san:
            args += ["-addext", san]
        subprocess.run(args, check=True, capture_output=True)
    return {
        "ca": d / "server.pem",
        "server_key": d / "server.key",
        "client": d / "client.pem",
        "client_key": d / "client.key",
    }


@pytest.fixture
def server_tls(certs: dict[str, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs["ca"], certs["server_key"])
    return context
