"""Job progress: the event, the bus port, and the embedded in-process bus.

Workers publish :class:`ProgressEvent` objects; API processes replay and stream them to
clients (Server-Sent Events). The bus gives each event an ``id`` of the form
``"<milliseconds>-<sequence>"`` (the shape of a Redis stream id) that increases per job,
so a client that reconnects with ``Last-Event-ID`` gets exactly the events it missed.
Compare ids with :func:`parse_event_id`, never as strings.

Every implementation behaves as the contract suite in ``tests/contract/progress`` says:
``subscribe`` first replays the history after ``after_id``, then streams live events,
and ends after a terminal event (``succeeded``, ``failed`` or ``cancelled``).

Examples:
    >>> import asyncio
    >>> bus = InMemoryProgressBus()
    >>> first = bus.publish(ProgressEvent("j1", "running", 50.0, "mesh", "", 1.0))
    >>> done = bus.publish(ProgressEvent("j1", "succeeded", 100.0, "done", "", 2.0))
    >>> parse_event_id(first.id) < parse_event_id(done.id)
    True
    >>> async def statuses():
    ...     return [e.status async for e in bus.subscribe("j1")]
    >>> asyncio.run(statuses())
    ['running', 'succeeded']
    >>> [e.status for e in bus.history("j1", after_id=first.id)]
    ['succeeded']
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from cadml.errors import ValidationError

__all__ = [
    "STATUSES",
    "TERMINAL_STATUSES",
    "InMemoryProgressBus",
    "ProgressBus",
    "ProgressEvent",
    "format_event_id",
    "parse_event_id",
]

STATUSES: tuple[str, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
"""Every job status, in lifecycle order."""

TERMINAL_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
"""Statuses after which a job publishes nothing more."""

_ID_RE = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?")


def parse_event_id(event_id: str) -> tuple[int, int]:
    """Split an event id into ``(milliseconds, sequence)``, which compare in event order.

    ``"17"`` means ``"17-0"``, as in Redis.

    Args:
        event_id: an id assigned by a bus, e.g. a ``Last-Event-ID`` header.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` for anything else.

    Examples:
        >>> parse_event_id("1700000000000-9") < parse_event_id("1700000000000-10")
        True
    """
    match = _ID_RE.fullmatch(event_id) if isinstance(event_id, str) else None
    if match is None:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "Last-Event-ID", "reason": f"not an event id: {event_id!r}"},
        )
    return int(match.group(1)), int(match.group(2) or 0)


def format_event_id(key: tuple[int, int]) -> str:
    """The canonical text of a parsed id: ``(17, 0)`` becomes ``"17-0"``."""
    return f"{key[0]}-{key[1]}"


def _invalid(field_name: str, reason: str) -> ValidationError:
    return ValidationError(
        "VALIDATION_INVALID_VALUE", details={"field": field_name, "reason": reason}
    )


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report of one job.

    Args:
        job_id: the job it belongs to.
        status: one of :data:`STATUSES`.
        progress_pct: percent done, 0 to 100.
        step: a short machine-readable step name, e.g. ``"export_step"``.
        message: human-readable text.
        timestamp: when it happened, in Unix seconds.
        id: assigned by the bus on publish; empty before.

    Raises:
        ValidationError: for an unknown status or a percentage outside 0..100.
    """

    job_id: str
    status: str
    progress_pct: float
    step: str
    message: str
    timestamp: float
    id: str = ""

    def __post_init__(self) -> None:
        if not self.job_id:
            raise _invalid("job_id", "must not be empty")
        if self.status not in STATUSES:
            raise _invalid("status", f"{self.status!r} is not one of {', '.join(STATUSES)}")
        pct = self.progress_pct
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 <= pct <= 100:
            raise ValidationError(
                "VALIDATION_RANGE_VIOLATION",
                details={"field": "progress_pct", "min": 0, "max": 100, "unit": "%", "value": pct},
            )
        if not (isinstance(self.timestamp, (int, float)) and math.isfinite(self.timestamp)):
            raise _invalid("timestamp", f"must be Unix seconds, got {self.timestamp!r}")

    @property
    def is_terminal(self) -> bool:
        """Whether the job ends with this event."""
        return self.status in TERMINAL_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {
            "id": self.id,
            "job_id": self.job_id,
            "status": self.status,
            "progress_pct": self.progress_pct,
            "step": self.step,
            "message": self.message,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProgressEvent:
        """Rebuild an event from :meth:`to_dict` output; ``id`` may be absent.

        Raises:
            ValidationError: ``VALIDATION_MISSING_FIELD`` for a missing field, or as the
                constructor does.
        """
        for name in ("job_id", "status", "progress_pct", "step", "message", "timestamp"):
            if name not in data:
                raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": name})
        try:
            pct, stamp = float(data["progress_pct"]), float(data["timestamp"])
        except (TypeError, ValueError) as exc:
            raise _invalid("progress_pct/timestamp", str(exc)) from exc
        return cls(
            job_id=str(data["job_id"]),
            status=str(data["status"]),
            progress_pct=pct,
            step=str(data["step"]),
            message=str(data["message"]),
            timestamp=stamp,
            id=str(data.get("id", "")),
        )


@runtime_checkable
class ProgressBus(Protocol):
    """Carries job progress from workers to the processes that stream it to users."""

    def publish(self, event: ProgressEvent) -> ProgressEvent:
        """Append ``event`` to its job's history and wake its subscribers.

        Callable from any thread. Any ``id`` on the event is replaced.

        Returns:
            The event with the id the bus gave it.
        """
        ...

    def history(self, job_id: str, after_id: str | None = None) -> list[ProgressEvent]:
        """The stored events of ``job_id`` in order, only those after ``after_id`` if given.

        Raises:
            ValidationError: for a malformed ``after_id``.
        """
        ...

    def subscribe(self, job_id: str, after_id: str | None = None) -> AsyncIterator[ProgressEvent]:
        """Replay the history after ``after_id``, then yield live events.

        The iterator ends after yielding a terminal event, or at once when the job
        already ended at or before ``after_id``. Use ``contextlib.aclosing`` when
        leaving it early.
        """
        ...

    def close(self) -> None:
        """Release connections; open subscriptions end soon after."""
        ...


@dataclass(eq=False)
class _Waiter:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event


@dataclass(eq=False)
class _JobLog:
    events: deque[tuple[tuple[int, int], ProgressEvent]]
    touched: float
    last_id: tuple[int, int] = (0, 0)
    terminal_id: tuple[int, int] | None = None
    waiters: set[_Waiter] = field(default_factory=set)

    def after(self, cursor: tuple[int, int] | None) -> list[ProgressEvent]:
        return [event for key, event in self.events if cursor is None or key > cursor]


class InMemoryProgressBus:
    """Progress for one process: threads publish, asyncio tasks subscribe.

    A publish wakes each subscriber through its own event loop
    (``loop.call_soon_threadsafe``), so delivery needs no polling. Each job keeps its
    last ``max_events_per_job`` events; a job with no publish for ``ttl_s`` seconds and
    no subscriber is forgotten.

    Args:
        max_events_per_job: history kept per job; older events are dropped.
        ttl_s: seconds after its last publish that an idle job is forgotten.
        clock: monotonic seconds for the TTL; injectable for tests.
    """

    def __init__(
        self,
        *,
        max_events_per_job: int = 1000,
        ttl_s: float = 86_400.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_events = max_events_per_job
        self._ttl_s = ttl_s
        self._clock = clock
        self._jobs: dict[str, _JobLog] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._last_sweep = clock()

    def __len__(self) -> int:
        """The number of jobs currently remembered."""
        with self._lock:
            return len(self._jobs)

    def _log(self, job_id: str) -> _JobLog:
        log = self._jobs.get(job_id)
        if log is None:
            log = self._jobs[job_id] = _JobLog(deque(maxlen=self._max_events), self._clock())
        return log

    def publish(self, event: ProgressEvent) -> ProgressEvent:
        """Store ``event`` with a new id and wake its subscribers (see :class:`ProgressBus`).

        Raises:
            RuntimeError: after :meth:`close`.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the progress bus is closed")
            now = self._clock()
            if now - self._last_sweep >= min(self._ttl_s, 60.0):
                self._sweep(now)
            log = self._log(event.job_id)
            millis = time.time_ns() // 1_000_000
            key = (millis, 0) if millis > log.last_id[0] else (log.last_id[0], log.last_id[1] + 1)
            stored = replace(event, id=format_event_id(key))
            log.events.append((key, stored))
            log.last_id = key
            log.touched = now
            if stored.is_terminal:
                log.terminal_id = key
            waiters = list(log.waiters)
        for waiter in waiters:
            _wake(waiter)
        return stored

    def _sweep(self, now: float) -> None:
        stale = [
            job_id
            for job_id, log in self._jobs.items()
            if not log.waiters and now - log.touched >= self._ttl_s
        ]
        for job_id in stale:
            del self._jobs[job_id]
        self._last_sweep = now

    def history(self, job_id: str, after_id: str | None = None) -> list[ProgressEvent]:
        """The stored events of ``job_id`` after ``after_id`` (see :class:`ProgressBus`)."""
        cursor = None if after_id is None else parse_event_id(after_id)
        with self._lock:
            log = self._jobs.get(job_id)
            return [] if log is None else log.after(cursor)

    async def subscribe(
        self, job_id: str, after_id: str | None = None
    ) -> AsyncIterator[ProgressEvent]:
        """Replay, then stream live events until a terminal one (see :class:`ProgressBus`)."""
        cursor = None if after_id is None else parse_event_id(after_id)
        waiter = _Waiter(asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            log = self._log(job_id)
            log.waiters.add(waiter)
        try:
            while True:
                # Clear before reading: a publish after the read sets the flag again,
                # so no event can slip between the read and the wait.
                waiter.event.clear()
                with self._lock:
                    batch = log.after(cursor)
                    ended = (
                        log.terminal_id is not None
                        and cursor is not None
                        and (log.terminal_id <= cursor)
                    )
                    closed = self._closed
                for event in batch:
                    yield event
                    cursor = parse_event_id(event.id)
                    if event.is_terminal:
                        return
                if ended or closed:
                    return
                await waiter.event.wait()
        finally:
            with self._lock:
                log.waiters.discard(waiter)

    def close(self) -> None:
        """Refuse further publishes and end every subscription."""
        with self._lock:
            self._closed = True
            waiters = [w for log in self._jobs.values() for w in log.waiters]
        for waiter in waiters:
            _wake(waiter)


def _wake(waiter: _Waiter) -> None:
    # The subscriber's loop may have finished; then there is nobody left to wake.
    with contextlib.suppress(RuntimeError):
        waiter.loop.call_soon_threadsafe(waiter.event.set)
