"""Trained detectors on disk: save, load, list, delete, and their ONNX export."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cadml.errors import CadmlError, ConflictError, NotFoundError, ValidationError
from cadml.ml.anomaly import (
    DEFAULT_CLEAR_ROWS,
    BaseDetector,
    IqrDetector,
    IsolationForestDetector,
    LstmAutoencoderDetector,
    OneClassSvmDetector,
    OnnxModel,
    OnnxScorer,
    ZScoreDetector,
    to_onnx,
)
from cadml.ml.anomaly.learned import SklearnDetector
from cadml.ml.anomaly.monitor import DEFAULT_COOLDOWN_S, AnomalyMonitor
from cadml.ml.anomaly.trained import DetectorMetadata, TrainedDetector
from cadml.services.ml_anomaly.training import check_name

log = logging.getLogger(__name__)

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
