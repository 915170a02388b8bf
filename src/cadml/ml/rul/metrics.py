"""Metrics of RUL regression and of failure-within-N classification.

The NASA score of the PHM08 challenge penalises late predictions more than early ones:
with ``d = predicted - true``, each unit adds ``exp(-d/13) - 1`` if ``d < 0`` (early) and
``exp(d/10) - 1`` if ``d >= 0`` (late). Lower is better; 0 is perfect.

Examples:
    >>> import numpy as np
    >>> round(rmse(np.array([10.0, 20.0]), np.array([13.0, 16.0])), 6)   # sqrt((9+16)/2)
    3.535534
    >>> round(nasa_score(np.array([50.0, 50.0]), np.array([37.0, 60.0])), 6)  # (e-1) + (e-1)
    3.436564
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ClassificationMetrics",
    "classification_metrics",
    "nasa_score",
    "rmse",
    "roc_auc",
]


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error; both arrays shape ``(n,)``, ``n >= 1``."""
    error = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return float(np.sqrt(np.mean(error**2)))


def nasa_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The asymmetric NASA (PHM08) score: ``Σ exp(-d/13) - 1`` for ``d < 0``, ``Σ exp(d/10) - 1``
    for ``d >= 0``, with ``d = predicted - true``."""
    d = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    penalty = np.where(d < 0.0, np.expm1(-d / 13.0), np.expm1(np.maximum(d, 0.0) / 10.0))
    return float(penalty.sum())


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks; tied values share the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranks = np.empty(values.shape[0])
    ranks[order] = np.repeat(first + (counts + 1) / 2.0, counts)
    return ranks


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann–Whitney, ties count half); ``None`` with one class.

    Examples:
        >>> import numpy as np
        >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
        0.75
    """
    positive = np.asarray(labels).astype(bool)
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = _average_ranks(np.asarray(scores, dtype=np.float64))
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


@dataclass(frozen=True)
class ClassificationMetrics:
    """Precision, recall and F1 of the positive class (0 when undefined) and ROC-AUC.

    Attributes:
        tp, fp, fn, tn: the confusion counts.
        roc_auc: ``None`` when the truth has a single class.
    """

    precision: float
    recall: float
    f1: float
    roc_auc: float | None
    tp: int
    fp: int
    fn: int
    tn: int


def classification_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5
) -> ClassificationMetrics:
    """Metrics of predicting ``probability >= threshold`` as positive.

    Examples:
        >>> import numpy as np
        >>> m = classification_metrics(np.array([1, 1, 0, 0]), np.array([0.9, 0.2, 0.7, 0.1]))
        >>> m.precision, m.recall, m.f1, m.roc_auc
        (0.5, 0.5, 0.5, 0.75)
    """
    truth = np.asarray(labels).astype(bool)
    predicted = np.asarray(probabilities, dtype=np.float64) >= threshold
    tp = int(np.sum(truth & predicted))
    fp = int(np.sum(~truth & predicted))
    fn = int(np.sum(truth & ~predicted))
    tn = int(np.sum(~truth & ~predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassificationMetrics(
        precision=precision,
        recall=recall,
        f1=f1,
        roc_auc=roc_auc(truth, probabilities),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
    )
