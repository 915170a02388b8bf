"""Use cases of anomaly detection on telemetry: train, save, load, score, monitor, export.

* **Train** (:func:`train_detector`): read one device's history through the
  :class:`~cadml.timeseries.port.TimeSeriesStore` port (any adapter), check the chosen
  fields, align the frames into rows (:mod:`cadml.ml.anomaly.rows`), fit the detector
  and calibrate its threshold. Refusals are coded: ``ML_ANOMALY_UNKNOWN_DEVICE``
  (nothing stored for the device), ``ML_ANOMALY_FIELD_NOT_PRESENT``,
  ``ML_ANOMALY_FIELD_NOT_NUMERIC``, ``ML_ANOMALY_TOO_FEW_ROWS`` (under 50 rows, or 50
  full windows) and ``ML_ANOMALY_TOO_MANY_ROWS``.
* **Save / load** (:class:`AnomalyModels`): each trained detector is a directory
  ``<data_dir>/ml/anomaly/<name>/`` holding ``detector.json`` (the metadata: device,
  fields, range, rows, sensitivity, threshold, training-score quantiles, options,
  timings, and the sha256 of every other file), ``state.json`` (the detector's JSON
  state), ``sample.npy`` (the last training rows, for export checks) and, by kind,
  ``model.joblib`` (the scikit-learn pipeline, written by the platform itself and
  loaded only after its checksum matched) or ``weights.npz`` (the autoencoder's
  tensors). A directory is written under a temporary name and renamed, so a failed
  save leaves nothing half-written.
* **Score** (:func:`score_history`): score a stored range and list its anomalous
  intervals (:func:`~cadml.ml.anomaly.excursions.anomalous_intervals`).
* **Monitor** (:class:`~cadml.ml.anomaly.monitor.AnomalyMonitor`, pure logic in the
  domain, re-exported here): live frames in, alert event frames out (the caller writes
  them), with the per-device row window, hysteresis and cool-down of
  :mod:`cadml.ml.anomaly.excursions`. :func:`attach_monitors` hangs monitors on an
  :class:`~cadml.twin.pipeline.IngestPipeline` (a listener after each commit that
  submits the alerts back into the pipeline, so they are stored and fanned out to live
  listeners like any frame).
* **Export** (:meth:`AnomalyModels.export_onnx`): ONNX next to the detector, with the
  parity against Python on the saved sample, recorded in ``detector.json``; a loaded
  detector then brings its ONNX model and a monitor scores live rows with onnxruntime
  (8-40x cheaper per row than the Python models).

The pure parts (detectors, rows, field checks, excursions, the monitor, metadata) live in
:mod:`cadml.ml.anomaly`; this package holds the use cases that touch the store, the files
and the pipeline, one module each: :mod:`.training`, :mod:`.store` (with the export),
:mod:`.scoring` and :mod:`.live`.
"""

from cadml.ml.anomaly.monitor import DEFAULT_COOLDOWN_S, AnomalyMonitor
from cadml.ml.anomaly.trained import FORMAT_VERSION, DetectorMetadata, TrainedDetector
from cadml.services.ml_anomaly.live import MonitorHook, attach_monitors, follow, replay
from cadml.services.ml_anomaly.scoring import ScoreReport, score_history
from cadml.services.ml_anomaly.store import AnomalyModels, OnnxExportResult
from cadml.services.ml_anomaly.training import (
    MAX_TRAINING_FRAMES,
    Progress,
    TrainingRequest,
    check_name,
    read_history,
    train_detector,
)

__all__ = [
    "DEFAULT_COOLDOWN_S",
    "FORMAT_VERSION",
    "MAX_TRAINING_FRAMES",
    "AnomalyModels",
    "AnomalyMonitor",
    "DetectorMetadata",
    "MonitorHook",
    "OnnxExportResult",
    "Progress",
    "ScoreReport",
    "TrainedDetector",
    "TrainingRequest",
    "attach_monitors",
    "check_name",
    "follow",
    "read_history",
    "replay",
    "score_history",
    "train_detector",
]
