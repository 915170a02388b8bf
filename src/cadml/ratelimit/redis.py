"""The production rate limiter: a sliding-window log in a Redis sorted set per key.

One Lua script does everything atomically on the server: read the server's clock
(``TIME``, so API processes with skewed clocks agree), drop members older than the
window, count, add the hit if allowed, and set the key to expire with the window.
Scores are microseconds; members are unique per hit (a random id), so two hits in the
same microsecond both count. ``redis`` (optional extra ``redis``) is imported when a
limiter is built.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from cadml.errors import ConfigurationError, ServiceUnavailableError
from cadml.ratelimit.port import RateDecision, validate_rate

__all__ = ["RedisRateLimiter"]

# KEYS[1] the sorted set; ARGV: limit, window in microseconds, unique member.
# Returns {allowed (0|1), hits recorded after this call, microseconds until a slot frees}.
_SCRIPT = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window_us = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_us)
local count = redis.call('ZCARD', key)
if count > limit then
  redis.call('ZREMRANGEBYRANK', key, 0, count - limit - 1)
  count = limit
end
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[3])
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local reset_us = 0
if oldest[2] then
  reset_us = tonumber(oldest[2]) + window_us - now
end
redis.call('PEXPIRE', key, math.ceil(window_us / 1000) + 1)
return {allowed, count, reset_us}
"""


class RedisRateLimiter:
    """A sliding-window limiter shared by every process that uses the same Redis.

    Args:
        url: a Redis URL, e.g. ``"redis://127.0.0.1:6379/0"``.
        prefix: prepended to every key, so limits live in their own namespace.
        socket_timeout_s: seconds to wait for Redis before failing.

    Raises:
        ConfigurationError: ``CONFIG_INVALID`` when the ``redis`` package is missing.
    """

    def __init__(
        self, url: str, *, prefix: str = "cadml:ratelimit:", socket_timeout_s: float = 5.0
    ) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigurationError(
                "CONFIG_INVALID",
                details={
                    "reason": "the Redis rate limiter needs redis: pip install 'cadml[redis]'"
                },
            ) from exc
        self.prefix = prefix
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._client: Any = redis.Redis.from_url(
            url, socket_timeout=socket_timeout_s, socket_connect_timeout=socket_timeout_s
        )
        self._script: Any = self._client.register_script(_SCRIPT)

    def hit(self, key: str, limit: int, window_s: float) -> RateDecision:
        """Record one hit on ``key`` if allowed (see :class:`RateLimiter`).

        Raises:
            ValidationError: for a bad ``limit`` or ``window_s``.
            ServiceUnavailableError: ``REDIS_UNAVAILABLE`` when Redis fails.
        """
        validate_rate(limit, window_s)
        window_us = max(1, math.ceil(window_s * 1_000_000))
        try:
            allowed, count, reset_us = self._script(
                keys=[self.prefix + key], args=[limit, window_us, uuid.uuid4().hex]
            )
        except self._errors as exc:
            raise ServiceUnavailableError(
                "REDIS_UNAVAILABLE", details={"reason": f"{type(exc).__name__}: {exc}"}
            ) from exc
        reset_s = max(0, int(reset_us)) / 1_000_000
        return RateDecision(
            allowed=bool(allowed),
            limit=limit,
            remaining=limit - int(count),
            reset_s=reset_s,
            retry_after_s=0.0 if allowed else reset_s,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
