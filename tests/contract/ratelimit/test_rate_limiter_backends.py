"""What each limiter adds to the contract: exact arithmetic, pruning, Redis storage."""

from __future__ import annotations

import socket

import pytest
import redis

from cadml.errors import ServiceUnavailableError
from cadml.ratelimit import InMemoryRateLimiter, RateDecision, RedisRateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_memory_exact_sliding_window_arithmetic():
    clock = FakeClock()
    limiter = InMemoryRateLimiter(clock=clock)
    for t in (0.0, 1.0, 2.0):
        clock.now = t
        assert limiter.hit("k", 3, 10.0).allowed
    clock.now = 5.0
    assert limiter.hit("k", 3, 10.0) == RateDecision(False, 3, 0, 5.0, 5.0)
    clock.now = 10.0  # the hit at 0 is exactly one window old: it has left
    assert limiter.hit("k", 3, 10.0) == RateDecision(True, 3, 0, 1.0, 0.0)
    clock.now = 10.5
    assert limiter.hit("k", 3, 10.0) == RateDecision(False, 3, 0, 0.5, 0.5)


def test_memory_lowered_limit_waits_for_enough_hits_to_leave():
    clock = FakeClock()
    limiter = InMemoryRateLimiter(clock=clock)
    for t in range(5):
        clock.now = float(t)
        limiter.hit("k", 5, 10.0)
    clock.now = 5.0
    # With limit 3, the hits at 0, 1 and 2 must all leave: at 12 the count drops to 2.
    assert limiter.hit("k", 3, 10.0) == RateDecision(False, 3, 0, 7.0, 7.0)
    clock.now = 12.0
    assert limiter.hit("k", 3, 10.0).allowed


def test_memory_forgets_idle_keys():
    clock = FakeClock()
    limiter = InMemoryRateLimiter(clock=clock, sweep_interval_s=5.0)
    for index in range(1000):
        limiter.hit(f"burst:{index}", 10, 1.0)
    limiter.hit("steady", 10, 60.0)
    assert len(limiter) == 1001
    clock.now = 6.0
    limiter.hit("steady", 10, 60.0)
    assert len(limiter) == 1


@pytest.mark.redis
def test_redis_keeps_at_most_limit_members_and_expires_with_the_window(redis_prefix):
    limiter = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for _ in range(10):
            limiter.hit("k", 4, 2.5)
        key = f"{redis_prefix}k"
        assert client.zcard(key) == 4
        assert 0 < client.pttl(key) <= 2501
        limiter.hit("k", 2, 2.5)  # a lowered limit trims the log
        assert client.zcard(key) == 2
    finally:
        limiter.close()
        client.close()


@pytest.mark.redis
def test_redis_limit_is_shared_between_limiter_instances(redis_prefix):
    first = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)
    second = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)
    try:
        assert first.hit("k", 2, 60.0).allowed
        assert second.hit("k", 2, 60.0).allowed
        assert not first.hit("k", 2, 60.0).allowed
        assert not second.hit("k", 2, 60.0).allowed
    finally:
        first.close()
        second.close()


def test_redis_unreachable_is_service_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{port}/0", socket_timeout_s=1.0)
    try:
        with pytest.raises(ServiceUnavailableError) as info:
            limiter.hit("k", 1, 1.0)
        assert info.value.code == "REDIS_UNAVAILABLE"
        assert isinstance(info.value.__cause__, redis.ConnectionError)
    finally:
        limiter.close()
