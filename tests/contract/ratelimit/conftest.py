"""Fixtures for the rate-limiter contract: every implementation, Redis on 127.0.0.1:6379."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from cadml.ratelimit import InMemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"cadml-test:ratelimit:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


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
