"""The scikit-learn models of the RUL runner: random forest and gradient boosting.

``rf`` is a :class:`~sklearn.ensemble.RandomForestRegressor` (or ``...Classifier``), ``gbr``
a :class:`~sklearn.ensemble.HistGradientBoostingRegressor` (or ``...Classifier``). Both
are seeded. The forest uses ``jobs`` threads (1 by default, to stay polite on shared
machines); wrap fitting and prediction in :func:`limited_threads` so that gradient
boosting's OpenMP threads obey the same limit. scikit-learn is imported on first use, so
the rest of ``cadml.ml`` works without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cadml.errors import ConfigurationError, ValidationError

__all__ = ["MODELS", "limited_threads", "make_classifier", "make_regressor"]

MODELS: tuple[str, ...] = ("gbr", "rf")
"""The model names the runner accepts."""


def _check(name: str) -> None:
    if name not in MODELS:
        raise ValidationError(
            "ML_UNKNOWN_MODEL", details={"name": name, "allowed": ", ".join(MODELS)}
        )


def _ensemble() -> Any:
    try:
        import sklearn.ensemble
    except ImportError:
        raise ConfigurationError(
            "ML_DEPENDENCY_MISSING",
            details={
                "feature": "The remaining-useful-life models",
                "requirement": "scikit-learn>=1.5,<2",
            },
        ) from None
    return sklearn.ensemble


def make_regressor(name: str, *, seed: int = 0, jobs: int = 1) -> Any:
    """An unfitted RUL regressor.

    Raises:
        ValidationError: ``ML_UNKNOWN_MODEL`` for a name not in :data:`MODELS`.
        ConfigurationError: ``ML_DEPENDENCY_MISSING`` without scikit-learn.
    """
    _check(name)
    ensemble = _ensemble()
    if name == "rf":
        return ensemble.RandomForestRegressor(
            n_estimators=100,
            min_samples_leaf=3,
            max_features=0.33,
            random_state=seed,
            n_jobs=jobs,
        )
    return ensemble.HistGradientBoostingRegressor(
        max_iter=300, learning_rate=0.05, random_state=seed, early_stopping=False
    )


def make_classifier(name: str, *, seed: int = 0, jobs: int = 1) -> Any:
    """An unfitted failure-within-N classifier (same families as :func:`make_regressor`).

    Raises:
        ValidationError: ``ML_UNKNOWN_MODEL`` for a name not in :data:`MODELS`.
        ConfigurationError: ``ML_DEPENDENCY_MISSING`` without scikit-learn.
    """
    _check(name)
    ensemble = _ensemble()
    if name == "rf":
        return ensemble.RandomForestClassifier(
            n_estimators=100,
            min_samples_leaf=3,
            max_features="sqrt",
            random_state=seed,
            n_jobs=jobs,
        )
    return ensemble.HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.05, random_state=seed, early_stopping=False
    )


@contextmanager
def limited_threads(jobs: int) -> Iterator[None]:
    """Limit the native thread pools (OpenMP, BLAS) to ``jobs`` threads inside the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=jobs):
        yield
