"""The ProgressBus contract, run over every implementation (see conftest.py).

Async tests run their coroutine with ``asyncio.run`` and bound it with
``asyncio.wait_for``, so a subscription that never ends fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from cadml.errors import ValidationError
from cadml.jobs.progress import ProgressBus, ProgressEvent, parse_event_id

TIMEOUT_S = 10.0


def event(job_id: str, status: str, pct: float, step: str = "work") -> ProgressEvent:
    return ProgressEvent(job_id, status, pct, step, f"{status} at {pct}%", time.time())


T = TypeVar("T")


def run(coroutine: Awaitable[T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, TIMEOUT_S)

    return asyncio.run(bounded())


async def collect(
    bus: ProgressBus, job_id: str, after_id: str | None = None
) -> list[ProgressEvent]:
    return [e async for e in bus.subscribe(job_id, after_id)]


def publish_lifecycle(bus: ProgressBus, job_id: str) -> list[ProgressEvent]:
    published = [bus.publish(event(job_id, "queued", 0))]
    published += [bus.publish(event(job_id, "running", pct)) for pct in (10, 40, 70)]
    published.append(bus.publish(event(job_id, "succeeded", 100, "done")))
    return published


def without_id(e: ProgressEvent) -> dict[str, object]:
    return {k: v for k, v in e.to_dict().items() if k != "id"}


def test_implements_the_port(bus):
    assert isinstance(bus, ProgressBus)


def test_publish_assigns_an_id_and_keeps_the_fields(bus):
    original = event("job-1", "running", 12.5, "mesh")
    stored = bus.publish(original)
    assert stored.id != ""
    parse_event_id(stored.id)
    assert without_id(stored) == without_id(original)


def test_history_is_in_publish_order_with_increasing_ids(bus):
    published = publish_lifecycle(bus, "job-1")
    assert bus.history("job-1") == published
    keys = [parse_event_id(e.id) for e in published]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_ids_increase_even_within_one_millisecond(bus):
    published = [bus.publish(event("job-1", "running", i / 3)) for i in range(200)]
    keys = [parse_event_id(e.id) for e in published]
    assert all(a < b for a, b in itertools.pairwise(keys))
    assert [e.id for e in bus.history("job-1")] == [e.id for e in published]


def test_a_published_id_replaces_any_id_given(bus):
    stored = bus.publish(
        ProgressEvent("job-1", "queued", 0, "s", "", time.time(), id="999999999999999-0")
    )
    assert parse_event_id(stored.id) < (999999999999999, 0)


def test_history_after_an_id_returns_exactly_the_later_events(bus):
    published = publish_lifecycle(bus, "job-1")
    for index, seen in enumerate(published):
        assert bus.history("job-1", after_id=seen.id) == published[index + 1 :]


def test_history_of_an_unknown_job_is_empty(bus):
    assert bus.history("no-such-job") == []
    assert bus.history("no-such-job", after_id="1-0") == []


@pytest.mark.parametrize("bad", ["", "abc", "1-2-3", "-1", "1.5", "1-"])
def test_malformed_after_id_is_a_validation_error(bus, bad):
    bus.publish(event("job-1", "queued", 0))
    with pytest.raises(ValidationError):
        bus.history("job-1", after_id=bad)
    with pytest.raises(ValidationError):
        run(collect(bus, "job-1", after_id=bad))


def test_subscribe_replays_and_ends_on_the_terminal_event(bus):
    published = publish_lifecycle(bus, "job-1")
    assert run(collect(bus, "job-1")) == published


@pytest.mark.parametrize("terminal", ["failed", "cancelled"])
def test_every_terminal_status_ends_a_subscription(bus, terminal):
    published = [
        bus.publish(event("job-1", "running", 5)),
        bus.publish(event("job-1", terminal, 5)),
    ]
    assert run(collect(bus, "job-1")) == published


def test_subscribe_resumes_after_a_given_id(bus):
    published = publish_lifecycle(bus, "job-1")
    assert run(collect(bus, "job-1", after_id=published[1].id)) == published[2:]


def test_resuming_after_the_terminal_event_ends_at_once(bus):
    published = publish_lifecycle(bus, "job-1")
    assert run(collect(bus, "job-1", after_id=published[-1].id)) == []


def test_live_events_from_another_thread_reach_an_attached_subscriber(bus):
    first = bus.publish(event("job-1", "queued", 0))
    sent: list[ProgressEvent] = []

    def worker() -> None:
        for pct in range(10, 100, 10):
            sent.append(bus.publish(event("job-1", "running", pct)))
            time.sleep(0.01)
        sent.append(bus.publish(event("job-1", "succeeded", 100)))

    async def scenario() -> list[ProgressEvent]:
        stream = bus.subscribe("job-1")
        async with contextlib.aclosing(stream):
            assert await anext(stream) == first  # attached and waiting from here on
            thread = threading.Thread(target=worker)
            thread.start()
            received = [e async for e in stream]
        thread.join()
        return received

    received = run(scenario())
    assert len(sent) == 10
    assert received == sent


def test_several_subscribers_each_get_every_event(bus):
    first = bus.publish(event("job-1", "queued", 0))

    async def scenario() -> list[list[ProgressEvent]]:
        tasks = [asyncio.create_task(collect(bus, "job-1")) for _ in range(3)]
        await asyncio.sleep(0.05)
        rest = await asyncio.to_thread(
            lambda: [
                bus.publish(event("job-1", "running", 50)),
                bus.publish(event("job-1", "failed", 50)),
            ]
        )
        results = await asyncio.gather(*tasks)
        assert all(result[1:] == rest for result in results)
        return results

    assert all(result[0] == first for result in run(scenario()))


def test_two_jobs_do_not_mix(bus):
    def worker() -> None:
        for pct in (10, 20, 30):
            bus.publish(event("job-a", "running", pct))
            bus.publish(event("job-b", "running", pct + 1))
        bus.publish(event("job-a", "succeeded", 100))
        bus.publish(event("job-b", "failed", 31))

    async def scenario() -> tuple[list[ProgressEvent], list[ProgressEvent]]:
        task_a = asyncio.create_task(collect(bus, "job-a"))
        task_b = asyncio.create_task(collect(bus, "job-b"))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(worker)
        return await task_a, await task_b

    got_a, got_b = run(scenario())
    assert [(e.job_id, e.progress_pct) for e in got_a] == [("job-a", p) for p in (10, 20, 30, 100)]
    assert [(e.job_id, e.progress_pct) for e in got_b] == [("job-b", p) for p in (11, 21, 31, 31)]
    assert bus.history("job-a") == got_a
    assert bus.history("job-b") == got_b


def test_close_ends_open_subscriptions(bus):
    first = bus.publish(event("job-1", "running", 1))

    async def scenario() -> list[ProgressEvent]:
        task = asyncio.create_task(collect(bus, "job-1"))
        await asyncio.sleep(0.05)
        bus.close()
        return await task

    assert run(scenario()) == [first]
