"""Built-in anomaly detectors for the NAB runner.

A detector is any callable ``detector(timestamps, values) -> scores`` that returns one
anomaly score in ``[0, 1]`` per row (shape ``(n,)``). The built-ins are deliberately
simple baselines:

* ``zscore``: causal rolling z-score. Row ``i`` is compared with the mean and standard
  deviation of the ``window`` rows before it (fewer at the start); the score is
  ``z / (z + 3)``, so 0.5 at three standard deviations.
* ``iqr``: causal rolling interquartile range. With the quartiles ``q1, q3`` of the
  ``window`` rows before row ``i``, the distance outside ``[q1, q3]`` in IQRs, ``d``, is
  mapped to ``d / (d + 1.5)``: 0.5 exactly at Tukey's fence.
* ``isolation-forest``: scikit-learn's Isolation Forest fitted on the probationary
  period only (no look-ahead), on the features ``(value, value - previous value)``; the
  score is the forest's anomaly score ``2^(-E[h]/c(n))`` in ``[0, 1]``. The score
  saturates beyond the range seen while fitting (every point past the extremes scores
  like the extremes), so it is only as good as the probationary period is typical.
* ``null``: always 0 — never more anomalous than anything else. It scores 0 when the
  optimiser keeps nothing detected (``detect everything`` only wins on tiny corpora).

The first ``min_periods`` rows of ``zscore`` and ``iqr`` score 0 (nothing to compare
with); they fall in the probationary period of any realistic file.

Examples:
    >>> import numpy as np
    >>> values = np.array([1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0, 9.0])
    >>> scores = make_detector("zscore", min_periods=3)(np.zeros(8), values)
    >>> bool(scores[-1] > 0.9), bool(scores[:-1].max() < 0.5)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cadml.errors import ConfigurationError, ValidationError
from cadml.ml.anomaly.statistical import distance_score, spread_distance
from cadml.ml.nab.sweep import DEFAULT_PROBATION_PERCENT, probationary_length

__all__ = [
    "DETECTORS",
    "Detector",
    "iqr_detector",
    "isolation_forest_detector",
    "make_detector",
    "null_detector",
    "zscore_detector",
]

_CHUNK_ROWS = 2048
"""Rows per block of rolling quantiles: bounds memory at ``_CHUNK_ROWS * window`` floats."""


class Detector(Protocol):
    """Anything that scores a series: ``(timestamps (n,), values (n,)) -> scores (n,)``."""

    def __call__(self, timestamps: np.ndarray, values: np.ndarray) -> np.ndarray: ...


def _check_window(window: int, min_periods: int) -> None:
    if window < 2:
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={"field": "window", "value": window, "reason": "must be at least 2 rows"},
        )
    if not 2 <= min_periods <= window:
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={
                "field": "min_periods",
                "value": min_periods,
                "reason": f"must be between 2 and the window ({window})",
            },
        )


def zscore_detector(window: int = 500, min_periods: int = 10) -> Detector:
    """A causal rolling z-score detector (see the module docstring).

    Args:
        window: rows of history each row is compared with.
        min_periods: rows needed before the first non-zero score.
    """
    _check_window(window, min_periods)

    def detect(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=np.float64)
        n = x.shape[0]
        if n == 0:
            return np.zeros(0)
        # Shift by the first value so the running sums do not cancel catastrophically.
        centred = x - x[0]
        s1 = np.concatenate(([0.0], np.cumsum(centred)))
        s2 = np.concatenate(([0.0], np.cumsum(centred * centred)))
        index = np.arange(n)
        start = np.maximum(index - window, 0)
        count = (index - start).astype(np.float64)
        scores = np.zeros(n)
        ready = count >= min_periods
        total = s1[index[ready]] - s1[start[ready]]
        total_sq = s2[index[ready]] - s2[start[ready]]
        mean = total / count[ready]
        variance = np.maximum(total_sq / count[ready] - mean * mean, 0.0)
        z = spread_distance(np.abs(centred[ready] - mean), np.sqrt(variance))
        scores[ready] = distance_score(z, 3.0)
        return scores

    return detect


def iqr_detector(window: int = 500, min_periods: int = 10) -> Detector:
    """A causal rolling interquartile-range detector (see the module docstring).

    Args:
        window: rows of history whose quartiles each row is compared with.
        min_periods: rows needed before the first non-zero score.
    """
    _check_window(window, min_periods)

    def detect(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=np.float64)
        n = x.shape[0]
        q1 = np.full(n, np.nan)
        q3 = np.full(n, np.nan)
        for i in range(min_periods, min(window, n)):
            q1[i], q3[i] = np.quantile(x[:i], [0.25, 0.75])
        if n > window:
            history = sliding_window_view(x[:-1], window)  # row i <- x[i - window : i]
            for lo in range(0, history.shape[0], _CHUNK_ROWS):
                block = np.quantile(history[lo : lo + _CHUNK_ROWS], [0.25, 0.75], axis=1)
                q1[window + lo : window + lo + block.shape[1]] = block[0]
                q3[window + lo : window + lo + block.shape[1]] = block[1]
        scores = np.zeros(n)
        ready = ~np.isnan(q1)
        deviation = np.maximum(np.maximum(q1[ready] - x[ready], x[ready] - q3[ready]), 0.0)
        distance = spread_distance(deviation, q3[ready] - q1[ready])
        scores[ready] = distance_score(distance, 1.5)
        return scores

    return detect


def isolation_forest_detector(
    seed: int = 0,
    n_estimators: int = 100,
    probation_percent: float = DEFAULT_PROBATION_PERCENT,
) -> Detector:
    """An Isolation Forest fitted on each file's probationary period.

    Args:
        seed: the forest's random state.
        n_estimators: number of trees.
        probation_percent: the runner's probationary fraction; the forest learns from
            those rows only (at least 16, or the whole file if it is shorter).

    Raises:
        ConfigurationError: ``ML_DEPENDENCY_MISSING`` without scikit-learn.
    """
    try:
        from sklearn.ensemble import IsolationForest
    except ImportError:
        raise ConfigurationError(
            "ML_DEPENDENCY_MISSING",
            details={
                "feature": "The isolation-forest detector",
                "requirement": "scikit-learn>=1.5,<2",
            },
        ) from None

    def detect(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, dtype=np.float64)
        n = x.shape[0]
        if n == 0:
            return np.zeros(0)
        features = np.column_stack([x, np.diff(x, prepend=x[0])])
        fit_rows = min(n, max(probationary_length(n, probation_percent), 16))
        forest = IsolationForest(n_estimators=n_estimators, random_state=seed, n_jobs=1)
        forest.fit(features[:fit_rows])
        return np.clip(-forest.score_samples(features), 0.0, 1.0)

    return detect


def null_detector() -> Detector:
    """The detector that never finds anything: every score is 0."""

    def detect(timestamps: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.zeros(np.asarray(values).shape[0])

    return detect


DETECTORS: Mapping[str, Callable[..., Detector]] = MappingProxyType(
    {
        "iqr": iqr_detector,
        "isolation-forest": isolation_forest_detector,
        "null": null_detector,
        "zscore": zscore_detector,
    }
)
"""The built-in detector factories by name."""


def make_detector(name: str, **options: Any) -> Detector:
    """Build a built-in detector; ``options`` go to its factory.

    Raises:
        ValidationError: ``ML_UNKNOWN_DETECTOR`` for an unknown name.
    """
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise ValidationError(
            "ML_UNKNOWN_DETECTOR", details={"name": name, "allowed": ", ".join(sorted(DETECTORS))}
        ) from None
    return factory(**options)
