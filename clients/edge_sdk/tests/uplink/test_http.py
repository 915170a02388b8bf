"""HttpUplink against a real HTTP server on 127.0.0.1 that fails on purpose."""

from __future__ import annotations

import doctest
import socket
import ssl
import sys
import time
from pathlib import Path

import pytest

from cad_ml_edge.errors import ConfigError, UplinkError
from cad_ml_edge.uplink import http as http_module
from cad_ml_edge.uplink.base import SendResult, Uplink
from cad_ml_edge.uplink.http import HttpUplink, parse_retry_after
from cad_ml_edge.wire import TelemetryFrame, encode_frames

ingest_server = sys.modules["edge_test_ingest_server"]  # loaded by conftest.py

Fault = ingest_server.Fault
IngestServer = ingest_server.IngestServer


def batch(n: int = 3, device: str = "press-1", start: float = 1.0) -> bytes:
    return encode_frames(
        TelemetryFrame(start + i, device, {"temperature": 20.0 + i}) for i in range(n)
    )


def test_doctests() -> None:
    assert doctest.testmod(http_module).failed == 0


def test_accepted_batch_arrives_with_path_headers_and_frames(ingest: IngestServer) -> None:
    up = HttpUplink(ingest.url, device_id="press-1", api_key="k3y", timeout_s=5)
    assert isinstance(up, Uplink)
    result = up.send(batch(3))
    assert result == SendResult(accepted=True, status=200, detail='{"accepted": 3}')
    assert result.error is None
    assert up.send(batch(2, start=10.0)).accepted
    got = ingest.received
    assert [r.path for r in got] == ["/api/v1/twin/press-1/telemetry"] * 2
    assert got[0].headers["Content-Type"] == "application/msgpack"
    assert got[0].headers["Authorization"] == "Bearer k3y"
    assert got[0].headers["User-Agent"].startswith("cad-ml-edge/")
    assert [f.timestamp for f in ingest.frames()] == [1.0, 2.0, 3.0, 10.0, 11.0]
    assert ingest.connections == 1  # kept alive
    up.close()
    up.close()  # idempotent


def test_path_prefix_device_quoting_and_no_key(ingest: IngestServer) -> None:
    up = HttpUplink(ingest.url + "/platform/", device_id="line 2/press", timeout_s=5)
    assert up.send(batch(1)).accepted
    received = ingest.received[0]
    assert received.path == "/platform/api/v1/twin/line%202%2Fpress/telemetry"
    assert "Authorization" not in received.headers
    up.close()


@pytest.mark.parametrize("url", ["ftp://x/", "127.0.0.1:8000", "http://"])
def test_url_must_be_http(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        HttpUplink(url, device_id="d")
    assert info.value.code == "EDGE_CONFIG_INVALID"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 401, 403, 404, 302])
def test_retryable_statuses_raise(ingest: IngestServer, status: int) -> None:
    ingest.faults.append(Fault("status", status=status, body=b"busy"))
    up = HttpUplink(ingest.url, device_id="d", timeout_s=5)
    with pytest.raises(UplinkError) as info:
        up.send(batch())
    err = info.value
    assert err.code == "EDGE_UPLINK_FAILED"
    assert err.details["status"] == status
    assert err.details["retry_after"] is None
    assert f"HTTP {status} busy" in err.message()
    assert up.send(batch()).accepted  # the same uplink recovers
    up.close()


def test_429_honours_retry_after_seconds_and_date(ingest: IngestServer) -> None:
    up = HttpUplink(ingest.url, device_id="d", timeout_s=5)
    ingest.faults.append(Fault("status", status=429, headers={"Retry-After": "7"}))
    with pytest.raises(UplinkError) as info:
        up.send(batch())
    assert info.value.details == {
        "detail": f"{ingest.url}: HTTP 429",
        "status": 429,
        "retry_after": 7.0,
    }
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    ingest.faults.append(Fault("status", status=503, headers={"Retry-After": when}))
    with pytest.raises(UplinkError) as info:
        up.send(batch())
    assert 100 < info.value.details["retry_after"] <= 120
    up.close()


@pytest.mark.parametrize("status", [400, 409, 413, 415, 422])
def test_content_errors_are_rejected_for_good(ingest: IngestServer, status: int) -> None:
    ingest.faults.append(Fault("status", status=status, body=b'{"detail": "bad frame"}'))
    up = HttpUplink(ingest.url, device_id="d", timeout_s=5)
    result = up.send(batch())
    assert not result.accepted
    assert result.status == status
    assert result.error is not None
    assert result.error.code == "EDGE_UPLINK_REJECTED"
    assert "bad frame" in result.error.message()
    up.close()


def test_retry_statuses_are_configurable(ingest: IngestServer) -> None:
    ingest.faults.append(Fault("status", status=401))
    up = HttpUplink(ingest.url, device_id="d", api_key="old", retry_statuses=(429,))
    assert up.send(batch()).status == 401
    up.close()


def test_connection_closed_mid_request_on_a_fresh_connection(ingest: IngestServer) -> None:
    ingest.faults.append(Fault("close"))
    up = HttpUplink(ingest.url, device_id="d", timeout_s=5)
    with pytest.raises(UplinkError) as info:
        up.send(batch(200))
    assert info.value.details["status"] == 0
    assert ingest.received == []
    assert up.send(batch()).accepted
    up.close()


def test_stale_kept_alive_connection_is_retried_once(ingest: IngestServer) -> None:
    up = HttpUplink(ingest.url, device_id="d", timeout_s=5)
    assert up.send(batch(1)).accepted
    ingest.down()  # the server closes the idle connection...
    ingest.up()  # ...and is back on the same port
    assert up.send(batch(1, start=5.0)).accepted
    assert ingest.connections == 2
    # Both the reused and the fresh connection fail: that is a real failure.
    ingest.faults.extend([Fault("close"), Fault("close")])
    with pytest.raises(UplinkError):
        up.send(batch(1))
    assert ingest.requests == 4
    up.close()


def test_hang_past_the_timeout(ingest: IngestServer) -> None:
    ingest.faults.append(Fault("hang", seconds=5.0))
    up = HttpUplink(ingest.url, device_id="d", timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(UplinkError) as info:
        up.send(batch())
    assert time.monotonic() - started < 2.0
    assert "timed out" in info.value.message()
    assert up.send(batch()).accepted
    up.close()


def test_server_down_is_retryable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    up = HttpUplink(f"http://127.0.0.1:{port}", device_id="d", timeout_s=1)
    with pytest.raises(UplinkError) as info:
        up.send(batch())
    assert "ConnectionRefusedError" in info.value.message()


def test_oversized_answer_drops_the_connection(ingest: IngestServer) -> None:
    ingest.faults.append(Fault("status", status=200, body=b"x" * 100_000))
    up = HttpUplink(ingest.url, device_id="d", timeout_s=5)
    result = up.send(batch())
    assert result.accepted and len(result.detail) == 300
    assert up.send(batch()).accepted
    assert ingest.connections == 2
    up.close()


def test_https_with_a_trusted_certificate(
    certs: dict[str, Path], server_tls: ssl.SSLContext
) -> None:
    with IngestServer(tls=server_tls) as server:
        url = f"https://127.0.0.1:{server.port}"
        trusted = ssl.create_default_context(cafile=str(certs["ca"]))
        up = HttpUplink(url, device_id="d", api_key="k", ssl_context=trusted, timeout_s=5)
        assert up.send(batch()).accepted
        up.close()
        # The system trust store does not know the self-signed certificate.
        untrusted = HttpUplink(url, device_id="d", timeout_s=5)
        with pytest.raises(UplinkError) as info:
            untrusted.send(batch())
        assert "CERTIFICATE_VERIFY_FAILED" in info.value.message()
        assert len(server.received) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", 0.0),
        (" 12.5 ", 12.5),
        ("-3", 0.0),
        ("never", None),
        ("Thu, 01 Jan 1970 00:01:40 GMT", 60.0),
        ("Thu, 01 Jan 1970 00:01:40 -0000", 60.0),  # no zone: UTC
        ("Thu, 01 Jan 1970 00:00:01 GMT", 0.0),  # in the past
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=lambda: 40.0) == expected
