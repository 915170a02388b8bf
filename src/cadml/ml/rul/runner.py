"""Train on a C-MAPSS training file, predict the test units' RUL and score the predictions.

The usual C-MAPSS protocol: the model learns from every row of the run-to-failure
training units (piecewise-linear target, :mod:`cadml.ml.rul.targets`) and is judged on
the **last row of each test unit** against the RUL file, which is not capped. RMSE and the
NASA score are reported next to those of a constant predictor (the training targets'
mean), so a useless model shows. With ``within`` set, a classifier of the same family
also predicts the probability that each test unit fails within that many cycles.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.rul.cmapss import SENSOR_NAMES, CmapssData
from cadml.ml.rul.features import fit_scaler, window_features
from cadml.ml.rul.metrics import (
    ClassificationMetrics,
    classification_metrics,
    nasa_score,
    rmse,
)
from cadml.ml.rul.models import limited_threads, make_classifier, make_regressor
from cadml.ml.rul.targets import DEFAULT_CAP, failure_within, rul_from_end, rul_targets

__all__ = ["RulConfig", "RulReport", "UnitPrediction", "run_rul"]


@dataclass(frozen=True)
class RulConfig:
    """Options of :func:`run_rul`.

    Attributes:
        model: ``"rf"`` or ``"gbr"`` (see :mod:`cadml.ml.rul.models`).
        cap: piecewise-linear cap of the training target; ``None`` for none.
        window: cycles per feature window.
        bands: FFT bands per sensor.
        within: also classify failure within this many cycles; ``None`` to skip.
        seed: random state of the models.
        jobs: threads for fitting and prediction.
    """

    model: str = "rf"
    cap: int | None = DEFAULT_CAP
    window: int = 30
    bands: int = 3
    within: int | None = None
    seed: int = 0
    jobs: int = 1


@dataclass(frozen=True)
class UnitPrediction:
    """The prediction for one test unit at its last row."""

    unit: int
    last_cycle: int
    true_rul: int
    predicted_rul: float
    failure_probability: float | None = None


@dataclass(frozen=True)
class RulReport:
    """Results of one run.

    Attributes:
        rmse, nasa_score: of the model on the test units (cycles; lower is better).
        baseline_rmse, baseline_nasa_score: of the constant training-mean predictor.
        classification: failure-within-``config.within`` metrics, or ``None``.
        sensors_used, sensors_dropped: sensor names (dropped ones are constant in training).
    """

    config: RulConfig
    train_units: int
    train_rows: int
    test_units: int
    sensors_used: tuple[str, ...]
    sensors_dropped: tuple[str, ...]
    n_features: int
    rmse: float
    nasa_score: float
    baseline_rmse: float
    baseline_nasa_score: float
    classification: ClassificationMetrics | None
    test_positives: int | None
    units: tuple[UnitPrediction, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _check_positive(field: str, value: int | None, minimum: int) -> None:
    if value is not None and value < minimum:
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={"field": field, "value": value, "reason": f"must be at least {minimum}"},
        )


def run_rul(
    train: CmapssData,
    test: CmapssData,
    rul_at_end: np.ndarray,
    config: RulConfig,
    rul_source: str = "RUL",
    fitted: dict[str, Any] | None = None,
) -> RulReport:
    """Fit on ``train``, predict the last row of each ``test`` unit, score against the truth.

    Args:
        train: a run-to-failure file (``train_FD00x.txt``).
        test: the matching test file.
        rul_at_end: shape ``(u,)``, the RUL file's values in test-unit order.
        config: the options.
        rul_source: the RUL file's name, for messages.
        fitted: when given, receives the fitted ``regressor`` (and ``classifier``), the
            test units' last-row features ``rows`` (float32) and their ``truth``, for an
            export.

    Raises:
        ValidationError: ``ML_CMAPSS_RUL_MISMATCH``, ``ML_UNKNOWN_MODEL``,
            ``ML_INVALID_OPTION`` (bad window, cap, jobs, or a ``within`` that leaves the
            training set with one class).
    """
    _check_positive("jobs", config.jobs, 1)
    _check_positive("cap", config.cap, 1)
    _check_positive("within", config.within, 0)
    truth_all = rul_from_end(test, rul_at_end, source=rul_source)
    scaler = fit_scaler(train)
    train_x = window_features(train, scaler, config.window, config.bands)
    test_x = window_features(test, scaler, config.window, config.bands)
    last = test.last_rows()
    target = rul_targets(train, config.cap).astype(np.float64)
    truth = truth_all[last]

    labels = None
    within = config.within
    if within is not None:
        labels = failure_within(rul_targets(train, None), within)
        if labels.all() or not labels.any():
            raise ValidationError(
                "ML_INVALID_OPTION",
                details={
                    "field": "within",
                    "value": within,
                    "reason": "every training row falls in one class; choose a horizon "
                    "shorter than the units' lives",
                },
            )

    regressor = make_regressor(config.model, seed=config.seed, jobs=config.jobs)
    with limited_threads(config.jobs):
        regressor.fit(train_x.values, target)
        predicted = np.maximum(regressor.predict(test_x.values[last]), 0.0)
    baseline = np.full(truth.shape, target.mean())

    if fitted is not None:
        fitted.update(
            regressor=regressor,
            rows=np.ascontiguousarray(test_x.values[last], dtype=np.float32),
            truth=truth,
            features=len(train_x.names),
        )
    probabilities = None
    metrics = None
    positives = None
    if labels is not None and within is not None:
        classifier = make_classifier(config.model, seed=config.seed, jobs=config.jobs)
        with limited_threads(config.jobs):
            classifier.fit(train_x.values, labels)
            probabilities = classifier.predict_proba(test_x.values[last])[:, 1]
        test_labels = failure_within(truth, within)
        metrics = classification_metrics(test_labels, probabilities)
        positives = int(test_labels.sum())
        if fitted is not None:
            fitted["classifier"] = classifier

    units = tuple(
        UnitPrediction(
            unit=int(test.units[row]),
            last_cycle=int(test.cycles[row]),
            true_rul=int(truth[i]),
            predicted_rul=float(predicted[i]),
            failure_probability=None if probabilities is None else float(probabilities[i]),
        )
        for i, row in enumerate(last)
    )
    return RulReport(
        config=config,
        train_units=len(train.unit_slices()),
        train_rows=train.n_rows,
        test_units=len(last),
        sensors_used=scaler.names,
        sensors_dropped=tuple(n for i, n in enumerate(SENSOR_NAMES) if i not in scaler.sensors),
        n_features=len(train_x.names),
        rmse=rmse(truth, predicted),
        nasa_score=nasa_score(truth, predicted),
        baseline_rmse=rmse(truth, baseline),
        baseline_nasa_score=nasa_score(truth, baseline),
        classification=metrics,
        test_positives=positives,
        units=units,
    )
