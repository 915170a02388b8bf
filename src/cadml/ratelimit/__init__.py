"""Rate limiting: a sliding-window port with an in-memory and a Redis implementation.

:class:`RateLimiter` is the port; :class:`InMemoryRateLimiter` is the embedded default
and :class:`RedisRateLimiter` (optional extra ``redis``) is shared by every API process.
Importing this package does not import ``redis``.
"""

from cadml.ratelimit.memory import InMemoryRateLimiter
from cadml.ratelimit.port import RateDecision, RateLimiter, validate_rate
from cadml.ratelimit.redis import RedisRateLimiter

__all__ = [
    "InMemoryRateLimiter",
    "RateDecision",
    "RateLimiter",
    "RedisRateLimiter",
    "validate_rate",
]
