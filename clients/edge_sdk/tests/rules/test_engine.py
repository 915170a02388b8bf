"""The engine: actions, events and their wire form, devices, ordering, messages."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from cad_ml_edge.errors import RuleError, WireError
from cad_ml_edge.rules import AlertEvent, RuleEngine
from cad_ml_edge.wire import TelemetryFrame, decode_frames, encode_frames, frame_from_dict

HOT = {
    "id": "spindle-hot",
    "field": "sensors.temperature",
    "op": ">",
    "value": 80.0,
    "hysteresis": 2.0,
    "severity": "critical",
    "actions": [
        {"type": "alert"},
        {"type": "command", "name": "stop_spindle", "args": {"mode": "soft"}},
        {"type": "callback", "name": "notify"},
    ],
}


def hot_frame(t: float, temp: float, device: str = "press-1") -> TelemetryFrame:
    return TelemetryFrame(t, device, {"temperature": temp})


def test_actions_run_in_order_with_the_event():
    calls: list[tuple[str, Any]] = []
    engine = RuleEngine(
        [HOT],
        callbacks={"notify": lambda e: calls.append(("callback", e))},
        command_hook=lambda name, ctx: calls.append(("command", (name, ctx))),
        alert_sink=lambda e: calls.append(("alert", e)),
    )
    assert engine.process(hot_frame(1.0, 70.0)) == []
    [event] = engine.process(hot_frame(2.0, 81.5))
    assert event == AlertEvent(
        "spindle-hot",
        "press-1",
        2.0,
        "critical",
        81.5,
        "sensors.temperature > 80: 81.5",
        "threshold",
    )
    assert [kind for kind, _ in calls] == ["alert", "command", "callback"]
    assert calls[0][1] is event and calls[2][1] is event
    name, context = calls[1][1]
    assert name == "stop_spindle"
    assert context == {
        "rule_id": "spindle-hot",
        "device_id": "press-1",
        "timestamp": 2.0,
        "severity": "critical",
        "kind": "threshold",
        "value": 81.5,
        "message": event.message,
        "args": {"mode": "soft"},
    }
    assert engine.events_emitted == 1


def test_unknown_callback_and_missing_command_hook_fail_at_compile_time():
    with pytest.raises(RuleError) as err:
        RuleEngine([HOT], callbacks={"other": print}, command_hook=lambda n, c: None)
    assert err.value.details["rule"] == "spindle-hot"
    assert err.value.details["field"] == "actions[2].name"
    assert "notify" in str(err.value) and "other" in str(err.value)
    with pytest.raises(RuleError, match="needs a command_hook") as err:
        RuleEngine([HOT], callbacks={"notify": print})
    assert err.value.details["field"] == "actions[1].name"


def test_invalid_rules_fail_at_construction():
    with pytest.raises(RuleError, match="spindle-hot"):
        RuleEngine([{**HOT, "op": "~"}])


def test_without_a_sink_events_are_returned_only():
    engine = RuleEngine([{**HOT, "actions": [{"type": "alert"}]}])
    assert len(engine.process(hot_frame(1.0, 99.0))) == 1


def test_a_failing_action_is_logged_and_the_rest_still_run(caplog: pytest.LogCaptureFixture):
    seen: list[str] = []

    def boom(event: AlertEvent) -> None:
        raise RuntimeError("sink down")

    rules = [
        {**HOT, "actions": [{"type": "alert"}, {"type": "callback", "name": "notify"}]},
        {**HOT, "id": "second", "actions": [{"type": "callback", "name": "notify"}]},
    ]
    engine = RuleEngine(
        rules, callbacks={"notify": lambda e: seen.append(e.rule_id)}, alert_sink=boom
    )
    with caplog.at_level(logging.ERROR, logger="cad_ml_edge.rules"):
        events = engine.process(hot_frame(1.0, 90.0))
    assert [e.rule_id for e in events] == ["spindle-hot", "second"]
    assert seen == ["spindle-hot", "second"]
    assert engine.action_errors == 1
    assert "spindle-hot" in caplog.text and "sink down" in caplog.text


def test_state_is_per_device():
    engine = RuleEngine([{**HOT, "actions": []}])
    assert engine.process(hot_frame(1.0, 90.0, "a"))
    assert engine.process(hot_frame(1.0, 90.0, "b"))  # b has its own, idle state
    assert not engine.process(hot_frame(2.0, 90.0, "a"))
    assert engine.devices == ("a", "b")


def test_out_of_order_frames_are_ignored_and_counted():
    engine = RuleEngine([{**HOT, "actions": []}])
    engine.process(hot_frame(10.0, 50.0))
    assert engine.process(hot_frame(9.0, 99.0)) == []
    assert engine.out_of_order == 1
    assert engine.process(hot_frame(10.0, 99.0))  # an equal timestamp is in order


def test_frames_without_any_used_field_cost_nothing_and_fire_nothing():
    engine = RuleEngine([{**HOT, "actions": []}])
    assert engine.process(TelemetryFrame(1.0, "d", {"other": 1.0}, {"m": 2.0}, {"s": "x"})) == []


def test_messages_default_custom_and_fallback():
    rules = [
        {"id": "t", "field": "sensors.x", "op": ">", "value": 1, "actions": []},
        {
            "id": "w",
            "window": {"kind": "sliding", "size_s": 1, "fn": "avg", "field": "sensors.x"},
            "op": ">",
            "value": 1,
            "actions": [],
        },
        {
            "id": "r",
            "rate_of_change": {"field": "sensors.x", "per_s": False},
            "op": ">",
            "value": 1,
            "actions": [],
        },
        {"id": "f", "rate_of_change": {"field": "sensors.x"}, "op": ">", "value": 1, "actions": []},
        {
            "id": "c",
            "field": "sensors.x",
            "op": ">=",
            "value": 2.5,
            "message": "{device_id}/{rule_id}: {source} {op} {threshold} at {value:.2f}",
            "actions": [],
        },
        {
            "id": "s",
            "field": "status.mode",
            "op": "!=",
            "value": "auto",
            "message": "mode {value:.1f}",  # fails on strings: falls back to the default
            "actions": [],
        },
        {
            "id": "g",
            "geofence": {"shape": "circle", "center": [0, 0], "radius_m": 10},
            "message": "{rule_id} {op} {threshold}|",
            "actions": [],
        },
        {
            "id": "h",
            "geofence": {"shape": "circle", "center": [0, 0], "radius_m": 10},
            "actions": [],
        },
    ]
    engine = RuleEngine(rules)
    engine.process(
        TelemetryFrame(0.0, "d", {"x": 0.0}, status={"mode": "auto", "lat": 1.0, "lon": 0.0})
    )
    events = engine.process(
        TelemetryFrame(1.0, "d", {"x": 3.0}, status={"mode": "manual", "lat": 0.0, "lon": 0.0})
    )
    messages = {e.rule_id: e.message for e in events}
    assert messages == {
        "t": "sensors.x > 1: 3",
        "w": "avg(sensors.x) over sliding 1 s > 1: 3",
        "r": "rate of sensors.x per frame > 1: 3",
        "f": "rate of sensors.x per s > 1: 3",
        "c": "d/c: sensors.x >= 2.5 at 3.00",
        "s": "status.mode != 'auto': 'manual'",
        "g": "g enter |",
        "h": "d entered geofence h at (0.000000, 0.000000)",
    }
    exits = engine.process(TelemetryFrame(2.0, "d", status={"lat": 1.0, "lon": 0.0}))
    assert {e.rule_id: e.message for e in exits} == {
        "g": "g exit |",
        "h": "d left geofence h at (1.000000, 0.000000)",
    }
    assert engine.process(TelemetryFrame(3.0, "d", status={"lat": 0.0, "lon": 0.0}))


@pytest.mark.parametrize(
    "event",
    [
        AlertEvent("t1", "press-1", 3.0, "critical", 81.5, "hot", "threshold"),
        AlertEvent("m", "press-1", 3.0, "info", "fault", "mode", "threshold"),
    ],
)
def test_alert_event_with_a_scalar_value_round_trips(event: AlertEvent):
    frame = TelemetryFrame(**event.to_frame())
    assert frame.sensors == {} and frame.metrics == {}
    assert AlertEvent.from_frame(decode_frames(encode_frames([frame]))[0]) == event


def test_alert_event_wire_form_round_trips():
    event = AlertEvent("g1", "truck-7", 12.5, "warning", (41.0, 29.0), "left", "geofence_exit")
    frame = TelemetryFrame(**event.to_frame())
    assert frame.status["alert"]["value"] == [41.0, 29.0]
    # through MsgPack and JSON, as the uplink sends it
    for codec in ("msgpack", "json"):
        [decoded] = decode_frames(encode_frames([frame], codec=codec))
        assert AlertEvent.from_frame(decoded) == event
    assert AlertEvent.from_frame(json.loads(json.dumps(event.to_frame()))) == event
    assert frame_from_dict(event.to_frame()) == frame


@pytest.mark.parametrize(
    "status",
    [
        {},
        {"alert": "buffer_capacity"},
        {"alert": {"rule_id": "x"}},
        {"alert": {"rule_id": "x", "severity": "info", "kind": "nope", "value": 1, "message": ""}},
    ],
)
def test_alert_event_from_a_frame_that_is_no_alert(status: dict[str, Any]):
    with pytest.raises(WireError):
        AlertEvent.from_frame(TelemetryFrame(1.0, "d", status=status))
