"""The durable queue on real SQLite files: order, acks, status, persistence, threads."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cad_ml_edge.errors import EdgeError, QueueFullError
from cad_ml_edge.queue import DurableQueue, Priority, QueueStatus, Segment, StreamPolicy
from cad_ml_edge.queue.segment import encode_segment
from cad_ml_edge.queue.store import SEGMENT_OVERHEAD

if TYPE_CHECKING:
    from conftest import FakeClock

MakeQueue = Callable[..., DurableQueue]

POLICIES = (
    StreamPolicy("alarm", Priority.CRITICAL),
    StreamPolicy("temp", Priority.HIGH),
    StreamPolicy("vib", Priority.LOW, on_full="drop_oldest"),
)


def _drain(queue: DurableQueue) -> list[Segment]:
    segments = queue.peek(max_segments=10_000)
    queue.ack(s.id for s in segments)
    return segments


def test_put_peek_ack_round_trip(make_queue: MakeQueue, clock: FakeClock) -> None:
    queue = make_queue()
    first = queue.put_many("temp", [b"a", b"bb"])
    second = queue.put("temp", b"ccc")
    assert second > first
    segments = queue.peek(max_segments=5)
    assert segments == [
        Segment(first, "temp", Priority.NORMAL, [b"a", b"bb"], 1, 2, clock.now),
        Segment(second, "temp", Priority.NORMAL, [b"ccc"], 3, 3, clock.now),
    ]
    assert queue.peek() == segments[:1]  # peek does not remove
    assert queue.ack([first, first, 999]) == 1  # duplicates and unknown ids ignored
    assert queue.peek() == segments[1:]
    assert queue.ack(iter([second])) == 1
    assert queue.peek() == []


def test_priority_first_fifo_within_priority(make_queue: MakeQueue) -> None:
    queue = make_queue(streams=POLICIES)
    ids = {
        ("vib", 1): queue.put("vib", b"v1"),
        ("other", 1): queue.put("other", b"o1"),  # default policy: NORMAL
        ("temp", 1): queue.put("temp", b"t1"),
        ("alarm", 1): queue.put("alarm", b"a1"),
        ("temp", 2): queue.put("temp", b"t2"),
        ("vib", 2): queue.put("vib", b"v2"),
        ("alarm", 2): queue.put("alarm", b"a2"),
    }
    order = [(s.stream, s.records[0]) for s in queue.peek(max_segments=100)]
    assert order == [
        ("alarm", b"a1"),
        ("alarm", b"a2"),
        ("temp", b"t1"),
        ("temp", b"t2"),
        ("other", b"o1"),
        ("vib", b"v1"),
        ("vib", b"v2"),
    ]
    assert queue.peek()[0].id == ids[("alarm", 1)]
    assert queue.policy("other") == StreamPolicy("other")
    assert queue.policy("other") is queue.policy("other")


def test_sequence_numbers_per_stream_survive_drain_and_restart(make_queue: MakeQueue) -> None:
    queue = make_queue()
    queue.put_many("a", [b"1", b"2", b"3"])
    queue.put_many("b", [b"x"])
    _drain(queue)
    queue.close()
    queue = make_queue()
    queue.put_many("a", [b"4", b"5"])
    [segment] = queue.peek()
    assert (segment.first_seq, segment.last_seq) == (4, 5)


def test_peek_limits(make_queue: MakeQueue) -> None:
    queue = make_queue()
    for size in (50, 30, 30, 10):
        queue.put_many("s", [b"x" * size])
    assert len(queue.peek(max_segments=3)) == 3
    assert [s.nbytes for s in queue.peek(10, max_bytes=80)] == [50, 30]
    assert [s.nbytes for s in queue.peek(10, max_bytes=10)] == [50]  # first always
    with pytest.raises(ValueError, match="max_segments"):
        queue.peek(0)


def test_peek_one_stream(make_queue: MakeQueue) -> None:
    queue = make_queue(streams=POLICIES)
    queue.put("vib", b"v1")
    queue.put("alarm", b"a1")
    queue.put_many("vib", [b"v2", b"v3"])
    queue.put("vib", b"v4" * 50)
    assert [s.records for s in queue.peek(5, stream="vib")] == [
        [b"v1"],
        [b"v2", b"v3"],
        [b"v4" * 50],
    ]
    assert [s.records for s in queue.peek(5, max_bytes=10, stream="vib")] == [
        [b"v1"],
        [b"v2", b"v3"],
    ]
    assert [s.records for s in queue.peek(5, stream="alarm")] == [[b"a1"]]
    assert queue.peek(5, stream="nothing") == []


def test_invalid_batches(make_queue: MakeQueue) -> None:
    queue = make_queue()
    with pytest.raises(ValueError, match="at least one"):
        queue.put_many("s", [])
    with pytest.raises(TypeError):
        queue.put("s", "text")  # type: ignore[arg-type]
    with pytest.raises(EdgeError, match="EDGE_CONFIG_INVALID"):
        queue.put("", b"x")
    assert queue.status().depth == 0


def test_status(make_queue: MakeQueue, clock: FakeClock) -> None:
    queue = make_queue(max_bytes=10_000, streams=POLICIES)
    assert queue.status() == QueueStatus(
        depth=0,
        bytes=0,
        segments=0,
        max_bytes=10_000,
        capacity_pct=0.0,
        oldest_age_s=None,
        streams={},
        dropped={},
        expired={},
        evicted={},
        rejected={},
        quarantined={},
    )
    queue.put_many("temp", [b"a" * 100] * 3)
    clock.advance(7.5)
    queue.put("alarm", b"!")
    clock.advance(0.5)
    status = queue.status()
    assert (status.depth, status.segments, status.streams) == (4, 2, {"temp": 3, "alarm": 1})
    assert status.oldest_age_s == 8.0
    assert 0 < status.bytes < 1000
    assert status.capacity_pct == pytest.approx(status.bytes / 100)
    _drain(queue)
    assert queue.status().streams == {"temp": 0, "alarm": 0}
    assert queue.status().bytes == 0


def test_clock_going_back_gives_age_zero(make_queue: MakeQueue, clock: FakeClock) -> None:
    queue = make_queue()
    queue.put("s", b"x")
    clock.advance(-60)
    assert queue.status().oldest_age_s == 0.0


def test_changed_priority_applies_to_stored_segments(make_queue: MakeQueue) -> None:
    queue = make_queue(streams=[StreamPolicy("a", Priority.LOW), StreamPolicy("b")])
    queue.put("a", b"a1")
    queue.put("b", b"b1")
    queue.put("a", b"a2")
    queue.close()
    queue = make_queue(streams=[StreamPolicy("a", Priority.CRITICAL), StreamPolicy("b")])
    queue.put("a", b"a3")
    got = [(s.stream, s.priority, s.records[0]) for s in queue.peek(10)]
    assert got == [
        ("a", Priority.CRITICAL, b"a1"),
        ("a", Priority.CRITICAL, b"a2"),
        ("a", Priority.CRITICAL, b"a3"),
        ("b", Priority.NORMAL, b"b1"),
    ]


def test_close_is_idempotent_and_final(make_queue: MakeQueue) -> None:
    with make_queue() as queue:
        queue.put("s", b"x")
    queue.close()
    for call in (lambda: queue.put("s", b"y"), queue.peek, queue.status, queue.expire):
        with pytest.raises(EdgeError, match=r"EDGE_QUEUE_STORAGE.*closed") as caught:
            call()
        assert caught.value.code == "EDGE_QUEUE_STORAGE"
    with pytest.raises(EdgeError, match="closed"):
        queue.ack([1])


def test_threads_share_one_queue(make_queue: MakeQueue) -> None:
    queue = make_queue()
    producers = 4
    per_producer = 200
    delivered: list[bytes] = []
    done = threading.Event()

    def produce(n: int) -> None:
        for i in range(per_producer):
            queue.put_many(f"p{n}", [f"{n}:{i}:{j}".encode() for j in range(5)])

    def consume() -> None:
        while not (done.is_set() and queue.status().depth == 0):
            for segment in queue.peek(max_segments=8):
                delivered.extend(segment.records)
                queue.ack([segment.id])

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(producers)]
    consumer = threading.Thread(target=consume)
    consumer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    consumer.join(30)
    assert not consumer.is_alive()
    expected = [f"{n}:{i}:{j}".encode() for n in range(4) for i in range(200) for j in range(5)]
    assert sorted(delivered) == sorted(expected)  # each exactly once
    for n in range(producers):  # in order per stream
        mine = [r for r in delivered if r.startswith(f"{n}:".encode())]
        assert mine == [f"{n}:{i}:{j}".encode() for i in range(200) for j in range(5)]


def test_two_queue_objects_on_one_file(make_queue: MakeQueue, tmp_path: Path) -> None:
    one, two = make_queue(), make_queue()
    one.put("s", b"1")
    two.put("s", b"2")
    one.put("s", b"3")
    assert [s.records[0] for s in two.peek(5)] == [b"1", b"2", b"3"]
    assert [(s.first_seq, s.last_seq) for s in one.peek(5)] == [(1, 1), (2, 2), (3, 3)]
    assert two.status().depth == 3


def test_schema_and_pragmas_on_disk(make_queue: MakeQueue, tmp_path: Path) -> None:
    make_queue().put("s", b"x")
    check = sqlite3.connect(tmp_path / "queue.db")
    assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert check.execute("PRAGMA user_version").fetchone() == (1,)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"segments", "streams", "counters", "quarantine"} <= tables
    check.close()


def test_alerts_fire_on_crossings_and_rearm(make_queue: MakeQueue) -> None:
    seen: list[tuple[str, float]] = []
    size = len(encode_segment([b"x" * 100], 0)[0]) + SEGMENT_OVERHEAD
    queue = make_queue(
        max_bytes=int(size * 6 / 0.97),  # 5 records: 81 %, 6: 97 %
        compress_level=0,
        on_alert=lambda name, usage: seen.append((name, usage)),
    )
    ids = [queue.put("s", b"x" * 100) for _ in range(6)]
    assert [name for name, _ in seen] == ["queue_capacity_80", "queue_capacity_95"]
    assert 0.8 <= seen[0][1] < 0.82 and 0.95 <= seen[1][1] <= 0.98
    with pytest.raises(QueueFullError):
        queue.put("s", b"x" * 100)
    assert len(seen) == 2  # still above both: nothing new
    queue.ack(ids[:3])  # 48 %: both re-armed
    queue.put_many("s", [b"z" * 100] * 3)  # 83 %
    assert [name for name, _ in seen[2:]] == ["queue_capacity_80"]


def test_alert_at_open_when_already_full(make_queue: MakeQueue) -> None:
    queue = make_queue(max_bytes=1000, compress_level=0)
    queue.put("s", b"x" * 900)
    queue.close()
    seen: list[str] = []
    make_queue(max_bytes=1000, on_alert=lambda name, usage: seen.append(name))
    assert seen == ["queue_capacity_80", "queue_capacity_95"]


def test_failing_alert_callback_does_not_fail_the_put(
    make_queue: MakeQueue, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(name: str, usage: float) -> None:
        raise RuntimeError("no pager")

    queue = make_queue(max_bytes=1000, compress_level=0, on_alert=boom)
    with caplog.at_level(logging.ERROR, logger="cad_ml_edge.queue"):
        segment_id = queue.put("s", b"x" * 900)
    assert [s.id for s in queue.peek()] == [segment_id]
    assert "alert callback failed" in caplog.text
