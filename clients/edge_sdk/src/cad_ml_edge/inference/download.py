"""Download a model version from the platform into a :class:`ModelStore`.

``GET {base_url}/api/v1/model/{name}/download?version={version}`` with the device's key
as ``Authorization: Bearer``. The body streams to a temporary file in the store while
its sha256 is computed; a short body (fewer bytes than ``Content-Length``), a broken
connection or an HTTP error raises ``EDGE_MODEL_DOWNLOAD_FAILED`` (retryable), a wrong
digest ``EDGE_MODEL_INVALID``; neither touches the current version. Then the store
installs it (health check, atomic switch). Only the standard library is used.

Examples:
    >>> model_download_url("http://platform:8000/", "bearing rul", "2.1")
    'http://platform:8000/api/v1/model/bearing%20rul/download?version=2.1'
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

from cad_ml_edge.errors import ModelError
from cad_ml_edge.inference.health import HealthCheck
from cad_ml_edge.inference.model import OnnxModel
from cad_ml_edge.inference.registry import ModelStore, check_name, check_sha256

__all__ = ["download_model", "model_download_url"]

_CHUNK = 64 * 1024


def model_download_url(base_url: str, name: str, version: str) -> str:
    """The platform's download URL of one model version.

    Args:
        base_url: the platform's base URL, e.g. ``https://cadml.example:8000``.
        name: the model's name.
        version: the version.
    """
    path = f"/api/v1/model/{urllib.parse.quote(name, safe='')}/download"
    return f"{base_url.rstrip('/')}{path}?{urllib.parse.urlencode({'version': version})}"


def _failed(name: str, url: str, detail: str) -> ModelError:
    return ModelError("EDGE_MODEL_DOWNLOAD_FAILED", model=name, url=url, detail=detail)


def _body(response: Any, name: str, url: str) -> Iterator[bytes]:
    """The response body in chunks, checked against ``Content-Length``."""
    header = response.headers.get("Content-Length")
    expected = int(header) if header and header.isdigit() else None
    received = 0
    while True:
        try:
            chunk = response.read1(_CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            raise _failed(name, url, f"connection lost after {received} bytes ({exc!r})") from exc
        if not chunk:
            break
        received += len(chunk)
        yield chunk
    if expected is not None and received != expected:
        raise _failed(name, url, f"truncated body: {received} of {expected} bytes")


def download_model(
    url: str,
    dest_store: ModelStore,
    name: str,
    version: str,
    sha256: str,
    *,
    api_key: str | None = None,
    timeout: float = 30,
    samples: Sequence[Any] | None = None,
    check: HealthCheck | None = None,
) -> OnnxModel:
    """Download a version from the platform and install it.

    Args:
        url: the platform's base URL (``http`` or ``https``).
        dest_store: the store to install into.
        name: the model's name.
        version: the version to fetch.
        sha256: the expected hex digest of the file (from the platform's model registry).
        api_key: the device's API key, sent as a bearer token.
        timeout: seconds for connecting and for each read.
        samples: single samples for the health check.
        check: a user check on the loaded model.

    Returns:
        The installed model, now current.

    Raises:
        ModelError: ``EDGE_MODEL_DOWNLOAD_FAILED`` for an unsupported scheme, an HTTP
            error, a timeout, a lost connection or a truncated body;
            ``EDGE_MODEL_INVALID`` and ``EDGE_MODEL_ROLLED_BACK`` as for
            :meth:`ModelStore.install`.
    """
    check_name(name)
    check_name(version, "version")
    check_sha256(sha256, name)
    full = model_download_url(url, name, version)
    if urllib.parse.urlsplit(full).scheme not in ("http", "https"):
        raise _failed(name, full, "only http and https URLs are supported")
    headers = {"Accept": "application/octet-stream", "User-Agent": "cad-ml-edge"}
    request = urllib.request.Request(full, headers=headers)
    if api_key:
        # unredirected: a redirect to another host must not carry the device's key
        request.add_unredirected_header("Authorization", f"Bearer {api_key}")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _failed(name, full, f"HTTP {exc.code} {exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
        raise _failed(name, full, repr(exc)) from exc
    with response:
        if response.status != 200:
            raise _failed(name, full, f"HTTP {response.status} {response.reason}")
        return dest_store.install_stream(
            name, version, _body(response, name, full), sha256, samples=samples, check=check
        )
