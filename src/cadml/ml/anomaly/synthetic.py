"""Seeded synthetic telemetry with injected anomalies, and how to score detections on it.

The series imitates a machine with two coupled sensors, one row per second:

* ``temperature = 60 + 3 sin(2 pi t / 300) + N(0, 0.4)`` (a 5-minute cycle), and
* ``vibration = 2 + 0.1 (temperature - 60) + N(0, 0.1)`` (follows the temperature).

The first ``normal_rows`` rows are clean (a training history); after them come, in
order, at seeded places that never overlap:

* ``spikes`` single-row spikes of ``spike_sigmas`` standard deviations on one field
  (the field and the sign drawn at random);
* a **level shift**: ``shift_rows`` rows of temperature raised by ``shift_sigmas``;
* a **drift**: vibration rising linearly by ``drift_sigmas`` over ``drift_rows`` rows,
  then back to normal. Only the rows where the drift already exceeds ``4`` standard
  deviations are labelled anomalous; the rows before them are labelled ``-1``
  ("ignore"): no point detector can be asked to see a drift of one sigma.

Labels are ``1`` (anomalous), ``0`` (normal) and ``-1`` (ignored). :func:`evaluate_flags`
gives precision and recall over rows (ignoring ``-1`` and, with ``lag``, the rows just
after an anomaly, where a windowed detector still sees it) and how many injected events
got at least one flag.

Examples:
    >>> data = synthetic_telemetry(seed=1, normal_rows=500, test_rows=800, spikes=3)
    >>> data.values.shape, data.fields
    ((1300, 2), ('sensors.temperature', 'sensors.vibration'))
    >>> [e.kind for e in data.events]
    ['spike', 'spike', 'spike', 'level_shift', 'drift']
    >>> int((data.labels[:500] != 0).sum())        # the training part is clean
    0
    >>> figures = evaluate_flags(data.labels == 1, data.labels, data.events)
    >>> figures.precision, figures.recall, figures.events_found
    (1.0, 1.0, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "DetectionFigures",
    "InjectedEvent",
    "SyntheticTelemetry",
    "evaluate_flags",
    "synthetic_telemetry",
]

_DRIFT_LABEL_SIGMAS = 4.0


@dataclass(frozen=True)
class InjectedEvent:
    """One injected anomaly: its kind and its first and last row (inclusive)."""

    kind: str
    first: int
    last: int


@dataclass(frozen=True)
class SyntheticTelemetry:
    """A generated series.

    Attributes:
        timestamps: unix seconds, shape ``(n,)``.
        values: the fields, shape ``(n, 2)``.
        fields: the stored field names of the columns.
        labels: ``1`` anomalous, ``0`` normal, ``-1`` ignored, shape ``(n,)``.
        events: the injected anomalies, in row order.
        normal_rows: the clean training rows at the start.
    """

    timestamps: np.ndarray
    values: np.ndarray
    fields: tuple[str, ...]
    labels: np.ndarray
    events: tuple[InjectedEvent, ...]
    normal_rows: int


def synthetic_telemetry(
    seed: int = 0,
    normal_rows: int = 3000,
    test_rows: int = 2000,
    spikes: int = 8,
    spike_sigmas: float = 6.0,
    shift_rows: int = 60,
    shift_sigmas: float = 5.0,
    drift_rows: int = 300,
    drift_sigmas: float = 8.0,
    start: float = 1_700_000_000.0,
) -> SyntheticTelemetry:
    """Generate the series described in the module docstring (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    n = normal_rows + test_rows
    t = np.arange(n, dtype=np.float64)
    temperature = 60.0 + 3.0 * np.sin(2 * np.pi * t / 300.0) + rng.normal(0.0, 0.4, n)
    vibration = 2.0 + 0.1 * (temperature - 60.0) + rng.normal(0.0, 0.1, n)
    values = np.column_stack([temperature, vibration])
    sigma = values[:normal_rows].std(axis=0)
    labels = np.zeros(n, dtype=np.int8)
    events: list[InjectedEvent] = []

    # Lay the events out in the test part with gaps of at least 40 rows between them.
    need = spikes + shift_rows + drift_rows
    slack = test_rows - need - 40 * (spikes + 3)
    if slack < 0:
        raise ValueError(f"test_rows={test_rows} is too short for the events ({need} rows)")
    gaps = rng.multinomial(slack, np.ones(spikes + 3) / (spikes + 3)) + 40
    row = normal_rows + int(gaps[0])
    for i in range(spikes):
        field = int(rng.integers(0, 2))
        sign = 1.0 if rng.random() < 0.5 else -1.0
        values[row, field] += sign * spike_sigmas * sigma[field]
        labels[row] = 1
        events.append(InjectedEvent("spike", row, row))
        row += 1 + int(gaps[i + 1])
    values[row : row + shift_rows, 0] += shift_sigmas * sigma[0]
    labels[row : row + shift_rows] = 1
    events.append(InjectedEvent("level_shift", row, row + shift_rows - 1))
    row += shift_rows + int(gaps[spikes + 1])
    ramp = np.linspace(0.0, drift_sigmas, drift_rows)
    values[row : row + drift_rows, 1] += ramp * sigma[1]
    strong = ramp >= _DRIFT_LABEL_SIGMAS
    labels[row : row + drift_rows] = np.where(strong, 1, -1)
    first_strong = row + int(np.argmax(strong))
    events.append(InjectedEvent("drift", first_strong, row + drift_rows - 1))
    return SyntheticTelemetry(
        timestamps=start + t,
        values=values,
        fields=("sensors.temperature", "sensors.vibration"),
        labels=labels,
        events=tuple(events),
        normal_rows=normal_rows,
    )


@dataclass(frozen=True)
class DetectionFigures:
    """Row-level and event-level detection counts.

    Attributes:
        tp: anomalous rows flagged.
        fp: normal rows flagged (outside the lag after an anomaly).
        fn: anomalous rows not flagged.
        events_found: injected events with at least one flag in ``[first, last + lag]``.
        events: injected events.
    """

    tp: int
    fp: int
    fn: int
    events_found: int
    events: int

    @property
    def precision(self) -> float:
        """``tp / (tp + fp)`` (1.0 when nothing is flagged)."""
        return 1.0 if self.tp + self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        """``tp / (tp + fn)`` (1.0 when nothing is anomalous)."""
        return 1.0 if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)


def evaluate_flags(
    flags: np.ndarray,
    labels: np.ndarray,
    events: tuple[InjectedEvent, ...] | list[InjectedEvent],
    lag: int = 0,
) -> DetectionFigures:
    """Count detections of labelled anomalies.

    Args:
        flags: the detector's verdict per row, shape ``(n,)``.
        labels: ``1`` / ``0`` / ``-1`` per row (see the module docstring).
        events: the injected events.
        lag: rows after each anomalous row where a flag is neither right nor wrong (a
            windowed detector still has the anomaly in its window there).
    """
    flags = np.asarray(flags, dtype=bool)
    labels = np.asarray(labels)
    ignored = labels == -1
    if lag > 0:
        after = np.zeros_like(ignored)
        for shift in range(1, lag + 1):
            after[shift:] |= labels[:-shift] == 1
        ignored = ignored | (after & (labels == 0))
    scored = ~ignored
    tp = int((flags & (labels == 1)).sum())
    fn = int((~flags & (labels == 1)).sum())
    fp = int((flags & (labels == 0) & scored).sum())
    found = sum(bool(flags[e.first : e.last + lag + 1].any()) for e in events)
    return DetectionFigures(tp, fp, fn, found, len(events))
