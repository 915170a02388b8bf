"""The ingest pipeline: a bounded queue, one writer thread, batched commits, backpressure.

Transports (MQTT, HTTP) :meth:`~IngestPipeline.submit` decoded frames; one writer thread
takes them from a bounded queue, gathers a batch (until ``batch_size`` frames or
``max_delay_s`` after the oldest waiting frame was queued, whichever comes first), writes
it with **one** ``store.write`` (one commit), and then tells every submitter of the batch
(its ``done`` callback) and the listeners (live updates, current state).

Guarantees:

* **Nothing is acknowledged before it is committed.** A ``done`` callback runs only after
  the commit of the batch holding its frames; a transport acknowledges then (MQTT PUBACK,
  HTTP 200), so a crash loses nothing the sender was told is stored.
* **Backpressure.** When the queue is full, :meth:`~IngestPipeline.submit` either blocks
  (MQTT: the network thread stops reading and the broker's inflight window throttles the
  publishers) or raises ``TWIN_INGEST_OVERLOADED`` (HTTP: 503 with Retry-After; counted as
  dropped with reason ``overloaded`` because the client must resend).
* **Store failures never lose frames**: the same batch is retried with capped exponential
  backoff, counting store errors; submitters are told only when it commits. Only
  :meth:`~IngestPipeline.stop` gives up (after its timeout): it fails the pending batches
  with ``TWIN_INGEST_STOPPED``, which a transport must not acknowledge.

Submissions are never split: a batch holds whole submissions, so it can exceed
``batch_size`` by one submission. Listeners run on the writer thread after each commit and
before the ``done`` callbacks (keep them fast: they delay the acknowledgements); a listener
that raises is logged and ignored.

Examples:
    >>> from cadml.timeseries.port import WriteResult
    >>> class ListStore:
    ...     name = "list"
    ...     def __init__(self): self.frames = []
    ...     def write(self, frames):
    ...         self.frames.extend(frames)
    ...         return WriteResult(len(frames))
    >>> store = ListStore()
    >>> pipeline = IngestPipeline(store, max_queue_frames=100, batch_size=10, max_delay_s=0.01)
    >>> pipeline.start()
    >>> pipeline.submit_wait([TelemetryFrame(1.0, "d", {"t": 2.0})], timeout_s=10)
    WriteResult(written=1, duplicates=0)
    >>> pipeline.stop()
    True
    >>> pipeline.counters().written
    1
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter as _Tally
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cadml.errors import ServiceUnavailableError
from cadml.timeseries.port import WriteResult
from cadml.twin.counters import IngestCounters, IngestMetrics
from cadml.twin.frame import DecodedBatch, Rejection, TelemetryFrame, TimeRule, decode_batch

__all__ = ["DoneCallback", "FrameWriter", "IngestPipeline", "Listener"]

_log = logging.getLogger(__name__)

DoneCallback = Callable[[WriteResult | BaseException], None]
"""Called once per submission: the batch's WriteResult after the commit, or the error."""

Listener = Callable[[list[TelemetryFrame]], None]
"""Called after every commit with the committed frames (duplicates included)."""


_SERVICE_INTERVAL_S = 0.25
"""How often a blocked submitter's ``while_blocked`` callback runs."""


class FrameWriter(Protocol):
    """The part of :class:`~cadml.timeseries.port.TimeSeriesStore` the pipeline uses."""

    name: str

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        """Store a batch in one commit (see the store port)."""
        ...


@dataclass(slots=True)
class _Submission:
    frames: list[TelemetryFrame]
    done: DoneCallback | None
    queued_at: float


@dataclass
class _Waiter:
    """The rendezvous of :meth:`IngestPipeline.submit_wait`."""

    event: threading.Event = field(default_factory=threading.Event)
    outcome: WriteResult | BaseException | None = None

    def __call__(self, outcome: WriteResult | BaseException) -> None:
        self.outcome = outcome
        self.event.set()


class IngestPipeline:
    """Bounded queue + single writer thread in front of a time-series store.

    Args:
        store: where frames go (any :class:`~cadml.timeseries.port.TimeSeriesStore`).
        max_queue_frames: capacity of the queue, in frames (``CADML_TWIN_QUEUE_FRAMES``).
        batch_size: frames per commit, at most (plus one submission).
        max_delay_s: longest wait for a batch to fill after its oldest frame was queued
            (``CADML_TWIN_BATCH_DELAY_MS`` / 1000).
        time_rule: the plausible-timestamp rule :meth:`decode` applies.
        retry_initial_s: first backoff after a store error; doubles per failure.
        retry_max_s: backoff cap.
        metrics: Prometheus instruments (a fresh registry when None).

    Raises:
        ValueError: a size or delay is not positive.
    """

    def __init__(
        self,
        store: FrameWriter,
        *,
        max_queue_frames: int = 200_000,
        batch_size: int = 5_000,
        max_delay_s: float = 0.02,
        time_rule: TimeRule | None = None,
        retry_initial_s: float = 0.05,
        retry_max_s: float = 2.0,
        metrics: IngestMetrics | None = None,
    ) -> None:
        if max_queue_frames < 1 or batch_size < 1 or max_delay_s <= 0:
            raise ValueError("max_queue_frames, batch_size and max_delay_s must be positive")
        self.store = store
        self.max_queue_frames = max_queue_frames
        self.batch_size = batch_size
        self.max_delay_s = max_delay_s
        self.time_rule = time_rule
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.metrics = metrics if metrics is not None else IngestMetrics.create()
        self._cond = threading.Condition()
        self._queue: deque[_Submission] = deque()
        self._depth = 0
        self._in_flight = 0
        self._accepting = False
        self._stopping = False
        self._abandon = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Listener] = []
        self._received = 0
        self._written = 0
        self._duplicates = 0
        self._dropped: _Tally[str] = _Tally()
        self._rejected: _Tally[str] = _Tally()
        self._batches = 0
        self._store_errors = 0
        self._last_commit_s = 0.0
        self._last_batch = 0

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread; submissions are accepted from now on.

        Raises:
            RuntimeError: the pipeline was already started.
        """
        with self._cond:
            if self._thread is not None:
                raise RuntimeError("the ingest pipeline was already started")
            self._accepting = True
            self._thread = threading.Thread(
                target=self._run, name=f"twin-ingest-writer-{self.store.name}", daemon=True
            )
        self._thread.start()

    def stop(self, drain: bool = True, timeout_s: float = 30.0) -> bool:
        """Stop accepting frames and stop the writer.

        Args:
            drain: commit everything queued first (otherwise queued frames are failed with
                ``TWIN_INGEST_STOPPED`` and counted as dropped, reason ``shutdown``).
            timeout_s: how long to wait for the writer (a failing store keeps retrying
                until then); after it, pending frames are failed and counted the same way.

        Returns:
            True when every accepted frame was committed.
        """
        with self._cond:
            self._accepting = False
            self._stopping = True
            abandoned = [] if drain else self._take_all()
            self._cond.notify_all()
        self._fail(abandoned, "stopped without draining")
        thread = self._thread
        if thread is None:
            return not abandoned
        thread.join(timeout_s)
        if thread.is_alive():
            self._abandon.set()
            with self._cond:
                self._cond.notify_all()
            thread.join(max(5.0, self.retry_max_s * 2))
        with self._cond:
            clean = not abandoned and not self._abandon.is_set()
            return clean and self._depth == 0 and self._in_flight == 0

    @property
    def running(self) -> bool:
        """Whether submissions are accepted."""
        return self._accepting

    # -- submitting -----------------------------------------------------------------------

    def decode(
        self, payload: bytes, *, device_id: str | None = None, now: float | None = None
    ) -> DecodedBatch:
        """Decode a payload with this pipeline's time rule (rejections are not counted).

        Args:
            payload: MsgPack or JSON bytes.
            device_id: the device the transport says sent it (URL or topic).
            now: the platform clock (default: ``time.time()``).
        """
        return decode_batch(
            payload,
            device_id=device_id,
            time_rule=self.time_rule,
            now=time.time() if now is None else now,
        )

    def submit(
        self,
        frames: list[TelemetryFrame],
        done: DoneCallback | None = None,
        *,
        block: bool = False,
        timeout_s: float | None = None,
        while_blocked: Callable[[], None] | None = None,
    ) -> None:
        """Queue frames for the next batch.

        Args:
            frames: good frames (already decoded and checked).
            done: called on the writer thread with the WriteResult of the batch holding
                these frames once it is committed, or with the exception when the pipeline
                gives up on them. Never called before the commit.
            block: wait for room when the queue is full (instead of raising).
            timeout_s: with ``block``, how long to wait (None: until there is room or the
                pipeline stops).
            while_blocked: with ``block``, called about every 0.25 s while the caller
                waits for room, without the pipeline's lock (an MQTT network thread sends
                its acks and keep-alive pings there, so the broker does not drop it).

        Raises:
            ServiceUnavailableError: ``TWIN_INGEST_OVERLOADED`` when the queue is full (and
                not blocking, or the wait timed out); ``TWIN_INGEST_STOPPED`` when the
                pipeline does not accept frames. ``done`` is not called then.
        """
        n = len(frames)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while True:
                if not self._accepting:
                    self._dropped["shutdown"] += n
                    self.metrics.dropped.labels("shutdown").inc(n)
                    raise ServiceUnavailableError(
                        "TWIN_INGEST_STOPPED", details={"reason": "not running", "frames": n}
                    )
                # A submission larger than the queue is let in when the queue is empty,
                # or it could never be accepted.
                if self._depth + n <= self.max_queue_frames or self._depth == 0:
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if not block or (remaining is not None and remaining <= 0):
                    self._dropped["overloaded"] += n
                    self.metrics.dropped.labels("overloaded").inc(n)
                    raise ServiceUnavailableError(
                        "TWIN_INGEST_OVERLOADED",
                        details={
                            "queue_depth": self._depth,
                            "capacity": self.max_queue_frames,
                            "frames": n,
                            "retry_after": max(1, round(self.max_delay_s * 10)),
                        },
                    )
                wait = _SERVICE_INTERVAL_S if while_blocked is not None else 0.5
                self._cond.wait(min(wait, remaining) if remaining is not None else wait)
                if while_blocked is not None and self._depth + n > self.max_queue_frames:
                    self._cond.release()
                    try:
                        while_blocked()
                    finally:
                        self._cond.acquire()
            was_empty = not self._queue
            self._queue.append(_Submission(frames, done, time.monotonic()))
            self._depth += n
            self._received += n
            # Wake the writer only when it has something new to do (a first frame, or a
            # full batch): waking it for every message costs a thread switch each.
            if was_empty or self._depth >= self.batch_size:
                self._cond.notify_all()
        self.metrics.received.inc(n)
        self.metrics.queue_depth.inc(n)

    def submit_wait(self, frames: list[TelemetryFrame], timeout_s: float = 30.0) -> WriteResult:
        """Submit and block the calling thread until the frames are committed.

        Returns:
            The counts for these frames: exact when their batch had no duplicates or held
            only them; otherwise the batch's duplicates are an upper bound for them.

        Raises:
            ServiceUnavailableError: ``TWIN_INGEST_OVERLOADED`` (queue full),
                ``TWIN_INGEST_STOPPED``, or ``TWIN_INGEST_TIMEOUT`` when the commit did not
                happen within ``timeout_s`` (the frames may still be committed later).
        """
        waiter = _Waiter()
        self.submit(frames, _PerSubmission(len(frames), waiter))
        if not waiter.event.wait(timeout_s):
            raise ServiceUnavailableError(
                "TWIN_INGEST_TIMEOUT", details={"frames": len(frames), "timeout_s": timeout_s}
            )
        outcome = waiter.outcome
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome is not None
        return outcome

    def count_rejections(self, rejections: Iterable[Rejection]) -> None:
        """Count bad frames by their reason code (they never enter the queue)."""
        tally = _Tally(r.code for r in rejections)
        if not tally:
            return
        with self._cond:
            self._rejected.update(tally)
        for code, n in tally.items():
            self.metrics.rejected.labels(code).inc(n)

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(frames)`` on the writer thread after every commit."""
        with self._cond:
            self._listeners.append(fn)

    def counters(self) -> IngestCounters:
        """A snapshot of the counters."""
        with self._cond:
            return IngestCounters(
                received=self._received,
                written=self._written,
                duplicates=self._duplicates,
                dropped=dict(self._dropped),
                rejected=dict(self._rejected),
                queue_depth=self._depth,
                in_flight=self._in_flight,
                batches=self._batches,
                store_errors=self._store_errors,
                last_commit_s=self._last_commit_s,
                last_batch_frames=self._last_batch,
            )

    # -- the writer -----------------------------------------------------------------------

    def _take_all(self) -> list[_Submission]:
        taken = list(self._queue)
        self._queue.clear()
        self._depth = 0
        self.metrics.queue_depth.set(0)
        return taken

    def _fail(self, submissions: list[_Submission], reason: str) -> None:
        frames = sum(len(s.frames) for s in submissions)
        if not frames and not submissions:
            return
        with self._cond:
            self._dropped["shutdown"] += frames
        self.metrics.dropped.labels("shutdown").inc(frames)
        error = ServiceUnavailableError(
            "TWIN_INGEST_STOPPED", details={"reason": reason, "frames": frames}
        )
        for sub in submissions:
            self._notify(sub.done, error)

    @staticmethod
    def _notify(done: DoneCallback | None, outcome: WriteResult | BaseException) -> None:
        if done is None:
            return
        try:
            done(outcome)
        except Exception:
            _log.exception("an ingest completion callback failed")

    def _next_batch(self) -> list[_Submission] | None:
        """Wait for a batch; None when the pipeline stops with an empty queue."""
        with self._cond:
            while not self._queue:
                if self._stopping:
                    return None
                self._cond.wait()
            deadline = self._queue[0].queued_at + self.max_delay_s
            while self._depth < self.batch_size and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch: list[_Submission] = []
            frames = 0
            queue = self._queue
            while queue and (not batch or frames + len(queue[0].frames) <= self.batch_size):
                sub = queue.popleft()
                batch.append(sub)
                frames += len(sub.frames)
            self._depth -= frames
            self._in_flight = frames
            self._cond.notify_all()  # room for blocked submitters
        self.metrics.queue_depth.dec(frames)
        return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            frames = [f for sub in batch for f in sub.frames]
            result = self._commit(frames)
            if result is None:  # abandoned by stop()
                with self._cond:
                    self._in_flight = 0
                    rest = self._take_all()
                self._fail(batch + rest, "the store did not accept the batch before shutdown")
                return
            # Listeners first, so a submitter told "committed" also finds the current
            # state updated (read your own write).
            for listener in list(self._listeners):
                try:
                    listener(frames)
                except Exception:
                    _log.exception("an ingest listener failed")
            for sub in batch:
                self._notify(sub.done, result)

    def _commit(self, frames: list[TelemetryFrame]) -> WriteResult | None:
        delay = self.retry_initial_s
        while True:
            started = time.perf_counter()
            try:
                result = self.store.write(frames)
            except Exception as exc:
                with self._cond:
                    self._store_errors += 1
                self.metrics.store_errors.inc()
                _log.warning(
                    "store %s failed to write %d frames (retry in %.2f s): %s",
                    self.store.name,
                    len(frames),
                    delay,
                    exc,
                )
                if self._abandon.wait(delay):
                    return None
                delay = min(delay * 2, self.retry_max_s)
                continue
            elapsed = time.perf_counter() - started
            with self._cond:
                self._written += result.written
                self._duplicates += result.duplicates
                self._batches += 1
                self._last_commit_s = elapsed
                self._last_batch = len(frames)
                self._in_flight = 0
            self.metrics.written.inc(result.written)
            self.metrics.duplicates.inc(result.duplicates)
            self.metrics.batches.inc()
            self.metrics.commit_seconds.observe(elapsed)
            self.metrics.batch_frames.observe(len(frames))
            return result


class _PerSubmission:
    """Turns the batch's WriteResult into one submission's counts for ``submit_wait``."""

    def __init__(self, frames: int, waiter: _Waiter) -> None:
        self.frames = frames
        self.waiter = waiter

    def __call__(self, outcome: WriteResult | BaseException) -> None:
        if isinstance(outcome, WriteResult):
            if outcome.written + outcome.duplicates == self.frames:
                pass  # the batch held only these frames: exact
            elif outcome.duplicates == 0:
                outcome = WriteResult(self.frames, 0)
            else:
                dup = min(self.frames, outcome.duplicates)
                outcome = WriteResult(self.frames - dup, dup)
        self.waiter(outcome)
