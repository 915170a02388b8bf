"""A trained detector as data: its metadata (``detector.json``) and its fitted parts.

:class:`DetectorMetadata` is everything about a trained detector except its state: the
device and fields it learned, the training range, rows and frames, the row rule
(resampling), the sensitivity, threshold and training-score quantiles, the options,
timings, versions, and the sha256 of each saved file. :class:`TrainedDetector` puts it
together with the fitted detector, the last training rows (for export checks) and, once
exported, the ONNX model. Reading and writing the files is the service's business
(:mod:`cadml.services.ml_anomaly`).

Examples:
    >>> meta = DetectorMetadata.from_dict({**EXAMPLE, "fields": ["sensors.t"]})
    >>> meta.fields, DetectorMetadata.from_dict(meta.to_dict()) == meta
    (('sensors.t',), True)
    >>> DetectorMetadata.from_dict({**EXAMPLE, "format_version": 9})
    Traceback (most recent call last):
    ...
    cadml.errors.ValidationError: ML_ANOMALY_STATE_INVALID: The saved state of the saved \
detector cannot be used: detector.json: format version 9
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.anomaly.base import BaseDetector
from cadml.ml.anomaly.onnx_export import OnnxModel

__all__ = ["EXAMPLE", "FORMAT_VERSION", "DetectorMetadata", "TrainedDetector"]

FORMAT_VERSION = 1
"""Version of the saved detector layout."""


@dataclass(frozen=True)
class DetectorMetadata:
    """``detector.json``: everything about a trained detector except its state."""

    name: str
    kind: str
    device: str
    fields: tuple[str, ...]
    since: float | None
    until: float | None
    first_timestamp: float
    last_timestamp: float
    rows: int
    frames: int
    late_frames: int
    resample_s: float | None
    window: int
    sensitivity: float
    threshold: float
    train_quantiles: dict[str, float]
    params: dict[str, Any]
    fit_seconds: float
    read_seconds: float
    created_at: str
    cadml_version: str
    files: dict[str, str]
    format_version: int = FORMAT_VERSION
    onnx: dict[str, Any] | None = None
    """Set by an ONNX export (:meth:`cadml.services.ml_anomaly.AnomalyModels.export_onnx`):
    exporter, input name, window and the parity with Python."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        data = asdict(self)
        data["fields"] = list(self.fields)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorMetadata:
        """Read ``detector.json``'s data.

        Raises:
            ValidationError: ``ML_ANOMALY_STATE_INVALID``.
        """
        try:
            if data.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format version {data.get('format_version')!r}")
            values = {**data, "fields": tuple(data["fields"])}
            return cls(**values)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": "saved", "reason": f"detector.json: {exc}"},
            ) from None


@dataclass
class TrainedDetector:
    """A fitted detector, its metadata, its last training rows and, once exported, its
    ONNX model (which a monitor scores with: much faster per row)."""

    metadata: DetectorMetadata
    detector: BaseDetector
    sample: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    onnx: OnnxModel | None = None

    @property
    def name(self) -> str:
        """The detector's name."""
        return self.metadata.name


EXAMPLE: dict[str, Any] = {
    "name": "press-7-zscore",
    "kind": "zscore",
    "device": "press-7",
    "fields": ["sensors.temperature"],
    "since": None,
    "until": None,
    "first_timestamp": 0.0,
    "last_timestamp": 99.0,
    "rows": 100,
    "frames": 100,
    "late_frames": 0,
    "resample_s": None,
    "window": 1,
    "sensitivity": 0.05,
    "threshold": 0.5,
    "train_quantiles": {"max": 0.5},
    "params": {},
    "fit_seconds": 0.0,
    "read_seconds": 0.0,
    "created_at": "2025-01-01T00:00:00+00:00",
    "cadml_version": "0.1.0",
    "files": {},
    "format_version": FORMAT_VERSION,
}
"""A complete ``detector.json`` content (documentation and tests)."""
