"""The wire protocol: frames, codecs and their errors."""

from __future__ import annotations

import json
import math

import msgpack
import pytest

from cad_ml_edge.errors import EdgeError, WireError
from cad_ml_edge.wire import TelemetryFrame, decode_frames, encode_frames, frame_from_dict


def frame(**kw) -> TelemetryFrame:
    base = {
        "timestamp": 10.0,
        "device_id": "press-1",
        "sensors": {"t": 71.5},
        "metrics": {"rpm": 1200},
        "status": {"mode": "auto", "lat": 41.0},
    }
    base.update(kw)
    return TelemetryFrame(**base)


def test_round_trip_both_codecs_and_single_frames():
    frames = [frame(), frame(timestamp=11.0, sensors={})]
    assert decode_frames(encode_frames(frames)) == frames
    assert decode_frames(encode_frames(frames, codec="json")) == frames
    single_json = json.dumps(frame().to_dict()).encode()
    assert decode_frames(single_json) == [frame()]
    single_msgpack = msgpack.packb(frame().to_dict())
    assert decode_frames(single_msgpack) == [frame()]


def test_value_by_path():
    f = frame()
    assert f.value("sensors.t") == 71.5
    assert f.value("metrics.rpm") == 1200
    assert f.value("status.mode") == "auto"
    assert f.value("timestamp") == 10.0 and f.value("device_id") == "press-1"
    assert f.value("sensors.missing") is None
    assert f.value("nothing.here") is None
    assert f.value("sensors") is None


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"timestamp": -1.0}, "timestamp"),
        ({"timestamp": math.nan}, "timestamp"),
        ({"timestamp": True}, "timestamp"),
        ({"device_id": ""}, "device_id"),
        ({"device_id": "x" * 129}, "device_id"),
        ({"device_id": 5}, "device_id"),
        ({"sensors": {"t": "hot"}}, "sensors.t"),
        ({"metrics": {"m": math.inf}}, "metrics.m"),
        ({"sensors": [1, 2]}, "sensors must be a mapping"),
        ({"status": "ok"}, "status must be a mapping"),
    ],
)
def test_invalid_frames_name_the_problem(kw, fragment):
    with pytest.raises(WireError) as info:
        frame(**kw)
    assert info.value.code == "EDGE_WIRE_INVALID"
    assert fragment in info.value.message("en")
    assert isinstance(info.value, ValueError)


def test_invalid_payloads():
    for payload, fragment in [
        (b"", "empty"),
        (b"{not json", "undecodable"),
        (b"\xc1", "undecodable"),
        (json.dumps([1]).encode(), "must be a mapping"),
        (json.dumps({"timestamp": 1}).encode(), "required"),
        (json.dumps({"timestamp": 1, "device_id": "d", "extra": 1}).encode(), "unknown"),
    ]:
        with pytest.raises(WireError) as info:
            decode_frames(payload)
        assert fragment in str(info.value)
    with pytest.raises(WireError):
        encode_frames([frame()], codec="xml")
    with pytest.raises(WireError):
        frame_from_dict([])  # type: ignore[arg-type]


def test_error_messages_in_both_languages():
    err = EdgeError("EDGE_UPLINK_REJECTED", status=401)
    assert "401" in err.message("en") and "401" in err.message("tr")
    assert err.message("tr") != err.message("en")
    assert "?" in err.message("en")  # the missing 'detail' renders as '?'
    assert err.suggestion
