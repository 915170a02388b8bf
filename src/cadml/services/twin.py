"""Use cases of the digital twin: HTTP ingest, history, aggregates, current state, retention.

Ingest over HTTP is all-or-nothing per request: a payload with any bad frame is refused
with the first frame's reason code and a list of every rejection, and nothing of it is
written (the client keeps its data and can fix it). Accepted frames are acknowledged only
after the store has committed them. Reads go straight to the time-series store, so they
see what every ingestor process (HTTP or ``cadml ingest``) has committed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cadml.db.devices import DeviceRepository
from cadml.errors import NotFoundError, ValidationError
from cadml.timeseries.port import AggregatePoint, Cursor, DeviceState, TimeSeriesStore
from cadml.twin.devices import RetentionPolicy, presence
from cadml.twin.frame import Rejection, TelemetryFrame, event_key
from cadml.twin.pipeline import IngestPipeline
from cadml.twin.query import (
    MAX_HISTORY_LIMIT,
    MAX_WINDOWS,
    check_fn,
    check_range,
    field_name,
)

__all__ = ["HistoryPage", "IngestReceipt", "StateView", "TwinService"]

_MAX_LISTED_REJECTIONS = 20


@dataclass(frozen=True, slots=True)
class IngestReceipt:
    """What an accepted ingest request committed."""

    accepted: int
    written: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """A page of history, newest first, and the cursor of the next (older) page."""

    frames: list[TelemetryFrame]
    next_cursor: Cursor | None


@dataclass(frozen=True, slots=True)
class StateView:
    """A device's current state with its presence (online/offline/never_seen)."""

    device_id: str
    presence: str
    heartbeat_timeout_s: float
    state: DeviceState | None
    registered: bool


class TwinService:
    """The twin's read and HTTP-ingest use cases.

    Args:
        store: the time-series store.
        pipeline: the ingest pipeline in front of it (started by the composition root).
        devices: the device registry (for state and retention).
        heartbeat_timeout_s: a device is offline after this long without a frame.
        max_payload_bytes: largest accepted HTTP ingest body.
        commit_timeout_s: longest an HTTP ingest waits for its commit.
        retention_by_type: ``{type: (raw_days, rollup_days)}`` defaults per device type.
        retention_default: the platform default ``(raw_days, rollup_days)``.
    """

    def __init__(
        self,
        store: TimeSeriesStore,
        pipeline: IngestPipeline,
        devices: DeviceRepository,
        *,
        heartbeat_timeout_s: float = 60.0,
        max_payload_bytes: int = 4 * 1024 * 1024,
        commit_timeout_s: float = 30.0,
        retention_by_type: Mapping[str, tuple[float | None, float | None]] | None = None,
        retention_default: tuple[float | None, float | None] = (None, None),
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.devices = devices
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.max_payload_bytes = max_payload_bytes
        self.commit_timeout_s = commit_timeout_s
        self.retention_by_type = dict(retention_by_type or {})
        self.retention_default = retention_default

    # -- ingest -------------------------------------------------------------------------

    def ingest(self, device_id: str, payload: bytes, *, now: float | None = None) -> IngestReceipt:
        """Decode, check and commit one HTTP payload (one frame or a batch).

        Raises:
            ValidationError: ``TWIN_FRAME_TOO_LARGE`` or the first bad frame's
                ``TWIN_FRAME_*`` code, with ``rejections`` listing every bad frame;
                nothing is written then.
            ServiceUnavailableError: ``TWIN_INGEST_OVERLOADED`` (retry later),
                ``TWIN_INGEST_TIMEOUT`` or ``TWIN_INGEST_STOPPED``.
        """
        if len(payload) > self.max_payload_bytes:
            self.pipeline.count_rejections(
                [Rejection("TWIN_FRAME_TOO_LARGE", f"{len(payload)} bytes")]
            )
            raise ValidationError(
                "TWIN_FRAME_TOO_LARGE",
                details={"size": len(payload), "limit": self.max_payload_bytes},
            )
        decoded = self.pipeline.decode(payload, device_id=device_id, now=now)
        if decoded.rejections:
            self.pipeline.count_rejections(decoded.rejections)
            first = decoded.rejections[0]
            raise ValidationError(
                first.code,
                details={
                    "index": first.index,
                    "detail": first.detail,
                    "rejected": len(decoded.rejections),
                    "accepted": 0,
                    "rejections": [
                        {"index": r.index, "code": r.code, "detail": r.detail}
                        for r in decoded.rejections[:_MAX_LISTED_REJECTIONS]
                    ],
                },
            )
        result = self.pipeline.submit_wait(decoded.frames, timeout_s=self.commit_timeout_s)
        return IngestReceipt(len(decoded.frames), result.written, result.duplicates)

    # -- reads --------------------------------------------------------------------------

    def history(
        self,
        device_id: str,
        *,
        start: float | None = None,
        stop: float | None = None,
        limit: int = 100,
        fields: Sequence[str] | None = None,
        cursor: Cursor | None = None,
    ) -> HistoryPage:
        """A page of a device's frames, newest first.

        Raises:
            ValidationError: ``TWIN_QUERY_INVALID``.
        """
        check_range(start, stop)
        if not 1 <= limit <= MAX_HISTORY_LIMIT:
            raise ValidationError(
                "TWIN_QUERY_INVALID",
                details={"field": "limit", "reason": f"must be 1-{MAX_HISTORY_LIMIT}"},
            )
        names = None if fields is None else [field_name(f) for f in fields]
        frames = self.store.history(
            device_id, start=start, stop=stop, limit=limit + 1, fields=names, before=cursor
        )
        more = len(frames) > limit
        frames = frames[:limit]
        next_cursor = None
        if more and frames:
            last = frames[-1]
            next_cursor = Cursor(last.timestamp, event_key(last))
        return HistoryPage(frames, next_cursor)

    def aggregate(
        self,
        field: str,
        *,
        window_s: float,
        fn: str,
        start: float,
        stop: float,
        device_id: str | None = None,
    ) -> list[AggregatePoint]:
        """Windows of ``fn`` over one numeric field.

        Raises:
            ValidationError: ``TWIN_QUERY_INVALID`` (also for more than
                :data:`~cadml.twin.query.MAX_WINDOWS` windows).
        """
        check_fn(fn)
        check_range(start, stop)
        if (stop - start) / window_s > MAX_WINDOWS:
            raise ValidationError(
                "TWIN_QUERY_INVALID",
                details={
                    "field": "window",
                    "reason": f"{(stop - start) / window_s:.0f} windows; at most {MAX_WINDOWS}",
                },
            )
        return self.store.aggregate(
            field_name(field),
            window_s=window_s,
            fn=fn,
            start=start,
            stop=stop,
            device_id=device_id,
        )

    def state(self, device_id: str, *, now: float | None = None) -> StateView:
        """The device's last values and presence.

        Raises:
            NotFoundError: ``NOT_FOUND_DEVICE`` when the device is neither registered nor
                has any data.
        """
        registered = self.devices.get(device_id) is not None
        state = self.store.state(device_id)
        if state is None and not registered:
            raise NotFoundError("NOT_FOUND_DEVICE", details={"device_id": device_id})
        clock = time.time() if now is None else now
        seen = None if state is None else state.last_seen
        return StateView(
            device_id,
            presence(seen, clock, self.heartbeat_timeout_s),
            self.heartbeat_timeout_s,
            state,
            registered,
        )

    # -- retention ----------------------------------------------------------------------

    def apply_retention(self, *, now: float | None = None) -> dict[str, int]:
        """Apply every registered device's retention; returns raw frames deleted per device."""
        clock = time.time() if now is None else now
        deleted: dict[str, int] = {}
        offset = 0
        while True:
            page, total = self.devices.list(limit=500, offset=offset)
            for device in page:
                policy = RetentionPolicy.resolve(
                    (device.retention_raw_days, device.retention_rollup_days),
                    self.retention_by_type.get(device.type),
                    self.retention_default,
                )
                raw_before, rollup_before = policy.cutoffs(clock)
                if raw_before is None and rollup_before is None:
                    continue
                deleted[device.id] = self.store.delete_before(
                    device.id, raw_before=raw_before, rollup_before=rollup_before
                )
            offset += len(page)
            if not page or offset >= total:
                return deleted
