"""The telemetry frame codecs: round trips, the edge SDK's wire bytes, and coded rejections."""

from __future__ import annotations

import json

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadml.twin.frame import (
    TelemetryFrame,
    TimeRule,
    decode_batch,
    encode_frames,
    event_key,
    numeric_fields,
)

# MsgPack carries 64-bit integers and UTF-8 text (no lone surrogates): the wire's limits.
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters=".")
_names = st.text(_chars, min_size=1, max_size=12)
_ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_values = st.floats(allow_nan=False, allow_infinity=False, width=64)
_frames = st.builds(
    TelemetryFrame,
    timestamp=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    device_id=st.text(_chars, min_size=1, max_size=128),
    sensors=st.dictionaries(_names, _values, max_size=5),
    metrics=st.dictionaries(_names, _values, max_size=5),
    status=st.dictionaries(_names, st.one_of(st.text(_chars, max_size=8), _ints, st.none())),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_frames, min_size=1, max_size=5), st.sampled_from(["msgpack", "json"]))
def test_round_trip_in_both_codecs(frames: list[TelemetryFrame], codec: str) -> None:
    decoded = decode_batch(encode_frames(frames, codec))
    assert decoded.rejections == []
    assert decoded.frames == frames


def test_the_edge_sdk_bytes_decode_to_the_same_frames() -> None:
    wire = pytest.importorskip("cad_ml_edge.wire")
    edge = [
        wire.TelemetryFrame(12.5, "press-1", {"temperature": 71.5}, {"rpm": 900.0}, {"s": "ok"}),
        wire.TelemetryFrame(13.0, "press-1", {}, {}, {"alert": {"rule_id": "hot"}}),
    ]
    for codec in ("msgpack", "json"):
        decoded = decode_batch(wire.encode_frames(edge, codec=codec))
        assert [f.to_dict() for f in decoded.frames] == [f.to_dict() for f in edge]
    assert event_key(decode_batch(wire.encode_frames(edge)).frames[1]) == "hot"


def test_a_single_frame_object_is_a_batch_of_one() -> None:
    one = {"timestamp": 5, "device_id": "d", "sensors": {"t": 1}}
    decoded = decode_batch(msgpack.packb(one))
    assert decoded.frames == [TelemetryFrame(5.0, "d", {"t": 1.0})]
    assert isinstance(decoded.frames[0].timestamp, float)


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"timestamp": -1, "device_id": "d"}, "timestamp"),
        ({"timestamp": float("nan"), "device_id": "d"}, "timestamp"),
        ({"timestamp": True, "device_id": "d"}, "timestamp"),
        ({"device_id": "d"}, "timestamp"),
        ({"timestamp": 1, "device_id": ""}, "device_id"),
        ({"timestamp": 1, "device_id": "x" * 129}, "device_id"),
        ({"timestamp": 1, "device_id": "d", "sensors": {"t": "hot"}}, "sensors.t"),
        ({"timestamp": 1, "device_id": "d", "sensors": {"a.b": 1}}, "invalid name"),
        ({"timestamp": 1, "device_id": "d", "metrics": [1, 2]}, "metrics"),
        ({"timestamp": 1, "device_id": "d", "status": "ok"}, "status"),
        ({"timestamp": 1, "device_id": "d", "extra": 1}, "unknown fields"),
        ("not a frame", "mapping"),
    ],
)
def test_each_bad_frame_is_rejected_with_a_reason(item: object, words: str) -> None:
    good = {"timestamp": 2, "device_id": "d"}
    decoded = decode_batch(json.dumps([good, item]).encode())
    assert decoded.frames == [TelemetryFrame(2.0, "d")]
    (rejection,) = decoded.rejections
    assert rejection.code == "TWIN_FRAME_INVALID" and rejection.index == 1
    assert words in rejection.detail


def test_payload_level_rejections() -> None:
    assert decode_batch(b"").rejections[0].code == "TWIN_FRAME_EMPTY"
    assert decode_batch(b"[]").rejections[0].code == "TWIN_FRAME_EMPTY"
    assert decode_batch(b"{not json").rejections[0].code == "TWIN_FRAME_UNDECODABLE"
    assert decode_batch(b"\xc1").rejections[0].code == "TWIN_FRAME_UNDECODABLE"
    assert decode_batch(b"\xc1").rejections[0].index == -1


def test_device_mismatch_and_time_rule() -> None:
    frames = [
        TelemetryFrame(1000.0, "a"),
        TelemetryFrame(1000.0, "b"),
        TelemetryFrame(2000.0, "a"),
        TelemetryFrame(10.0, "a"),
    ]
    decoded = decode_batch(
        encode_frames(frames),
        device_id="a",
        time_rule=TimeRule(max_future_s=60, max_age_s=500),
        now=1000.0,
    )
    assert decoded.frames == [frames[0]]
    assert [(r.code, r.index) for r in decoded.rejections] == [
        ("TWIN_FRAME_DEVICE_MISMATCH", 1),
        ("TWIN_FRAME_FUTURE", 2),
        ("TWIN_FRAME_TOO_OLD", 3),
    ]


def test_a_zero_max_age_accepts_any_age() -> None:
    assert TimeRule(max_future_s=1, max_age_s=0).check(0.0, now=1e9) is None


def test_numeric_fields_and_event_keys() -> None:
    frame = TelemetryFrame(1.0, "d", {"t": 1.5}, {"t": 2.5}, {"alert": {"rule_id": 7}})
    assert numeric_fields(frame) == {"sensors.t": 1.5, "metrics.t": 2.5}
    assert event_key(frame) == "7"
    assert event_key(TelemetryFrame(1.0, "d", status={"alert": "text"})) == ""


# -- the fast path means exactly what the checked path means ----------------------------

_anything = st.one_of(
    _values,
    _ints,
    st.booleans(),
    st.none(),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308]),
    st.text(_chars, max_size=4),
)
_any_names = st.one_of(_names, st.sampled_from(["", "a.b", ".", "x"]))
_raw_frames = st.fixed_dictionaries(
    {
        "timestamp": st.one_of(
            st.floats(min_value=0, max_value=4e9), st.sampled_from([-1.0, 1e12]), _anything
        ),
        "device_id": st.one_of(
            st.sampled_from(["d", "", "x" * 128, "x" * 129]), st.text(_chars, max_size=3), _ints
        ),
    },
    optional={
        "sensors": st.one_of(st.dictionaries(_any_names, _anything, max_size=4), st.none()),
        "metrics": st.one_of(st.dictionaries(_any_names, _anything, max_size=3), _anything),
        "status": st.one_of(st.dictionaries(_names, _anything, max_size=3), st.none(), _ints),
        "extra": _anything,
    },
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(_raw_frames, st.lists(_raw_frames, max_size=4)),
    st.sampled_from(["msgpack", "json"]),
    st.sampled_from([None, "d"]),
    st.booleans(),
)
def test_the_fast_path_agrees_with_the_checked_path(
    data: object, codec: str, device: str | None, with_rule: bool
) -> None:
    from cadml.twin.frame import _checked_decode

    if codec == "json":
        try:
            payload = json.dumps(data).encode()
        except ValueError:
            return
    else:
        payload = msgpack.packb(data, use_bin_type=True)
    rule = TimeRule(max_future_s=300, max_age_s=86400 * 365) if with_rule else None
    now = 3e9 if with_rule else None
    fast = decode_batch(payload, device_id=device, time_rule=rule, now=now)
    checked = _checked_decode(payload, device, rule, now)
    assert fast == checked
    assert [type(f.timestamp) for f in fast.frames] == [float] * len(fast.frames)


def test_the_fast_path_takes_good_payloads_and_leaves_bad_ones() -> None:
    from cadml.twin.frame import _fast_decode

    good = {"timestamp": 5, "device_id": "d", "sensors": {"t": 1}, "metrics": {"rpm": 2.5}}
    frames = _fast_decode(msgpack.packb([good, good]), "d", None, None)
    assert frames == [TelemetryFrame(5.0, "d", {"t": 1.0}, {"rpm": 2.5})] * 2
    assert type(frames[0].sensors["t"]) is float
    for bad in (
        {**good, "sensors": {"t": float("nan")}},
        {**good, "sensors": {"a.b": 1.0}},
        {**good, "metrics": {"": 1.0}},
        {**good, "timestamp": float("inf")},
        {**good, "device_id": "x" * 129},
        {**good, "extra": 1},
        {**good, "sensors": {"t": True}},
    ):
        assert _fast_decode(msgpack.packb(bad), None, None, None) is None, bad
        assert len(decode_batch(msgpack.packb(bad)).rejections) == 1, bad
    # a null status is good, but only the checked path reads it (as no status)
    nulled = msgpack.packb({**good, "status": None})
    assert _fast_decode(nulled, None, None, None) is None
    assert decode_batch(nulled).frames == [TelemetryFrame(5.0, "d", {"t": 1.0}, {"rpm": 2.5})]
