"""The embedded rate limiter: sliding-window logs in this process's memory.

Each key keeps the times of its accepted hits, at most ``limit`` of them. Keys whose
newest hit has left its window are swept at most once per ``sweep_interval_s``, so
memory stays proportional to the keys active in the last window.

Examples:
    >>> now = [0.0]
    >>> limiter = InMemoryRateLimiter(clock=lambda: now[0])
    >>> [limiter.hit("k", 2, 10.0).allowed for _ in range(3)]
    [True, True, False]
    >>> now[0] = 10.0
    >>> limiter.hit("k", 2, 10.0).remaining
    1
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from cadml.ratelimit.port import RateDecision, validate_rate

__all__ = ["InMemoryRateLimiter"]


@dataclass
class _Log:
    window_s: float
    hits: deque[float] = field(default_factory=deque)


class InMemoryRateLimiter:
    """A thread-safe sliding-window limiter for a single process.

    Args:
        clock: monotonic seconds; injectable so tests can move time by hand.
        sweep_interval_s: how often, at most, idle keys are forgotten.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sweep_interval_s: float = 10.0,
    ) -> None:
        self._clock = clock
        self._sweep_interval_s = sweep_interval_s
        self._logs: dict[str, _Log] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def __len__(self) -> int:
        """The number of keys currently tracked."""
        with self._lock:
            return len(self._logs)

    def hit(self, key: str, limit: int, window_s: float) -> RateDecision:
        """Record one hit on ``key`` if allowed (see :class:`RateLimiter`)."""
        validate_rate(limit, window_s)
        with self._lock:
            now = self._clock()
            if now - self._last_sweep >= self._sweep_interval_s:
                self._sweep(now)
            log = self._logs.get(key)
            if log is None:
                log = self._logs[key] = _Log(window_s)
            log.window_s = window_s
            hits = log.hits
            # A hit exactly window_s old has left the half-open window (now - window_s, now].
            while hits and hits[0] <= now - window_s:
                hits.popleft()
            while len(hits) > limit:  # the limit for this key was lowered
                hits.popleft()
            allowed = len(hits) < limit
            if allowed:
                hits.append(now)
            reset_s = hits[0] + window_s - now if hits else 0.0
            return RateDecision(
                allowed=allowed,
                limit=limit,
                remaining=limit - len(hits),
                reset_s=reset_s,
                retry_after_s=0.0 if allowed else reset_s,
            )

    def _sweep(self, now: float) -> None:
        idle = [
            k for k, log in self._logs.items() if not log.hits or log.hits[-1] <= now - log.window_s
        ]
        for key in idle:
            del self._logs[key]
        self._last_sweep = now
