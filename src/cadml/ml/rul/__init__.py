"""Remaining useful life on NASA's C-MAPSS turbofan data.

Modules, each one concept: :mod:`~cadml.ml.rul.cmapss` (the text format),
:mod:`~cadml.ml.rul.features` (rolling statistics, FFT band energies),
:mod:`~cadml.ml.rul.targets` (capped RUL, failure within N cycles),
:mod:`~cadml.ml.rul.metrics` (RMSE, NASA score, classification metrics),
:mod:`~cadml.ml.rul.models` (scikit-learn forests and boosting) and
:mod:`~cadml.ml.rul.runner` (train → predict → score).
"""

from cadml.ml.rul.cmapss import CmapssData, load_cmapss, load_rul, parse_cmapss, parse_rul
from cadml.ml.rul.features import (
    FeatureMatrix,
    SensorScaler,
    fit_scaler,
    informative_sensors,
    window_features,
)
from cadml.ml.rul.metrics import (
    ClassificationMetrics,
    classification_metrics,
    nasa_score,
    rmse,
    roc_auc,
)
from cadml.ml.rul.models import MODELS, make_classifier, make_regressor
from cadml.ml.rul.runner import RulConfig, RulReport, UnitPrediction, run_rul
from cadml.ml.rul.targets import DEFAULT_CAP, failure_within, rul_from_end, rul_targets

__all__ = [
    "DEFAULT_CAP",
    "MODELS",
    "ClassificationMetrics",
    "CmapssData",
    "FeatureMatrix",
    "RulConfig",
    "RulReport",
    "SensorScaler",
    "UnitPrediction",
    "classification_metrics",
    "failure_within",
    "fit_scaler",
    "informative_sensors",
    "load_cmapss",
    "load_rul",
    "make_classifier",
    "make_regressor",
    "nasa_score",
    "parse_cmapss",
    "parse_rul",
    "rmse",
    "roc_auc",
    "rul_from_end",
    "rul_targets",
    "run_rul",
    "window_features",
]
