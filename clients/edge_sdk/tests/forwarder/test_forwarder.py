"""The forwarder's cycle on a real DurableQueue: batching, backoff, rejection, budget."""

from __future__ import annotations

import doctest
import json
import logging
import sys
import threading
import time
from typing import Any

import pytest

from cad_ml_edge import forwarder as forwarder_module
from cad_ml_edge.errors import EdgeError
from cad_ml_edge.forwarder import Forwarder, plan_batch
from cad_ml_edge.queue import DurableQueue, Priority, Segment
from cad_ml_edge.uplink.backoff import Backoff
from cad_ml_edge.uplink.base import SendResult
from cad_ml_edge.uplink.http import HttpUplink
from cad_ml_edge.wire import decode_frames, encode_frames

h = sys.modules["edge_test_forwarder"]  # tests/forwarder/conftest.py
Clock = h.Clock
ScriptedUplink = h.ScriptedUplink
frame = h.frame
seqs = h.seqs


def make(queue: Any, uplink: Any, clock: Any, **kwargs: Any) -> Forwarder:
    kwargs.setdefault("backoff", Backoff(base=1.0, cap=8.0, rand=lambda: 0.5, clock=clock))
    return Forwarder(queue, uplink, device_id="press-1", clock=clock, sleep=clock.sleep, **kwargs)


def put(queue: DurableQueue, stream: str, first: int, n: int, ts0: float = 0.0) -> int:
    return queue.put_many(stream, [frame(ts0 + first + i, stream, first + i) for i in range(n)])


def seg(i: int, stream: str, priority: int, size: int = 10) -> Segment:
    return Segment(i, stream, Priority(priority), [b"x" * size], i, i, 0.0)


# ------------------------------------------------------------------ plan_batch
def test_doctests() -> None:
    assert doctest.testmod(forwarder_module).failed == 0


def test_plan_priority_first_then_round_robin_in_order() -> None:
    queued = [
        seg(1, "a", 2),
        seg(2, "a", 2),
        seg(3, "b", 2),
        seg(4, "c", 2),
        seg(5, "b", 2),
        seg(6, "low", 3),
        seg(7, "crit", 0),
        seg(8, "crit", 0),
    ]
    cursor: dict[int, str] = {}
    batch = plan_batch(queued, cursor, max_segments=100, max_bytes=1e9)
    assert [s.id for s in batch] == [7, 8, 1, 3, 4, 2, 5, 6]
    assert cursor == {0: "crit", 2: "b", 3: "low"}


def test_plan_rotates_the_first_stream_between_batches() -> None:
    queued = [seg(i, name, 2) for i, name in enumerate(["a", "b", "c"], 1)]
    cursor: dict[int, str] = {}
    firsts = [plan_batch(queued, cursor, max_segments=1, max_bytes=1e9)[0].stream for _ in range(4)]
    assert firsts == ["a", "b", "c", "a"]


def test_plan_limits() -> None:
    queued = [seg(1, "a", 2, size=50), seg(2, "a", 2, size=50), seg(3, "a", 2, size=50)]
    assert [s.id for s in plan_batch(queued, {}, max_segments=2, max_bytes=1e9)] == [1, 2]
    assert [s.id for s in plan_batch(queued, {}, max_segments=9, max_bytes=100)] == [1, 2]
    # The first segment always goes, even when it alone is over the limit.
    assert [s.id for s in plan_batch(queued, {}, max_segments=9, max_bytes=10)] == [1]
    assert plan_batch([], {}, max_segments=9, max_bytes=10) == []


# ------------------------------------------------------------------ cycle
def test_empty_queue_is_idle(queue: DurableQueue, clock: Any) -> None:
    up = ScriptedUplink()
    fwd = make(queue, up, clock)
    assert fwd.run_once() == 0
    assert up.sent == []
    status = fwd.status()
    assert status["online"] is None and status["delivered"] == 0
    json.dumps(status)


def test_delivers_critical_first_and_acks(queue: DurableQueue, clock: Any) -> None:
    put(queue, "telemetry", 0, 5)
    put(queue, "vibration", 0, 3)
    put(queue, "alerts", 0, 2)
    up = ScriptedUplink()
    fwd = make(queue, up, clock)
    assert fwd.run_once() == 10
    (batch,) = up.sent
    assert [f.status["stream"] for f in batch[:2]] == ["alerts", "alerts"]
    assert seqs(batch, "telemetry") == [0, 1, 2, 3, 4]
    assert queue.status().depth == 0
    status = fwd.status()
    assert status["online"] is True
    assert (status["delivered"], status["batches"], status["rejected"]) == (10, 1, 0)
    assert status["bytes_sent"] > 0
    assert status["next_retry_at"] is None
    assert fwd.run_once() == 0


def test_failure_backs_off_then_recovers(
    queue: DurableQueue, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "cad_ml_edge.forwarder")
    put(queue, "telemetry", 0, 4)
    up = ScriptedUplink(h.down(), h.down(retry_after=30.0))
    fwd = make(queue, up, clock)
    assert fwd.run_once() == 0
    status = fwd.status()
    assert status["online"] is False
    assert "down" in status["last_error"]
    assert status["consecutive_failures"] == 1
    assert status["next_retry_at"] == clock.now + 0.5  # rand 0.5 x base 1.0
    assert status["retry_in_s"] == 0.5
    assert fwd.run_once() == 0  # still backing off: no attempt
    assert len(up.sent) == 1
    clock.now += 0.5
    assert fwd.run_once() == 0
    assert fwd.status()["next_retry_at"] == clock.now + 30.0  # Retry-After wins
    assert fwd.status()["consecutive_failures"] == 2
    clock.now += 30.0
    assert fwd.run_once() == 4
    status = fwd.status()
    assert (status["online"], status["last_error"], status["consecutive_failures"]) == (
        True,
        None,
        0,
    )
    assert queue.status().depth == 0
    messages = [r.getMessage() for r in caplog.records]
    assert sum("is offline" in m for m in messages) == 1  # logged once per outage
    assert any("is back after 2 failure(s)" in m for m in messages)


def test_rejected_batch_is_resent_per_segment_and_the_culprit_dropped(
    queue: DurableQueue, clock: Any
) -> None:
    put(queue, "telemetry", 0, 3)
    bad = queue.put_many("telemetry", [frame(10.0, "telemetry", 3), frame(11.0, "poison", 4)])
    put(queue, "vibration", 0, 2)
    up = ScriptedUplink()
    up.reject_if = lambda f: f.status["stream"] == "poison"
    dropped: list[tuple[Segment, EdgeError]] = []
    fwd = make(queue, up, clock, on_reject=lambda s, e: dropped.append((s, e)))
    assert fwd.run_once() == 5
    assert len(up.sent) == 4  # the batch, then each of its three segments
    assert [len(b) for b in up.accepted] == [3, 2]
    assert queue.status().depth == 0
    ((segment, error),) = dropped
    assert segment.id == bad and len(segment.records) == 2
    assert error.code == "EDGE_UPLINK_REJECTED" and error.details["status"] == 422
    assert fwd.status()["rejected"] == 2
    assert fwd.status()["online"] is True


def test_default_on_reject_logs(
    queue: DurableQueue, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    put(queue, "telemetry", 0, 1)
    up = ScriptedUplink(SendResult(False, 400, "no"))
    fwd = make(queue, up, clock)
    assert fwd.run_once() == 0
    assert "dropped 1 record(s) of stream 'telemetry'" in caplog.text
    assert queue.status().depth == 0


def test_invalid_records_are_dropped_alone(queue: DurableQueue, clock: Any) -> None:
    queue.put_many("telemetry", [frame(1.0, seq=1), b"\xc1 not msgpack", frame(2.0, seq=2)])
    only_bad = queue.put_many("vibration", [b"[]", b'{"timestamp": -1, "device_id": "x"}'])
    up = ScriptedUplink()
    dropped: list[tuple[Segment, EdgeError]] = []
    fwd = make(queue, up, clock, on_reject=lambda s, e: dropped.append((s, e)))
    assert fwd.run_once() == 3  # "[]" is a valid, empty batch
    assert [seqs(b, "telemetry") for b in up.sent] == [[1, 2]]
    assert queue.status().depth == 0
    assert [(s.records, e.code) for s, e in dropped] == [
        ([b"\xc1 not msgpack"], "EDGE_WIRE_INVALID"),
        ([b'{"timestamp": -1, "device_id": "x"}'], "EDGE_WIRE_INVALID"),
    ]
    assert dropped[1][0].id == only_bad
    assert fwd.status()["rejected"] == 2


def test_segment_of_only_invalid_records_is_not_sent(queue: DurableQueue, clock: Any) -> None:
    queue.put_many("telemetry", [b"\xc1", b"\xc1"])
    up = ScriptedUplink()
    fwd = make(queue, up, clock, on_reject=lambda s, e: None)
    assert fwd.run_once() == 0
    assert up.sent == []
    assert queue.status().depth == 0
    assert fwd.status()["rejected"] == 2
    assert fwd.status()["online"] is None  # the platform was not asked


def test_invalid_records_count_once_despite_retries(queue: DurableQueue, clock: Any) -> None:
    queue.put_many("telemetry", [frame(1.0, seq=1), b"\xc1"])
    dropped: list[Any] = []
    fwd = make(queue, ScriptedUplink(h.down()), clock, on_reject=lambda s, e: dropped.append(s))
    assert fwd.run_once() == 0
    assert (fwd.status()["rejected"], dropped) == (0, [])
    clock.now += 10
    assert fwd.run_once() == 1
    assert fwd.status()["rejected"] == 1 and len(dropped) == 1


def test_failure_while_isolating_keeps_what_is_unconfirmed(queue: DurableQueue, clock: Any) -> None:
    put(queue, "telemetry", 0, 2)
    put(queue, "telemetry", 2, 2)
    up = ScriptedUplink(SendResult(False, 422, "?"), SendResult(True, 200), h.down())
    fwd = make(queue, up, clock)
    assert fwd.run_once() == 2  # the first segment was confirmed alone
    assert fwd.status()["online"] is False
    assert queue.status().depth == 2
    clock.now += 10
    assert fwd.run_once() == 2
    assert queue.status().depth == 0


def test_bandwidth_budget_spends_on_critical_first(queue: DurableQueue, clock: Any) -> None:
    for i in range(4):
        put(queue, "telemetry", 10 * i, 3)
    put(queue, "alerts", 0, 3)
    per_segment = sum(len(r) for r in queue.peek()[0].records)
    rate = 2.5 * per_segment
    up = ScriptedUplink()
    fwd = make(queue, up, clock, bandwidth_bytes_per_s=rate)
    assert fwd.run_once() == 6  # alerts, then one telemetry segment: 2 of 2.5 segments
    assert [f.status["stream"] for f in up.sent[0]] == ["alerts"] * 3 + ["telemetry"] * 3
    assert fwd.run_once() == 3  # 0.5 segment of budget left: one segment, as debt
    assert fwd.run_once() == 0  # in debt: wait
    assert len(up.sent) == 2
    debt = fwd._tokens
    assert debt < 0
    assert fwd._idle_delay() == pytest.approx((1.0 - debt) / rate)
    clock.now += 10.0  # refills up to the burst (1 s of budget), not more
    assert fwd.run_once() == 6
    assert queue.status().depth == 0


def test_batch_byte_limit(queue: DurableQueue, clock: Any) -> None:
    for i in range(4):
        put(queue, "telemetry", 10 * i, 3)
    per_segment = sum(len(r) for r in queue.peek()[0].records)
    up = ScriptedUplink()
    fwd = make(queue, up, clock, max_batch_bytes=2 * per_segment + 1)
    assert fwd.run_once() == 6
    assert fwd.run_once() == 6
    assert [len(b) for b in up.sent] == [6, 6]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_batch_segments": 0},
        {"max_batch_bytes": 0},
        {"idle_s": 0},
        {"burst_s": 0},
        {"bandwidth_bytes_per_s": 0},
    ],
)
def test_invalid_arguments(queue: DurableQueue, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Forwarder(queue, ScriptedUplink(), device_id="d", **kwargs)


# ------------------------------------------------------------------ run loop
class StopAfter:
    """A sleep that advances the fake clock and stops the loop after ``n`` sleeps."""

    def __init__(self, clock: Any, stop: threading.Event, n: int) -> None:
        self.clock, self.stop, self.n = clock, stop, n

    def __call__(self, seconds: float) -> None:
        self.clock.sleep(seconds)
        if len(self.clock.slept) >= self.n:
            self.stop.set()


def test_run_waits_for_the_backoff_then_the_budget_then_closes(
    queue: DurableQueue, clock: Any
) -> None:
    put(queue, "telemetry", 0, 3)
    put(queue, "telemetry", 3, 3)
    segment = queue.peek()[0]
    payload = len(encode_frames([f for r in segment.records for f in decode_frames(r)]))
    rate = segment.nbytes / 2  # the bucket holds half a segment
    stop = threading.Event()
    up = ScriptedUplink(h.down())
    fwd = make(queue, up, clock, bandwidth_bytes_per_s=rate, max_batch_segments=1)
    fwd._sleep = StopAfter(clock, stop, 4)
    fwd.run(stop)
    assert up.closed == 1
    # The failed attempt spent `payload` of the bucket, then the backoff (0.5 s) refilled
    # a quarter segment; the loop waits until one byte is available, sends (no wait after
    # progress), and after each segment waits for its debt to be repaid.
    debt = rate - payload + 0.5 * rate
    assert clock.slept == [
        0.5,
        pytest.approx((1 - debt) / rate),
        pytest.approx(payload / rate),
        pytest.approx(payload / rate),
    ]
    assert len(up.accepted) == 2
    assert queue.status().depth == 0


def test_run_polls_an_empty_queue_every_idle_s(queue: DurableQueue, clock: Any) -> None:
    stop = threading.Event()
    fwd = make(queue, ScriptedUplink(), clock, idle_s=0.25)
    fwd._sleep = StopAfter(clock, stop, 2)
    fwd.run(stop)
    assert clock.slept == [0.25, 0.25]


def test_run_survives_a_failing_queue(
    queue: DurableQueue, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    queue.close()  # every peek now raises EDGE_QUEUE_STORAGE
    stop = threading.Event()
    fwd = make(queue, ScriptedUplink(), clock)
    fwd._sleep = StopAfter(clock, stop, 3)
    fwd.run(stop)
    assert clock.slept == [0.5, 1.0, 2.0]  # the same backoff
    status = fwd.status()
    assert status["online"] is None  # not an uplink problem
    assert "EDGE_QUEUE_STORAGE" in status["last_error"]
    assert "forwarder cycle failed" in caplog.text


def test_run_in_a_thread_stops_promptly(queue: DurableQueue, ingest: Any) -> None:
    up = HttpUplink(ingest.url, device_id="press-1", timeout_s=5)
    fwd = Forwarder(queue, up, device_id="press-1", idle_s=0.01)
    stop = threading.Event()
    thread = threading.Thread(target=fwd.run, args=(stop,))
    thread.start()
    for i in range(20):
        put(queue, "telemetry", 5 * i, 5)
    deadline = time.monotonic() + 10
    while len(ingest.frames()) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(2)
    assert not thread.is_alive()
    assert seqs(ingest.frames(), "telemetry") == list(range(100))
    assert fwd.status()["delivered"] == 100
    assert up._conn is None  # closed on exit


# ------------------------------------------------------------------ fairness
def test_live_stream_is_not_starved_by_a_backlog_of_the_same_priority(
    queue: DurableQueue, clock: Any
) -> None:
    put(queue, "debug", 0, 1)  # a stream that will be empty (depth 0) from now on
    up = ScriptedUplink()
    fwd = make(queue, up, clock, max_batch_segments=4)
    assert fwd.run_once() == 1
    for i in range(50):  # a backlog of 50 segments in one stream...
        put(queue, "telemetry", 10 * i, 10)
    put(queue, "vibration", 0, 1)  # ...then live data of the same priority
    assert fwd.run_once() == 31
    streams = [f.status["stream"] for f in up.sent[1]]
    assert streams[:11] == ["telemetry"] * 10 + ["vibration"]
    put(queue, "vibration", 1, 1)
    put(queue, "vibration", 2, 1)
    assert fwd.run_once() == 22  # round-robin: vibration's turn comes first now
    assert seqs(up.sent[2], "vibration") == [1, 2]
    assert [f.status["stream"] for f in up.sent[2]][:2] == ["vibration", "telemetry"]
