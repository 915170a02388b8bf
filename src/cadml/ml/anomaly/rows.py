"""From telemetry frames to the rows a detector scores: one rule for training and live.

A detector sees rows of the chosen fields, aligned by time. :class:`RowAligner` turns a
device's frames (oldest first) into such rows, and the *same* class does it for the
training history (:func:`align_frames`) and for live frames (the monitor), so a model
is never scored on rows built differently from the ones it learned on.

* Fields are stored names: ``sensors.<name>``, ``metrics.<name>``, or
  ``status.<name>`` when that status value is a number (booleans and text are not).
* Alert events (frames with ``status.alert.rule_id``) are skipped: they are not readings.
* **Without resampling** every reading that carries at least one chosen field gives a
  row at its timestamp. A field it lacks keeps the device's last value (forward fill);
  rows before every field has been seen once are dropped.
* **With resampling** (``resample_s = p``) rows are time buckets ``[k p, (k+1) p)``: each
  field is the mean of its values in the bucket, forward filled when it has none; a row
  is complete when a frame of a later bucket arrives (or on :meth:`RowAligner.flush`).
  Its timestamp is the bucket's start; empty buckets give no row.
* A frame older than the last row (late, out of order) is skipped and counted, so rows
  stay in time order (windows assume it); without resampling so is a reading at the
  last row's timestamp (readings are unique per timestamp: it is a repeat delivery).

Each row also carries its ``source_timestamp``: the reading that completed it (the last
one in its bucket), which an alert about that row refers to.

Examples:
    >>> from cadml.twin.frame import TelemetryFrame as F
    >>> aligner = RowAligner(["sensors.t", "metrics.rpm"])
    >>> aligner.push(F(1.0, "d", {"t": 20.0})) is None         # rpm not seen yet
    True
    >>> aligner.push(F(2.0, "d", {}, {"rpm": 900.0}))
    AlignedRow(timestamp=2.0, values=(20.0, 900.0), source_timestamp=2.0)
    >>> aligner.push(F(3.0, "d", {"t": 21.0})).values          # rpm forward filled
    (21.0, 900.0)
    >>> buckets = RowAligner(["sensors.t"], resample_s=10.0)
    >>> [buckets.push(F(t, "d", {"t": t})) for t in (1.0, 5.0, 12.0)][-1]
    AlignedRow(timestamp=0.0, values=(3.0,), source_timestamp=5.0)
    >>> buckets.flush()
    AlignedRow(timestamp=10.0, values=(12.0,), source_timestamp=12.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from cadml.ml.anomaly.base import check_option
from cadml.twin.frame import TelemetryFrame, event_key

__all__ = [
    "FIELD_GROUPS",
    "AlignedRow",
    "AlignedRows",
    "RowAligner",
    "align_frames",
    "read_field",
    "split_field",
]

FIELD_GROUPS = ("sensors", "metrics", "status")
"""Where a chosen field may live; ``status`` values count only when they are numbers."""


class AlignedRow(NamedTuple):
    """One row: its time, the fields' values in order, the reading that completed it."""

    timestamp: float
    values: tuple[float, ...]
    source_timestamp: float


class AlignedRows(NamedTuple):
    """Rows of a history: ``timestamps`` ``(n,)``, ``values`` ``(n, d)``,
    ``source_timestamps`` ``(n,)``, and how many late frames were skipped."""

    timestamps: np.ndarray
    values: np.ndarray
    source_timestamps: np.ndarray
    late: int


def split_field(field: str) -> tuple[str, str]:
    """``(group, name)`` of a stored field name; a bare name means a sensor.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_OPTION`` for a malformed name.

    Examples:
        >>> split_field("temperature"), split_field("metrics.rpm")
        (('sensors', 'temperature'), ('metrics', 'rpm'))
    """
    text = field.strip() if isinstance(field, str) else ""
    group, dot, name = text.partition(".")
    if not dot:
        group, name = "sensors", group
    ok = group in FIELD_GROUPS and bool(name) and "." not in name
    check_option("field", field, ok, "use <name>, sensors.<name>, metrics.<name> or status.<name>")
    return group, name


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def read_field(frame: TelemetryFrame, group: str, name: str) -> float | None:
    """The frame's value of ``group.name`` as a float, or None when absent or not a number."""
    if group == "sensors":
        return frame.sensors.get(name)
    if group == "metrics":
        return frame.metrics.get(name)
    return _number(frame.status.get(name))


class RowAligner:
    """Turns one device's frames, oldest first, into rows (see the module docstring).

    Args:
        fields: stored field names, in column order.
        resample_s: bucket length in seconds, or None for one row per reading.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_OPTION`` for a bad field or bucket length.
    """

    def __init__(self, fields: Sequence[str], resample_s: float | None = None) -> None:
        check_option("fields", list(fields), len(fields) > 0, "choose at least one field")
        check_option("fields", list(fields), len(set(fields)) == len(fields), "a field twice")
        if resample_s is not None:
            check_option(
                "resample_s",
                resample_s,
                math.isfinite(resample_s) and resample_s > 0,
                "a positive number of seconds",
            )
        self.fields = tuple(fields)
        self._parts = [split_field(f) for f in self.fields]
        self.resample_s = resample_s
        self._last: list[float | None] = [None] * len(self.fields)
        self._last_ts = -math.inf
        self._bucket: int | None = None
        self._sums = [0.0] * len(self.fields)
        self._counts = [0] * len(self.fields)
        self._bucket_source = 0.0
        self.late = 0
        """Frames skipped because they were late (or repeated, see the module docstring)."""

    def push(self, frame: TelemetryFrame) -> AlignedRow | None:
        """Take the next frame; returns the row it completes, if any."""
        if event_key(frame):
            return None
        values = [read_field(frame, group, name) for group, name in self._parts]
        if all(v is None for v in values):
            return None
        if self.resample_s is None:
            return self._push_reading(frame.timestamp, values)
        return self._push_bucketed(frame.timestamp, values)

    def flush(self) -> AlignedRow | None:
        """Close the open bucket (end of a history); None without resampling."""
        if self._bucket is None:
            return None
        row = self._close_bucket()
        self._bucket = None
        return row

    def _push_reading(self, ts: float, values: list[float | None]) -> AlignedRow | None:
        if ts <= self._last_ts:  # late, or the same reading again (a duplicate delivery)
            self.late += 1
            return None
        self._last_ts = ts
        self._fill(values)
        return self._row(ts, ts)

    def _push_bucketed(self, ts: float, values: list[float | None]) -> AlignedRow | None:
        assert self.resample_s is not None
        bucket = math.floor(ts / self.resample_s)
        row = None
        if self._bucket is not None and bucket < self._bucket:
            self.late += 1
            return None
        if self._bucket is not None and bucket > self._bucket:
            row = self._close_bucket()
        if self._bucket != bucket:
            self._bucket = bucket
            self._sums = [0.0] * len(self.fields)
            self._counts = [0] * len(self.fields)
            self._bucket_source = ts
        for i, value in enumerate(values):
            if value is not None:
                self._sums[i] += value
                self._counts[i] += 1
        self._bucket_source = max(self._bucket_source, ts)
        return row

    def _close_bucket(self) -> AlignedRow | None:
        assert self._bucket is not None and self.resample_s is not None
        means = [s / c if c else None for s, c in zip(self._sums, self._counts, strict=True)]
        self._fill(means)
        start = self._bucket * self.resample_s
        self._last_ts = start
        return self._row(start, self._bucket_source)

    def _fill(self, values: list[float | None]) -> None:
        for i, value in enumerate(values):
            if value is not None:
                self._last[i] = value

    def _row(self, ts: float, source: float) -> AlignedRow | None:
        if any(v is None for v in self._last):
            return None
        return AlignedRow(ts, tuple(v for v in self._last if v is not None), source)


def align_frames(
    frames: Iterable[TelemetryFrame], fields: Sequence[str], resample_s: float | None = None
) -> AlignedRows:
    """The rows of a history given oldest first (see :class:`RowAligner`)."""
    aligner = RowAligner(fields, resample_s)
    rows = [row for frame in frames if (row := aligner.push(frame)) is not None]
    last = aligner.flush()
    if last is not None:
        rows.append(last)
    d = len(aligner.fields)
    if not rows:
        return AlignedRows(np.zeros(0), np.zeros((0, d)), np.zeros(0), aligner.late)
    return AlignedRows(
        np.array([r.timestamp for r in rows], dtype=np.float64),
        np.array([r.values for r in rows], dtype=np.float64),
        np.array([r.source_timestamp for r in rows], dtype=np.float64),
        aligner.late,
    )
