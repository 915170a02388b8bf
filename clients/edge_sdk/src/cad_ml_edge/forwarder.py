"""The forwarder: drains the durable queue into an uplink, at least once and in order.

Each cycle (:meth:`Forwarder.run_once`) peeks segments, picks a batch, sends it and
acknowledges the segments only after the uplink confirmed them; a crash in between sends
them again, and the platform dedups on ``(device_id, timestamp)``.

Which segments make a batch:

* **Priority first.** Critical segments go before any high, normal or low ones, so live
  critical data overtakes a normal backlog as soon as it is enqueued.
* **Round-robin across streams within a priority.** One segment of each stream in turn,
  starting after the stream served last, so a big backlog of one stream cannot starve
  another stream of the same priority. Each stream's segments stay in order.
* **Limits.** At most ``max_batch_segments`` segments and ``max_batch_bytes`` payload
  bytes; with ``bandwidth_bytes_per_s`` a token bucket (``burst_s`` seconds deep) caps
  the bytes per cycle, spent in priority order. One segment is always allowed when there
  are tokens at all, so a segment larger than the bucket still goes (as debt).

Where segments come from: every cycle peeks each non-empty stream (the names and depths
of ``queue.status().streams``) for its oldest segments, so a stream's live data is a
candidate even behind another stream's backlog of any length.

Failures: :class:`~cad_ml_edge.errors.UplinkError` marks the uplink offline and schedules
the next attempt with full-jitter exponential backoff (at least the platform's
``Retry-After``). A batch the platform refuses for good is resent one segment at a time;
a segment refused alone is dropped, counted as ``rejected`` and handed to ``on_reject``
(to quarantine it); so is a record that is not a valid telemetry frame. Nothing is
retried forever.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from cad_ml_edge.errors import EdgeError, UplinkError, WireError
from cad_ml_edge.queue import Segment
from cad_ml_edge.uplink.backoff import Backoff
from cad_ml_edge.uplink.base import Uplink
from cad_ml_edge.wire import TelemetryFrame, decode_frames, encode_frames

__all__ = ["ForwardQueue", "Forwarder", "RejectCallback", "plan_batch"]

log = logging.getLogger("cad_ml_edge.forwarder")

RejectCallback = Callable[[Segment, EdgeError], None]
"""Called with a segment (holding only the dropped records) and why it was dropped."""


class ForwardQueue(Protocol):
    """What the forwarder needs of :class:`~cad_ml_edge.queue.DurableQueue`."""

    def peek(
        self, max_segments: int = 1, max_bytes: int | None = None, stream: str | None = None
    ) -> list[Segment]:
        """One stream's oldest segments, without removing them."""
        ...

    def ack(self, segment_ids: Iterable[int]) -> int:
        """Remove delivered segments."""
        ...

    def status(self) -> Any:
        """A snapshot whose ``streams`` maps stream name to stored records."""
        ...


def _log_reject(segment: Segment, error: EdgeError) -> None:
    log.error(
        "dropped %d record(s) of stream %r (segment %d): %s",
        len(segment.records),
        segment.stream,
        segment.id,
        error.message(),
    )


def plan_batch(
    candidates: Iterable[Segment],
    cursor: dict[int, str],
    *,
    max_segments: int,
    max_bytes: float,
) -> list[Segment]:
    """Pick the next batch: priority first, round-robin across streams, within limits.

    Args:
        candidates: segments in queue order (each stream's oldest first).
        cursor: per priority, the stream served last; updated in place.
        max_segments: at most this many segments.
        max_bytes: stop before the payloads exceed this (the first segment always goes).

    Returns:
        The batch, in sending order; each stream's segments keep their order.

    Examples:
        >>> def seg(i, stream, prio):
        ...     return Segment(i, stream, prio, [b"x" * 10], i, i, 0.0)
        >>> queued = [seg(1, "a", 2), seg(2, "a", 2), seg(3, "a", 2), seg(4, "b", 2),
        ...           seg(5, "alarm", 0)]
        >>> cursor = {}
        >>> [s.id for s in plan_batch(queued, cursor, max_segments=4, max_bytes=1e9)]
        [5, 1, 4, 2]
        >>> cursor
        {0: 'alarm', 2: 'a'}
        >>> [s.id for s in plan_batch(queued, cursor, max_segments=2, max_bytes=25)]
        [5, 4]
    """
    lanes: dict[int, dict[str, deque[Segment]]] = {}
    for segment in candidates:
        lanes.setdefault(int(segment.priority), {}).setdefault(segment.stream, deque())
        lanes[int(segment.priority)][segment.stream].append(segment)
    batch: list[Segment] = []
    used = 0
    for priority in sorted(lanes):
        streams = sorted(lanes[priority])
        start = bisect.bisect_right(streams, cursor.get(priority, ""))
        queues = [lanes[priority][s] for s in streams[start:] + streams[:start]]
        while queues:
            for lane in list(queues):
                segment = lane[0]
                size = segment.nbytes
                if batch and (len(batch) >= max_segments or used + size > max_bytes):
                    return batch
                batch.append(lane.popleft())
                used += size
                cursor[priority] = segment.stream
                if not lane:
                    queues.remove(lane)
    return batch


@dataclass
class _Encoded:
    """A planned batch, decoded and re-encoded as one MsgPack list."""

    payload: bytes
    records: dict[int, int] = field(default_factory=dict)  # segment id -> valid records
    invalid: dict[int, tuple[list[bytes], WireError]] = field(default_factory=dict)


def _encode(segments: Sequence[Segment]) -> _Encoded:
    frames: list[TelemetryFrame] = []
    encoded = _Encoded(b"")
    for segment in segments:
        valid = 0
        for record in segment.records:
            try:
                frames.extend(decode_frames(record))
            except WireError as exc:
                bad, _ = encoded.invalid.setdefault(segment.id, ([], exc))
                bad.append(record)
            else:
                valid += 1
        encoded.records[segment.id] = valid
    encoded.payload = encode_frames(frames) if frames else b""
    return encoded


class Forwarder:
    """Drains ``queue`` into ``uplink``; see the module docstring for the policy.

    Args:
        queue: a :class:`~cad_ml_edge.queue.DurableQueue` (or anything with its
            ``peek``/``ack``/``status``).
        uplink: where batches go (:class:`~cad_ml_edge.uplink.http.HttpUplink`,
            :class:`~cad_ml_edge.uplink.mqtt.MqttUplink`).
        device_id: the device being drained (for status and logs).
        max_batch_segments: at most this many segments per batch.
        max_batch_bytes: at most this many payload bytes per batch (one segment always).
        bandwidth_bytes_per_s: average uplink budget; None for no cap.
        burst_s: depth of the bandwidth bucket, in seconds of budget.
        backoff: retry schedule (default: full jitter from 0.5 s up to 60 s on ``clock``).
        clock: monotonic seconds; the backoff should use the same clock.
        sleep: how :meth:`run` waits; default waits on its stop event (stops promptly).
        idle_s: how long :meth:`run` waits when the queue is empty.
        on_reject: receives records dropped for good (default: logs them).
    """

    def __init__(
        self,
        queue: ForwardQueue,
        uplink: Uplink,
        *,
        device_id: str,
        max_batch_segments: int = 32,
        max_batch_bytes: int = 1024 * 1024,
        bandwidth_bytes_per_s: float | None = None,
        burst_s: float = 1.0,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        idle_s: float = 0.1,
        on_reject: RejectCallback = _log_reject,
    ) -> None:
        if max_batch_segments < 1 or max_batch_bytes < 1 or idle_s <= 0 or burst_s <= 0:
            raise ValueError("batch limits, idle_s and burst_s must be positive")
        if bandwidth_bytes_per_s is not None and bandwidth_bytes_per_s <= 0:
            raise ValueError("bandwidth_bytes_per_s must be positive or None")
        self.queue = queue
        self.uplink = uplink
        self.device_id = device_id
        self.max_batch_segments = max_batch_segments
        self.max_batch_bytes = max_batch_bytes
        self.backoff = backoff or Backoff(clock=clock)
        self.idle_s = idle_s
        self._clock = clock
        self._sleep = sleep
        self._on_reject = on_reject
        self._cursor: dict[int, str] = {}
        self._rate = bandwidth_bytes_per_s
        self._capacity = math.inf if self._rate is None else self._rate * burst_s
        self._tokens = self._capacity
        self._refilled_at = clock()
        self._lock = threading.Lock()
        self.online: bool | None = None
        self.last_error: str | None = None
        self.delivered = 0
        self.rejected = 0
        self.batches = 0
        self.bytes_sent = 0

    # ----------------------------------------------------------------- status
    def status(self) -> dict[str, Any]:
        """The uplink's state as plain data (JSON-serialisable).

        ``online`` is None until the first attempt; ``next_retry_at`` is on the
        forwarder's clock and ``retry_in_s`` is relative to now.
        """
        with self._lock:
            return {
                "device_id": self.device_id,
                "online": self.online,
                "last_error": self.last_error,
                "consecutive_failures": self.backoff.attempts,
                "delivered": self.delivered,
                "rejected": self.rejected,
                "batches": self.batches,
                "bytes_sent": self.bytes_sent,
                "next_retry_at": self.backoff.next_at,
                "retry_in_s": self.backoff.remaining(),
            }

    # ----------------------------------------------------------------- cycle
    def _candidates(self) -> list[Segment]:
        segments: list[Segment] = []
        for stream, depth in sorted(self.queue.status().streams.items()):
            if depth:
                segments += self.queue.peek(
                    max_segments=self.max_batch_segments,
                    max_bytes=self.max_batch_bytes,
                    stream=stream,
                )
        return segments

    def _refill(self) -> float:
        if self._rate is None:
            return math.inf
        now = self._clock()
        elapsed = max(0.0, now - self._refilled_at)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._refilled_at = now
        return self._tokens

    def run_once(self) -> int:
        """One cycle: peek, pick, send, acknowledge.

        Does nothing while a backoff is pending or the bandwidth budget is spent.

        Returns:
            Records delivered in this cycle (0 when idle, waiting or failing).

        Raises:
            EdgeError: the queue failed (storage); uplink failures are handled here.
        """
        if self.backoff.remaining() > 0:
            return 0
        budget = self._refill()
        if budget <= 0:
            return 0
        batch = plan_batch(
            self._candidates(),
            self._cursor,
            max_segments=self.max_batch_segments,
            max_bytes=min(self.max_batch_bytes, budget),
        )
        if not batch:
            return 0
        before = self.delivered
        try:
            answered = self._deliver(batch)
        except UplinkError as exc:
            self._failed(exc, offline=True)
        else:
            if answered:  # not when only invalid records were dropped
                self._succeeded()
        return self.delivered - before

    def _deliver(self, batch: Sequence[Segment]) -> bool:
        """Send, acknowledge, drop what is refused; True when the platform answered."""
        encoded = _encode(batch)
        if encoded.payload:
            if self._rate is not None:
                self._tokens -= len(encoded.payload)
            result = self.uplink.send(encoded.payload)
            if not result.accepted:
                if len(batch) > 1:  # find the culprit: resend one segment at a time
                    for segment in batch:
                        self._deliver([segment])
                    return True
                self._drop(batch[0], batch[0].records, cast(EdgeError, result.error))
                return True
            with self._lock:
                self.batches += 1
                self.bytes_sent += len(encoded.payload)
        self.queue.ack([s.id for s in batch])
        with self._lock:
            self.delivered += sum(encoded.records.values())
        for segment_id, (records, error) in encoded.invalid.items():
            segment = next(s for s in batch if s.id == segment_id)
            self._drop(segment, records, error, ack=False)
        return bool(encoded.payload)

    def _drop(
        self, segment: Segment, records: list[bytes], error: EdgeError, *, ack: bool = True
    ) -> None:
        if ack:
            self.queue.ack([segment.id])
        with self._lock:
            self.rejected += len(records)
        self._on_reject(replace(segment, records=list(records)), error)

    def _succeeded(self) -> None:
        with self._lock:
            if self.online is False:
                log.info(
                    "uplink for %s is back after %d failure(s)",
                    self.device_id,
                    self.backoff.attempts,
                )
            self.online = True
            self.last_error = None
            self.backoff.success()

    def _failed(self, exc: Exception, *, offline: bool) -> None:
        retry_after = exc.details.get("retry_after") if isinstance(exc, EdgeError) else None
        with self._lock:
            if offline:
                if self.online is not False:
                    log.warning("uplink for %s is offline: %s", self.device_id, exc)
                self.online = False
            self.last_error = str(exc)
            delay = self.backoff.failure(retry_after)
        log.debug("next attempt in %.2f s", delay)

    # ------------------------------------------------------------------- loop
    def _idle_delay(self) -> float:
        pending = self.backoff.remaining()
        if pending > 0:
            return pending
        if self._rate is not None and self._tokens <= 0:
            return (1.0 - self._tokens) / self._rate
        return self.idle_s

    def run(self, stop_event: threading.Event) -> None:
        """Forward until ``stop_event`` is set, then close the uplink.

        A queue failure is logged and retried with the same backoff; it never ends the
        loop.
        """
        try:
            while not stop_event.is_set():
                progress = self.delivered + self.rejected
                try:
                    self.run_once()
                except Exception as exc:  # the queue's storage: keep forwarding later
                    log.exception("forwarder cycle failed")
                    self._failed(exc, offline=False)
                if self.delivered + self.rejected == progress:
                    delay = self._idle_delay()
                    if self._sleep is None:
                        stop_event.wait(delay)
                    else:
                        self._sleep(delay)
        finally:
            self.uplink.close()
