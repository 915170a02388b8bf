"""The twin API end to end: devices, HTTP ingest after commit, history, aggregates, state,
live WebSocket and retention, on the real app with the embedded SQLite time-series store."""

from __future__ import annotations

import math
import time
from typing import Any

import msgpack
import numpy as np
import pytest

from cadml.twin.frame import TelemetryFrame, encode_frames

T0 = (time.time() // 86400 - 2) * 86400  # midnight UTC two days ago: inside the accepted age


def _frames(device: str, n: int, start: float = T0, step: float = 1.0) -> list[TelemetryFrame]:
    return [
        TelemetryFrame(
            start + i * step,
            device,
            {"temperature": 20.0 + 0.01 * i, "vibration_rms": float(i % 7)},
            {"cycle": float(i)},
            {"state": "running" if i % 2 else "idle"},
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def twin(platform: Any) -> dict[str, Any]:
    """A writer token, a reader token, and one registered device with its key."""
    writer = platform.user("twin-writer", ["twin:read", "twin:write"])
    reader = platform.user("twin-reader", ["twin:read"])
    r = platform.client.post(
        "/api/v1/twin/devices",
        json={"id": "press-7", "type": "press", "tags": {"line": "2"}},
        headers={"Authorization": f"Bearer {writer}"},
    )
    assert r.status_code == 201, r.text
    return {
        "writer": {"Authorization": f"Bearer {writer}"},
        "reader": {"Authorization": f"Bearer {reader}"},
        "key": r.json()["api_key"],
        "device": r.json()["device"],
    }


def _post(platform: Any, device: str, body: bytes, key: str, codec: str = "msgpack") -> Any:
    return platform.client.post(
        f"/api/v1/twin/{device}/telemetry",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": f"application/{codec}"},
    )


def test_register_returns_a_key_once_and_lists_the_device(platform: Any, twin: Any) -> None:
    assert twin["key"].startswith("cdev_")
    assert twin["device"]["key_prefix"] == twin["key"][:12]
    listed = platform.client.get("/api/v1/twin/devices", headers=twin["reader"]).json()
    assert [d["id"] for d in listed["items"]] == ["press-7"]
    assert "api_key" not in listed["items"][0]
    again = platform.client.post(
        "/api/v1/twin/devices", json={"id": "press-7", "type": "press"}, headers=twin["writer"]
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "TWIN_DEVICE_EXISTS"


def test_register_refuses_ids_mqtt_cannot_carry(platform: Any, twin: Any) -> None:
    for bad in ("line/2", "a b", "x+", ""):
        r = platform.client.post(
            "/api/v1/twin/devices", json={"id": bad, "type": "press"}, headers=twin["writer"]
        )
        assert r.status_code == 422, bad
        assert r.json()["error"]["code"] in ("TWIN_DEVICE_INVALID", "VALIDATION_INVALID_VALUE")


def test_reader_cannot_register(platform: Any, twin: Any) -> None:
    r = platform.client.post(
        "/api/v1/twin/devices", json={"id": "x1", "type": "press"}, headers=twin["reader"]
    )
    assert r.status_code == 403


def test_ingest_msgpack_then_history_newest_first(platform: Any, twin: Any) -> None:
    frames = _frames("press-7", 120)
    r = _post(platform, "press-7", encode_frames(frames), twin["key"])
    assert r.status_code == 200, r.text
    assert r.json() == {"device_id": "press-7", "accepted": 120, "written": 120, "duplicates": 0}
    page = platform.client.get(
        "/api/v1/twin/history",
        params={"device_id": "press-7", "limit": 50},
        headers=twin["reader"],
    ).json()
    assert page["count"] == 50
    got = [f["timestamp"] for f in page["frames"]]
    assert got == [T0 + i for i in range(119, 69, -1)]
    assert page["frames"][0]["sensors"] == {
        "temperature": pytest.approx(21.19),
        "vibration_rms": 0.0,
    }
    # walk every page through the cursor: each frame exactly once
    seen = got
    assert page["links"]["next"].startswith("/api/v1/twin/history?device_id=press-7&limit=50")
    while page["next_cursor"]:
        page = platform.client.get(page["links"]["next"], headers=twin["reader"]).json()
        seen += [f["timestamp"] for f in page["frames"]]
    assert seen == [T0 + i for i in range(119, -1, -1)]


def test_ingest_is_idempotent_and_json_works_too(platform: Any, twin: Any) -> None:
    frames = _frames("press-7", 10)
    r = _post(platform, "press-7", encode_frames(frames, "json"), twin["key"], "json")
    assert r.status_code == 200, r.text
    assert r.json()["written"] == 0 and r.json()["duplicates"] == 10


def test_a_batch_with_one_bad_frame_is_refused_whole(platform: Any, twin: Any) -> None:
    good = [f.to_dict() for f in _frames("press-7", 3, start=T0 + 10_000)]
    bad = dict(good[1], sensors={"temperature": "hot"})
    body = msgpack.packb([good[0], bad, good[2]])
    r = _post(platform, "press-7", body, twin["key"])
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "TWIN_FRAME_INVALID"
    assert error["details"]["index"] == 1 and error["details"]["accepted"] == 0
    assert "temperature" in error["message_en"] and error["message_tr"]
    history = platform.client.get(
        "/api/v1/twin/history",
        params={"device_id": "press-7", "start": T0 + 10_000},
        headers=twin["reader"],
    ).json()
    assert history["frames"] == []  # nothing half-written
    stats = platform.client.get("/api/v1/twin/ingest/stats", headers=twin["reader"]).json()
    assert stats["rejected"].get("TWIN_FRAME_INVALID", 0) >= 1
    metrics = platform.client.get("/metrics").text
    assert 'cadml_twin_ingest_frames_rejected_total{reason="TWIN_FRAME_INVALID"}' in metrics


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "TWIN_FRAME_EMPTY"),
        (b"\xc1\xc1", "TWIN_FRAME_UNDECODABLE"),
        (b"[]", "TWIN_FRAME_EMPTY"),
        (b'{"timestamp": 1, "device_id": "other", "sensors": {}}', "TWIN_FRAME_DEVICE_MISMATCH"),
        (b'{"timestamp": 9999999999, "device_id": "press-7"}', "TWIN_FRAME_FUTURE"),
    ],
)
def test_bad_payloads_get_their_own_codes(platform: Any, twin: Any, body: bytes, code: str) -> None:
    r = _post(platform, "press-7", body, twin["key"])
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


def test_ingest_auth(platform: Any, twin: Any) -> None:
    body = encode_frames(_frames("press-7", 1, start=T0 + 20_000))
    assert _post(platform, "press-7", body, "cdev_wrong").status_code == 401
    # another device's key cannot post for press-7
    other = platform.client.post(
        "/api/v1/twin/devices", json={"id": "press-8", "type": "press"}, headers=twin["writer"]
    ).json()["api_key"]
    r = _post(platform, "press-7", body, other)
    assert r.status_code == 401 and r.json()["error"]["code"] == "TWIN_DEVICE_KEY_INVALID"
    # a user with twin:write may post for a registered device, not for an unknown one
    token = twin["writer"]["Authorization"].split()[1]
    assert _post(platform, "press-7", body, token).status_code == 200
    unknown = _post(platform, "ghost", encode_frames(_frames("ghost", 1)), token)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND_DEVICE"
    # a reader may not post at all
    reader = twin["reader"]["Authorization"].split()[1]
    assert _post(platform, "press-7", body, reader).status_code == 403


def test_rotated_key_replaces_the_old_one(platform: Any, twin: Any) -> None:
    r = platform.client.post(
        "/api/v1/twin/devices", json={"id": "rot-1", "type": "press"}, headers=twin["writer"]
    )
    old = r.json()["api_key"]
    body = encode_frames(_frames("rot-1", 1))
    assert _post(platform, "rot-1", body, old).status_code == 200
    new = platform.client.post(
        "/api/v1/twin/devices/rot-1/rotate-key", headers=twin["writer"]
    ).json()["api_key"]
    assert _post(platform, "rot-1", body, old).status_code == 401
    assert _post(platform, "rot-1", body, new).status_code == 200


def test_aggregate_matches_numpy_on_rollups_and_raw(platform: Any, twin: Any) -> None:
    device = "agg-1"
    platform.client.post(
        "/api/v1/twin/devices", json={"id": device, "type": "press"}, headers=twin["writer"]
    )
    key = platform.client.post(
        f"/api/v1/twin/devices/{device}/rotate-key", headers=twin["writer"]
    ).json()["api_key"]
    rng = np.random.default_rng(7)
    values = rng.normal(50.0, 5.0, 3600)
    frames = [
        TelemetryFrame(T0 + i, device, {"temperature": float(v)}) for i, v in enumerate(values)
    ]
    assert _post(platform, device, encode_frames(frames), key).status_code == 200
    for window, size in (("5m", 300), ("90s", 90)):
        for fn, ref in (
            ("mean", np.mean),
            ("min", np.min),
            ("max", np.max),
            ("sum", np.sum),
            ("stddev", np.std),
            ("count", len),
        ):
            body = platform.client.get(
                "/api/v1/twin/history/aggregate",
                params={
                    "device_id": device,
                    "field": "temperature",
                    "window": window,
                    "fn": fn,
                    "start": T0,
                    "stop": T0 + 3600,
                },
                headers=twin["reader"],
            ).json()
            points = body["points"]
            starts = [math.floor((T0 + i) / size) * size for i in range(3600)]
            expected: dict[float, list[float]] = {}
            for s, v in zip(starts, values, strict=True):
                expected.setdefault(float(s), []).append(float(v))
            assert [p["start"] for p in points] == sorted(expected), (window, fn)
            for p in points:
                want = float(ref(np.array(expected[p["start"]])))
                assert p["value"] == pytest.approx(want, rel=1e-9, abs=1e-9), (window, fn)
                assert p["count"] == len(expected[p["start"]])


def test_aggregate_rejects_bad_parameters(platform: Any, twin: Any) -> None:
    for params in (
        {"field": "temperature", "fn": "median"},
        {"field": "temperature", "window": "soon"},
        {"field": "a.b.c"},
        {"field": "temperature", "start": "yesterday"},
        {"field": "temperature", "start": 200, "stop": 100},
    ):
        r = platform.client.get(
            "/api/v1/twin/history/aggregate", params=params, headers=twin["reader"]
        )
        assert r.status_code == 422, params
        assert r.json()["error"]["code"] in ("TWIN_QUERY_INVALID", "TWIN_STORE_INVALID_QUERY")


def test_state_reports_last_values_and_presence(platform: Any, twin: Any) -> None:
    device = "live-1"
    key = platform.client.post(
        "/api/v1/twin/devices", json={"id": device, "type": "press"}, headers=twin["writer"]
    ).json()["api_key"]
    never = platform.client.get(f"/api/v1/twin/{device}/state", headers=twin["reader"]).json()
    assert never["presence"] == "never_seen" and never["fields"] == {}
    now = time.time()
    frames = [
        TelemetryFrame(now - 5, device, {"temperature": 30.0}, {}, {"state": "idle"}),
        TelemetryFrame(now - 1, device, {"temperature": 31.5}, {"cycle": 9.0}, {"state": "run"}),
    ]
    assert _post(platform, device, encode_frames(frames), key).status_code == 200
    # an older frame arriving late does not overwrite the newer value
    late = [TelemetryFrame(now - 3, device, {"temperature": 99.0})]
    assert _post(platform, device, encode_frames(late), key).status_code == 200
    state = platform.client.get(f"/api/v1/twin/{device}/state", headers=twin["reader"]).json()
    assert state["presence"] == "online"
    assert state["last_seen"] == pytest.approx(now - 1)
    assert state["fields"]["sensors.temperature"]["value"] == 31.5
    assert state["fields"]["metrics.cycle"]["value"] == 9.0
    assert state["status"]["state"] == "run"
    missing = platform.client.get("/api/v1/twin/nobody/state", headers=twin["reader"])
    assert missing.status_code == 404


def test_websocket_replays_since_then_streams_live(platform: Any, twin: Any) -> None:
    device = "ws-1"
    key = platform.client.post(
        "/api/v1/twin/devices", json={"id": device, "type": "press"}, headers=twin["writer"]
    ).json()["api_key"]
    first = _frames(device, 5, start=T0)
    assert _post(platform, device, encode_frames(first), key).status_code == 200
    token = twin["reader"]["Authorization"].split()[1]
    url = f"/api/v1/twin/ws/{device}?access_token={token}&since={T0 + 1.5}&max_hz=50"
    with platform.client.websocket_connect(url) as ws:
        replay = ws.receive_json()
        assert replay["type"] == "frames"
        assert [f["timestamp"] for f in replay["frames"]] == [T0 + 2, T0 + 3, T0 + 4]
        more = _frames(device, 3, start=T0 + 100)
        assert _post(platform, device, encode_frames(more), key).status_code == 200
        live: list[float] = []
        while len(live) < 3:
            msg = ws.receive_json()
            assert msg["type"] == "frames"
            live += [f["timestamp"] for f in msg["frames"]]
        assert live == [T0 + 100, T0 + 101, T0 + 102]
        assert msg["cursor"]["timestamp"] == T0 + 102


def test_websocket_refuses_missing_credentials(platform: Any) -> None:
    with platform.client.websocket_connect("/api/v1/twin/ws/ws-1") as ws:
        msg = ws.receive_json()
    assert msg["type"] == "error" and msg["error"]["code"] == "AUTH_REQUIRED"


def test_retention_deletes_old_raw_frames_per_device(platform: Any, twin: Any) -> None:
    device = "ret-1"
    key = platform.client.post(
        "/api/v1/twin/devices",
        json={"id": device, "type": "press", "retention_raw_days": 1},
        headers=twin["writer"],
    ).json()["api_key"]
    now = time.time()
    frames = [
        TelemetryFrame(now - 3 * 86400, device, {"temperature": 1.0}),
        TelemetryFrame(now - 60, device, {"temperature": 2.0}),
    ]
    assert _post(platform, device, encode_frames(frames), key).status_code == 200
    admin = {"Authorization": f"Bearer {platform.key(['admin'])}"}
    r = platform.client.post("/api/v1/twin/retention/apply", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["deleted_raw_frames"][device] == 1
    left = platform.client.get(
        "/api/v1/twin/history", params={"device_id": device}, headers=twin["reader"]
    ).json()
    assert [f["sensors"]["temperature"] for f in left["frames"]] == [2.0]
