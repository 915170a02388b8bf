"""Fixtures for the progress-bus contract: every implementation, Redis on 127.0.0.1:6379."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cadml.jobs.progress import InMemoryProgressBus, ProgressBus
from cadml.jobs.progress_redis import RedisProgressBus

REDIS_URL = "redis://127.0.0.1:6379/0"


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
