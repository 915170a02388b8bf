"""The local frame sources: HTTP on loopback and JSON lines."""

from __future__ import annotations

import http.client
import json

import msgpack
import pytest

from cad_ml_edge.sources import FrameServer, read_jsonl
from cad_ml_edge.wire import TelemetryFrame, encode_frames


@pytest.fixture
def server():
    got: list[TelemetryFrame] = []

    def ingest(frame: TelemetryFrame) -> list[str]:
        got.append(frame)
        return ["alert"] if frame.sensors.get("t", 0) > 50 else []

    srv = FrameServer("127.0.0.1", 0, ingest, lambda: {"device_id": "press-1"})
    srv.start()
    yield srv, got
    srv.stop()


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = json.loads(resp.read() or b"{}")
    conn.close()
    return resp.status, data


def test_post_json_and_msgpack_frames(server):
    srv, got = server
    batch = [
        TelemetryFrame(1.0, "press-1", {"t": 20.0}),
        TelemetryFrame(2.0, "press-1", {"t": 90.0}),
    ]
    assert request(srv.port, "POST", "/frames", encode_frames(batch, codec="json")) == (
        202,
        {"accepted": 2, "alerts": 1},
    )
    single = msgpack.packb(batch[0].to_dict())
    assert request(srv.port, "POST", "/frames", single)[0] == 202
    assert got == [*batch, batch[0]]


def test_bad_requests_are_coded_and_buffer_nothing(server):
    srv, got = server
    status, body = request(srv.port, "POST", "/frames", b'{"timestamp": -1, "device_id": "x"}')
    assert status == 400 and body["error"]["code"] == "EDGE_WIRE_INVALID"
    assert body["error"]["message_tr"] != body["error"]["message_en"]
    assert request(srv.port, "POST", "/frames", b"")[0] == 400
    assert (
        request(srv.port, "POST", "/frames", b"x", {"Content-Length": str(9 * 1024 * 1024)})[0]
        == 413
    )
    assert request(srv.port, "POST", "/elsewhere", b"{}")[0] == 404
    assert request(srv.port, "GET", "/nothing")[0] == 404
    assert got == []


def test_status_endpoint(server):
    srv, _ = server
    assert request(srv.port, "GET", "/status") == (200, {"device_id": "press-1"})


def test_jsonl_skips_bad_lines():
    got: list[TelemetryFrame] = []
    lines = [
        '{"timestamp": 1, "device_id": "d", "sensors": {"t": 1}}\n',
        "\n",
        "not json\n",
        '[{"timestamp": 2, "device_id": "d"}, {"timestamp": 3, "device_id": "d"}]\n',
    ]
    assert read_jsonl(lines, lambda f: got.append(f) or []) == (3, 1)
    assert [f.timestamp for f in got] == [1, 2, 3]
