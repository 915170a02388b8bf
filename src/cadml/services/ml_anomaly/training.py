"""Training anomaly detectors from a device's stored history (see the package docstring)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import cadml
from cadml.errors import ConflictError, NotFoundError, ValidationError
from cadml.ml.anomaly import (
    CLI_NAMES,
    MIN_TRAINING_ROWS,
    BaseDetector,
    IqrDetector,
    RowAligner,
    align_frames,
    canonical_kind,
    make_detector,
)
from cadml.ml.anomaly.fields import check_fields, numeric_query, stored_fields
from cadml.ml.anomaly.trained import DetectorMetadata, TrainedDetector
from cadml.timeseries.port import Cursor, TimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key

if TYPE_CHECKING:
    from cadml.services.ml_anomaly.store import AnomalyModels

MAX_TRAINING_FRAMES = 1_000_000
"""Most frames one training or scoring run reads."""

_PAGE = 10_000
_SAMPLE_ROWS = 256
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

Progress = Callable[[str, int, int | None], None]
"""Progress callback: ``(stage, done, total or None)``; stages ``read``, ``fit``."""


def no_progress(stage: str, done: int, total: int | None) -> None:
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
    progress: Progress = no_progress,
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


def check_range(since: float | None, until: float | None) -> None:
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
    progress: Progress = no_progress,
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
    check_range(request.since, request.until)
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
