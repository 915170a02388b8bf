"""Corrupt bytes on disk: the segment is quarantined and reported, never delivered."""

from __future__ import annotations

import logging
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from cad_ml_edge.errors import CorruptRecordError
from cad_ml_edge.queue import DurableQueue

MakeQueue = Callable[..., DurableQueue]


def _flip_a_stored_byte(db: Path, segment_id: int) -> None:
    conn = sqlite3.connect(db)
    body = bytearray(
        conn.execute("SELECT body FROM segments WHERE id = ?", (segment_id,)).fetchone()[0]
    )
    body[len(body) // 2] ^= 0x40
    conn.execute("UPDATE segments SET body = ? WHERE id = ?", (bytes(body), segment_id))
    conn.commit()
    conn.close()


def _corrupt_a_record_behind_a_valid_crc(db: Path, segment_id: int) -> None:
    conn = sqlite3.connect(db)
    blob = conn.execute("SELECT body FROM segments WHERE id = ?", (segment_id,)).fetchone()[0]
    body = bytearray(zlib.decompress(blob))
    body[-1] ^= 0x01  # inside the last payload
    blob = zlib.compress(bytes(body))
    conn.execute(
        "UPDATE segments SET body = ?, crc = ? WHERE id = ?", (blob, zlib.crc32(blob), segment_id)
    )
    conn.commit()
    conn.close()


def test_corrupt_segment_is_quarantined_not_delivered(
    make_queue: MakeQueue, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = make_queue()
    first = queue.put_many("s", [b"a1", b"a2"])
    bad = queue.put_many("s", [b"b1", b"b2", b"b3"])
    last = queue.put_many("s", [b"c1"])
    _flip_a_stored_byte(tmp_path / "queue.db", bad)
    with caplog.at_level(logging.ERROR, logger="cad_ml_edge.queue"):
        assert [s.id for s in queue.peek(max_segments=2)] == [first, last]  # filled past it
    assert f"segment {bad} of stream 's': segment CRC mismatch" in caplog.text
    status = queue.status()
    assert (status.depth, status.quarantined, status.streams) == (3, {"s": 3}, {"s": 3})
    conn = sqlite3.connect(tmp_path / "queue.db")
    row = conn.execute("SELECT id, stream, count, first_seq, reason FROM quarantine").fetchall()
    conn.close()
    assert row == [(bad, "s", 3, 3, f"segment {bad} of stream 's': segment CRC mismatch")]
    caplog.clear()
    assert [s.id for s in queue.peek(max_segments=5)] == [first, last]
    assert caplog.text == ""  # reported once


def test_record_crc_catches_what_the_segment_crc_cannot(
    make_queue: MakeQueue, tmp_path: Path
) -> None:
    queue = make_queue()
    bad = queue.put_many("s", [b"x1", b"x2"])
    _corrupt_a_record_behind_a_valid_crc(tmp_path / "queue.db", bad)
    assert queue.peek() == []
    assert queue.status().quarantined == {"s": 2}


def test_strict_raises_after_quarantining(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue(strict=True)
    bad = queue.put("s", b"bad")
    good = queue.put("s", b"good")
    _flip_a_stored_byte(tmp_path / "queue.db", bad)
    with pytest.raises(CorruptRecordError) as caught:
        queue.peek()
    assert caught.value.code == "EDGE_RECORD_CORRUPT"
    assert f"segment {bad} of stream 's'" in caught.value.message()
    assert [s.id for s in queue.peek()] == [good]  # moved aside: the rest flows
