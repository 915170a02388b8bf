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
:mod:`cadml.ml.anomaly`; this module holds the use cases that touch the store, the files
and the pipeline, which is why it is longer than most (one concept: the anomaly use cases).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import re
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import cadml
from cadml.errors import CadmlError, ConflictError, NotFoundError, ValidationError
from cadml.ml.anomaly import (
    CLI_NAMES,
    DEFAULT_CLEAR_ROWS,
    MIN_TRAINING_ROWS,
    AnomalyInterval,
    BaseDetector,
    IqrDetector,
    IsolationForestDetector,
    LstmAutoencoderDetector,
    OneClassSvmDetector,
    OnnxModel,
    OnnxScorer,
    RowAligner,
    ZScoreDetector,
    align_frames,
    anomalous_intervals,
    canonical_kind,
    make_detector,
    to_onnx,
)
from cadml.ml.anomaly.fields import check_fields, numeric_query, stored_fields
from cadml.ml.anomaly.learned import SklearnDetector
from cadml.ml.anomaly.monitor import DEFAULT_COOLDOWN_S, AnomalyMonitor
from cadml.ml.anomaly.trained import FORMAT_VERSION, DetectorMetadata, TrainedDetector
from cadml.timeseries.port import Cursor, TimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key

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

log = logging.getLogger(__name__)

MAX_TRAINING_FRAMES = 1_000_000
"""Most frames one training or scoring run reads."""

_PAGE = 10_000
_SAMPLE_ROWS = 256
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

Progress = Callable[[str, int, int | None], None]
"""Progress callback: ``(stage, done, total or None)``; stages ``read``, ``fit``."""


def _no_progress(stage: str, done: int, total: int | None) -> None:
    """The default progress callback: says nothing."""


def check_name(name: str) -> str:
    """Return ``name`` when it can name a trained detector (it becomes a directory).

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_NAME``.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(
            "ML_ANOMALY_INVALID_NAME",
            details={"name": name, "reason": "1-64 of A-Z a-z 0-9 . _ -, starting alnum"},
        )
    return name


def _default_name(device: str, kind: str) -> str:
    label = next((cli for cli, k in CLI_NAMES.items() if k == kind), kind)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{device}-{label}").strip("-._")
    return (slug or "detector")[:64]


def _invalid_option(name: str, value: Any, reason: str) -> ValidationError:
    return ValidationError(
        "ML_ANOMALY_INVALID_OPTION", details={"field": name, "value": value, "reason": reason}
    )


# -- requests, metadata -------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRequest:
    """What to train.

    Args:
        device: the device whose history is read.
        fields: field names (``temperature`` means ``sensors.temperature``;
            ``metrics.x``; ``status.x`` when it holds numbers), in column order.
        detector: kind or CLI name (``zscore``, ``iqr``, ``isolation-forest``,
            ``one-class-svm``, ``lstm-ae``).
        name: the saved detector's name (default ``<device>-<CLI detector name>``, e.g.
            ``press-7-lstm-ae``).
        since: first timestamp (unix s, inclusive), None from the start.
        until: end (unix s, exclusive), None to the newest frame.
        resample_s: bucket length for rows, None for one row per reading.
        sensitivity: percent of training rows allowed above the threshold (None: the
            detector's default).
        options: the detector's own options (``window``, ``epochs``, ``seed``, ...).
        replace: overwrite a detector of the same name.
    """

    device: str
    fields: tuple[str, ...]
    detector: str
    name: str | None = None
    since: float | None = None
    until: float | None = None
    resample_s: float | None = None
    sensitivity: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    replace: bool = False


# -- reading history ----------------------------------------------------------------------


def read_history(
    store: TimeSeriesStore,
    device: str,
    *,
    since: float | None = None,
    until: float | None = None,
    fields: Sequence[str] | None = None,
    max_frames: int = MAX_TRAINING_FRAMES,
    progress: Progress = _no_progress,
) -> list[TelemetryFrame]:
    """A device's frames in ``[since, until)``, oldest first, read page by page.

    Args:
        fields: stored numeric names to keep (``sensors.x``/``metrics.y``); None keeps
            everything (status always stays).

    Raises:
        ValidationError: ``ML_ANOMALY_TOO_MANY_ROWS`` past ``max_frames``.
    """
    frames: list[TelemetryFrame] = []
    before: Cursor | None = None
    while True:
        page = store.history(
            device, start=since, stop=until, limit=_PAGE, fields=fields, before=before
        )
        frames.extend(page)
        progress("read", len(frames), None)
        if len(frames) > max_frames:
            raise ValidationError(
                "ML_ANOMALY_TOO_MANY_ROWS", details={"device": device, "limit": max_frames}
            )
        if len(page) < _PAGE:
            break
        last = page[-1]
        before = Cursor(last.timestamp, event_key(last))
    frames.reverse()
    return frames


def _check_range(since: float | None, until: float | None) -> None:
    for label, value in (("since", since), ("until", until)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
            raise _invalid_option(label, value, "a time in unix seconds")
    if since is not None and until is not None and since >= until:
        raise _invalid_option("since", since, f"must be before until ({until})")


# -- training -----------------------------------------------------------------------------


def train_detector(
    store: TimeSeriesStore,
    models: AnomalyModels,
    request: TrainingRequest,
    *,
    max_frames: int = MAX_TRAINING_FRAMES,
    progress: Progress = _no_progress,
) -> TrainedDetector:
    """Train a detector on one device's history and save it (see the module docstring).

    Raises:
        NotFoundError: ``ML_ANOMALY_UNKNOWN_DEVICE``.
        ValidationError: ``ML_ANOMALY_FIELD_NOT_PRESENT``, ``ML_ANOMALY_FIELD_NOT_NUMERIC``,
            ``ML_ANOMALY_TOO_FEW_ROWS``, ``ML_ANOMALY_TOO_MANY_ROWS``,
            ``ML_ANOMALY_INVALID_*``, ``ML_UNKNOWN_DETECTOR``.
        ConflictError: ``ML_ANOMALY_NAME_EXISTS`` (without ``replace``).
    """
    kind = canonical_kind(request.detector)
    fields = stored_fields(request.fields)
    _check_range(request.since, request.until)
    name = check_name(request.name or _default_name(request.device, kind))
    if not request.replace and models.exists(name):
        raise ConflictError("ML_ANOMALY_NAME_EXISTS", details={"name": name})
    detector = make_detector(kind, request.sensitivity, **request.options)
    RowAligner(fields, request.resample_s)  # checks resample_s before anything is read
    if store.state(request.device) is None:
        raise NotFoundError("ML_ANOMALY_UNKNOWN_DEVICE", details={"device": request.device})

    started = time.perf_counter()
    frames = read_history(
        store,
        request.device,
        since=request.since,
        until=request.until,
        fields=numeric_query(fields),
        max_frames=max_frames,
        progress=progress,
    )

    def everything() -> list[TelemetryFrame]:
        return store.history(request.device, start=request.since, stop=request.until, limit=2000)

    check_fields(frames, fields, request.device, everything)
    rows = align_frames(frames, fields, request.resample_s)
    read_seconds = time.perf_counter() - started
    minimum = MIN_TRAINING_ROWS + detector.window - 1
    if rows.values.shape[0] < minimum:
        raise ValidationError(
            "ML_ANOMALY_TOO_FEW_ROWS",
            details={
                "rows": int(rows.values.shape[0]),
                "minimum": minimum,
                "device": request.device,
                "fields": list(fields),
                "since": request.since,
                "until": request.until,
            },
        )
    progress("fit", 0, int(rows.values.shape[0]))
    detector.fit(rows.values)
    progress("fit", int(rows.values.shape[0]), int(rows.values.shape[0]))
    metadata = DetectorMetadata(
        name=name,
        kind=kind,
        device=request.device,
        fields=fields,
        since=request.since,
        until=request.until,
        first_timestamp=float(rows.timestamps[0]),
        last_timestamp=float(rows.timestamps[-1]),
        rows=int(rows.values.shape[0]),
        frames=len(frames),
        late_frames=rows.late,
        resample_s=request.resample_s,
        window=detector.window,
        sensitivity=detector.sensitivity,
        threshold=detector.threshold,
        train_quantiles=dict(detector.train_quantiles),
        params=_params(detector),
        fit_seconds=round(detector.fit_seconds, 4),
        read_seconds=round(read_seconds, 4),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        cadml_version=cadml.__version__,
        files={},
    )
    trained = TrainedDetector(metadata, detector, rows.values[-_SAMPLE_ROWS:].copy())
    return models.save(trained, replace=request.replace)


def _params(detector: BaseDetector) -> dict[str, Any]:
    params = getattr(detector, "params", None)
    if callable(params):
        return dict(params())
    if isinstance(detector, IqrDetector):
        return {"k": detector.k}
    return {}


# -- storage ------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


class AnomalyModels:
    """Trained detectors on disk, one directory each under ``root``.

    Args:
        root: ``<data_dir>/ml/anomaly``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """The directory of detector ``name``."""
        return self.root / check_name(name)

    def exists(self, name: str) -> bool:
        """Whether a detector of that name is saved."""
        return (self.path(name) / "detector.json").is_file()

    def _state_files(self, trained: TrainedDetector) -> dict[str, bytes]:
        detector = trained.detector
        files: dict[str, bytes] = {}
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(trained.sample, dtype=np.float64), allow_pickle=False)
        files["sample.npy"] = buffer.getvalue()
        if isinstance(detector, (ZScoreDetector, IqrDetector)):
            files["state.json"] = _json_bytes(detector.to_dict())
        elif isinstance(detector, SklearnDetector):
            import joblib

            files["state.json"] = _json_bytes(detector.to_dict())
            buffer = io.BytesIO()
            joblib.dump(detector.pipeline, buffer)
            files["model.joblib"] = buffer.getvalue()
        elif isinstance(detector, LstmAutoencoderDetector):
            files["state.json"] = _json_bytes(detector.to_dict())
            buffer = io.BytesIO()
            weights: dict[str, Any] = detector.weights()
            np.savez(buffer, allow_pickle=False, **weights)
            files["weights.npz"] = buffer.getvalue()
        else:  # pragma: no cover - every kind is handled above
            raise TypeError(f"cannot save a {type(detector).__name__}")
        return files

    def save(self, trained: TrainedDetector, *, replace: bool = False) -> TrainedDetector:
        """Write the detector's directory (atomically: temporary name, then rename).

        Returns:
            The detector with its metadata's ``files`` checksums filled in.

        Raises:
            ConflictError: ``ML_ANOMALY_NAME_EXISTS`` without ``replace``.
        """
        name = check_name(trained.metadata.name)
        final = self.path(name)
        if final.exists() and not replace:
            raise ConflictError("ML_ANOMALY_NAME_EXISTS", details={"name": name})
        files = self._state_files(trained)
        metadata = DetectorMetadata(
            **{**asdict(trained.metadata), "files": {k: _sha256(v) for k, v in files.items()}}
        )
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            for file_name, data in files.items():
                (staging / file_name).write_bytes(data)
            (staging / "detector.json").write_bytes(_json_bytes(metadata.to_dict()))
            old = None
            if final.exists():
                old = self.root / f".old-{name}-{uuid.uuid4().hex[:8]}"
                final.rename(old)
            staging.rename(final)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return TrainedDetector(metadata, trained.detector, trained.sample)

    def metadata(self, name: str) -> DetectorMetadata:
        """Read a detector's ``detector.json``.

        Raises:
            NotFoundError: ``ML_ANOMALY_NOT_FOUND``.
            ValidationError: ``ML_ANOMALY_STATE_INVALID``.
        """
        path = self.path(name) / "detector.json"
        if not path.is_file():
            raise NotFoundError("ML_ANOMALY_NOT_FOUND", details={"name": name, "path": self.root})
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": name, "reason": f"detector.json: {exc}"},
            ) from None
        if not isinstance(data, dict):
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": name, "reason": "detector.json is not an object"},
            )
        return DetectorMetadata.from_dict(data)

    def _read_checked(self, name: str, metadata: DetectorMetadata, file_name: str) -> bytes:
        expected = metadata.files.get(file_name)
        try:
            data = (self.path(name) / file_name).read_bytes()
        except OSError as exc:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": metadata.kind, "reason": f"{file_name}: {exc.strerror}"},
            ) from None
        if expected is None or _sha256(data) != expected:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": metadata.kind, "reason": f"{file_name}: checksum mismatch"},
            )
        return data

    def load(self, name: str) -> TrainedDetector:
        """Load a saved detector, checking every file against its recorded sha256.

        Raises:
            NotFoundError: ``ML_ANOMALY_NOT_FOUND``.
            ValidationError: ``ML_ANOMALY_STATE_INVALID`` for a changed or broken file.
        """
        meta = self.metadata(name)
        state = json.loads(self._read_checked(name, meta, "state.json"))
        sample = np.load(io.BytesIO(self._read_checked(name, meta, "sample.npy")))
        detector: BaseDetector
        if meta.kind == ZScoreDetector.kind:
            detector = ZScoreDetector.from_dict(state)
        elif meta.kind == IqrDetector.kind:
            detector = IqrDetector.from_dict(state)
        elif meta.kind in (IsolationForestDetector.kind, OneClassSvmDetector.kind):
            import joblib

            # The checksum matched the one recorded when the platform wrote this file.
            pipeline = joblib.load(io.BytesIO(self._read_checked(name, meta, "model.joblib")))
            cls = (
                IsolationForestDetector
                if meta.kind == IsolationForestDetector.kind
                else OneClassSvmDetector
            )
            detector = cls.from_dict(state, pipeline)
        elif meta.kind == LstmAutoencoderDetector.kind:
            with np.load(
                io.BytesIO(self._read_checked(name, meta, "weights.npz")), allow_pickle=False
            ) as archive:
                weights = {key: archive[key] for key in archive.files}
            detector = LstmAutoencoderDetector.from_dict(state, weights)
        else:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": meta.kind, "reason": "unknown detector kind"},
            )
        if detector.n_features != len(meta.fields):
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": meta.kind, "reason": "state and metadata disagree on fields"},
            )
        onnx = None
        if meta.onnx is not None and "detector.onnx" in meta.files:
            onnx = OnnxModel(
                self._read_checked(name, meta, "detector.onnx"),
                meta.kind,
                str(meta.onnx["exporter"]),
                str(meta.onnx["input_name"]),
                "score",
                int(meta.onnx["window"]),
                len(meta.fields),
            )
        return TrainedDetector(meta, detector, sample, onnx)

    def all_metadata(self) -> list[DetectorMetadata]:
        """Every saved detector's metadata, by name (unreadable ones are skipped, logged)."""
        if not self.root.is_dir():
            return []
        out = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(".") or not (path / "detector.json").is_file():
                continue
            try:
                out.append(self.metadata(path.name))
            except CadmlError as exc:
                log.warning("skipping anomaly detector %s: %s", path.name, exc)
        return out

    def monitors(
        self,
        names: Sequence[str] | None = None,
        *,
        clear_rows: int = DEFAULT_CLEAR_ROWS,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        engine: str = "auto",
    ) -> list[AnomalyMonitor]:
        """A monitor per saved detector (or per name given), each on its own device: what
        a composition root hands to :func:`attach_monitors`. A detector that cannot be
        loaded is skipped and logged when no names are given, and raises otherwise."""
        if names is not None:
            loaded = [self.load(name) for name in names]
        else:
            loaded = []
            for meta in self.all_metadata():
                try:
                    loaded.append(self.load(meta.name))
                except CadmlError as exc:
                    log.warning("not monitoring with %s: %s", meta.name, exc)
        return [
            AnomalyMonitor(trained, clear_rows=clear_rows, cooldown_s=cooldown_s, engine=engine)
            for trained in loaded
        ]

    def delete(self, name: str) -> None:
        """Remove a saved detector.

        Raises:
            NotFoundError: ``ML_ANOMALY_NOT_FOUND``.
        """
        path = self.path(name)
        if not path.is_dir():
            raise NotFoundError("ML_ANOMALY_NOT_FOUND", details={"name": name, "path": self.root})
        shutil.rmtree(path)

    def export_onnx(self, name: str, out: Path | None = None) -> OnnxExportResult:
        """Export a learned detector to ONNX and check that onnxruntime reproduces the
        Python scores on the saved training sample.

        Without ``out`` the model goes next to the detector (``detector.onnx``) and is
        recorded in ``detector.json`` (checksum, exporter, parity), so loading the
        detector brings it along and monitors score with onnxruntime.

        Raises:
            ValidationError: ``ML_ANOMALY_EXPORT_UNSUPPORTED`` for z-score and IQR.
            CadmlError: ``ML_EXPORT_FAILED``.
        """
        trained = self.load(name)
        model = to_onnx(trained.detector, trained.sample)
        python = trained.detector.score(trained.sample)
        scorer = OnnxScorer(model)
        onnx = scorer.score(trained.sample)
        skip = trained.detector.window - 1
        diff = float(np.abs(python[skip:] - onnx[skip:]).max()) if len(python) > skip else 0.0
        threshold = trained.detector.threshold
        agreement = (
            float(np.mean((python[skip:] > threshold) == (onnx[skip:] > threshold)))
            if len(python) > skip
            else 1.0
        )
        result = OnnxExportResult(
            path=out or self.path(name) / "detector.onnx",
            exporter=model.exporter,
            input_name=model.input_name,
            input_shape=["N", *([model.window] if model.window > 1 else []), model.fields],
            bytes=len(model.data),
            max_abs_diff=diff,
            rows_checked=max(0, len(python) - skip),
            flag_agreement=agreement,
            latency_ms=_row_latency(scorer, trained.sample),
        )
        if agreement < MIN_FLAG_AGREEMENT:
            raise ValidationError(
                "ML_EXPORT_GOAL_MISSED",
                details={
                    "model": name,
                    "missed": f"ONNX and Python agree on {100 * agreement:.2f} % of the "
                    f"anomaly flags (target >= {100 * MIN_FLAG_AGREEMENT:g} %)",
                },
            )
        _write_atomically(result.path, model.data)
        if out is None:
            meta = trained.metadata
            recorded = DetectorMetadata(
                **{
                    **asdict(meta),
                    "files": {**meta.files, "detector.onnx": _sha256(model.data)},
                    "onnx": {
                        "exporter": model.exporter,
                        "input_name": model.input_name,
                        "window": model.window,
                        "max_abs_diff": diff,
                        "rows_checked": result.rows_checked,
                    },
                }
            )
            _write_atomically(self.path(name) / "detector.json", _json_bytes(recorded.to_dict()))
        return result


MIN_FLAG_AGREEMENT = 0.999
"""Share of the training sample's rows on which the ONNX file must flag (or not) exactly as
the Python detector does; an export below it is refused (``ML_EXPORT_GOAL_MISSED``)."""


def _row_latency(scorer: OnnxScorer, sample: np.ndarray, calls: int = 200) -> dict[str, float]:
    """Single-row (one window) scoring latency of ``scorer`` on one thread: p50/p95 ms."""
    import time

    from cadml.ml.export.measure import summarise_ms

    rows = max(scorer.window, 1)
    times = []
    for i in range(calls + 20):
        start = (i * 7) % max(len(sample) - rows, 1)
        window = sample[start : start + rows]
        began = time.perf_counter()
        scorer.score_one(window)
        if i >= 20:
            times.append((time.perf_counter() - began) * 1e3)
    return summarise_ms(times)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


@dataclass(frozen=True)
class OnnxExportResult:
    """Where an ONNX export went and how closely it matches Python."""

    path: Path
    exporter: str
    input_name: str
    input_shape: list[Any]
    bytes: int
    max_abs_diff: float
    rows_checked: int
    flag_agreement: float = 1.0
    latency_ms: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {**asdict(self), "path": str(self.path)}


# -- scoring a stored range ----------------------------------------------------------------


@dataclass(frozen=True)
class ScoreReport:
    """A stored range scored by a trained detector.

    Attributes:
        name: the detector.
        device: the device scored.
        rows: rows scored (rows without a full window included, scoring 0).
        anomalous_rows: rows above the threshold.
        threshold: the detector's threshold.
        max_score: the highest score (0 for no rows).
        intervals: the excursions (see :func:`~cadml.ml.anomaly.anomalous_intervals`).
        first_timestamp: the first row's time (None without rows).
        last_timestamp: the last row's time (None without rows).
    """

    name: str
    device: str
    rows: int
    anomalous_rows: int
    threshold: float
    max_score: float
    intervals: list[AnomalyInterval]
    first_timestamp: float | None
    last_timestamp: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data = asdict(self)
        data["intervals"] = [i.to_dict() for i in self.intervals]
        return data


def score_history(
    store: TimeSeriesStore,
    trained: TrainedDetector,
    *,
    since: float | None = None,
    until: float | None = None,
    device: str | None = None,
    clear_rows: int = DEFAULT_CLEAR_ROWS,
    max_frames: int = MAX_TRAINING_FRAMES,
    progress: Progress = _no_progress,
) -> ScoreReport:
    """Score a device's stored range (default: the detector's device) and find the
    anomalous intervals.

    Raises:
        NotFoundError: ``ML_ANOMALY_UNKNOWN_DEVICE``.
    """
    meta = trained.metadata
    device = device or meta.device
    _check_range(since, until)
    if store.state(device) is None:
        raise NotFoundError("ML_ANOMALY_UNKNOWN_DEVICE", details={"device": device})
    frames = read_history(
        store,
        device,
        since=since,
        until=until,
        fields=numeric_query(meta.fields),
        max_frames=max_frames,
        progress=progress,
    )
    rows = align_frames(frames, meta.fields, meta.resample_s)
    n = int(rows.values.shape[0])
    if n == 0:
        return ScoreReport(meta.name, device, 0, 0, meta.threshold, 0.0, [], None, None)
    scores = trained.detector.score(rows.values)
    intervals = anomalous_intervals(rows.timestamps, scores, meta.threshold, clear_rows)
    return ScoreReport(
        meta.name,
        device,
        n,
        int((scores > meta.threshold).sum()),
        meta.threshold,
        float(scores.max()),
        intervals,
        float(rows.timestamps[0]),
        float(rows.timestamps[-1]),
    )


# -- the live monitor ---------------------------------------------------------------------


def replay(
    store: TimeSeriesStore,
    monitor: AnomalyMonitor,
    *,
    device: str | None = None,
    since: float | None = None,
    until: float | None = None,
    write: bool = False,
    max_frames: int = MAX_TRAINING_FRAMES,
) -> list[TelemetryFrame]:
    """Run a device's stored frames through a monitor, oldest first; returns the alerts
    (and writes them to the store when ``write``; writes are idempotent)."""
    device = device or monitor.trained.metadata.device
    frames = read_history(
        store,
        device,
        since=since,
        until=until,
        fields=numeric_query(monitor.trained.metadata.fields),
        max_frames=max_frames,
    )
    alerts = monitor.observe_many(frames)
    alerts += monitor.flush()
    if write and alerts:
        store.write(alerts)
    return alerts


def follow(
    store: TimeSeriesStore,
    monitor: AnomalyMonitor,
    *,
    device: str | None = None,
    since: float | None = None,
    interval_s: float = 2.0,
    duration_s: float | None = None,
    write: bool = True,
    on_alert: Callable[[TelemetryFrame], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Poll a device's new frames from the store and run them through a monitor.

    For a process that is not the ingestor (e.g. ``cadml ml anomaly monitor --follow``);
    inside the server, :func:`attach_monitors` sees every commit without polling.

    Args:
        since: start here (unix s); None starts after the device's newest frame, so
            only frames stored from now on are scored.
        interval_s: pause between two polls.
        duration_s: stop after this long (None: until interrupted).
        write: write each alert to the store as it is raised.
        on_alert: called with each alert.

    Returns:
        The number of alerts raised.
    """
    device = device or monitor.trained.metadata.device
    # `last`: the newest timestamp already seen (frames after it are new); before the
    # first frame, `since` itself is included.
    last: float | None = None
    if since is None:
        state = store.state(device)
        last = None if state is None else state.last_seen
    fields = numeric_query(monitor.trained.metadata.fields)
    deadline = None if duration_s is None else clock() + duration_s
    raised = 0
    while True:
        start = since if last is None else last
        frames = read_history(store, device, since=start, fields=fields)
        fresh = [f for f in frames if last is None or f.timestamp > last]
        alerts = monitor.observe_many(fresh)
        if fresh:
            last = max(f.timestamp for f in fresh)
        if alerts:
            raised += len(alerts)
            if write:
                store.write(alerts)
            for alert in alerts:
                if on_alert is not None:
                    on_alert(alert)
        if deadline is not None and clock() >= deadline:
            return raised
        sleep(interval_s)


class MonitorHook:
    """An ingest-pipeline listener: runs monitors on committed frames and submits their
    alerts.

    It runs on the pipeline's writer thread after each commit (keep monitors few: each
    costs a score per row). Alerts go through ``submit`` (normally the pipeline's own,
    non-blocking), so they are stored and fanned out like any frame; the monitors skip
    them when they come back. A refused submission (the queue is full) is logged and
    counted in ``dropped``, never retried on the writer thread.

    Args:
        monitors: the monitors to run.
        submit: takes a list of alert frames.
    """

    def __init__(
        self,
        monitors: Sequence[AnomalyMonitor],
        submit: Callable[[list[TelemetryFrame]], Any],
    ) -> None:
        self.monitors = list(monitors)
        self.submit = submit
        self.raised = 0
        self.dropped = 0

    def __call__(self, frames: list[TelemetryFrame]) -> None:
        """The listener: observe the committed frames, submit the alerts."""
        alerts = [
            alert
            for frame in frames
            if not event_key(frame)
            for monitor in self.monitors
            if (alert := monitor.observe(frame)) is not None
        ]
        if not alerts:
            return
        self.raised += len(alerts)
        try:
            self.submit(alerts)
        except CadmlError as exc:
            self.dropped += len(alerts)
            log.warning("dropped %d anomaly alert(s): %s", len(alerts), exc.code)


def attach_monitors(pipeline: Any, monitors: Sequence[AnomalyMonitor]) -> MonitorHook:
    """Listen to an :class:`~cadml.twin.pipeline.IngestPipeline` with ``monitors``; their
    alerts are submitted back into it. Returns the hook (for its counters)."""
    hook = MonitorHook(monitors, pipeline.submit)
    pipeline.add_listener(hook)
    return hook
