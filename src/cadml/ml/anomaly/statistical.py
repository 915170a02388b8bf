"""The closed-form detectors: per-field z-score and per-field Tukey fences (IQR).

Both look at one row at a time and at each field separately, and take the worst field:

* :class:`ZScoreDetector` learns each field's mean ``mu`` and population standard
  deviation ``sigma``; a row's distance is ``z = max_j |x_j - mu_j| / sigma_j`` and its
  score ``z / (z + 3)``: 0.5 at three standard deviations.
* :class:`IqrDetector` learns each field's quartiles ``q1, q3`` (numpy's linear
  quantiles) and ``iqr = q3 - q1``; Tukey's fences are ``q1 - k iqr`` and
  ``q3 + k iqr`` (``k = 1.5``). A row's distance is how far its worst field lies outside
  ``[q1, q3]``, in IQRs, ``d``; its score ``d / (d + k)`` is 0 inside the box and
  exactly 0.5 on a fence.

A field that was constant in training (``sigma = 0`` or ``iqr = 0``) scores 0 at its
training value and 1 anywhere else. Their whole state is a few numbers per field, so
``to_dict`` / ``from_dict`` round-trip it through JSON.

Examples:
    >>> import numpy as np
    >>> X = np.column_stack([np.arange(100.0), np.full(100, 5.0)])
    >>> z = ZScoreDetector().fit(X)
    >>> mu, sigma = X[:, 0].mean(), X[:, 0].std()
    >>> round(float(z.score([[mu + 3 * sigma, 5.0]])[0]), 12)   # three sigmas: 0.5
    0.5
    >>> float(z.score([[mu, 6.0]])[0])                  # a constant field moved
    1.0
    >>> q = IqrDetector().fit(X)
    >>> q.fences()[0]                                   # (low, high) of field 0
    (-49.5, 148.5)
    >>> float(q.score([[148.5, 5.0]])[0])                # on the upper fence: 0.5
    0.5
    >>> IqrDetector.from_dict(q.to_dict()).threshold == q.threshold
    True
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.anomaly.base import BaseDetector, check_matrix, check_option

__all__ = ["IqrDetector", "ZScoreDetector", "distance_score", "spread_distance"]

_STATE_VERSION = 1


def distance_score(distance: np.ndarray, scale: float) -> np.ndarray:
    """``d / (d + scale)`` with ``inf -> 1``: a monotone map of ``[0, inf]`` onto ``[0, 1]``.

    Examples:
        >>> distance_score(np.array([0.0, 3.0, np.inf]), 3.0).tolist()
        [0.0, 0.5, 1.0]
    """
    out = np.ones_like(distance, dtype=np.float64)
    finite = np.isfinite(distance)
    out[finite] = distance[finite] / (distance[finite] + scale)
    return out


def spread_distance(deviation: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """``deviation / spread`` per field; zero spread: 0 without deviation, else ``inf``.

    Examples:
        >>> spread_distance(np.array([[2.0, 0.0, 1.0]]), np.array([4.0, 0.0, 0.0])).tolist()
        [[0.5, 0.0, inf]]
    """
    out = np.zeros_like(deviation)
    positive = spread > 0.0
    np.divide(deviation, spread, out=out, where=np.broadcast_to(positive, deviation.shape))
    out[(deviation > 0.0) & ~positive] = np.inf
    return out


_BASE_KEYS = ("sensitivity", "threshold", "n_features", "n_train", "train_quantiles")


def _state_error(kind: str, reason: str) -> ValidationError:
    return ValidationError("ML_ANOMALY_STATE_INVALID", details={"detector": kind, "reason": reason})


def _check_state(state: Any, kind: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if (
        not isinstance(state, dict)
        or state.get("kind") != kind
        or state.get("version") != _STATE_VERSION
    ):
        raise _state_error(kind, f"not a version-{_STATE_VERSION} {kind} state")
    missing = [k for k in (*_BASE_KEYS, *keys) if k not in state]
    if missing:
        raise _state_error(kind, f"missing {', '.join(missing)}")
    return state


def _vector(state: dict[str, Any], key: str, kind: str) -> np.ndarray:
    try:
        values = np.asarray(state[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise _state_error(kind, f"{key} is not a list of numbers") from None
    if values.shape != (int(state["n_features"]),) or not np.isfinite(values).all():
        raise _state_error(kind, f"{key} must hold n_features finite numbers")
    return values


class ZScoreDetector(BaseDetector):
    """Per-field z-score; the score of a row is ``z / (z + 3)`` with ``z`` its worst field.

    Args:
        sensitivity: percent of training rows allowed above the threshold.
    """

    kind: ClassVar[str] = "zscore"

    def __init__(self, sensitivity: float | None = None) -> None:
        super().__init__(sensitivity)
        self.mean = np.zeros(0)
        self.std = np.zeros(0)

    def _fit(self, X: np.ndarray) -> None:
        self.mean = X.mean(axis=0)
        self.std = X.std(axis=0)

    def zscores(self, X: Any) -> np.ndarray:
        """``|x - mu| / sigma`` per row and field, shape ``(n, d)``."""
        self._require_fitted()
        matrix = check_matrix(X, self.n_features)
        return spread_distance(np.abs(matrix - self.mean), self.std)

    def _score(self, X: np.ndarray) -> np.ndarray:
        z = spread_distance(np.abs(X - self.mean), self.std).max(axis=1)
        return distance_score(z, 3.0)

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON-ready data."""
        self._require_fitted()
        return {
            **self._base_state(),
            "version": _STATE_VERSION,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ZScoreDetector:
        """A fitted detector from :meth:`to_dict`'s data.

        Raises:
            ValidationError: ``ML_ANOMALY_STATE_INVALID`` for anything else.
        """
        data = _check_state(state, cls.kind, ("mean", "std"))
        detector = cls()
        detector._load_base_state(data)
        detector.mean = _vector(data, "mean", cls.kind)
        detector.std = _vector(data, "std", cls.kind)
        return detector


class IqrDetector(BaseDetector):
    """Per-field Tukey fences; the score is ``d / (d + k)``, ``d`` in IQRs outside the box.

    Args:
        sensitivity: percent of training rows allowed above the threshold.
        k: the fence multiplier (Tukey's 1.5); the score is 0.5 on a fence.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_OPTION`` for ``k <= 0``.
    """

    kind: ClassVar[str] = "iqr"

    def __init__(self, sensitivity: float | None = None, k: float = 1.5) -> None:
        super().__init__(sensitivity)
        check_option("k", k, k > 0, "the fence multiplier must be positive")
        self.k = float(k)
        self.q1 = np.zeros(0)
        self.q3 = np.zeros(0)

    def _fit(self, X: np.ndarray) -> None:
        self.q1, self.q3 = np.quantile(X, [0.25, 0.75], axis=0)

    def fences(self) -> list[tuple[float, float]]:
        """Each field's Tukey fences ``(q1 - k iqr, q3 + k iqr)``."""
        self._require_fitted()
        iqr = self.q3 - self.q1
        return [
            (float(lo), float(hi))
            for lo, hi in zip(self.q1 - self.k * iqr, self.q3 + self.k * iqr, strict=True)
        ]

    def _score(self, X: np.ndarray) -> np.ndarray:
        outside = np.maximum(np.maximum(self.q1 - X, X - self.q3), 0.0)
        d = spread_distance(outside, self.q3 - self.q1).max(axis=1)
        return distance_score(d, self.k)

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON-ready data."""
        self._require_fitted()
        return {
            **self._base_state(),
            "version": _STATE_VERSION,
            "k": self.k,
            "q1": self.q1.tolist(),
            "q3": self.q3.tolist(),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> IqrDetector:
        """A fitted detector from :meth:`to_dict`'s data.

        Raises:
            ValidationError: ``ML_ANOMALY_STATE_INVALID`` for anything else.
        """
        data = _check_state(state, cls.kind, ("q1", "q3", "k"))
        k = data["k"]
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not k > 0:
            raise _state_error(cls.kind, "k must be a positive number")
        detector = cls(k=k)
        detector._load_base_state(data)
        detector.q1 = _vector(data, "q1", cls.kind)
        detector.q3 = _vector(data, "q3", cls.kind)
        return detector
