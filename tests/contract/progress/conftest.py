"""Fixtures for the progress-bus contract: every implementation, Redis on 127.0.0.1:6379."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from cadml.jobs.progress import InMemoryProgressBus, ProgressBus
from cadml.jobs.progress_redis import RedisProgressBus

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A stream-name prefix no other test uses; its keys are deleted afterwards."""
    prefix = f"cadml-test:progress:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def bus(request: pytest.FixtureRequest) -> Iterator[ProgressBus]:
    """Every progress-bus implementation, one after the other."""
    if request.param == "memory":
        made: ProgressBus = InMemoryProgressBus()
    else:
        # A short block keeps close() prompt; delivery itself never waits for it.
        made = RedisProgressBus(
            REDIS_URL, prefix=request.getfixturevalue("redis_prefix"), block_ms=500
        )
    yield made
    made.close()
