"""The rate-limiter port: a sliding-window log of accepted hits per key.

A hit at time ``t`` is allowed when fewer than ``limit`` hits were *accepted* in the
half-open window ``(t - window_s, t]``; refused hits are not recorded, so a client that
keeps knocking is not locked out longer. Unlike fixed buckets, the window moves with
time: ``limit`` hits at the end of one minute and ``limit`` more at the start of the
next are never both allowed.

Examples:
    >>> d = RateDecision(allowed=False, limit=10, remaining=0, reset_s=1.5, retry_after_s=1.5)
    >>> d.retry_after_header
    '2'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cadml.errors import ValidationError

__all__ = ["RateDecision", "RateLimiter", "validate_rate"]


@dataclass(frozen=True)
class RateDecision:
    """The answer to one hit.

    Args:
        allowed: whether the hit is within the limit (and was recorded).
        limit: the limit that was applied.
        remaining: hits still allowed in the window after this one.
        reset_s: seconds until the oldest recorded hit leaves the window, i.e. until a
            slot frees up; 0 when nothing is recorded.
        retry_after_s: seconds to wait before a retry can succeed; 0 when allowed.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_s: float
    retry_after_s: float

    @property
    def retry_after_header(self) -> str:
        """``retry_after_s`` rounded up to whole seconds, for HTTP ``Retry-After``."""
        return str(math.ceil(self.retry_after_s))


def validate_rate(limit: int, window_s: float) -> None:
    """Refuse a limit below 1 or a window that is not a positive number of seconds.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` naming the bad argument.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "limit", "reason": f"must be an integer >= 1, got {limit!r}"},
        )
    if not (isinstance(window_s, (int, float)) and math.isfinite(window_s) and window_s > 0):
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "window_s", "reason": f"must be a positive number, got {window_s!r}"},
        )


@runtime_checkable
class RateLimiter(Protocol):
    """Counts hits per key in a sliding window; safe to share between threads."""

    def hit(self, key: str, limit: int, window_s: float) -> RateDecision:
        """Record one hit on ``key`` if it is within ``limit`` per ``window_s`` seconds.

        Args:
            key: what is limited, e.g. ``"user:42:designs"``.
            limit: hits allowed per window (>= 1).
            window_s: the window's length in seconds (> 0).

        Returns:
            The decision; the caller turns a refusal into ``RATE_LIMITED``.

        Raises:
            ValidationError: for a bad ``limit`` or ``window_s``.
        """
        ...
