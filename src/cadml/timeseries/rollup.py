"""Bucket maths shared by the stores: epoch-aligned windows, moments, rollup choice.

A rollup row holds the *moments* of one field of one device in one bucket: count, sum,
min, max and sum of squares. Moments merge by adding (min/max by min/max), so windows
that are whole multiples of a rollup period are answered from rollup rows; the
population standard deviation is ``sqrt(E[x²] - E[x]²)`` (clamped at 0).

Examples:
    >>> m = Moments.of(1.0); m.add(3.0)
    >>> finish_moments("mean", m), finish_moments("stddev", m)
    (2.0, 1.0)
    >>> rollup_period(300.0, 1_699_999_200.0, 1_700_002_800.0)
    60.0
    >>> rollup_period(90.0, 0.0, 900.0) is None
    True
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cadml.timeseries.port import ROLLUP_PERIODS_S, AggregatePoint
from cadml.twin.frame import TelemetryFrame, event_key

__all__ = [
    "Moments",
    "RollupKey",
    "accumulate_rollups",
    "aggregate_values",
    "bucket_of",
    "finish_moments",
    "finish_values",
    "rollup_period",
]

RollupKey = tuple[str, str, int]
"""``(device_id, field, bucket index)`` of one rollup row."""


@dataclass(slots=True)
class Moments:
    """Count, sum, min, max and sum of squares of some values."""

    count: int
    total: float
    low: float
    high: float
    squares: float

    @classmethod
    def of(cls, value: float) -> Moments:
        """The moments of one value."""
        return cls(1, value, value, value, value * value)

    def add(self, value: float) -> None:
        """Fold one more value in."""
        self.count += 1
        self.total += value
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value
        self.squares += value * value

    def merge(self, other: Moments) -> None:
        """Fold another set of moments in."""
        self.count += other.count
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)
        self.squares += other.squares


def bucket_of(timestamp: float, window_s: float) -> int:
    """The index of the epoch-aligned window holding ``timestamp``: ``floor(t / w)``."""
    return math.floor(timestamp / window_s)


def _aligned(value: float, period: float) -> bool:
    return (value / period).is_integer()


def rollup_period(window_s: float, start: float, stop: float) -> float | None:
    """The coarsest rollup period that answers this window exactly, or None for raw.

    A period fits when the window is a whole multiple of it and ``start`` and ``stop``
    fall on its boundaries.
    """
    for period in sorted(ROLLUP_PERIODS_S, reverse=True):
        if _aligned(window_s, period) and _aligned(start, period) and _aligned(stop, period):
            return period
    return None


def finish_moments(fn: str, m: Moments) -> float:
    """The value of aggregate ``fn`` from moments (``count >= 1``)."""
    if fn == "count":
        return float(m.count)
    if fn == "sum":
        return m.total
    if fn == "min":
        return m.low
    if fn == "max":
        return m.high
    mean = m.total / m.count
    if fn == "mean":
        return mean
    return math.sqrt(max(0.0, m.squares / m.count - mean * mean))


def finish_values(fn: str, values: Sequence[float]) -> float:
    """The value of aggregate ``fn`` over raw values (two-pass population stddev)."""
    if fn == "count":
        return float(len(values))
    if fn == "sum":
        return math.fsum(values)
    if fn == "min":
        return min(values)
    if fn == "max":
        return max(values)
    mean = math.fsum(values) / len(values)
    if fn == "mean":
        return mean
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def aggregate_values(
    points: Iterable[tuple[float, float]], window_s: float, fn: str
) -> list[AggregatePoint]:
    """Aggregate raw ``(timestamp, value)`` points into epoch-aligned windows, oldest first."""
    buckets: dict[int, list[float]] = {}
    for timestamp, value in points:
        buckets.setdefault(bucket_of(timestamp, window_s), []).append(value)
    return [
        AggregatePoint(b * window_s, finish_values(fn, values), len(values))
        for b, values in sorted(buckets.items())
    ]


def accumulate_rollups(
    frames: Iterable[TelemetryFrame], periods: Sequence[float] = ROLLUP_PERIODS_S
) -> dict[float, dict[RollupKey, Moments]]:
    """The rollup deltas of some (new) frames: period → (device, field, bucket) → moments.

    Alert events are skipped: rollups cover readings only. The values are grouped by the
    finest period first and summed with builtins (the ingest hot path); coarser periods
    must be whole multiples of the finest and are merged from it.
    """
    finest = min(periods)
    by_bucket: dict[tuple[str, int], list[TelemetryFrame]] = {}
    for frame in frames:
        if frame.status and event_key(frame):
            continue
        key = (frame.device_id, math.floor(frame.timestamp / finest))
        found = by_bucket.get(key)
        if found is None:
            by_bucket[key] = [frame]
        else:
            found.append(frame)
    base: dict[RollupKey, Moments] = {}
    for (device, bucket), group in by_bucket.items():
        for prefix, maps in (
            ("sensors.", [f.sensors for f in group]),
            ("metrics.", [f.metrics for f in group]),
        ):
            names: set[str] = set()
            for values in maps:
                names.update(values)
            for name in names:
                v = [m[name] for m in maps if name in m]
                base[(device, prefix + name, bucket)] = Moments(
                    len(v), sum(v), min(v), max(v), sum(map(operator.mul, v, v))
                )
    out: dict[float, dict[RollupKey, Moments]] = {finest: base}
    for period in periods:
        if period == finest:
            continue
        ratio = round(period / finest)
        if ratio * finest != period:
            raise ValueError(f"rollup period {period} is not a multiple of {finest}")
        rows: dict[RollupKey, Moments] = {}
        for (device, full, bucket), m in base.items():
            coarse = (device, full, bucket // ratio)
            found_m = rows.get(coarse)
            if found_m is None:
                rows[coarse] = Moments(m.count, m.total, m.low, m.high, m.squares)
            else:
                found_m.merge(m)
        out[period] = rows
    return out
