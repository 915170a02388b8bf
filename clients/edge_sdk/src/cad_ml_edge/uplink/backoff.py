"""Full-jitter exponential backoff with a cap (AWS Architecture Blog, "Exponential
Backoff And Jitter").

After the n-th consecutive failure (n = 1, 2, ...) the wait is uniform in
``[0, min(cap, base * factor ** (n - 1))]``; a platform's ``Retry-After`` raises it to at
least that many seconds (itself capped by ``max_retry_after``). Random source and clock
are injectable, so tests are exact.

Examples:
    >>> clock = iter([100.0, 100.0, 200.0]).__next__
    >>> b = Backoff(base=1.0, cap=8.0, rand=lambda: 0.5, clock=clock)
    >>> b.failure(), b.failure(), b.next_at
    (0.5, 1.0, 101.0)
    >>> b.failure(retry_after=30.0), b.attempts
    (30.0, 3)
    >>> b.success(); b.attempts, b.next_at
    (0, None)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

__all__ = ["Backoff"]


class Backoff:
    """Tracks consecutive failures and when the next attempt is due.

    Args:
        base: the ceiling of the first wait (seconds).
        cap: the largest ceiling (seconds).
        factor: growth of the ceiling per failure.
        max_retry_after: the longest ``Retry-After`` honoured (seconds).
        rand: uniform random in ``[0, 1)``.
        clock: monotonic seconds.
    """

    def __init__(
        self,
        base: float = 0.5,
        cap: float = 60.0,
        *,
        factor: float = 2.0,
        max_retry_after: float = 600.0,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if base <= 0 or cap < base or factor < 1 or max_retry_after < 0:
            raise ValueError("need 0 < base <= cap, factor >= 1 and max_retry_after >= 0")
        self.base = base
        self.cap = cap
        self.factor = factor
        self.max_retry_after = max_retry_after
        self._rand = rand
        self._clock = clock
        self.attempts = 0
        self.next_at: float | None = None

    def ceiling(self, attempt: int) -> float:
        """The largest wait after ``attempt`` consecutive failures (``attempt >= 1``)."""
        # Compare exponents first: factor ** attempt overflows long before the cap matters.
        ceiling = self.base
        for _ in range(attempt - 1):
            ceiling *= self.factor
            if ceiling >= self.cap:
                return self.cap
        return ceiling

    def failure(self, retry_after: float | None = None) -> float:
        """Record a failure; returns the wait (seconds) and sets :attr:`next_at`."""
        self.attempts += 1
        delay = self._rand() * self.ceiling(self.attempts)
        if retry_after is not None:
            delay = max(delay, min(max(retry_after, 0.0), self.max_retry_after))
        self.next_at = self._clock() + delay
        return delay

    def success(self) -> None:
        """Record a success: the next failure starts from ``base`` again."""
        self.attempts = 0
        self.next_at = None

    def remaining(self) -> float:
        """Seconds until the next attempt is due (0 when it is due now)."""
        if self.next_at is None:
            return 0.0
        return max(0.0, self.next_at - self._clock())
