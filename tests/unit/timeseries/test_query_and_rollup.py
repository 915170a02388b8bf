"""Pure parts shared by the stores: argument checks, bucket maths, time conversion."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadml.errors import StorageError
from cadml.timeseries.port import AGGREGATE_FUNCTIONS
from cadml.timeseries.query import check_aggregate, check_field, check_history, check_retention
from cadml.timeseries.rollup import (
    Moments,
    accumulate_rollups,
    aggregate_values,
    finish_moments,
    finish_values,
    rollup_period,
)
from cadml.timeseries.timestamps import from_ns, to_ns
from cadml.twin.frame import TelemetryFrame


def code_of(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(StorageError) as info:
        call(*args)
    return info.value.code


def test_field_names() -> None:
    assert check_field("metrics.rpm") == ("metrics", "rpm")
    for bad in ("rpm", "metrics.", ".rpm", "status.mode", "metrics.a.b", ""):
        assert code_of(check_field, bad) == "TWIN_STORE_INVALID_QUERY"


def test_aggregate_and_history_checks() -> None:
    check_aggregate("sensors.t", 0.001, "mean", 0.0, 0.0)
    check_aggregate("sensors.t", 86400 * 7, "stddev", 0.0, 1e9)
    bad = [
        ("sensors.t", 60, "median", 0, 1),
        ("sensors.t", 0.0005, "mean", 0, 1),
        ("sensors.t", 1.0000001, "mean", 0, 1),
        ("sensors.t", True, "mean", 0, 1),
        ("sensors.t", 60, "mean", 2, 1),
        ("sensors.t", 60, "mean", 0, math.inf),
    ]
    for args in bad:
        assert code_of(check_aggregate, *args) == "TWIN_STORE_INVALID_QUERY", args
    check_history(None, None, 1, None)
    for hargs in [(None, None, 0, None), (None, None, 10**6, None), (2.0, 1.0, 10, None),
                  (None, None, 10, ["x"])]:  # fmt: skip
        assert code_of(check_history, *hargs) == "TWIN_STORE_INVALID_QUERY", hargs
    assert code_of(check_retention, math.nan, None) == "TWIN_STORE_INVALID_QUERY"
    check_retention(None, 5.0)


def test_the_error_has_both_languages() -> None:
    with pytest.raises(StorageError) as info:
        check_field("x")
    assert "x" in info.value.message("en") and "x" in info.value.message("tr")
    assert info.value.message("tr").startswith("Geçersiz zaman serisi sorgusu")


def test_rollup_period_prefers_the_coarsest_exact_one() -> None:
    assert rollup_period(7200, 0, 7200) == 3600
    assert rollup_period(3600, 60, 7260) == 60  # range not on hours
    assert rollup_period(300, 0, 3600) == 60
    assert rollup_period(90, 0, 3600) is None
    assert rollup_period(60, 0.5, 3600) is None
    assert rollup_period(30, 0, 3600) is None


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50))
def test_moments_agree_with_numpy(values: list[float]) -> None:
    m = Moments.of(values[0])
    for v in values[1:]:
        m.add(v)
    arr = np.array(values)
    assert finish_moments("count", m) == len(values)
    assert finish_moments("min", m) == arr.min() and finish_moments("max", m) == arr.max()
    assert finish_moments("sum", m) == pytest.approx(arr.sum(), rel=1e-9, abs=1e-6)
    assert finish_moments("mean", m) == pytest.approx(arr.mean(), rel=1e-9, abs=1e-6)
    # E[x²] - E[x]² loses digits when the spread is tiny next to the mean
    spread = float(np.abs(arr).max())
    assert finish_moments("stddev", m) == pytest.approx(arr.std(), abs=1e-6 * max(1.0, spread))
    for fn in AGGREGATE_FUNCTIONS:
        assert finish_values(fn, values) == pytest.approx(
            finish_moments(fn, m), rel=1e-6, abs=1e-6 * max(1.0, spread)
        )


def test_moments_merge() -> None:
    a, b = Moments.of(1.0), Moments.of(5.0)
    b.add(-3.0)
    a.merge(b)
    assert (a.count, a.total, a.low, a.high, a.squares) == (3, 3.0, -3.0, 5.0, 35.0)


def test_aggregate_values_buckets_on_the_epoch() -> None:
    got = aggregate_values([(59.9, 1.0), (60.0, 2.0), (61.0, 4.0), (200.0, 8.0)], 60.0, "sum")
    assert [(p.start, p.value, p.count) for p in got] == [(0.0, 1.0, 1), (60.0, 6.0, 2),
                                                          (180.0, 8.0, 1)]  # fmt: skip


def test_accumulate_rollups_skips_alerts_and_merges_periods() -> None:
    rnd = random.Random(1)
    frames = [
        TelemetryFrame(float(t), "d", {"t": rnd.uniform(0, 10)}, {"rpm": 1.0} if t % 2 else {})
        for t in range(0, 7200, 7)
    ]
    frames.append(TelemetryFrame(7.0, "d", {"t": 1e9}, {}, {"alert": {"rule_id": "hot"}}))
    out = accumulate_rollups(frames)
    minute, hour = out[60.0], out[3600.0]
    assert sum(m.count for (_, f, _), m in minute.items() if f == "sensors.t") == len(frames) - 1
    assert {k[2] for k in hour} == {0, 1}
    for field in ("sensors.t", "metrics.rpm"):
        for h in (0, 1):
            total = sum(m.total for (_, f, b), m in minute.items() if f == field and b // 60 == h)
            assert hour[("d", field, h)].total == pytest.approx(total)
    assert max(m.high for m in minute.values()) < 1e9


def test_timestamps_round_trip_to_the_nanosecond() -> None:
    assert to_ns(1700000000.125) == 1_700_000_000_125_000_000
    assert to_ns(0.0) == 0 and from_ns(0) == 0.0
    rnd = random.Random(5)
    for _ in range(10_000):
        t = round(rnd.uniform(0, 4e9), 6)
        assert from_ns(to_ns(t)) == t
