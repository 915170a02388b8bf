"""The contract of every anomaly detector and the parts they share.

A detector learns what normal looks like from a **history matrix** ``X`` of shape
``(n, d)``: rows are timestamps (oldest first), columns the chosen numeric fields. Then

* ``fit(X)`` learns the model and calibrates :attr:`~BaseDetector.threshold` from the
  training scores and the sensitivity (:mod:`~cadml.ml.anomaly.calibration`);
* ``score(X)`` gives one score per row, shape ``(n,)``, in ``[0, 1]``, higher meaning
  more anomalous;
* ``is_anomaly(X)`` is ``score(X) > threshold``;
* ``score_one(rows)`` scores the last row of the ``window`` rows that end with it (the
  live path: a monitor keeps the last ``window`` rows of each device).

A detector that looks at sequences (the LSTM autoencoder) has ``window > 1``: the score
of row ``i`` describes the ``window`` rows that end at ``i``, and the first
``window - 1`` rows of a matrix (which have no full window) score 0. Point detectors
have ``window == 1``.

Training is a batch ``fit`` rather than river's ``learn_one``: the threshold is a
quantile of the scores of a fixed training history, which a stream of updates would keep
moving. Scoring one reading at a time (``score_one``) is river-like.

Examples:
    >>> import numpy as np
    >>> check_matrix([[1.0, 2.0], [3.0, 4.0]]).shape
    (2, 2)
    >>> check_matrix([1.0, 2.0]).shape          # a 1-D series is one column
    (2, 1)
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.anomaly.calibration import (
    DEFAULT_SENSITIVITY,
    calibrate_threshold,
    check_sensitivity,
    score_quantiles,
)

__all__ = [
    "MIN_TRAINING_ROWS",
    "AnomalyDetector",
    "BaseDetector",
    "check_matrix",
    "check_option",
]

MIN_TRAINING_ROWS = 50
"""Fewest training rows (full windows, for sequence detectors) a detector accepts."""


def _invalid(reason: str) -> ValidationError:
    return ValidationError("ML_ANOMALY_INVALID_DATA", details={"reason": reason})


def check_matrix(X: Any, columns: int | None = None) -> np.ndarray:
    """``X`` as a finite float64 matrix ``(n, d)``; a 1-D array becomes one column.

    Args:
        X: rows of numeric values.
        columns: the number of columns the matrix must have (the fitted field count).

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_DATA`` for another shape, a non-numeric or
            non-finite value, or the wrong number of columns.
    """
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"the rows are not numeric: {exc}") from None
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise _invalid(f"expected a matrix (rows, fields), got shape {array.shape}")
    if array.shape[1] == 0:
        raise _invalid("the matrix has no columns (choose at least one field)")
    if columns is not None and array.shape[1] != columns:
        raise _invalid(f"expected {columns} column(s) (the fitted fields), got {array.shape[1]}")
    if not np.isfinite(array).all():
        row = int(np.argwhere(~np.isfinite(array))[0][0])
        raise _invalid(f"row {row} holds a NaN or an infinity")
    return array


def check_option(name: str, value: Any, ok: bool, reason: str) -> None:
    """Raise ``ML_ANOMALY_INVALID_OPTION`` for ``name = value`` unless ``ok``."""
    if not ok:
        raise ValidationError(
            "ML_ANOMALY_INVALID_OPTION", details={"field": name, "value": value, "reason": reason}
        )


@runtime_checkable
class AnomalyDetector(Protocol):
    """What the services and the monitor rely on (see the module docstring)."""

    kind: ClassVar[str]
    window: int
    sensitivity: float
    threshold: float

    def fit(self, X: Any) -> Self:
        """Learn from a history matrix ``(n, d)`` and calibrate the threshold."""
        ...

    def score(self, X: Any) -> np.ndarray:
        """Scores ``(n,)`` in ``[0, 1]`` of the rows of ``X`` ``(n, d)``."""
        ...

    def is_anomaly(self, X: Any) -> np.ndarray:
        """``score(X) > threshold``, shape ``(n,)``."""
        ...

    def score_one(self, rows: Any) -> float:
        """The score of the last row of ``rows`` ``(window, d)``."""
        ...


class BaseDetector(ABC):
    """Sensitivity, fitting bookkeeping, checks and calibration shared by the detectors.

    Subclasses implement :meth:`_fit` (learn from a checked matrix) and :meth:`_score`
    (score a checked matrix); everything else is here.

    Args:
        sensitivity: percent of training rows allowed above the threshold, ``(0, 50]``;
            None takes the class's :attr:`default_sensitivity`.

    Attributes:
        threshold: calibrated by :meth:`fit` (``nan`` before).
        n_features: the number of fields fitted on (0 before).
        n_train: training rows.
        train_quantiles: quantiles of the training scores (see
            :func:`~cadml.ml.anomaly.calibration.score_quantiles`).
        fit_seconds: wall-clock time of the last :meth:`fit`.
    """

    kind: ClassVar[str] = ""
    default_sensitivity: ClassVar[float] = DEFAULT_SENSITIVITY
    """The sensitivity used when none is given (percent)."""
    window: int = 1

    def __init__(self, sensitivity: float | None = None) -> None:
        self.sensitivity = check_sensitivity(
            self.default_sensitivity if sensitivity is None else sensitivity
        )
        self.threshold = float("nan")
        self.n_features = 0
        self.n_train = 0
        self.train_quantiles: dict[str, float] = {}
        self.fit_seconds = 0.0

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has run (or a fitted state was loaded)."""
        return self.n_features > 0

    def fit(self, X: Any) -> Self:
        """Learn from ``X`` ``(n, d)`` (oldest row first) and calibrate the threshold.

        Raises:
            ValidationError: ``ML_ANOMALY_INVALID_DATA`` for a bad matrix,
                ``ML_ANOMALY_TOO_FEW_ROWS`` with fewer than :data:`MIN_TRAINING_ROWS`
                rows (full windows for a sequence detector).
        """
        started = time.perf_counter()
        matrix = check_matrix(X)
        usable = matrix.shape[0] - self.window + 1
        if usable < MIN_TRAINING_ROWS:
            raise ValidationError(
                "ML_ANOMALY_TOO_FEW_ROWS",
                details={
                    "rows": matrix.shape[0],
                    "minimum": MIN_TRAINING_ROWS + self.window - 1,
                },
            )
        self._fit(matrix)
        self.n_features = matrix.shape[1]
        self.n_train = matrix.shape[0]
        scores = np.clip(self._score(matrix), 0.0, 1.0)[self.window - 1 :]
        self.threshold = calibrate_threshold(scores, self.sensitivity)
        self.train_quantiles = score_quantiles(scores)
        self.fit_seconds = time.perf_counter() - started
        return self

    def recalibrate(self, X: Any, sensitivity: float | None = None) -> float:
        """Recompute the threshold from the scores of ``X`` (e.g. a held-out normal
        period) and, optionally, a new sensitivity; returns the new threshold."""
        if sensitivity is not None:
            self.sensitivity = check_sensitivity(sensitivity)
        scores = self.score(X)[self.window - 1 :]
        self.threshold = calibrate_threshold(scores, self.sensitivity)
        self.train_quantiles = score_quantiles(scores)
        return self.threshold

    def score(self, X: Any) -> np.ndarray:
        """Scores ``(n,)`` in ``[0, 1]``; higher is more anomalous.

        Raises:
            ValidationError: ``ML_ANOMALY_NOT_FITTED`` before :meth:`fit`;
                ``ML_ANOMALY_INVALID_DATA`` for a bad matrix.
        """
        self._require_fitted()
        matrix = check_matrix(X, self.n_features)
        if matrix.shape[0] == 0:
            return np.zeros(0)
        return np.clip(self._score(matrix), 0.0, 1.0)

    def is_anomaly(self, X: Any) -> np.ndarray:
        """Whether each row scores strictly above the threshold, shape ``(n,)``."""
        return self.score(X) > self.threshold

    def score_one(self, rows: Any) -> float:
        """The score of the last row given the ``window`` rows ending with it.

        Args:
            rows: at least ``window`` rows ``(m, d)``; only the last ``window`` are used.

        Raises:
            ValidationError: ``ML_ANOMALY_INVALID_DATA`` with fewer rows than ``window``.
        """
        matrix = check_matrix(rows, self.n_features or None)
        if matrix.shape[0] < self.window:
            raise _invalid(f"score_one needs {self.window} row(s), got {matrix.shape[0]}")
        return float(self.score(matrix[-self.window :])[-1])

    def _require_fitted(self) -> None:
        if not self.fitted:
            raise ValidationError("ML_ANOMALY_NOT_FITTED", details={"detector": self.kind})

    def _base_state(self) -> dict[str, Any]:
        """The fitted bookkeeping as JSON-ready data (part of ``to_dict``)."""
        return {
            "kind": self.kind,
            "sensitivity": self.sensitivity,
            "threshold": self.threshold,
            "n_features": self.n_features,
            "n_train": self.n_train,
            "train_quantiles": dict(self.train_quantiles),
        }

    def _load_base_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`_base_state`'s data.

        Raises:
            ValidationError: ``ML_ANOMALY_STATE_INVALID`` for missing or bad values.
        """
        try:
            self.sensitivity = check_sensitivity(state["sensitivity"])
            self.threshold = float(state["threshold"])
            self.n_features = int(state["n_features"])
            self.n_train = int(state["n_train"])
            self.train_quantiles = {
                str(k): float(v) for k, v in dict(state["train_quantiles"]).items()
            }
        except (KeyError, TypeError, ValueError) as exc:  # ValidationError is a ValueError
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": self.kind, "reason": f"{type(exc).__name__}: {exc}"},
            ) from None
        if self.n_features < 1 or not 0.0 <= self.threshold <= 1.0:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": self.kind, "reason": "n_features < 1 or threshold off [0, 1]"},
            )

    @abstractmethod
    def _fit(self, X: np.ndarray) -> None:
        """Learn from a checked matrix ``(n, d)``."""

    @abstractmethod
    def _score(self, X: np.ndarray) -> np.ndarray:
        """Scores of a checked matrix ``(n, d)`` (clipped to ``[0, 1]`` by the caller)."""
