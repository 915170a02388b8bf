"""Full-jitter exponential backoff, with an injected random source and clock."""

from __future__ import annotations

import doctest
import random

import pytest

from cad_ml_edge.uplink import backoff as backoff_module
from cad_ml_edge.uplink.backoff import Backoff


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_doctests() -> None:
    assert doctest.testmod(backoff_module).failed == 0


def test_ceiling_grows_exponentially_up_to_the_cap() -> None:
    b = Backoff(base=0.5, cap=10.0, rand=lambda: 1.0)
    assert [b.ceiling(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert b.ceiling(10_000) == 10.0  # no overflow
    assert Backoff(base=2.0, cap=2.0, factor=1.0).ceiling(50) == 2.0


def test_full_jitter_is_uniform_below_the_ceiling() -> None:
    rng = random.Random(7)
    clock = Clock()
    b = Backoff(base=1.0, cap=30.0, rand=rng.random, clock=clock)
    delays = []
    for attempt in range(1, 9):
        delay = b.failure()
        assert 0.0 <= delay <= b.ceiling(attempt)
        assert b.next_at == clock.now + delay
        delays.append(delay)
    assert len(set(delays)) == len(delays)  # jittered, not synchronised
    assert b.attempts == 8


def test_retry_after_is_a_floor_with_its_own_cap() -> None:
    clock = Clock()
    b = Backoff(base=1.0, cap=4.0, max_retry_after=100.0, rand=lambda: 0.5, clock=clock)
    assert b.failure(retry_after=20.0) == 20.0
    assert b.failure(retry_after=0.1) == 1.0  # the jitter is larger
    assert b.failure(retry_after=10_000.0) == 100.0
    assert b.failure(retry_after=-5.0) == 2.0


def test_remaining_and_success() -> None:
    clock = Clock()
    b = Backoff(base=8.0, cap=8.0, rand=lambda: 0.5, clock=clock)
    assert b.remaining() == 0.0
    b.failure()
    assert b.remaining() == 4.0
    clock.now += 3.0
    assert b.remaining() == 1.0
    clock.now += 5.0
    assert b.remaining() == 0.0
    b.success()
    assert (b.attempts, b.next_at, b.remaining()) == (0, None, 0.0)


@pytest.mark.parametrize(
    "kwargs",
    [{"base": 0}, {"base": 2, "cap": 1}, {"factor": 0.5}, {"max_retry_after": -1}],
)
def test_invalid_arguments(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
