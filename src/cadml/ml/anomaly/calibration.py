"""From a sensitivity to a threshold: the one rule every anomaly detector uses.

A detector's score is in ``[0, 1]``, higher meaning more anomalous; a row is anomalous
when its score is **strictly above** the threshold. The threshold is not chosen by hand:
it is calibrated on the detector's own training scores from the **sensitivity** ``s``,
given in percent, ``0 < s <= 50``:

    threshold = Q(1 - s / 100)   the empirical quantile of the training scores,
                                 taken at the next higher training score
                                 (numpy ``method="higher"``)

so **at most s % of the training rows score above the threshold** (strictly less than
``s / 100 * n`` rows of ``n``; tested). Read ``s`` as the false-alarm rate you accept on
data that looks like the training history: the default 0.05 % is one reading in 2,000;
``1`` is one in 100. A higher sensitivity never raises the threshold (monotone,
tested), so it flags a superset of the rows.

Why a quantile of the training scores rather than a fixed score such as 0.5: the scores
of the five detectors have different shapes (a z-score's tail, a forest's path lengths,
an autoencoder's reconstruction error), and a quantile gives the same meaning to ``s``
whatever the shape (any monotone rescaling of a score leaves the flagged rows the
same). Its limits, stated in the docs: the training range should be mostly normal (if
more than ``s`` % of it is anomalous, the threshold lands among the anomalies and
similar ones are missed: raise ``s`` to at least that share), and a flexible model
(forest, SVM, autoencoder) scores its own training rows a little lower than new normal
rows, so the false-alarm rate on new data can be somewhat above ``s``.

Examples:
    >>> scores = [i / 1000 for i in range(1000)]        # 0.000 ... 0.999
    >>> calibrate_threshold(scores, 1.0)                # at most 1 % (10 rows) above
    0.99
    >>> calibrate_threshold(scores, 0.05)               # at most 0.05 % (0.5 row) above
    0.999
    >>> score_quantiles([0.0, 0.5, 1.0])["max"]
    1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cadml.errors import ValidationError

__all__ = [
    "DEFAULT_SENSITIVITY",
    "MAX_SENSITIVITY",
    "QUANTILE_LEVELS",
    "calibrate_threshold",
    "check_sensitivity",
    "score_quantiles",
]

DEFAULT_SENSITIVITY = 0.05
"""Percent of training rows allowed above the threshold: one in 2,000."""

MAX_SENSITIVITY = 50.0
"""Highest sensitivity, in percent: beyond it "anomalous" would be the majority."""

QUANTILE_LEVELS: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995)
"""Levels of the training-score quantiles kept with a trained detector (plus ``max``)."""


def check_sensitivity(sensitivity: float) -> float:
    """Return the sensitivity as a float when it is in ``(0, 50]`` percent.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_SENSITIVITY``.
    """
    ok = (
        isinstance(sensitivity, (int, float))
        and not isinstance(sensitivity, bool)
        and math.isfinite(sensitivity)
        and 0.0 < sensitivity <= MAX_SENSITIVITY
    )
    if not ok:
        raise ValidationError(
            "ML_ANOMALY_INVALID_SENSITIVITY",
            details={"value": sensitivity, "maximum": MAX_SENSITIVITY},
        )
    return float(sensitivity)


def calibrate_threshold(scores: Sequence[float] | np.ndarray, sensitivity: float) -> float:
    """The threshold that at most ``sensitivity`` % of ``scores`` lie strictly above.

    Args:
        scores: training scores, shape ``(n,)``, ``n >= 1``.
        sensitivity: percent, ``0 < s <= 50``.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_SENSITIVITY``; ``ML_ANOMALY_INVALID_DATA``
            for no scores.
    """
    s = check_sensitivity(sensitivity)
    values = np.asarray(scores, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValidationError(
            "ML_ANOMALY_INVALID_DATA", details={"reason": "no training scores to calibrate on"}
        )
    return float(np.quantile(values, 1.0 - s / 100.0, method="higher"))


def score_quantiles(scores: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Quantiles of training scores at :data:`QUANTILE_LEVELS`, plus ``min`` and ``max``.

    Keys are the levels as text (``"0.99"``) so the table is JSON as it is.
    """
    values = np.asarray(scores, dtype=np.float64).ravel()
    if values.size == 0:
        return {}
    table = {"min": float(values.min())}
    for level, value in zip(
        QUANTILE_LEVELS, np.quantile(values, QUANTILE_LEVELS, method="higher"), strict=True
    ):
        table[f"{level:g}"] = float(value)
    table["max"] = float(values.max())
    return table
