"""Rate of change with irregular timestamps, per second and per frame."""

from __future__ import annotations

import pytest

from cad_ml_edge.rules import RuleEngine
from cad_ml_edge.rules.conditions import NO_CHECK
from cad_ml_edge.rules.rates import Rate
from cad_ml_edge.wire import TelemetryFrame


def rates(per_s: bool, samples: list[tuple[float, float]]) -> list[tuple[float, float]]:
    unit = Rate("sensors.x", per_s)
    seen: list[tuple[float, float]] = []
    feed = unit.bind(unit.new_state(), NO_CHECK, [lambda v, t, out: seen.append((t, v))])
    for t, x in samples:
        feed(x, t, [])
    return seen


def test_rate_per_second_with_irregular_timestamps():
    samples = [(0.0, 10.0), (0.5, 11.0), (2.5, 15.0), (2.75, 14.0), (10.0, 14.0)]
    assert rates(True, samples) == [(0.5, 2.0), (2.5, 2.0), (2.75, -4.0), (10.0, 0.0)]


def test_rate_per_frame_ignores_time():
    samples = [(0.0, 10.0), (0.5, 11.0), (2.5, 15.0)]
    assert rates(False, samples) == [(0.5, 1.0), (2.5, 4.0)]


def test_equal_timestamps_are_skipped_and_keep_the_previous_sample():
    samples = [(1.0, 10.0), (1.0, 99.0), (2.0, 12.0)]
    assert rates(True, samples) == [(2.0, 2.0)]
    assert rates(False, samples) == [(2.0, 2.0)]


def test_rate_state_round_trip():
    unit = Rate("sensors.x", True)
    state = unit.new_state()
    assert unit.dump(state) == {}
    feed = unit.bind(state, NO_CHECK, [])
    feed(3.0, 1.5, [])
    saved = unit.dump(state)
    assert saved == {"rate:sensors.x:s": {"t": 1.5, "x": 3.0}}
    again = unit.load(saved)
    assert (again.t, again.x) == (1.5, 3.0)
    assert unit.load({}).t is None
    with pytest.raises(ValueError, match="numbers"):
        unit.load({"rate:sensors.x:s": {"t": None, "x": 3.0}})
    assert Rate("sensors.x", False).key == "rate:sensors.x:frame"


def test_rate_rule_fires_at_exact_indices():
    engine = RuleEngine(
        [
            {
                "id": "heating",
                "rate_of_change": {"field": "sensors.temp"},
                "op": ">",
                "value": 2.0,
                "hysteresis": 1.0,
                "debounce_s": 1.0,
            }
        ]
    )
    frames = [(0, 20), (1, 23), (1.5, 25), (2.0, 26.5), (3.0, 27.0), (4.0, 30.0), (4.5, 32.0)]
    hits = []
    for i, (t, v) in enumerate(frames):
        if engine.process(TelemetryFrame(t, "d", {"temp": v})):
            hits.append(i)
    # rates: 3, 4, 3, 0.5, 3, 4 -> true from t=1, still true at t=2 (1 s) -> fires at i=3;
    # re-arms at 0.5 <= 1.0 (i=4); true again from t=4, fires at... t=4.5 is only 0.5 s
    assert hits == [3]
