"""A full queue: the size cap under both policies, the disk reserve, a real full disk."""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cad_ml_edge.errors import QueueFullError
from cad_ml_edge.queue import DurableQueue, Priority, StreamPolicy
from cad_ml_edge.queue.segment import encode_segment
from cad_ml_edge.queue.store import SEGMENT_OVERHEAD

if TYPE_CHECKING:
    from conftest import FakeClock

MakeQueue = Callable[..., DurableQueue]
REC = b"r" * 100


def size_of(payloads: list[bytes]) -> int:
    """What a segment counts against ``max_bytes`` at ``compress_level=0``."""
    return len(encode_segment(payloads, 0)[0]) + SEGMENT_OVERHEAD


ONE = size_of([REC])


def test_reject_policy_writes_nothing(make_queue: MakeQueue) -> None:
    queue = make_queue(max_bytes=ONE * 3, compress_level=0)
    ids = [queue.put("s", REC) for _ in range(3)]
    before = queue.status()
    assert before.bytes == ONE * 3
    with pytest.raises(QueueFullError) as caught:
        queue.put_many("s", [REC, REC])
    assert caught.value.code == "EDGE_QUEUE_FULL"
    assert caught.value.details == {"stream": "s", "limit_bytes": ONE * 3}
    after = queue.status()
    assert (after.depth, after.bytes, after.segments) == (3, before.bytes, 3)
    assert (after.rejected, after.dropped) == ({"s": 2}, {})
    queue.ack(ids[:1])
    queue.put("s", REC)
    assert queue.peek(10)[-1].first_seq == 4  # the rejected batch took no sequence numbers


def test_drop_oldest_evicts_whole_segments_of_the_stream(make_queue: MakeQueue) -> None:
    queue = make_queue(
        max_bytes=ONE * 3,
        compress_level=0,
        streams=[StreamPolicy("v", on_full="drop_oldest"), StreamPolicy("k")],
    )
    keep = queue.put("k", REC)
    ids = [queue.put("v", bytes([i]) * 100) for i in range(2)]
    assert ONE < size_of([REC, REC]) <= 2 * ONE
    new = queue.put_many("v", [REC, REC])  # needs two segments' room: both of v's go
    assert [s.id for s in queue.peek(10)] == [keep, new]
    status = queue.status()
    assert (status.evicted, status.dropped, status.rejected) == ({"v": 2}, {"v": 2}, {})
    assert ids[0] not in {s.id for s in queue.peek(10)}


def test_drop_oldest_takes_lowest_priority_drop_streams_only(make_queue: MakeQueue) -> None:
    queue = make_queue(
        max_bytes=ONE * 4,
        compress_level=0,
        streams=[
            StreamPolicy("crit", Priority.CRITICAL),
            StreamPolicy("hi", Priority.HIGH, on_full="drop_oldest"),
            StreamPolicy("norm", Priority.NORMAL, on_full="drop_oldest"),
            StreamPolicy("low", Priority.LOW, on_full="drop_oldest"),
            StreamPolicy("low_keep", Priority.LOW),  # reject: its data is never evicted
        ],
    )
    queue.put("low_keep", REC)
    norm_old = queue.put("norm", REC)
    low_new = queue.put("low", REC)
    queue.put("crit", REC)
    hi = queue.put("hi", REC)  # hi has nothing: lowest priority first, though newer
    assert low_new not in {s.id for s in queue.peek(10)}
    assert norm_old in {s.id for s in queue.peek(10)}
    norm = queue.put("norm", REC)  # its own oldest goes
    assert norm_old not in {s.id for s in queue.peek(10)}
    with pytest.raises(QueueFullError, match="EDGE_QUEUE_FULL"):
        queue.put("low", REC)  # nothing of priority >= LOW may go but low_keep's
    status = queue.status()
    assert status.evicted == {"low": 1, "norm": 1}
    assert status.rejected == {"low": 1}
    assert [s.stream for s in queue.peek(10)] == ["crit", "hi", "norm", "low_keep"]
    assert {hi, norm} <= {s.id for s in queue.peek(10)}


def test_segment_larger_than_the_cap_evicts_nothing(make_queue: MakeQueue) -> None:
    queue = make_queue(
        max_bytes=ONE * 3, compress_level=0, streams=[StreamPolicy("v", on_full="drop_oldest")]
    )
    queue.put("v", REC)
    assert size_of([REC] * 5) > ONE * 3
    with pytest.raises(QueueFullError, match="EDGE_QUEUE_FULL"):
        queue.put_many("v", [REC] * 5)
    assert (queue.status().depth, queue.status().evicted) == (1, {})


def test_expired_segments_make_room_first(make_queue: MakeQueue, clock: FakeClock) -> None:
    queue = make_queue(max_bytes=ONE, compress_level=0, streams=[StreamPolicy("t", ttl_s=10)])
    queue.put("t", REC)
    clock.advance(11)
    fresh = queue.put("t", REC)  # full, and the old one expired: it goes
    assert [s.id for s in queue.peek(5)] == [fresh]
    assert queue.status().expired == {"t": 1}
    clock.advance(11)
    queue.expire()  # just ran: a put within the second does not scan again
    queue.put("u", b"u")
    with pytest.raises(QueueFullError):
        queue.put("t", REC)


def test_reserve_larger_than_the_disk_refuses_puts(make_queue: MakeQueue) -> None:
    queue = make_queue(reserve_bytes=10**18)
    with pytest.raises(QueueFullError) as caught:
        queue.put_many("s", [b"x", b"y"])
    assert caught.value.code == "EDGE_DISK_FULL"
    assert caught.value.details["records"] == 2
    assert "is full" in caught.value.message() and "dolu" in caught.value.message("tr")
    assert queue.status().depth == 0
    assert queue.status().rejected == {"s": 2}


def test_reserve_zero_leaves_the_disk_to_sqlite(make_queue: MakeQueue) -> None:
    queue = make_queue(reserve_bytes=0)
    queue.put("s", b"x")
    assert queue.status().depth == 1


def _batch(n: int) -> list[bytes]:
    return [struct.pack("<Q", n * 10 + i) + b"." * 192 for i in range(10)]


def _records(segments: list) -> list[int]:  # type: ignore[type-arg]
    return [struct.unpack_from("<Q", r)[0] for s in segments for r in s.records]


def test_tiny_disk_with_reserve_refuses_then_recovers(tiny_disk: Path) -> None:
    path = tiny_disk / "queue.db"
    queue = DurableQueue(path, reserve_bytes=256 * 1024, compress_level=0)
    acked: list[int] = []
    with pytest.raises(QueueFullError) as caught:
        for n in range(100_000):
            queue.put_many("s", _batch(n))
            acked.append(n)
    assert caught.value.code == "EDGE_DISK_FULL"
    assert caught.value.__cause__ is None  # refused before SQLite met ENOSPC
    assert len(acked) > 200  # the WAL was checkpointed, not left to eat the disk
    assert queue.status().depth == 10 * len(acked)
    segments = queue.peek(max_segments=10_000)
    assert _records(segments) == list(range(10 * len(acked)))
    half = len(segments) // 2
    for start in range(0, half, 10):  # an uplink's acks, 10 segments at a time
        queue.ack(s.id for s in segments[start : min(start + 10, half)])
    queue.put_many("s", _batch(len(acked)))  # the freed pages are used again
    queue.close()
    with DurableQueue(path, reserve_bytes=256 * 1024) as queue:
        assert _records(queue.peek(max_segments=10_000)) == [
            *_records(segments[half:]),
            *range(10 * len(acked), 10 * len(acked) + 10),
        ]
        assert queue.status().rejected == {"s": 10}


def test_tiny_disk_enospc_from_sqlite_writes_nothing(tiny_disk: Path) -> None:
    path = tiny_disk / "queue.db"
    queue = DurableQueue(path, reserve_bytes=0, compress_level=0)
    acked: list[int] = []
    with pytest.raises(QueueFullError) as caught:
        for n in range(100_000):
            queue.put_many("s", _batch(n))
            acked.append(n)
    assert caught.value.code == "EDGE_DISK_FULL"
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert str(path) in str(caught.value)
    assert queue.status().depth == 10 * len(acked)
    queue.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()
    with DurableQueue(path, reserve_bytes=0) as queue:
        assert _records(queue.peek(max_segments=10_000)) == list(range(10 * len(acked)))
