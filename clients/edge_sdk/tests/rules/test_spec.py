"""The rule format: every accepted form, every rejection with the rule and field named."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from cad_ml_edge.errors import RuleError
from cad_ml_edge.rules.spec import (
    Action,
    Condition,
    Geofence,
    RateOfChange,
    Rule,
    Window,
    parse_rule,
    parse_rules,
    rule_fingerprint,
)

HOT = {"id": "hot", "field": "sensors.temperature", "op": ">", "value": 80}
SQUARE = [[41.0, 29.0], [41.0, 29.001], [41.001, 29.001], [41.001, 29.0]]


def test_threshold_defaults():
    rule = parse_rule(HOT)
    assert rule == Rule(
        "hot", "threshold", "sensors.temperature", Condition(">", 80.0, 0.0), 0.0, "warning"
    )
    assert rule.actions == (Action("alert"),)
    assert isinstance(rule.condition.value, float)


def test_full_threshold_from_the_issue():
    rule = parse_rule(
        {
            "id": "spindle-hot",
            "field": "sensors.temperature",
            "op": ">",
            "value": 80.0,
            "hysteresis": 2.0,
            "debounce_s": 3.0,
            "severity": "critical",
            "actions": [
                {"type": "alert"},
                {"type": "command", "name": "stop_spindle", "args": {"mode": "soft"}},
                {"type": "callback", "name": "x"},
            ],
            "message": "{device_id}: {source} at {value:.1f} (limit {threshold})",
            "description": "spindle bearing",
        }
    )
    assert rule.condition == Condition(">", 80.0, 2.0)
    assert rule.debounce_s == 3.0 and rule.severity == "critical"
    assert rule.actions[1] == Action("command", "stop_spindle", {"mode": "soft"})
    assert rule.actions[2] == Action("callback", "x", {})


def test_window_rate_and_geofence_sources():
    window = parse_rule(
        {
            "id": "w",
            "window": {"kind": "sliding", "size_s": 10, "fn": "avg", "field": "sensors.vib"},
            "op": ">",
            "value": 3.0,
        }
    )
    assert window.kind == "window"
    assert window.source == Window("sliding", 10.0, "avg", "sensors.vib")
    rate = parse_rule({"id": "r", "rate_of_change": {"field": "metrics.t"}, "op": ">", "value": 2})
    assert rate.source == RateOfChange("metrics.t", True)
    per_frame = parse_rule(
        {"id": "r", "rate_of_change": {"field": "metrics.t", "per_s": False}, "op": "<", "value": 0}
    )
    assert per_frame.source == RateOfChange("metrics.t", False)
    poly = parse_rule({"id": "g", "geofence": {"shape": "polygon", "points": SQUARE}})
    assert poly.kind == "geofence" and poly.condition is None
    assert poly.source == Geofence("polygon", tuple(map(tuple, SQUARE)))
    circle = parse_rule(
        {
            "id": "c",
            "geofence": {"shape": "circle", "center": [41, 29], "radius_m": 50},
            "lat_field": "sensors.lat",
            "lon_field": "sensors.lon",
            "event": "exit",
            "debounce_s": 5,
        }
    )
    assert circle.source == Geofence(
        "circle", (), (41.0, 29.0), 50.0, "sensors.lat", "sensors.lon", "exit"
    )
    assert circle.debounce_s == 5.0


def test_closed_polygon_ring_is_opened():
    rule = parse_rule({"id": "g", "geofence": {"shape": "polygon", "points": [*SQUARE, SQUARE[0]]}})
    assert len(rule.source.points) == 4


def test_status_equality_with_strings_and_bools():
    mode = parse_rule({"id": "m", "field": "status.mode", "op": "==", "value": "fault"})
    assert mode.condition == Condition("==", "fault", 0.0)
    door = parse_rule({"id": "d", "field": "status.open", "op": "!=", "value": False})
    assert door.condition.value is False


@pytest.mark.parametrize(
    "rule",
    [
        HOT,
        {
            "id": "full",
            "field": "status.mode",
            "op": "==",
            "value": "fault",
            "debounce_s": 1.5,
            "severity": "info",
            "actions": [{"type": "command", "name": "stop", "args": {"a": 1}}, {"type": "alert"}],
            "message": "{rule_id}",
            "description": "d",
        },
        {
            "id": "w",
            "window": {"kind": "tumbling", "size_s": 60, "fn": "stddev", "field": "metrics.x"},
            "op": "<=",
            "value": 1,
            "hysteresis": 0.5,
            "actions": [],
        },
        {
            "id": "r",
            "rate_of_change": {"field": "sensors.x", "per_s": False},
            "op": "<",
            "value": -1,
        },
        {"id": "g", "geofence": {"shape": "polygon", "points": SQUARE}, "event": "enter"},
        {"id": "c", "geofence": {"shape": "circle", "center": [0, 0], "radius_m": 5}},
    ],
)
def test_to_dict_round_trips_through_json(rule: dict[str, Any]):
    parsed = parse_rule(rule)
    canonical = parsed.to_dict()
    assert parse_rule(json.loads(json.dumps(canonical))) == parsed
    assert None not in _values(canonical)  # TOML has no null
    assert rule_fingerprint(parse_rule(canonical)) == rule_fingerprint(parsed)


def _values(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [v for value in data.values() for v in [value, *_values(value)]]
    if isinstance(data, list):
        return [v for value in data for v in [value, *_values(value)]]
    return []


def test_fingerprint_changes_with_the_definition():
    assert rule_fingerprint(parse_rule(HOT)) != rule_fingerprint(parse_rule({**HOT, "value": 81}))
    assert len(rule_fingerprint(parse_rule(HOT))) == 16


def test_toml_rules_parse():
    doc = tomllib.loads(
        """
        [[rules]]
        id = "spindle-hot"
        field = "sensors.temperature"
        op = ">"
        value = 80.0
        hysteresis = 2.0
        debounce_s = 3.0
        severity = "critical"
        actions = [{ type = "alert" }, { type = "command", name = "stop_spindle" }]

        [[rules]]
        id = "vib-avg"
        op = ">"
        value = 3.0
        window = { kind = "sliding", size_s = 10, fn = "avg", field = "sensors.vibration_rms" }
        """
    )
    rules = parse_rules(doc["rules"])
    assert [r.id for r in rules] == ["spindle-hot", "vib-avg"]


def test_parse_rules_accepts_rule_objects_and_rejects_duplicates():
    rule = parse_rule(HOT)
    assert parse_rules([rule, {**HOT, "id": "other"}])[0] is rule
    with pytest.raises(RuleError) as err:
        parse_rules([HOT, HOT])
    assert err.value.details["rule"] == "hot" and err.value.details["field"] == "id"


BAD: list[tuple[dict[str, Any] | Any, str, str]] = [
    # (rule, field named, words in the detail)
    ({**HOT, "id": ""}, "id", "1-128 characters"),
    ({**HOT, "id": "has space"}, "id", "letters"),
    ({**HOT, "id": 7}, "id", "1-128"),
    ({**HOT, "id": "x" * 129}, "id", "1-128"),
    ({"id": "a", "op": ">", "value": 1}, "field", "exactly one"),
    ({**HOT, "window": {}}, "field", "exactly one"),
    ({**HOT, "hysterisis": 1}, "hysterisis", "unknown key"),
    ({**HOT, "lat_field": "status.lat"}, "lat_field", "unknown key"),
    ({**HOT, "field": 3}, "field", "must be a string"),
    ({**HOT, "field": "temperature"}, "field", "sensors.<name>"),
    ({**HOT, "field": "sensors."}, "field", "sensors.<name>"),
    ({**HOT, "field": "device.x"}, "field", "sensors.<name>"),
    ({"id": "a", "field": "sensors.x", "value": 1}, "op", "required"),
    ({"id": "a", "field": "sensors.x", "op": ">"}, "value", "required"),
    ({**HOT, "op": "=>"}, "op", "one of >, >=, <, <=, ==, !="),
    ({**HOT, "op": [">"]}, "op", "one of"),
    ({**HOT, "value": "80"}, "value", "strings and booleans"),
    ({**HOT, "value": True}, "value", "strings and booleans"),
    ({**HOT, "field": "status.mode", "value": "x"}, "value", "== or !="),
    ({**HOT, "op": "==", "value": "x"}, "value", "status.<name>"),
    ({**HOT, "value": None}, "value", "must be a number"),
    ({**HOT, "value": float("nan")}, "value", "finite"),
    ({**HOT, "value": float("inf")}, "value", "finite"),
    ({**HOT, "hysteresis": -1}, "hysteresis", "≥ 0"),
    ({**HOT, "op": "==", "hysteresis": 1}, "hysteresis", ">, >=, <, <= only"),
    ({**HOT, "debounce_s": -0.5}, "debounce_s", "≥ 0"),
    ({**HOT, "debounce_s": "3s"}, "debounce_s", "number"),
    ({**HOT, "severity": "fatal"}, "severity", "info, warning, critical"),
    ({**HOT, "actions": {"type": "alert"}}, "actions", "must be a list"),
    ({**HOT, "actions": ["alert"]}, "actions[0]", "table/object"),
    ({**HOT, "actions": [{"type": "email"}]}, "actions[0].type", "alert, command, callback"),
    ({**HOT, "actions": [{"type": "alert", "name": "x"}]}, "actions[0].name", "no name"),
    ({**HOT, "actions": [{"type": "alert", "args": {}}]}, "actions[0].name", "no name"),
    ({**HOT, "actions": [{"type": "command"}]}, "actions[0].name", "non-empty string"),
    ({**HOT, "actions": [{"type": "callback", "name": ""}]}, "actions[0].name", "non-empty"),
    (
        {**HOT, "actions": [{"type": "command", "name": "x", "args": [1]}]},
        "actions[0].args",
        "must be a table",
    ),
    (
        {**HOT, "actions": [{"type": "callback", "name": "x", "args": {"a": 1}}]},
        "actions[0].args",
        "only commands",
    ),
    ({**HOT, "actions": [{"type": "alert", "to": "x"}]}, "actions[0]", "unknown keys"),
    ({**HOT, "message": 5}, "message", "must be a string"),
    ({**HOT, "message": "{value"}, "message", "bad template"),
    ({**HOT, "message": "{value.__class__}"}, "message", "unknown placeholder"),
    ({**HOT, "message": "{}"}, "message", "unknown placeholder"),
    ({**HOT, "description": 5}, "description", "must be a string"),
    # windows
    ({"id": "w", "window": [], "op": ">", "value": 1}, "window", "table/object"),
    (
        {"id": "w", "window": {"kind": "sliding"}, "op": ">", "value": 1},
        "window.size_s",
        "required",
    ),
    (
        {
            "id": "w",
            "window": {"kind": "x", "size_s": 1, "fn": "avg", "field": "sensors.a"},
            "op": ">",
            "value": 1,
        },
        "window.kind",
        "sliding, tumbling",
    ),
    (
        {
            "id": "w",
            "window": {"kind": "sliding", "size_s": 0, "fn": "avg", "field": "sensors.a"},
            "op": ">",
            "value": 1,
        },
        "window.size_s",
        "> 0",
    ),
    (
        {
            "id": "w",
            "window": {"kind": "sliding", "size_s": 1, "fn": "p95", "field": "sensors.a"},
            "op": ">",
            "value": 1,
        },
        "window.fn",
        "avg, min, max, sum, count, stddev",
    ),
    (
        {
            "id": "w",
            "window": {"kind": "sliding", "size_s": 1, "fn": "avg", "field": "a"},
            "op": ">",
            "value": 1,
        },
        "window.field",
        "sensors.<name>",
    ),
    (
        {
            "id": "w",
            "window": {
                "kind": "sliding",
                "size_s": 1,
                "fn": "avg",
                "field": "sensors.a",
                "step": 1,
            },
            "op": ">",
            "value": 1,
        },
        "window",
        "unknown keys",
    ),
    (
        {
            "id": "w",
            "window": {"kind": "sliding", "size_s": 1, "fn": "avg", "field": "status.a"},
            "op": "==",
            "value": "x",
        },
        "value",
        "strings and booleans",
    ),
    # rates
    ({"id": "r", "rate_of_change": {}, "op": ">", "value": 1}, "rate_of_change.field", "required"),
    (
        {"id": "r", "rate_of_change": {"field": "sensors.a", "per_s": 1}, "op": ">", "value": 1},
        "rate_of_change.per_s",
        "true or false",
    ),
    ({"id": "r", "rate_of_change": "sensors.a", "op": ">", "value": 1}, "rate_of_change", "table"),
    # geofences
    ({"id": "g", "geofence": {"shape": "square"}}, "geofence.shape", "polygon, circle"),
    ({"id": "g", "geofence": {"shape": "polygon", "points": SQUARE}, "op": ">"}, "op", "unknown"),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": SQUARE}, "event": "inside"},
        "event",
        "enter, exit, both",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": SQUARE}, "lat_field": "lat"},
        "lat_field",
        "sensors.<name>",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": SQUARE}, "lon_field": 1},
        "lon_field",
        "string",
    ),
    ({"id": "g", "geofence": {"shape": "polygon"}}, "geofence.points", "at least 3"),
    ({"id": "g", "geofence": {"shape": "polygon", "points": SQUARE[:2]}}, "geofence.points", "3"),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": [[0, 0], [0, 1], 5]}},
        "geofence.points[2]",
        "[lat, lon]",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": [[0, 0], [0, 1], [91, 0]]}},
        "geofence.points[2]",
        "[-90, 90]",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": [[0, 0], [0, 1], [1, 181]]}},
        "geofence.points[2]",
        "[-180, 180]",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": [[0, 0], [0, 1], ["1", 1]]}},
        "geofence.points[2]",
        "number",
    ),
    (
        {
            "id": "g",
            "geofence": {
                "shape": "polygon",
                "points": [[0, 179.5], [1, 179.5], [1, -179.5], [0, -179.5]],
            },
        },
        "geofence.points",
        "antimeridian",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": [[0, 0], [1, 1], [2, 2]]}},
        "geofence.points",
        "enclose an area",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": [[0, 0], [1, 1], [0, 0]]}},
        "geofence.points",
        "enclose an area",
    ),
    (
        {"id": "g", "geofence": {"shape": "polygon", "points": SQUARE, "radius_m": 5}},
        "geofence.center",
        "belongs to circles",
    ),
    ({"id": "g", "geofence": {"shape": "circle", "radius_m": 5}}, "geofence.center", "[lat, lon]"),
    (
        {"id": "g", "geofence": {"shape": "circle", "center": [0, 0]}},
        "geofence.radius_m",
        "number",
    ),
    (
        {"id": "g", "geofence": {"shape": "circle", "center": [0, 0], "radius_m": 0}},
        "geofence.radius_m",
        "(0, 1e6]",
    ),
    (
        {"id": "g", "geofence": {"shape": "circle", "center": [0, 0], "radius_m": 2e6}},
        "geofence.radius_m",
        "(0, 1e6]",
    ),
    (
        {
            "id": "g",
            "geofence": {"shape": "circle", "center": [0, 0], "radius_m": 5, "points": SQUARE},
        },
        "geofence.points",
        "belongs to polygons",
    ),
    ({"id": "g", "geofence": {"shape": "circle", "centre": [0, 0]}}, "geofence", "unknown keys"),
]


@pytest.mark.parametrize(("rule", "where", "words"), BAD)
def test_invalid_rules_name_the_rule_and_field(rule: dict[str, Any], where: str, words: str):
    with pytest.raises(RuleError) as err:
        parse_rule(rule)
    error = err.value
    assert error.code == "EDGE_RULE_INVALID"
    assert error.details["field"] == where
    assert words in error.details["detail"]
    expected_id = rule["id"] if isinstance(rule.get("id"), str) else repr(rule.get("id"))
    assert error.details["rule"] == expected_id
    assert f"Rule '{expected_id}' is invalid" in str(error)
    assert isinstance(error, ValueError)
    assert "kural" in error.message("tr")


def test_a_rule_must_be_a_mapping():
    with pytest.raises(RuleError, match="table/object"):
        parse_rule(["id", "x"])  # type: ignore[arg-type]
