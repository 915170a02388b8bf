"""Sliding and tumbling windows: exact boundaries, aggregates against brute force."""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import pytest

from cad_ml_edge.rules import RuleEngine
from cad_ml_edge.rules.conditions import NO_CHECK, Bank
from cad_ml_edge.rules.targets import Target
from cad_ml_edge.rules.windows import SlidingWindow, TumblingWindow, _var_band
from cad_ml_edge.wire import TelemetryFrame

FNS = ("avg", "min", "max", "sum", "count", "stddev")


def brute(fn: str, xs: list[float]) -> float:
    return {
        "avg": statistics.fmean,
        "min": min,
        "max": max,
        "sum": math.fsum,
        "count": lambda v: float(len(v)),
        "stddev": statistics.pstdev,
    }[fn](xs)


def observe(
    unit: Any, samples: list[tuple[float, float]], fns: tuple[str, ...] = FNS, *, warm: bool = True
) -> dict:
    """Feed ``(t, x)`` samples; every aggregate goes to a recording ==/!= style feed.

    ``warm`` pretends the device was seen long before (``first`` far in the past), so
    the warm-up that skips a device's first window does not hide values.
    """
    seen: dict[str, list[tuple[float, float]]] = {fn: [] for fn in fns}
    streams = [(fn, NO_CHECK, [_recorder(seen[fn])]) for fn in fns]
    state = unit.load({})
    if warm:
        state.first = -1e9
    feed = unit.bind(state, streams)
    for t, x in samples:
        feed(x, t, [])
    return seen


def _recorder(into: list) -> Any:
    def record(v: float, t: float, out: list) -> None:
        into.append((t, v))

    return record


# ------------------------------------------------------------------ sliding
def test_sliding_evicts_exactly_at_size():
    samples = [(i * 0.5, float(i + 1)) for i in range(9)]  # t = 0 .. 4, x = 1 .. 9
    seen = observe(SlidingWindow("sensors.x", 2.0, FNS), samples)
    # at t = 2.0 the sample at t = 0.0 (exactly t - size) is gone: (0, 2] holds 4 samples
    assert [v for _, v in seen["count"]] == [1, 2, 3, 4, 4, 4, 4, 4, 4]
    assert [v for _, v in seen["min"]] == [1, 1, 1, 1, 2, 3, 4, 5, 6]
    assert [v for _, v in seen["max"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert [v for _, v in seen["sum"]] == [1, 3, 6, 10, 14, 18, 22, 26, 30]
    assert [v for _, v in seen["avg"]] == [1, 1.5, 2, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]
    assert seen["stddev"][0] == (0.0, 0.0)


def test_sliding_gap_empties_all_but_the_new_sample():
    seen = observe(SlidingWindow("sensors.x", 1.0, FNS), [(0, 5), (0.5, 7), (10, 1)])
    assert seen["count"][-1] == (10, 1.0) and seen["avg"][-1] == (10, 1.0)
    assert seen["min"][-1] == (10, 1) and seen["max"][-1] == (10, 1)


@pytest.mark.parametrize("seed", range(6))
def test_sliding_matches_brute_force_on_irregular_streams(seed: int):
    rnd = random.Random(seed)
    t, samples = 0.0, []
    for _ in range(400):
        t += rnd.choice([0.01, 0.1, 0.3, 1.0, 2.5, 7.0])
        samples.append((t, rnd.choice([rnd.gauss(100, 15), float(rnd.randint(0, 3))])))
    size = rnd.choice([0.5, 3.0, 10.0])
    seen = observe(SlidingWindow("sensors.x", size, FNS), samples)
    for i, (t, _) in enumerate(samples):
        xs = [x for (ti, x) in samples[: i + 1] if ti > t - size]
        for fn in FNS:
            assert seen[fn][i][1] == pytest.approx(brute(fn, xs), rel=1e-9, abs=1e-9), (fn, i)


@pytest.mark.parametrize("seed", range(3))
def test_sliding_stddev_before_avg_and_sum_takes_the_plan_order(seed: int):
    # stddev first: re-centring its sums comes before avg and sum (the generic loop),
    # and a step between constant levels forces re-centres and zero variances
    order = ("stddev", "sum", "count", "avg")
    rnd = random.Random(seed)
    samples, level = [], 5.0
    for i in range(600):
        if rnd.random() < 0.02:
            level = rnd.choice([5.0, 1e4, -3.0])
        noisy = rnd.random() < 0.5
        samples.append((i * 0.1, level + (rnd.gauss(0, 0.5) if noisy and i % 97 else 0.0)))
    generic = observe(SlidingWindow("sensors.x", 2.0, order), samples, order)
    usual = observe(SlidingWindow("sensors.x", 2.0, order), samples, order[::-1])
    for i, (t, _) in enumerate(samples):
        xs = [x for (ti, x) in samples[: i + 1] if ti > t - 2.0]
        for fn in order:
            assert generic[fn][i][1] == pytest.approx(brute(fn, xs), rel=1e-9, abs=1e-6)
            assert usual[fn][i][1] == pytest.approx(generic[fn][i][1], rel=1e-9, abs=1e-6)


def test_sliding_stddev_against_pstdev_with_a_large_offset():
    rnd = random.Random(3)
    samples = [(i * 0.1, 1e6 + rnd.gauss(0, 0.01)) for i in range(3000)]
    seen = observe(SlidingWindow("sensors.x", 5.0, ("stddev",)), samples, ("stddev",))
    for i in (49, 1000, 2999):
        xs = [x for (t, x) in samples[: i + 1] if t > samples[i][0] - 5.0]
        assert seen["stddev"][i][1] == pytest.approx(statistics.pstdev(xs), rel=1e-6)


def test_sliding_constant_signal_has_zero_stddev():
    seen = observe(
        SlidingWindow("sensors.x", 1.0, ("stddev",)),
        [(i * 0.1, 0.3) for i in range(50)],
        ("stddev",),
    )
    assert {v for _, v in seen["stddev"]} == {0.0}


def test_sliding_sums_are_recomputed_periodically_and_stay_exact():
    # 2 samples in the window, so the sums are rebuilt after 128 evictions
    unit = SlidingWindow("sensors.x", 1.0, ("avg", "stddev"))
    state = unit.new_state()
    seen: list[float] = []
    feed = unit.bind(state, [("stddev", NO_CHECK, [lambda v, t, o: seen.append(v)])])
    for i in range(400):
        feed(1e9 + (i % 2), i * 0.5, [])
    state.sync()
    assert state.limit == 128 and state.evicted < 128  # a recompute happened
    assert seen[-1] == pytest.approx(0.5, rel=1e-9)
    assert state.k in (1e9, 1e9 + 1)


class _Probe:
    """A real bank (upper and lower rules) whose evaluations are recorded."""

    def __init__(self, lo: float, hi: float, *, hysteresis: float = 0.5) -> None:
        targets = [Target(i, f"r{i}", "window", "info", "fp", lambda *a: "") for i in range(2)]
        self.bank = Bank(targets, ["<", ">"], [lo, hi], [hysteresis, hysteresis], [0.0, 0.3])
        self.state = self.bank.new_state()
        self.calls: list[tuple[float, float]] = []
        self.fired: list[tuple[float, float]] = []
        lo_, hi_, state, slow = self.bank.check(self.state)

        def record(v: float, t: float, out: list) -> None:
            self.calls.append((t, v))
            slow(v, t, out)

        self.check = (lo_, hi_, state, record)


def test_sliding_generic_order_gates_each_aggregate_on_its_bank():
    # avg twice (not the usual plan): the generic loop checks every stream's bank
    quiet, loud = _Probe(-100.0, 100.0), _Probe(-1.0, 1.0)
    unit = SlidingWindow("sensors.x", 1.0, ("avg",))
    state = unit.new_state()
    state.first = -1e9
    feed = unit.bind(state, [("avg", quiet.check, []), ("avg", loud.check, [])])
    out: list = []
    for i in range(5):
        feed(3.0, i * 0.5, out)
    assert quiet.calls == [] and loud.calls == [(i * 0.5, 3.0) for i in range(5)]
    assert [(e[0].rule_id, e[1]) for e in out] == [("r1", 3.0)]


def test_var_band_keeps_the_stddev_strictly_inside_the_quiet_interval():
    rnd = random.Random(5)
    for lo, hi in ((-math.inf, 2.0), (0.0, 2.0), (0.5, 2.0), (-1.0, 1e-3), (3.0, math.inf)):
        var_lo, var_hi = _var_band(lo, hi, ())
        assert var_lo < var_hi
        for _ in range(2000):
            var = rnd.uniform(var_lo if var_lo > 0 else 0.0, min(var_hi, 1e6))
            if var_lo < var < var_hi:
                v = math.sqrt(var) if var > 0.0 else 0.0
                assert lo < v < hi
    assert _var_band(0.0, 2.0, [print]) == (math.inf, -math.inf)  # feeds need the value
    assert _var_band(-1.0, 0.0, ()) == (math.inf, -math.inf)  # never quiet


@pytest.mark.parametrize("seed", range(4))
def test_quiet_stddev_bank_sees_every_value_outside_its_interval(seed: int):
    rnd = random.Random(seed)
    probe = _Probe(0.3, 1.5)
    unit = SlidingWindow("sensors.x", 2.0, ("avg", "stddev"))
    state = unit.new_state()
    state.first = -1e9
    feed = unit.bind(state, [("stddev", probe.check, [])])
    samples: list[tuple[float, float]] = []
    for i in range(1500):
        t = i * 0.1
        scale = (0.0, 0.3, 1.0, 2.0)[i // 100 % 4]
        samples.append((t, 5.0 + rnd.gauss(0, scale)))
        active = probe.state.active
        feed(samples[-1][1], t, [])
        sd = statistics.pstdev([x for (ti, x) in samples if ti > t - 2.0])
        called = bool(probe.calls) and probe.calls[-1][0] == t
        if active or not 0.3 + 1e-9 < sd < 1.5 - 1e-9:
            assert called and probe.calls[-1][1] == pytest.approx(sd, rel=1e-9, abs=1e-6)
        elif called:
            assert probe.calls[-1][1] == pytest.approx(sd, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_lazy_min_max_report_the_exact_extreme_whenever_it_matters(seed: int):
    rnd = random.Random(seed)
    size = rnd.choice([1.0, 4.0])
    hi_probe, lo_probe = _Probe(-1.0, 2.0), _Probe(-2.0, 1.0)
    unit = SlidingWindow("sensors.x", size, ("min", "max"))
    state = unit.new_state()
    state.first = -1e9  # seen long before: no warm-up
    feed = unit.bind(state, [("max", hi_probe.check, []), ("min", lo_probe.check, [])])
    samples, t = [], 0.0
    for i in range(800):
        t += rnd.choice([0.1, 0.2, 0.5, 1.5])
        x = rnd.gauss(0, 1.2) + (3 if i % 97 < 4 else 0) - (3 if i % 89 < 3 else 0)
        samples.append((t, x))
        active = (hi_probe.state.active, lo_probe.state.active)
        feed(x, t, [])
        xs = [v for (ti, v) in samples if ti > t - size]
        for probe, value, was_active in (
            (hi_probe, max(xs), active[0]),
            (lo_probe, min(xs), active[1]),
        ):
            lo, hi = probe.check[0], probe.check[1]
            called = bool(probe.calls) and probe.calls[-1][0] == t
            if not lo < value < hi or was_active:
                assert called, (i, value)
            if called:
                assert probe.calls[-1][1] == value, (i, value)
    # both banks went through firing and re-arming, so the lazy paths all ran
    assert len(hi_probe.calls) > 20 and len(lo_probe.calls) > 20


def test_restored_window_knows_its_newest_sample_above_the_quiet_floor():
    # max > lo must hold through the saved sample 5.0 (t=1) until it leaves the window,
    # although the newest saved sample (1.0) is below lo
    unit = SlidingWindow("sensors.x", 3.0, ("max",))
    saved = {
        unit.key: {
            "t": [1.0, 2.0],
            "x": [5.0, 1.0],
            "k": 0.0,
            "s": 6.0,
            "q": None,
            "evicted": 0,
            "limit": 0,
            "first": 0.0,
        }
    }
    probe = _Probe(3.0, 10.0)
    feed = unit.bind(unit.load(saved), [("max", probe.check, [])])
    feed(1.0, 3.0, [])  # window (0, 3]: max 5 -> quiet, the deque is dropped
    feed(1.0, 3.5, [])  # still (0.5, 3.5]: 5.0 inside -> quiet
    assert probe.calls == []
    feed(1.0, 4.0, [])  # (1, 4]: 5.0 left, max 1.0 <= lo -> the bank must see it
    assert probe.calls == [(4.0, 1.0)]
    feed(12.0, 4.5, [])  # a new max above hi
    assert probe.calls[-1] == (4.5, 12.0)


def test_lazy_extreme_is_kept_for_equality_banks():
    seen = observe(
        SlidingWindow("sensors.x", 2.0, ("max",)), [(0, 1), (1, 5), (2, 3), (3, 2)], ("max",)
    )
    assert [v for _, v in seen["max"]] == [1, 5, 5, 3]


def test_sliding_dump_load_round_trip():
    unit = SlidingWindow("sensors.x", 3.0, FNS)
    state = unit.new_state()
    feed = unit.bind(state, [("avg", NO_CHECK, [])])
    for i in range(10):
        feed(float(i % 4), i * 0.5, [])
    saved = unit.dump(state)
    assert saved[unit.key]["t"] == [2.0, 2.5, 3.0, 3.5, 4.0, 4.5]
    again = unit.load(saved)
    assert list(again.x) == list(state.x) == [0.0, 1.0, 2.0, 3.0, 0.0, 1.0]
    assert (again.k, again.s, again.evicted, again.limit) == (
        state.k,
        state.s,
        state.evicted,
        state.limit,
    )
    # the monotonic deques are rebuilt from the samples: suffix maxima and minima
    assert list(again.max_x) == [3.0, 1.0] and list(again.min_x) == [0.0, 1.0]


def test_sliding_load_without_stddev_sums_recomputes_them():
    plain = SlidingWindow("sensors.x", 3.0, ("avg",))
    state = plain.new_state()
    feed = plain.bind(state, [("avg", NO_CHECK, [])])
    for i in range(5):
        feed(float(i), i * 1.0, [])
    saved = plain.dump(state)
    assert saved[plain.key]["q"] is None
    with_sd = SlidingWindow("sensors.x", 3.0, ("stddev",))
    restored = with_sd.load(saved)
    assert restored.q == pytest.approx(5.0) and restored.evicted == 0  # (x-4)² of 2, 3, 4
    empty = {plain.key: {**saved[plain.key], "t": [], "x": []}}
    assert with_sd.load(empty).k == 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"t": "x"}, "list of numbers"),
        ({"x": [1, "a"]}, "list of numbers"),
        ({"t": [1.0]}, "malformed"),
        ({"evicted": 1.5}, "integers"),
        ({"limit": None}, "integers"),
    ],
)
def test_sliding_load_rejects_malformed_state(change: dict[str, Any], message: str):
    unit = SlidingWindow("sensors.x", 3.0, ("avg",))
    good = {
        "t": [1.0, 2.0],
        "x": [1.0, 2.0],
        "k": 0.0,
        "s": 3.0,
        "q": None,
        "evicted": 0,
        "limit": 0,
        "first": 0.0,
    }
    with pytest.raises(ValueError, match=message):
        unit.load({unit.key: {**good, **change}})


# ------------------------------------------------------------------ tumbling
def test_tumbling_closes_on_the_first_frame_past_the_end():
    samples = [(float(t), float(t)) for t in range(0, 25)]
    seen = observe(TumblingWindow("sensors.x", 10.0, FNS), samples)
    # window [0, 10) closes at t = 10 (that frame belongs to the next window)
    assert seen["count"] == [(10.0, 10.0), (20.0, 10.0)]
    assert seen["sum"] == [(10.0, 45.0), (20.0, 145.0)]
    assert seen["avg"] == [(10.0, 4.5), (20.0, 14.5)]
    assert seen["min"] == [(10.0, 0.0), (20.0, 10.0)]
    assert seen["max"] == [(10.0, 9.0), (20.0, 19.0)]
    assert seen["stddev"][0][1] == pytest.approx(statistics.pstdev(range(10)))


def test_tumbling_windows_are_epoch_aligned_and_empty_ones_skipped():
    seen = observe(
        TumblingWindow("sensors.x", 10.0, ("count", "min")),
        [(7, 1), (9.9, 2), (35, 3), (40, 4)],
        ("count", "min"),
    )
    # [0, 10) closes at 35; [10, 20) and [20, 30) had no frame; [30, 40) closes at 40
    assert seen["count"] == [(35, 2.0), (40, 1.0)]
    assert seen["min"] == [(35, 1), (40, 3)]


@pytest.mark.parametrize("seed", range(4))
def test_tumbling_stddev_against_pstdev(seed: int):
    rnd = random.Random(seed)
    samples = [(i * 0.37, rnd.gauss(20, 3)) for i in range(500)]
    seen = observe(TumblingWindow("sensors.x", 5.0, ("stddev", "avg")), samples, ("stddev", "avg"))
    for t_close, sd in seen["stddev"]:
        start = (math.floor(t_close / 5.0) - 1) * 5.0
        # the closed window is the last non-empty one before t_close
        xs = [x for (t, x) in samples if start <= t < start + 5.0]
        assert sd == pytest.approx(statistics.pstdev(xs), rel=1e-9)


def test_tumbling_dump_load_and_kept_flags():
    unit = TumblingWindow("sensors.x", 10.0, ("stddev", "max"))
    state = unit.new_state()
    feed = unit.bind(state, [("max", NO_CHECK, [])])
    for t in (1.0, 2.0, 3.0):
        feed(t * 2, t, [])
    saved = unit.dump(state)
    assert saved[unit.key] == {
        "end": 10.0,
        "n": 3,
        "s": 12.0,
        "mean": 4.0,
        "m2": 8.0,
        "mn": 2.0,
        "mx": 6.0,
        "first": 1.0,
        "complete": False,  # [0, 10) started before the first frame (t = 1)
        "kept": [True, False, True],
    }
    again = unit.load(saved)
    assert (again.n, again.mean, again.m2, again.mx, again.first) == (3, 4.0, 8.0, 6.0, 1.0)
    # a rule set that now needs min (not kept) skips the open window, not the next one
    needs_min = TumblingWindow("sensors.x", 10.0, ("min",))
    fresh = needs_min.load(saved)
    assert (fresh.n, fresh.end, fresh.first) == (0, -1.0, 10.0)
    with pytest.raises(ValueError, match="must be a number"):
        unit.load({unit.key: {**saved[unit.key], "n": True}})
    with pytest.raises(ValueError, match="first must be a number or null"):
        unit.load({unit.key: {**saved[unit.key], "first": "1"}})
    with pytest.raises(ValueError, match="complete"):
        unit.load({unit.key: {**saved[unit.key], "complete": 1}})
    with pytest.raises(ValueError, match="kept"):
        unit.load({unit.key: {**saved[unit.key], "kept": [True]}})


def test_sliding_warm_up_waits_for_a_whole_window():
    samples = [(i * 0.5, 1.0) for i in range(9)]  # t = 0 .. 4
    seen = observe(SlidingWindow("sensors.x", 2.0, ("count",)), samples, ("count",), warm=False)
    # evaluated from first + size = 2.0 on, when (0, 2] is a whole window
    assert seen["count"] == [(2.0, 4.0), (2.5, 4.0), (3.0, 4.0), (3.5, 4.0), (4.0, 4.0)]


def test_tumbling_warm_up_skips_the_window_the_device_started_in():
    late = observe(
        TumblingWindow("sensors.x", 10.0, ("count",)),
        [(3, 1), (12, 1), (25, 1)],
        ("count",),
        warm=False,
    )
    assert late["count"] == [(25, 1.0)]  # [0, 10) began before t = 3; [10, 20) is whole
    aligned = observe(
        TumblingWindow("sensors.x", 10.0, ("count",)), [(0, 1), (12, 1)], ("count",), warm=False
    )
    assert aligned["count"] == [(12, 1.0)]  # a first frame on the boundary starts it whole


# ------------------------------------------------------------------ through the engine
def test_window_rule_fires_at_exact_indices():
    engine = RuleEngine(
        [
            {
                "id": "vib",
                "window": {"kind": "sliding", "size_s": 2, "fn": "avg", "field": "sensors.v"},
                "op": ">",
                "value": 3.0,
                "hysteresis": 1.0,
            },
            {
                "id": "cnt",
                "window": {"kind": "tumbling", "size_s": 4, "fn": "count", "field": "sensors.v"},
                "op": "<",
                "value": 4,
            },
        ]
    )
    values = [1, 1, 5, 5, 5, 1, 1, 1, 6, 6]  # one frame per 0.5 s
    fired = {}
    for i, v in enumerate(values):
        for event in engine.process(TelemetryFrame(i * 0.5, "d", {"v": v})):
            fired.setdefault(event.rule_id, []).append((i, event.value, event.kind))
    # avg over (t-2, t]: i=3 -> (1+5+5+1... ) see the values: [1,1,5,5] -> 3.0 (not > 3);
    # i=4 -> [1,5,5,5] = 4.0 fires; re-arms at <= 2.0: i=7 -> [5,1,1,1] = 2.0; i=9 -> 3.5
    assert fired["vib"] == [(4, 4.0, "window"), (9, 3.5, "window")]
    assert "cnt" not in fired  # [0, 4) closes at t=4.0 (i=8) with 8 frames


def test_no_frames_lost_alert_while_the_window_fills_at_startup():
    lost = {
        "id": "lost",
        "window": {"kind": "sliding", "size_s": 10, "fn": "count", "field": "sensors.v"},
        "op": "<",
        "value": 50,
    }
    engine = RuleEngine([lost])
    times = [1000 + i * 0.1 for i in range(300)]  # 10 Hz for 30 s ...
    times += [1030 + i for i in range(10)]  # ... then 1 Hz: frames are being lost
    fired = [round(t, 1) for t in times if engine.process(TelemetryFrame(t, "d", {"v": 1.0}))]
    # nothing during the first 10 s; fires once the window holds < 50 frames
    assert fired == [1036]  # (1026, 1036]: 39 frames at 10 Hz + 7 at 1 Hz
