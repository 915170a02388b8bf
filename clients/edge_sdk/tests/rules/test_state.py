"""Snapshot and restore: a restarted engine continues exactly like an uninterrupted one."""

from __future__ import annotations

import copy
import importlib.util
import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from cad_ml_edge.errors import RuleError
from cad_ml_edge.rules import RuleEngine
from cad_ml_edge.rules.state import FORMAT, VERSION
from cad_ml_edge.wire import TelemetryFrame

_spec = importlib.util.spec_from_file_location(
    "rules_differential", Path(__file__).with_name("test_differential.py")
)
assert _spec is not None and _spec.loader is not None
_differential = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_differential)
RULES = _differential.rule_set(1)


def events(engine: RuleEngine, frames: list[TelemetryFrame]) -> list[tuple[int, str, str, Any]]:
    return [
        (i, e.rule_id, e.kind, e.value) for i, f in enumerate(frames) for e in engine.process(f)
    ]


@pytest.mark.parametrize("cut", [0, 1, 57, 400, 999])
def test_restore_continues_exactly(cut: int, stream: Any):
    frames = stream(21, 1200, devices=3)
    whole = events(RuleEngine(RULES), frames)
    first = RuleEngine(RULES)
    before = events(first, frames[:cut])
    snapshot = json.loads(json.dumps(first.snapshot()))  # what the agent writes to disk
    second = RuleEngine.restore(RULES, snapshot)
    after = [(i + cut, *rest) for i, *rest in events(second, frames[cut:])]
    assert before + after == whole
    assert len(whole) > 100


def test_load_state_replaces_state_in_place(stream: Any):
    frames = stream(4, 600)
    first = RuleEngine(RULES)
    events(first, frames[:300])
    other = RuleEngine(RULES)
    events(other, frames[:10])  # some unrelated state, replaced by the load
    other.load_state(first.snapshot())
    assert events(other, frames[300:]) == events(first, frames[300:])


def test_snapshot_is_plain_json(stream: Any):
    engine = RuleEngine(RULES)
    events(engine, stream(2, 300, devices=2))
    snapshot = engine.snapshot()
    assert snapshot["format"] == FORMAT and snapshot["version"] == VERSION
    assert set(snapshot["devices"]) == {"d0", "d1"}
    assert json.loads(json.dumps(snapshot, allow_nan=False)) == snapshot
    units = snapshot["devices"]["d0"]["units"]
    assert {
        "rule:t0",
        "sliding:sensors.temp:2.0",
        "tumbling:sensors.temp:5.0",
        "rate:sensors.temp:s",
        "rule:site",
    } <= set(units)


def test_a_changed_rule_starts_fresh_and_the_others_keep_their_state():
    hot = {"id": "hot", "field": "sensors.t", "op": ">", "value": 10, "hysteresis": 5}
    cold = {"id": "cold", "field": "sensors.t", "op": "<", "value": 0, "hysteresis": 5}
    engine = RuleEngine([hot, cold])
    engine.process(TelemetryFrame(1.0, "d", {"t": 20.0}))  # hot fires and waits for <= 5
    snapshot = engine.snapshot()
    same = RuleEngine.restore([hot, cold], snapshot)
    assert same.process(TelemetryFrame(2.0, "d", {"t": 20.0})) == []
    edited = RuleEngine.restore([{**hot, "value": 11}, cold], snapshot)
    assert [e.rule_id for e in edited.process(TelemetryFrame(2.0, "d", {"t": 20.0}))] == ["hot"]


def test_windows_survive_a_rule_set_change():
    avg = {
        "id": "a",
        "window": {"kind": "sliding", "size_s": 4, "fn": "avg", "field": "sensors.v"},
        "op": ">",
        "value": 100,
    }
    engine = RuleEngine([avg])
    for t in range(5):
        engine.process(TelemetryFrame(float(t), "d", {"v": float(t) ** 2}))
    sd = {"id": "s", "window": {**avg["window"], "fn": "stddev"}, "op": ">", "value": 5.0}
    restored = RuleEngine.restore([sd], engine.snapshot())
    # three saved samples (4, 9, 16 at t = 2..4) plus 25 at t = 5: pstdev 7.648
    [event] = restored.process(TelemetryFrame(5.0, "d", {"v": 25.0}))
    assert event.value == pytest.approx(statistics.pstdev([4.0, 9.0, 16.0, 25.0]))


def _bad(snapshot: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(snapshot)
    node = broken
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (["format"], "other", "not a cad-ml-edge/rules-state"),
        (["version"], 2, "version 2"),
        (["devices"], [], "devices must be a mapping"),
        (["devices", "d0"], None, "device 'd0'"),
        (["devices", "d0", "last_ts"], "x", "device 'd0'"),
        (["devices", "d0", "units"], KeyError, "device 'd0'"),
        (["devices", "d0", "units", "rule:t0", "phase"], 9, "device 'd0'"),
        (["devices", "d0", "units", "rule:t0", "since"], KeyError, "device 'd0'"),
        (["devices", "d0", "units", "rule:site", "inside"], 5, "device 'd0'"),
        (["devices", "d0", "units", "sliding:sensors.temp:2.0", "x"], "oops", "device 'd0'"),
        (["devices", "d0", "units", "tumbling:sensors.temp:5.0", "n"], None, "device 'd0'"),
        (["devices", "d0", "units", "rate:sensors.temp:s"], [], "device 'd0'"),
    ],
)
def test_invalid_snapshots_are_rejected_and_change_nothing(
    path: list[Any], value: Any, words: str, stream: Any
):
    engine = RuleEngine(RULES)
    frames = stream(8, 200)
    events(engine, frames[:100])
    good = engine.snapshot()
    with pytest.raises(RuleError) as err:
        engine.load_state(_bad(good, path, value))
    assert err.value.code == "EDGE_RULE_STATE_INVALID" and words in str(err.value)
    assert "kural durumu" in err.value.message("tr")
    assert engine.snapshot() == good


def test_a_snapshot_must_be_a_mapping():
    with pytest.raises(RuleError, match="not a cad-ml-edge/rules-state"):
        RuleEngine(RULES).load_state([])  # type: ignore[arg-type]
