"""The live monitor: frames in, alert event frames out, one alert per excursion.

:class:`AnomalyMonitor` keeps, per watched device, a
:class:`~cadml.ml.anomaly.rows.RowAligner` (the same row rule as training), the last
``window`` rows and an :class:`~cadml.ml.anomaly.excursions.ExcursionGate` (hysteresis
and cool-down). It is pure logic: the caller feeds it frames and writes the alerts it
returns (the service's :func:`~cadml.services.ml_anomaly.attach_monitors` does both on
the ingest pipeline; ``replay`` and ``follow`` on the store).

Examples:
    >>> import numpy as np
    >>> from cadml.ml.anomaly.statistical import ZScoreDetector
    >>> from cadml.ml.anomaly.trained import EXAMPLE, DetectorMetadata, TrainedDetector
    >>> from cadml.twin.frame import TelemetryFrame
    >>> X = np.random.default_rng(0).normal(50.0, 1.0, (200, 1))
    >>> meta = DetectorMetadata.from_dict({**EXAMPLE, "device": "press-7"})
    >>> monitor = AnomalyMonitor(TrainedDetector(meta, ZScoreDetector().fit(X)), cooldown_s=0)
    >>> readings = [50.0, 50.2, 58.0, 59.0, 50.1, 50.0, 49.9, 57.5]
    >>> alerts = monitor.observe_many(
    ...     TelemetryFrame(float(t), "press-7", {"temperature": v}) for t, v in enumerate(readings))
    >>> [(a.timestamp, a.status["alert"]["rule_id"]) for a in alerts]
    [(2.0, 'anomaly:press-7-zscore'), (7.0, 'anomaly:press-7-zscore')]
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cadml.ml.anomaly.alerts import anomaly_alert_frame
from cadml.ml.anomaly.base import check_option
from cadml.ml.anomaly.excursions import DEFAULT_CLEAR_ROWS, ExcursionGate
from cadml.ml.anomaly.onnx_export import OnnxScorer, to_onnx
from cadml.ml.anomaly.rows import RowAligner
from cadml.ml.anomaly.trained import TrainedDetector
from cadml.twin.frame import TelemetryFrame, event_key

__all__ = ["DEFAULT_COOLDOWN_S", "ENGINES", "AnomalyMonitor"]

DEFAULT_COOLDOWN_S = 60.0
"""Least seconds between two alerts of one device and model, by default."""

ENGINES = ("auto", "python", "onnx")
"""What may score a monitor's rows (see :class:`AnomalyMonitor`)."""


@dataclass
class _DeviceWindow:
    aligner: RowAligner
    rows: deque[tuple[float, ...]]
    gate: ExcursionGate
    last_score: float = 0.0
    scored: int = 0


class AnomalyMonitor:
    """Scores live frames with a trained detector and raises alert event frames.

    For each watched device it keeps a :class:`~cadml.ml.anomaly.rows.RowAligner` (the
    same row rule as training), the last ``window`` rows and an
    :class:`~cadml.ml.anomaly.excursions.ExcursionGate`. Each new row is scored once it
    has a full window; when a row's score is above the threshold and no excursion is
    open (and the cool-down allows), :meth:`observe` returns the alert frame
    (:func:`~cadml.ml.anomaly.alerts.anomaly_alert_frame`): **one alert per excursion**;
    the excursion ends after ``clear_rows`` rows at or below the threshold. The caller
    writes the alert (store or pipeline). Cool-down and hysteresis use the rows' own
    timestamps, so replaying history gives the same alerts as live data did.

    State lives in memory: after a restart each device needs ``window`` rows again
    before it is scored. Thread-safe (one lock).

    Args:
        trained: the trained detector.
        clear_rows: normal rows in a row that end an excursion.
        cooldown_s: least time between two alerts of one device (row time).
        devices: the devices to watch; None watches only the detector's own device,
            ``"*"`` in the collection watches every device (a model trained on one
            machine applied to its siblings).
        engine: what scores the rows: ``"python"`` (the detector itself), ``"onnx"``
            (onnxruntime: the saved ONNX model, or one exported now), or ``"auto"``:
            onnxruntime when the detector was exported (``cadml ml anomaly export``),
            Python otherwise. For one row at a time onnxruntime is 8-40x cheaper for the
            learned detectors (:class:`~cadml.ml.anomaly.onnx_export.OnnxScorer`); its
            scores equal Python's to float32 rounding.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_OPTION`` for a bad option;
            ``ML_ANOMALY_EXPORT_UNSUPPORTED`` for ``engine="onnx"`` with z-score or IQR.
    """

    def __init__(
        self,
        trained: TrainedDetector,
        *,
        clear_rows: int = DEFAULT_CLEAR_ROWS,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        devices: Collection[str] | None = None,
        engine: str = "auto",
    ) -> None:
        ExcursionGate(clear_rows, cooldown_s)  # checks the options
        check_option("engine", engine, engine in ENGINES, "auto, python or onnx")
        model = trained.onnx
        if engine == "onnx" and model is None:
            model = to_onnx(trained.detector, trained.sample)
        self.engine = "onnx" if engine != "python" and model is not None else "python"
        self._score_one: Callable[[np.ndarray], float] = (
            OnnxScorer(model).score_one
            if self.engine == "onnx" and model is not None
            else trained.detector.score_one
        )
        self.trained = trained
        self.clear_rows = clear_rows
        self.cooldown_s = cooldown_s
        watched = {trained.metadata.device} if devices is None else set(devices)
        self._any = "*" in watched
        self._devices = frozenset(watched - {"*"})
        self._windows: dict[str, _DeviceWindow] = {}
        self._lock = threading.Lock()
        self.alerts = 0

    @property
    def name(self) -> str:
        """The trained detector's name."""
        return self.trained.metadata.name

    def watches(self, device_id: str) -> bool:
        """Whether frames of ``device_id`` are scored."""
        return self._any or device_id in self._devices

    def observe(self, frame: TelemetryFrame) -> TelemetryFrame | None:
        """Take one frame; returns the alert event frame it raises, or None."""
        if not self.watches(frame.device_id) or event_key(frame):
            return None
        with self._lock:
            state = self._window(frame.device_id)
            row = state.aligner.push(frame)
            if row is None:
                return None
            return self._score_row(frame.device_id, state, row)

    def observe_many(self, frames: Iterable[TelemetryFrame]) -> list[TelemetryFrame]:
        """:meth:`observe` each frame in order; returns the alerts raised."""
        return [alert for frame in frames if (alert := self.observe(frame)) is not None]

    def flush(self) -> list[TelemetryFrame]:
        """Close every device's open resampling bucket (end of a replay); returns alerts."""
        alerts = []
        with self._lock:
            for device, state in self._windows.items():
                row = state.aligner.flush()
                if row is not None:
                    alert = self._score_row(device, state, row)
                    if alert is not None:
                        alerts.append(alert)
        return alerts

    def status(self) -> dict[str, Any]:
        """Per device: rows scored, last score, whether an excursion is open, alerts and
        suppressed excursions."""
        with self._lock:
            return {
                device: {
                    "rows_scored": s.scored,
                    "last_score": s.last_score,
                    "in_excursion": s.gate.open,
                    "alerts": s.gate.alerts,
                    "suppressed": s.gate.suppressed,
                    "late_frames": s.aligner.late,
                }
                for device, s in self._windows.items()
            }

    def _window(self, device_id: str) -> _DeviceWindow:
        state = self._windows.get(device_id)
        if state is None:
            meta = self.trained.metadata
            state = _DeviceWindow(
                RowAligner(meta.fields, meta.resample_s),
                deque(maxlen=self.trained.detector.window),
                ExcursionGate(self.clear_rows, self.cooldown_s),
            )
            self._windows[device_id] = state
        return state

    def _score_row(self, device_id: str, state: _DeviceWindow, row: Any) -> TelemetryFrame | None:
        detector = self.trained.detector
        state.rows.append(row.values)
        if len(state.rows) < detector.window:
            return None
        score = self._score_one(np.asarray(state.rows))
        state.last_score = score
        state.scored += 1
        if not state.gate.update(row.timestamp, score > detector.threshold):
            return None
        self.alerts += 1
        meta = self.trained.metadata
        return anomaly_alert_frame(
            device_id,
            row.source_timestamp,
            meta.name,
            meta.kind,
            score,
            detector.threshold,
            float(meta.train_quantiles.get("max", detector.threshold)),
            dict(zip(meta.fields, row.values, strict=True)),
            row_timestamp=row.timestamp,
        )
