"""Per-row NAB weights: where each row sits relative to the labelled windows.

This is the first half of NAB's scorer (``Sweeper.calcSweepScore`` in NAB): before any
threshold is chosen, every scorable row gets the value it would add if it were a
detection.

* A row inside a window of ``w`` rows whose last row is ``R`` sits at the relative
  position ``x = -(R - i + 1) / w`` (``-1`` at the first row, ``-1/w`` at the last). A
  detection there is worth ``tp_weight * S(x) / S(-1)`` with the scaled sigmoid
  ``S(x) = 2 / (1 + exp(5x)) - 1``: ``tp_weight`` exactly at the window's first row, less
  the later it comes. Only the best (that is, the earliest) detection of a window counts.
* A row outside every window after a window of ``w`` rows ending at ``R`` sits at
  ``x = (i - R) / (w - 1)``; a detection there costs ``fp_weight * S(x)`` (negative,
  ``-fp_weight`` from three window lengths on). Before the first window a false
  positive costs ``-fp_weight``.
* The first rows of each file are probationary (:func:`probationary_length`): detectors
  are learning there, so those rows are never scored. A window counts as soon as one of
  its rows lies after the probationary period.

Deliberate difference: NAB divides by ``w - 1`` for a false positive after a one-row
window and fails (division by zero); here the divisor is ``max(w - 1, 1)``.

Examples:
    >>> float(scaled_sigmoid(-1.0)) == 2 / (1 + math.exp(-5.0)) - 1
    True
    >>> float(scaled_sigmoid(3.0))
    -1.0
    >>> probationary_length(100), probationary_length(10_000)
    (15, 750)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.nab.windows import WindowRows

__all__ = [
    "DEFAULT_PROBATION_PERCENT",
    "FileSweep",
    "probationary_length",
    "scaled_sigmoid",
    "sweep_file",
]

DEFAULT_PROBATION_PERCENT = 0.15
"""NAB's probationary fraction of each file."""

_PROBATION_CAP_ROWS = 5000
"""NAB caps the probationary period at the fraction of this many rows (750 at 15 %)."""


def scaled_sigmoid(position: np.ndarray | float) -> np.ndarray:
    """NAB's scaled sigmoid ``2 / (1 + exp(5x)) - 1``, exactly ``-1`` for ``x >= 3``.

    Args:
        position: relative position(s) ``x``; any shape.

    Returns:
        An array of the same shape, in ``(-1, 1)`` (``-1`` at and beyond 3).
    """
    x = np.asarray(position, dtype=np.float64)
    value = 2.0 / (1.0 + np.exp(5.0 * np.minimum(x, 3.0))) - 1.0
    return np.where(x >= 3.0, -1.0, value)


def probationary_length(n_rows: int, percent: float = DEFAULT_PROBATION_PERCENT) -> int:
    """How many leading rows of an ``n_rows`` file are probationary.

    NAB's rule: rows with index ``i < min(floor(percent * n), percent * 5000)``.
    """
    if not 0.0 <= percent < 1.0:
        raise ValueError(f"probation percent must be in [0, 1), got {percent}")
    limit = min(math.floor(percent * n_rows), percent * _PROBATION_CAP_ROWS)
    return min(n_rows, math.ceil(limit))


@dataclass(frozen=True)
class FileSweep:
    """The scorable rows of one file with their detection values.

    All arrays have shape ``(m,)``, one entry per row after the probationary period.

    Attributes:
        key: the file's corpus key (``category/name.csv``).
        n_rows: rows in the file, probationary ones included.
        probation: number of probationary rows.
        rows: index of each scorable row in the file.
        scores: the detector's anomaly score of each row.
        window: index of the row's window among the scored windows, ``-1`` outside.
        tp_value: ``S(x) / S(-1)`` in ``(0, 1]`` for rows in a window, else 0.
        fp_value: ``S(x)`` in ``[-1, 0)`` for rows outside windows, else 0.
        n_windows: windows with at least one scorable row (the file's possible misses).
    """

    key: str
    n_rows: int
    probation: int
    rows: np.ndarray
    scores: np.ndarray
    window: np.ndarray
    tp_value: np.ndarray
    fp_value: np.ndarray
    n_windows: int


def _check_scores(key: str, scores: np.ndarray, n_rows: int | None) -> np.ndarray:
    values = np.asarray(scores)
    reason = None
    if values.ndim != 1:
        reason = f"expected one score per row (a 1-D array), got shape {values.shape}"
    elif n_rows is not None and values.shape[0] != n_rows:
        reason = f"expected {n_rows} scores (one per row), got {values.shape[0]}"
    elif (
        values.dtype == np.bool_
        or not np.issubdtype(values.dtype, np.number)
        or np.issubdtype(values.dtype, np.complexfloating)
    ):
        reason = f"scores must be real numbers, got dtype {values.dtype}"
    else:
        values = values.astype(np.float64)
        if not np.all(np.isfinite(values)):
            reason = f"{int(np.sum(~np.isfinite(values)))} scores are NaN or infinite"
        elif values.size and (values.min() < 0.0 or values.max() > 1.0):
            reason = f"scores must lie in [0, 1], got [{values.min():.6g}, {values.max():.6g}]"
    if reason is not None:
        raise ValidationError("ML_NAB_SCORES_INVALID", details={"file": key, "reason": reason})
    return values


def sweep_file(
    key: str,
    scores: np.ndarray,
    windows: Sequence[WindowRows],
    probation_percent: float = DEFAULT_PROBATION_PERCENT,
    *,
    n_rows: int | None = None,
) -> FileSweep:
    """Weigh every scorable row of one file.

    Args:
        key: the file's corpus key, used in messages and reports.
        scores: shape ``(n,)``, the detector's score in ``[0, 1]`` for each row.
        windows: the file's windows as row ranges, in order and not overlapping.
        probation_percent: NAB's probationary fraction (0.15).
        n_rows: the file's number of rows, when known: ``scores`` must match it.

    Raises:
        ValidationError: ``ML_NAB_SCORES_INVALID`` when ``scores`` has the wrong shape,
            non-finite values or values outside ``[0, 1]``.
    """
    values = _check_scores(key, scores, n_rows)
    n_rows = int(values.shape[0])
    probation = probationary_length(n_rows, probation_percent)
    index = np.arange(n_rows)

    window_of_row = np.full(n_rows, -1, dtype=np.int64)
    tp_value = np.zeros(n_rows)
    max_tp = float(scaled_sigmoid(-1.0))
    for k, rows in enumerate(windows):
        inside = index[rows.first : rows.last + 1]
        window_of_row[rows.first : rows.last + 1] = k
        position = -(rows.last - inside + 1) / rows.width
        tp_value[rows.first : rows.last + 1] = scaled_sigmoid(position) / max_tp

    fp_value = np.zeros(n_rows)
    outside = window_of_row < 0
    lasts = np.array([w.last for w in windows], dtype=np.int64)
    widths = np.array([w.width for w in windows], dtype=np.int64)
    previous = np.searchsorted(lasts, index[outside], side="left") - 1
    after_window = previous >= 0
    fp = np.full(previous.shape, -1.0)
    prev = previous[after_window]
    distance = index[outside][after_window] - lasts[prev]
    fp[after_window] = scaled_sigmoid(distance / np.maximum(widths[prev] - 1, 1))
    fp_value[outside] = fp

    # Windows that end inside the probationary period cannot be scored; renumber the rest.
    first_scored = int(np.searchsorted(lasts, probation, side="left"))
    window_of_row = np.where(window_of_row >= 0, window_of_row - first_scored, -1)
    keep = index >= probation
    return FileSweep(
        key=key,
        n_rows=n_rows,
        probation=probation,
        rows=index[keep],
        scores=values[keep],
        window=window_of_row[keep],
        tp_value=tp_value[keep],
        fp_value=fp_value[keep],
        n_windows=len(windows) - first_scored,
    )
