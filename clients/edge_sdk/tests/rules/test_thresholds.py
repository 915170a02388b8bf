"""Thresholds: hysteresis and debounce edge cases, exact frame indices, banks."""

from __future__ import annotations

import math
from typing import Any

import pytest

from cad_ml_edge.rules import RuleEngine
from cad_ml_edge.rules.conditions import FIRED, IDLE, NO_CHECK, PENDING, Bank, BankState
from cad_ml_edge.rules.targets import Target


def fires(
    rule: dict[str, Any], values: list[Any], *, step: float = 1.0, field: str = "x"
) -> list[int]:
    """Indices of the frames (t = i·step) on which ``rule`` fires."""
    from cad_ml_edge.wire import TelemetryFrame

    engine = RuleEngine([rule])
    group, name = field.split(".") if "." in field else ("sensors", field)
    out = []
    for i, v in enumerate(values):
        kwargs = {group: {name: v}} if v is not None else {}
        if engine.process(TelemetryFrame(i * step, "d", **kwargs)):
            out.append(i)
    return out


def rule(op: str = ">", value: Any = 10.0, **extra: Any) -> dict[str, Any]:
    return {"id": "r", "field": extra.pop("field", "sensors.x"), "op": op, "value": value, **extra}


def test_exactly_at_the_threshold():
    assert fires(rule(">"), [9, 10, 10.0, 11]) == [3]
    assert fires(rule(">="), [9, 10, 11]) == [1]
    assert fires(rule("<"), [11, 10, 9]) == [2]
    assert fires(rule("<="), [11, 10, 9]) == [1]
    assert fires(rule("=="), [9, 10, 10, 11, 10]) == [1, 4]
    assert fires(rule("!="), [10, 9, 8, 10, 11]) == [1, 4]


def test_hysteresis_rearm_boundary_for_greater_than():
    # fires at 11; re-arms only at v <= 10 - 2 = 8 (a value equal to value - hysteresis
    # re-arms for ">")
    r = rule(">", hysteresis=2.0)
    assert fires(r, [11, 9, 12, 8.0001, 12, 8, 12]) == [0, 6]
    assert fires(r, [11, 8, 11]) == [0, 2]


def test_hysteresis_rearm_boundary_for_greater_or_equal():
    # ">=": re-arms only below value - hysteresis, so exactly 8 is not enough
    r = rule(">=", hysteresis=2.0)
    assert fires(r, [10, 8, 10, 7.999, 10]) == [0, 4]


def test_hysteresis_mirrored_for_less_than():
    assert fires(rule("<", hysteresis=2.0), [9, 11.9, 9, 12, 9]) == [0, 4]
    assert fires(rule("<=", hysteresis=2.0), [10, 12, 10, 12.001, 10]) == [0, 4]


def test_without_hysteresis_rearm_is_the_condition_turning_false():
    assert fires(rule(">"), [11, 12, 10, 11, 11]) == [0, 3]


def test_debounce_fires_once_the_condition_held_long_enough():
    r = rule(">", debounce_s=3.0)
    # true from t=1: t=3 is 2 s, t=4 is exactly 3 s -> fires at index 4, once
    assert fires(r, [0, 11, 12, 13, 14, 15, 16]) == [4]


def test_debounce_interrupted_restarts():
    r = rule(">", debounce_s=3.0)
    # true at 1..2, false at 3 (interrupted), true again from 4: fires at 7
    assert fires(r, [0, 11, 12, 5, 11, 11, 11, 11, 11]) == [7]


def test_debounce_with_irregular_frames():
    r = rule(">", debounce_s=2.0)
    assert fires(r, [11, 11, 11], step=0.9) == [] and fires(r, [11, 11, 11], step=1.0) == [2]


def test_debounce_ignores_frames_without_the_field():
    # a missing field neither extends nor interrupts the pending condition
    r = rule(">", debounce_s=2.0)
    assert fires(r, [11, None, 11]) == [2]
    assert fires(r, [11, None, 5, 11, None]) == []


def test_debounce_and_hysteresis_together():
    r = rule(">", hysteresis=1.0, debounce_s=1.0)
    assert fires(r, [11, 11, 9.5, 11, 8, 11, 11]) == [1, 6]


def test_metrics_and_status_fields():
    assert fires(rule(field="metrics.x"), [1, 11], field="metrics.x") == [1]
    assert fires(rule(field="status.x"), [1, 11], field="status.x") == [1]


@pytest.mark.parametrize("bad", ["11", True, None, float("nan"), float("inf"), [11], {"a": 1}])
def test_non_numeric_status_values_are_skipped_by_numeric_rules(bad: Any):
    # a skipped frame is like a missing field: pending stays pending
    r = rule(field="status.x", debounce_s=1.0)
    assert fires(r, [11, bad, 11], field="status.x") == [2]


def test_status_equality_on_any_json_value():
    r = rule("==", "fault", field="status.mode")
    assert fires(r, ["auto", "fault", "fault", [1], "fault", None, 3], field="status.mode") == [
        1,
        4,
    ]
    ne = rule("!=", "closed", field="status.door")
    assert fires(ne, ["closed", "open", "open", "closed", {"x": 1}], field="status.door") == [1, 4]


def test_not_equal_bank_with_several_values_has_no_fast_path():
    engine = RuleEngine(
        [
            rule("!=", "a", field="status.m") | {"id": "a"},
            rule("!=", "b", field="status.m") | {"id": "b"},
        ]
    )
    from cad_ml_edge.wire import TelemetryFrame

    got = [
        [e.rule_id for e in engine.process(TelemetryFrame(i, "d", status={"m": v}))]
        for i, v in enumerate(["a", "b", "c"])
    ]
    # at "b" rule b re-arms, so "c" fires it again; rule a stays fired
    assert got == [["b"], ["a"], ["b"]]


def test_several_rules_on_one_field_fire_in_rule_order():
    from cad_ml_edge.wire import TelemetryFrame

    rules = [
        {"id": "crit", "field": "sensors.t", "op": ">", "value": 90, "severity": "critical"},
        {"id": "low", "field": "sensors.t", "op": "<", "value": 5},
        {"id": "warn", "field": "sensors.t", "op": ">=", "value": 80},
        {"id": "eq", "field": "sensors.t", "op": "==", "value": 95},
    ]
    engine = RuleEngine(rules)
    seen = [
        [e.rule_id for e in engine.process(TelemetryFrame(i, "d", {"t": v}))]
        for i, v in enumerate([50, 85, 95, 50, 1, 95])
    ]
    assert seen == [[], ["warn"], ["crit", "eq"], [], ["low"], ["crit", "warn", "eq"]]


# ------------------------------------------------------------------ banks directly
def _bank(ops: list[str], values: list[float], hyst: list[float] | None = None) -> Bank:
    targets = [
        Target(i, f"r{i}", "threshold", "info", "fp", lambda *a: "") for i in range(len(ops))
    ]
    n = len(ops)
    return Bank(targets, ops, values, hyst or [0.0] * n, [0.0] * n)


def test_bank_quiet_interval():
    bank = _bank([">", ">=", "<", "<="], [10, 12, 2, 3])
    assert (bank.lo, bank.hi) == (3, 10)
    assert (_bank([">"], [1]).lo, _bank(["<"], [1]).hi) == (-math.inf, math.inf)


def test_bank_rejects_mixed_families_and_checks_of_equality_banks():
    with pytest.raises(ValueError, match="one family"):
        _bank([">", "=="], [1, 2])
    with pytest.raises(ValueError, match="quiet interval"):
        _bank(["=="], [1]).check(BankState([IDLE], [0.0]))


def test_bank_bind_gates_every_family():
    order = _bank([">", "<"], [10, 0], [1.0, 1.0])
    state = order.new_state()
    feed = order.bind(state)
    out: list = []
    for t, v in enumerate([5, 11, 10, 8.9, -1, 0.5, 0.99]):
        feed(v, float(t), out)
    assert [(target.rule_id, v) for target, v, _ in out] == [("r0", 11), ("r1", -1)]
    assert state.phase == [IDLE, FIRED] and state.active == 1


def test_bank_state_round_trip_and_fingerprint_mismatch():
    bank = _bank([">", ">"], [10, 20])
    state = bank.new_state()
    state.phase[:] = [PENDING, FIRED]
    state.since[:] = [3.5, 1.0]
    saved = bank.dump(state)
    again = bank.load(saved)
    assert (again.phase, again.since, again.active) == ([PENDING, FIRED], [3.5, 1.0], 2)
    saved["rule:r1"]["fp"] = "other"
    assert bank.load(saved).phase == [PENDING, IDLE]
    with pytest.raises(ValueError, match="bad state"):
        bank.load({"rule:r0": {"fp": "fp", "phase": 7, "since": 0.0}})
    with pytest.raises(ValueError, match="bad state"):
        bank.load({"rule:r0": {"fp": "fp", "phase": 1, "since": "x"}})


def test_no_check_never_calls():
    lo, hi, state, _ = NO_CHECK
    assert lo < -1e308 and hi > 1e308 and state.active == 0
