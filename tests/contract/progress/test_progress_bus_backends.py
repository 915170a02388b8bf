"""The event itself, and what each bus adds to the contract (bounds, expiry, processes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import textwrap
import time

import pytest
import redis

from cadml.errors import ServiceUnavailableError, ValidationError
from cadml.jobs.progress import InMemoryProgressBus, ProgressEvent, parse_event_id
from cadml.jobs.progress_redis import RedisProgressBus

REDIS_URL = "redis://127.0.0.1:6379/0"


def event(job_id: str, status: str, pct: float) -> ProgressEvent:
    return ProgressEvent(job_id, status, pct, "step", "message", 1_700_000_000.25)


# ------------------------------------------------------------------ the event


def test_event_round_trips_through_a_dict_and_json():
    original = ProgressEvent("j", "running", 42.5, "mesh", "Meshing…", 1.5, id="5-1")
    assert ProgressEvent.from_dict(json.loads(json.dumps(original.to_dict()))) == original
    assert (
        ProgressEvent.from_dict({k: v for k, v in original.to_dict().items() if k != "id"}).id == ""
    )


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("queued", False),
        ("running", False),
        ("succeeded", True),
        ("failed", True),
        ("cancelled", True),
    ],
)
def test_terminal_statuses(status, terminal):
    assert event("j", status, 0).is_terminal is terminal


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": "done"}, "VALIDATION_INVALID_VALUE"),
        ({"progress_pct": 100.5}, "VALIDATION_RANGE_VIOLATION"),
        ({"progress_pct": -0.1}, "VALIDATION_RANGE_VIOLATION"),
        ({"progress_pct": True}, "VALIDATION_RANGE_VIOLATION"),
        ({"progress_pct": float("nan")}, "VALIDATION_RANGE_VIOLATION"),
        ({"job_id": ""}, "VALIDATION_INVALID_VALUE"),
        ({"timestamp": float("inf")}, "VALIDATION_INVALID_VALUE"),
    ],
)
def test_invalid_events_are_refused(changes, code):
    fields = {**event("j", "running", 1).to_dict(), **changes}
    with pytest.raises(ValidationError) as info:
        ProgressEvent(**fields)
    assert info.value.code == code


def test_from_dict_names_a_missing_field():
    data = event("j", "running", 1).to_dict()
    del data["step"]
    with pytest.raises(ValidationError) as info:
        ProgressEvent.from_dict(data)
    assert (info.value.code, info.value.details["field"]) == ("VALIDATION_MISSING_FIELD", "step")


def test_event_ids_compare_numerically():
    assert parse_event_id("1700000000000-9") < parse_event_id("1700000000000-10")
    assert parse_event_id("99") == (99, 0)


# ------------------------------------------------------------- in-memory bus


def test_memory_history_is_bounded_to_the_latest_events():
    bus = InMemoryProgressBus(max_events_per_job=5)
    published = [bus.publish(event("j", "running", pct)) for pct in range(12)]
    assert bus.history("j") == published[-5:]


def test_memory_forgets_idle_jobs_after_the_ttl_but_not_watched_ones():
    now = [0.0]
    bus = InMemoryProgressBus(ttl_s=100.0, clock=lambda: now[0])
    bus.publish(event("old", "running", 1))
    bus.publish(event("watched", "running", 1))

    async def scenario() -> list[ProgressEvent]:
        stream = bus.subscribe("watched")
        async with contextlib.aclosing(stream):
            await anext(stream)
            now[0] = 150.0
            await asyncio.to_thread(bus.publish, event("new", "queued", 0))
            assert bus.history("old") == []
            assert len(bus) == 2  # "watched" (subscribed) and "new"
            await asyncio.to_thread(bus.publish, event("watched", "succeeded", 100))
            return [e async for e in stream]

    assert [e.status for e in asyncio.run(asyncio.wait_for(scenario(), 10))] == ["succeeded"]


def test_memory_publish_after_close_is_refused():
    bus = InMemoryProgressBus()
    bus.close()
    with pytest.raises(RuntimeError):
        bus.publish(event("j", "queued", 0))


# ------------------------------------------------------------------ Redis bus


@pytest.mark.redis
def test_redis_stream_ids_are_the_event_ids_and_the_stream_expires(redis_prefix):
    bus = RedisProgressBus(REDIS_URL, prefix=redis_prefix, ttl_s=600)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        published = [bus.publish(event("j", "running", pct)) for pct in (1, 2, 3)]
        key = bus.stream_key("j")
        assert [entry_id for entry_id, _ in client.xrange(key)] == [e.id for e in published]
        assert 0 < client.ttl(key) <= 600
    finally:
        bus.close()
        client.close()


@pytest.mark.redis
def test_redis_history_is_trimmed_approximately(redis_prefix):
    bus = RedisProgressBus(REDIS_URL, prefix=redis_prefix, max_events_per_job=10)
    try:
        published = [bus.publish(event("j", "running", pct / 4)) for pct in range(400)]
        kept = bus.history("j")
        # MAXLEN ~ trims whole stream nodes (100 entries by default), never below the bound.
        assert 10 <= len(kept) <= 10 + 100
        assert kept == published[-len(kept) :]
    finally:
        bus.close()


_PUBLISHER = textwrap.dedent(
    """
    import sys, time
    from cadml.jobs.progress import ProgressEvent
    from cadml.jobs.progress_redis import RedisProgressBus

    bus = RedisProgressBus(sys.argv[1], prefix=sys.argv[2])
    for pct in (25, 50, 75):
        bus.publish(ProgressEvent("shared", "running", pct, "work", "", time.time()))
        time.sleep(0.02)
    bus.publish(ProgressEvent("shared", "succeeded", 100, "done", "", time.time()))
    bus.close()
    """
)


@pytest.mark.redis
def test_redis_progress_published_by_another_process_reaches_a_subscriber(redis_prefix):
    bus = RedisProgressBus(REDIS_URL, prefix=redis_prefix)
    first = bus.publish(event("shared", "queued", 0))

    async def scenario() -> list[ProgressEvent]:
        stream = bus.subscribe("shared")
        async with contextlib.aclosing(stream):
            assert await anext(stream) == first
            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _PUBLISHER, REDIS_URL, redis_prefix
            )
            received = [e async for e in stream]
            assert await worker.wait() == 0
            return received

    try:
        received = asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        bus.close()
    assert [(e.status, e.progress_pct) for e in received] == [
        ("running", 25),
        ("running", 50),
        ("running", 75),
        ("succeeded", 100),
    ]
    assert received == bus.history("shared", after_id=first.id)


def test_redis_unreachable_is_service_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bus = RedisProgressBus(f"redis://127.0.0.1:{port}/0", socket_timeout_s=1.0)

    async def subscribe() -> None:
        async for _ in bus.subscribe("j"):
            pass

    try:
        for call in (lambda: bus.publish(event("j", "queued", 0)), lambda: bus.history("j")):
            with pytest.raises(ServiceUnavailableError) as info:
                call()
            assert info.value.code == "REDIS_UNAVAILABLE"
        started = time.monotonic()
        with pytest.raises(ServiceUnavailableError):
            asyncio.run(subscribe())
        assert time.monotonic() - started < 10
    finally:
        bus.close()
