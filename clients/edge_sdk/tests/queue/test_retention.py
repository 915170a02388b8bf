"""TTL expiry, and loss counters that survive a restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cad_ml_edge.errors import QueueFullError
from cad_ml_edge.queue import DurableQueue, StreamPolicy

if TYPE_CHECKING:
    from conftest import FakeClock

MakeQueue = Callable[..., DurableQueue]


def test_expire_by_stream_ttl(make_queue: MakeQueue, clock: FakeClock) -> None:
    queue = make_queue(
        streams=[StreamPolicy("short", ttl_s=60), StreamPolicy("forever")],
        default_policy=StreamPolicy("*", ttl_s=600),
    )
    queue.put_many("short", [b"a", b"b"])
    queue.put("forever", b"f")
    queue.put("misc", b"m")  # the default policy's TTL
    clock.advance(60)
    assert queue.expire() == 0  # exactly the TTL old: kept
    clock.advance(1)
    queue.put("short", b"c")
    assert queue.expire() == 2
    clock.advance(600)
    assert queue.expire() == 2
    status = queue.status()
    assert status.expired == {"short": 3, "misc": 1}
    assert status.dropped == {"short": 3, "misc": 1}
    assert status.streams == {"short": 0, "forever": 1, "misc": 0}
    assert [s.records for s in queue.peek(10)] == [[b"f"]]


def test_expiry_goes_from_the_head_of_a_stream(make_queue: MakeQueue, clock: FakeClock) -> None:
    queue = make_queue(streams=[StreamPolicy("s", ttl_s=60)])
    queue.put("s", b"first")
    clock.advance(-100)  # the wall clock is stepped back (NTP)
    queue.put("s", b"second")  # stamped 100 s before "first"
    clock.advance(61)
    assert queue.expire() == 0  # "second" is past its TTL, but "first" is not: no hole
    clock.advance(100)
    assert queue.expire() == 2
    assert queue.status().depth == 0


def test_peek_expires_at_most_once_a_second(make_queue: MakeQueue, clock: FakeClock) -> None:
    queue = make_queue(streams=[StreamPolicy("s", ttl_s=10)])
    queue.put("s", b"old")
    assert len(queue.peek()) == 1  # expiry ran: nothing old enough
    clock.advance(10.5)
    assert queue.peek() == []  # more than a second later: it ran again
    queue.put("s", b"new")
    clock.advance(0.5)
    assert len(queue.peek()) == 1  # within the second: no scan
    clock.advance(10)
    assert queue.status().depth == 1  # past its TTL, still there until the next scan
    assert queue.peek() == []
    assert queue.status().expired == {"s": 2}


def test_counters_survive_a_restart(
    make_queue: MakeQueue, clock: FakeClock, tmp_path: Path
) -> None:
    policies = [
        StreamPolicy("r"),
        StreamPolicy("d", on_full="drop_oldest", ttl_s=5),
    ]
    queue = make_queue(max_bytes=600, compress_level=0, streams=policies)
    queue.put("d", b"x" * 100)
    clock.advance(6)
    queue.expire()  # d: 1 expired
    queue.put_many("d", [b"y" * 100, b"y" * 100])
    queue.put("d", b"z" * 100)
    queue.put("d", b"w" * 100)  # evicts the 2-record segment
    with pytest.raises(QueueFullError):
        queue.put_many("r", [b"r" * 300] * 3)  # r: 3 rejected
    bad = queue.put("r", b"q")
    conn = sqlite3.connect(tmp_path / "queue.db")
    conn.execute("UPDATE segments SET crc = crc + 1 WHERE id = ?", (bad,))
    conn.commit()
    conn.close()
    queue.peek(10)  # r: 1 quarantined
    expected = queue.status()
    assert (expected.expired, expected.evicted) == ({"d": 1}, {"d": 2})
    assert (expected.rejected, expected.quarantined) == ({"r": 3}, {"r": 1})
    assert expected.dropped == {"d": 3}
    queue.close()
    assert make_queue(streams=policies, max_bytes=600).status() == expected
