"""Scoring a stored range with a trained detector: scores and anomalous intervals."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cadml.errors import NotFoundError
from cadml.ml.anomaly import (
    DEFAULT_CLEAR_ROWS,
    AnomalyInterval,
    align_frames,
    anomalous_intervals,
)
from cadml.ml.anomaly.fields import numeric_query
from cadml.ml.anomaly.trained import TrainedDetector
from cadml.services.ml_anomaly.training import (
    MAX_TRAINING_FRAMES,
    Progress,
    check_range,
    no_progress,
    read_history,
)
from cadml.timeseries.port import TimeSeriesStore

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
    progress: Progress = no_progress,
) -> ScoreReport:
    """Score a device's stored range (default: the detector's device) and find the
    anomalous intervals.

    Raises:
        NotFoundError: ``ML_ANOMALY_UNKNOWN_DEVICE``.
    """
    meta = trained.metadata
    device = device or meta.device
    check_range(since, until)
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
