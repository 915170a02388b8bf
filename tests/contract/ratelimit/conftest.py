"""Fixtures for the rate-limiter contract: every implementation, Redis on 127.0.0.1:6379."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cadml.ratelimit import InMemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    """Every rate-limiter implementation, one after the other."""
    if request.param == "memory":
        yield InMemoryRateLimiter()
        return
    prefix = request.getfixturevalue("redis_prefix")
    real = RedisRateLimiter(REDIS_URL, prefix=prefix)
    yield real
    real.close()
