"""Drift (PSI, KL) against closed forms and ModelMonitor alerts at exact request indices."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from cadml.ml.monitoring import DriftCounts, DriftReference, ModelMonitor, Thresholds
from cadml.ml.monitoring.drift import BINS, FLOOR
from cadml.ml.monitoring.model_stats import ERROR_WINDOW, LATENCY_WINDOW


def _uniform_reference(columns: int = 1) -> DriftReference:
    """Inner edges 1..9, every bin a tenth of the training rows."""
    edges = np.tile(np.arange(1.0, BINS, dtype=np.float64), (columns, 1))
    return DriftReference(edges, np.full((columns, BINS), 1.0 / BINS), rows=1000)


# -- drift -----------------------------------------------------------------------------------


def test_reference_of_evenly_spread_samples_has_equal_shares() -> None:
    samples = np.arange(1000.0)  # decile k sits at 99.9 k: exactly 100 rows per bin

    ref = DriftReference.from_samples(samples)

    assert ref.edges.shape == (1, BINS - 1) and ref.shares.shape == (1, BINS)
    np.testing.assert_allclose(ref.edges[0], [99.9 * k for k in range(1, BINS)])
    np.testing.assert_array_equal(ref.shares, np.full((1, BINS), 0.1))
    assert ref.rows == 1000
    same = DriftCounts(ref)
    same.add(samples)
    np.testing.assert_array_equal(same.psi(), [0.0])
    np.testing.assert_array_equal(same.kl(), [0.0])


def test_all_live_rows_in_one_bin_match_the_floored_closed_form() -> None:
    counts = DriftCounts(_uniform_reference())
    counts.add(np.full(250, 0.5))  # below the first edge: all in bin 0

    q = 1.0 / BINS
    # p = (1, FLOOR, ..., FLOOR): the empty bins are floored, not zero.
    psi = (1.0 - q) * math.log(1.0 / q) + (BINS - 1) * (FLOOR - q) * math.log(FLOOR / q)
    kl = 1.0 * math.log(1.0 / q) + (BINS - 1) * FLOOR * math.log(FLOOR / q)

    assert counts.rows == 250
    np.testing.assert_array_equal(counts.counts[0], [250] + [0] * (BINS - 1))
    assert counts.psi()[0] == pytest.approx(psi, rel=1e-12)
    assert counts.kl()[0] == pytest.approx(kl, rel=1e-12)
    assert psi == pytest.approx(8.2830, abs=1e-4)  # the figure by hand, as a sanity check


def test_half_and_half_live_rows_match_the_closed_form() -> None:
    counts = DriftCounts(_uniform_reference())
    counts.add(np.r_[np.full(30, 0.0), np.full(30, 9.5)])  # bins 0 and 9

    q = 0.1
    psi = 2 * (0.5 - q) * math.log(0.5 / q) + 8 * (FLOOR - q) * math.log(FLOOR / q)
    kl = 2 * 0.5 * math.log(0.5 / q) + 8 * FLOOR * math.log(FLOOR / q)
    assert counts.psi()[0] == pytest.approx(psi, rel=1e-12)
    assert counts.kl()[0] == pytest.approx(kl, rel=1e-12)


def test_edges_belong_to_the_bin_above() -> None:
    counts = DriftCounts(_uniform_reference())
    counts.add(np.array([1.0, 9.0, 0.999, 100.0]))
    np.testing.assert_array_equal(counts.counts[0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 1 + 1])


def test_zero_before_any_rows() -> None:
    counts = DriftCounts(_uniform_reference(columns=3))
    np.testing.assert_array_equal(counts.psi(), np.zeros(3))
    np.testing.assert_array_equal(counts.kl(), np.zeros(3))


def test_columns_are_the_last_axis_and_a_mismatched_layout_is_ignored() -> None:
    counts = DriftCounts(_uniform_reference(columns=3))

    counts.add(np.zeros((4, 2)))  # two columns: not the reference's layout
    counts.add(np.zeros((7,)))  # one column
    assert counts.rows == 0 and not counts.counts.any()

    cloud = np.zeros((2, 5, 3))  # two point clouds of five xyz points: ten rows
    cloud[..., 2] = 9.5
    counts.add(cloud)
    assert counts.rows == 10
    np.testing.assert_array_equal(counts.counts[:, 0], [10, 10, 0])
    np.testing.assert_array_equal(counts.counts[:, 9], [0, 0, 10])
    psi = counts.psi()
    assert psi[0] == psi[1] == psi[2] > 0.0  # same shape of excursion in each column


def test_reference_round_trips_through_json_form() -> None:
    ref = DriftReference.from_samples(np.random.default_rng(0).normal(size=(300, 2)))
    again = DriftReference.from_dict(ref.to_dict())
    np.testing.assert_array_equal(again.edges, ref.edges)
    np.testing.assert_array_equal(again.shares, ref.shares)
    assert again.rows == ref.rows == 300


# -- monitor ---------------------------------------------------------------------------------


def test_latency_percentiles_over_a_known_list() -> None:
    monitor = ModelMonitor("m", 1, Thresholds(p95_latency_ms=1e9))
    for ms in range(100, 0, -1):  # 100 .. 1, in any order
        monitor.record(float(ms), ok=True)

    latency = monitor.snapshot()["latency_ms"]

    # numpy's linear rule: position (n - 1) q in the sorted list 1..100.
    assert latency == {"p50": 50.5, "p95": 95.05, "p99": 99.01}


def test_percentiles_come_from_the_last_window_of_successful_requests() -> None:
    monitor = ModelMonitor("m", 1, Thresholds(p95_latency_ms=1e9, error_rate=1.0))
    for _ in range(LATENCY_WINDOW):
        monitor.record(500.0, ok=True)
    for _ in range(LATENCY_WINDOW):
        monitor.record(2.0, ok=True)
    monitor.record(9999.0, ok=False)  # a failure's latency is not a serving latency

    snap = monitor.snapshot()
    assert snap["latency_ms"] == {"p50": 2.0, "p95": 2.0, "p99": 2.0}
    assert (snap["requests"], snap["errors"], snap["samples"]) == (2 * LATENCY_WINDOW + 1, 1, 2000)


def test_empty_monitor_snapshot() -> None:
    snap = ModelMonitor("m", 4).snapshot()
    assert (snap["model"], snap["version"], snap["requests"], snap["errors"]) == ("m", 4, 0, 0)
    assert snap["error_rate"] == 0.0 and snap["latency_ms"] == {"p50": 0, "p95": 0, "p99": 0}
    assert snap["drift"] is None and snap["alerts"] == [] and snap["open_alerts"] == []


def test_error_alert_waits_for_twenty_requests_and_opens_once_per_excursion() -> None:
    monitor = ModelMonitor("m", 1, Thresholds(p95_latency_ms=1e9, error_rate=0.05))
    for _ in range(19):
        monitor.record(1.0, ok=False)
    assert monitor.snapshot()["alerts"] == []  # 100 % errors, but only 19 requests

    monitor.record(1.0, ok=False)  # the 20th
    snap = monitor.snapshot()
    assert snap["open_alerts"] == ["errors"]
    assert [(a["kind"], a["value"], a["threshold"]) for a in snap["alerts"]] == [
        ("errors", 1.0, 0.05)
    ]

    # 20 failures stay in the window of 200 until successes push out all but 10:
    # 10 / 200 = 0.05 is not above the threshold, so the 190th success closes the alert.
    for _ in range(189):
        monitor.record(1.0, ok=True)
    assert monitor.snapshot()["open_alerts"] == ["errors"]
    assert len(monitor.snapshot()["alerts"]) == 1
    monitor.record(1.0, ok=True)
    snap = monitor.snapshot()
    assert snap["open_alerts"] == [] and snap["error_rate"] == pytest.approx(10 / ERROR_WINDOW)
    assert len(snap["alerts"]) == 1 and snap["alerts"][0]["closed_at"] is not None

    # The next failures first push out the 10 old ones (the rate stays at 0.05); the
    # 11th new failure pushes out a success: 11 / 200 opens a second alert.
    for _ in range(10):
        monitor.record(1.0, ok=False)
    assert monitor.snapshot()["open_alerts"] == []
    monitor.record(1.0, ok=False)
    snap = monitor.snapshot()
    assert snap["error_rate"] == pytest.approx(11 / ERROR_WINDOW)
    assert [(a["kind"], a["closed_at"] is None) for a in snap["alerts"]] == [
        ("errors", False),
        ("errors", True),
    ]


def test_latency_alert_opens_and_closes() -> None:
    monitor = ModelMonitor("m", 1, Thresholds(p95_latency_ms=10.0))
    for _ in range(10):
        monitor.record(50.0, ok=True)
    assert monitor.snapshot()["open_alerts"] == ["latency"]
    # With k fast (1 ms) requests after the 10 slow (50 ms) ones, p95 sits at position
    # 0.95 (k + 9) of the sorted list, between ranks k - 1 (fast) and k (slow):
    # 1 + 49 * (0.95 (k + 9) - (k - 1)) <= 10  <=>  k >= 187.33, so the 188th closes it.
    for _ in range(187):
        monitor.record(1.0, ok=True)
    snap = monitor.snapshot()
    assert snap["open_alerts"] == ["latency"] and snap["latency_ms"]["p95"] == 10.8
    monitor.record(1.0, ok=True)
    snap = monitor.snapshot()
    assert snap["open_alerts"] == [] and snap["latency_ms"]["p95"] == 8.35
    assert len(snap["alerts"]) == 1 and snap["alerts"][0]["value"] == 50.0


def test_drift_alert_needs_five_hundred_rows() -> None:
    monitor = ModelMonitor("m", 1, Thresholds(p95_latency_ms=1e9), _uniform_reference())
    monitor.record(1.0, ok=True, samples=499, inputs=np.full((499, 1), 0.5))

    snap = monitor.snapshot()
    assert snap["drift"]["rows"] == 499 and snap["drift"]["psi_max"] > 8.0
    assert snap["open_alerts"] == []  # far past the threshold, but too few rows

    monitor.record(1.0, ok=True, samples=1, inputs=np.full((1, 1), 0.5))
    snap = monitor.snapshot()
    assert snap["open_alerts"] == ["drift"] and snap["drift"]["rows"] == 500
    assert snap["alerts"][0]["value"] == pytest.approx(snap["drift"]["psi_max"], abs=1e-6)

    monitor.record(1.0, ok=False, inputs=np.full((1000, 1), 0.5))  # a failure adds no rows
    assert monitor.snapshot()["drift"]["rows"] == 500


def test_successes_are_checked_every_sixteenth_request_failures_at_once() -> None:
    monitor = ModelMonitor("m", 1, Thresholds(p95_latency_ms=10.0))
    for _ in range(15):
        monitor.record(50.0, ok=True)
    assert list(monitor.alerts) == []  # not checked yet (no snapshot taken either)
    monitor.record(50.0, ok=True)  # the 16th request
    assert [a["kind"] for a in monitor.alerts] == ["latency"]

    errors = ModelMonitor("e", 1, Thresholds(p95_latency_ms=1e9))
    for _ in range(20):
        errors.record(1.0, ok=False)
    assert [a["kind"] for a in errors.alerts] == ["errors"]  # at the 20th, not the 32nd


def test_concurrent_records_are_all_counted() -> None:
    monitor = ModelMonitor("m", 1, Thresholds(p95_latency_ms=1e9, error_rate=1.0))
    per_thread, threads = 500, 4
    start = threading.Barrier(threads)

    def hammer(ok: bool) -> None:
        start.wait()
        for _ in range(per_thread):
            monitor.record(1.0, ok=ok, samples=2)

    workers = [threading.Thread(target=hammer, args=(i % 2 == 0,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    snap = monitor.snapshot()
    assert (snap["requests"], snap["errors"], snap["samples"]) == (2000, 1000, 2000)
