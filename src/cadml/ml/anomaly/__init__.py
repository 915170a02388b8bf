"""Anomaly detection on device telemetry: trainable detectors, thresholds, alerts, ONNX.

A domain package (no I/O): the service :mod:`cadml.services.ml_anomaly` reads the
history from the time-series store, trains, saves and monitors; the command line is
:mod:`cadml.cli.ml_anomaly`. Modules, one concept each:

* :mod:`~cadml.ml.anomaly.base`: the detector contract (``fit``, ``score``,
  ``is_anomaly``, ``score_one``) and the checks;
* :mod:`~cadml.ml.anomaly.calibration`: sensitivity (percent) -> threshold;
* :mod:`~cadml.ml.anomaly.statistical`: z-score and IQR (Tukey fences), JSON state;
* :mod:`~cadml.ml.anomaly.learned`: Isolation Forest and One-Class SVM (scikit-learn);
* :mod:`~cadml.ml.anomaly.lstm_autoencoder`: the LSTM autoencoder (torch, lazily);
* :mod:`~cadml.ml.anomaly.windows`: sliding telemetry windows;
* :mod:`~cadml.ml.anomaly.rows`: frames -> aligned rows (training and live alike);
* :mod:`~cadml.ml.anomaly.fields`: which fields a device's frames offer (coded refusals);
* :mod:`~cadml.ml.anomaly.excursions`: hysteresis, cool-down and anomalous intervals;
* :mod:`~cadml.ml.anomaly.alerts`: the alert event frame;
* :mod:`~cadml.ml.anomaly.trained`: a trained detector's metadata and parts;
* :mod:`~cadml.ml.anomaly.monitor`: the live monitor (frames in, alerts out);
* :mod:`~cadml.ml.anomaly.onnx_export`: ONNX graphs that output the score;
* :mod:`~cadml.ml.anomaly.factory`: detectors by name;
* :mod:`~cadml.ml.anomaly.synthetic`: seeded telemetry with injected anomalies and
  detection figures (tests, docs, demos).

Importing this package imports neither torch nor scikit-learn; they load when a
detector that needs them is fitted or exported.
"""

from cadml.ml.anomaly.alerts import ALERT_KIND, RULE_PREFIX, anomaly_alert_frame, rule_id
from cadml.ml.anomaly.base import (
    MIN_TRAINING_ROWS,
    AnomalyDetector,
    BaseDetector,
    check_matrix,
)
from cadml.ml.anomaly.calibration import (
    DEFAULT_SENSITIVITY,
    MAX_SENSITIVITY,
    calibrate_threshold,
    check_sensitivity,
    score_quantiles,
)
from cadml.ml.anomaly.excursions import (
    DEFAULT_CLEAR_ROWS,
    AnomalyInterval,
    ExcursionGate,
    anomalous_intervals,
)
from cadml.ml.anomaly.factory import CLI_NAMES, DETECTOR_KINDS, canonical_kind, make_detector
from cadml.ml.anomaly.learned import IsolationForestDetector, OneClassSvmDetector, ScoreHead
from cadml.ml.anomaly.lstm_autoencoder import LstmAutoencoderDetector
from cadml.ml.anomaly.monitor import DEFAULT_COOLDOWN_S, AnomalyMonitor
from cadml.ml.anomaly.onnx_export import OnnxModel, OnnxScorer, onnx_scores, to_onnx
from cadml.ml.anomaly.rows import AlignedRow, AlignedRows, RowAligner, align_frames, split_field
from cadml.ml.anomaly.statistical import IqrDetector, ZScoreDetector
from cadml.ml.anomaly.trained import FORMAT_VERSION, DetectorMetadata, TrainedDetector
from cadml.ml.anomaly.windows import pad_window_scores, sliding_windows

__all__ = [
    "ALERT_KIND",
    "CLI_NAMES",
    "DEFAULT_CLEAR_ROWS",
    "DEFAULT_COOLDOWN_S",
    "DEFAULT_SENSITIVITY",
    "DETECTOR_KINDS",
    "FORMAT_VERSION",
    "MAX_SENSITIVITY",
    "MIN_TRAINING_ROWS",
    "RULE_PREFIX",
    "AlignedRow",
    "AlignedRows",
    "AnomalyDetector",
    "AnomalyInterval",
    "AnomalyMonitor",
    "BaseDetector",
    "DetectorMetadata",
    "ExcursionGate",
    "IqrDetector",
    "IsolationForestDetector",
    "LstmAutoencoderDetector",
    "OneClassSvmDetector",
    "OnnxModel",
    "OnnxScorer",
    "RowAligner",
    "ScoreHead",
    "TrainedDetector",
    "ZScoreDetector",
    "align_frames",
    "anomalous_intervals",
    "anomaly_alert_frame",
    "calibrate_threshold",
    "canonical_kind",
    "check_matrix",
    "check_sensitivity",
    "make_detector",
    "onnx_scores",
    "pad_window_scores",
    "rule_id",
    "score_quantiles",
    "sliding_windows",
    "split_field",
    "to_onnx",
]
