"""The RateLimiter contract, run over every implementation (see conftest.py).

Timing tests use windows of 0.6-1.0 s and check positions in time with margins of at
least 0.1 s either side of every boundary, measured with the local monotonic clock.
"""

from __future__ import annotations

import math
import threading
import time

import pytest

from cadml.errors import ValidationError
from cadml.ratelimit import RateDecision, RateLimiter

SLACK_S = 0.03  # clock granularity and one Redis round trip


def sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def test_implements_the_port(limiter):
    assert isinstance(limiter, RateLimiter)


def test_limit_is_enforced(limiter):
    decisions = [limiter.hit("user:1", 3, 60.0) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert all(d.limit == 3 for d in decisions)


def test_remaining_counts_down_to_zero(limiter):
    decisions = [limiter.hit("user:1", 5, 60.0) for _ in range(7)]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0, 0]


def test_allowed_hits_have_no_retry_after_and_a_reset_within_the_window(limiter):
    before = time.monotonic()
    decision = limiter.hit("user:1", 2, 30.0)
    elapsed = time.monotonic() - before
    assert decision.allowed
    assert decision.retry_after_s == 0.0
    assert 30.0 - elapsed - SLACK_S <= decision.reset_s <= 30.0 + SLACK_S


def test_limit_of_one(limiter):
    first, second = limiter.hit("k", 1, 60.0), limiter.hit("k", 1, 60.0)
    assert (first.allowed, first.remaining) == (True, 0)
    assert (second.allowed, second.remaining) == (False, 0)
    assert 59.0 < second.retry_after_s <= 60.0 + SLACK_S


def test_retry_after_is_accurate(limiter):
    window = 1.0
    start = time.monotonic()
    limiter.hit("k", 2, window)
    limiter.hit("k", 2, window)
    first_done = time.monotonic()
    time.sleep(0.2)
    deny_start = time.monotonic()
    denied = limiter.hit("k", 2, window)
    deny_end = time.monotonic()
    assert not denied.allowed
    # The oldest hit happened in [start, first_done]; the refusal in [deny_start, deny_end].
    low = window - (deny_end - start) - SLACK_S
    high = window - (deny_start - first_done) + SLACK_S
    assert low <= denied.retry_after_s <= high
    assert denied.reset_s == pytest.approx(denied.retry_after_s)
    sleep_until(deny_end + denied.retry_after_s - 0.15)
    assert not limiter.hit("k", 2, window).allowed
    sleep_until(deny_end + denied.retry_after_s + SLACK_S)
    assert limiter.hit("k", 2, window).allowed


def test_window_slides_instead_of_resetting(limiter):
    window = 0.6
    t0 = time.monotonic()
    assert limiter.hit("k", 3, window).allowed  # A at ~0
    sleep_until(t0 + 0.3)
    t1 = time.monotonic()
    assert limiter.hit("k", 3, window).allowed  # B at ~0.3
    assert limiter.hit("k", 3, window).allowed  # C at ~0.3
    assert not limiter.hit("k", 3, window).allowed
    # At ~0.75 only A has left the window: one slot, where fixed buckets would give three.
    sleep_until(t0 + window + 0.15)
    assert time.monotonic() < t1 + window - 0.05, "the machine stalled; timeline invalid"
    late = [limiter.hit("k", 3, window).allowed for _ in range(3)]
    assert late == [True, False, False]
    # At ~1.05 B and C have left too; the hit from ~0.75 still counts.
    sleep_until(t1 + window + 0.15)
    again = [limiter.hit("k", 3, window) for _ in range(3)]
    assert [d.allowed for d in again] == [True, True, False]
    assert again[1].remaining == 0


def test_keys_are_independent(limiter):
    assert limiter.hit("alice", 1, 60.0).allowed
    assert not limiter.hit("alice", 1, 60.0).allowed
    assert limiter.hit("bob", 1, 60.0).allowed


def test_concurrent_hits_from_eight_threads_never_exceed_the_limit(limiter):
    limit = 100
    decisions: list[RateDecision] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            mine = [limiter.hit("shared", limit, 60.0) for _ in range(40)]
        except BaseException as exc:
            errors.append(exc)
            return
        with lock:
            decisions.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    allowed = [d for d in decisions if d.allowed]
    assert len(decisions) == 320
    assert len(allowed) == limit
    # Atomic check-and-add: every allowed hit saw a different count.
    assert sorted(d.remaining for d in allowed) == list(range(limit))
    assert not limiter.hit("shared", limit, 60.0).allowed


@pytest.mark.parametrize(
    ("limit", "window_s"),
    [
        (0, 1.0),
        (-1, 1.0),
        (True, 1.0),
        (1.5, 1.0),
        (1, 0.0),
        (1, -1.0),
        (1, math.nan),
        (1, math.inf),
    ],
)
def test_bad_arguments_are_validation_errors(limiter, limit, window_s):
    with pytest.raises(ValidationError) as info:
        limiter.hit("k", limit, window_s)
    assert info.value.code == "VALIDATION_INVALID_VALUE"
