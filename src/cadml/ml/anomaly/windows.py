"""Telemetry windows: the ``W`` consecutive rows that end at each row of a history matrix.

A sequence detector scores windows; :func:`sliding_windows` makes them (a read-only view,
no copy) and :func:`pad_window_scores` puts one score per window back on the row where
the window ends, so every detector returns one score per row. Rows ``0 .. W-2`` have no
full window and score 0 (nothing to judge yet).

Examples:
    >>> import numpy as np
    >>> X = np.arange(10.0).reshape(5, 2)       # 5 rows, 2 fields
    >>> w = sliding_windows(X, 3)
    >>> w.shape                                  # (rows - W + 1, W, fields)
    (3, 3, 2)
    >>> w[0].tolist()                            # rows 0, 1, 2
    [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    >>> pad_window_scores(np.array([0.1, 0.2, 0.3]), 3).tolist()
    [0.0, 0.0, 0.1, 0.2, 0.3]
    >>> window_count(5, 3), window_count(2, 3)
    (3, 0)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cadml.ml.anomaly.base import check_option

__all__ = ["pad_window_scores", "sliding_windows", "spread_indices", "window_count"]


def window_count(rows: int, window: int) -> int:
    """How many full windows of ``window`` rows ``rows`` rows hold."""
    return max(0, rows - window + 1)


def sliding_windows(X: np.ndarray, window: int) -> np.ndarray:
    """Windows ``(rows - W + 1, W, d)`` of a matrix ``(rows, d)``; a view, read-only.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_OPTION`` for ``window < 1``.
    """
    check_option("window", window, window >= 1, "at least one row")
    matrix = np.asarray(X)
    if matrix.ndim == 1:
        matrix = matrix.reshape(-1, 1)
    if matrix.shape[0] < window:
        return np.zeros((0, window, matrix.shape[1]), dtype=matrix.dtype)
    # sliding_window_view puts the window axis last: (n - W + 1, d, W) -> (n - W + 1, W, d)
    return sliding_window_view(matrix, window, axis=0).transpose(0, 2, 1)


def pad_window_scores(scores: np.ndarray, window: int) -> np.ndarray:
    """One score per row from one per window: ``window - 1`` zeros, then the scores."""
    values = np.asarray(scores, dtype=np.float64).ravel()
    return np.concatenate([np.zeros(window - 1), values])


def spread_indices(count: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices spread evenly over ``range(count)``, first and last kept.

    Examples:
        >>> spread_indices(10, 4).tolist(), spread_indices(3, 5).tolist()
        ([0, 3, 6, 9], [0, 1, 2])
    """
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))
