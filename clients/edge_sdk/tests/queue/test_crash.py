"""Crash test: a child enqueues continuously and is SIGKILLed at random moments.

After every kill the parent reopens the queue and checks that every acknowledged record
is present exactly once, that each stream's records and sequence numbers are in order and
contiguous, and that ``PRAGMA integrity_check`` is ok; then it drains a random prefix so
the next run starts with a non-empty queue. Half of the kills are timed at random
(0-50 ms), half right after the child announces a large batch (1,000-3,000 records of
200 bytes, stored uncompressed so a commit writes hundreds of WAL frames). A kill that
landed mid-transaction is recognised by WAL frames after the last commit frame.
"""

from __future__ import annotations

import importlib.util
import random
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest

from cad_ml_edge.queue import DurableQueue

CHILD = Path(__file__).with_name("crash_child.py")
_spec = importlib.util.spec_from_file_location("queue_crash_child", CHILD)
assert _spec is not None and _spec.loader is not None
_child = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_child)
RECORD, STREAMS = _child.RECORD, _child.STREAMS
KILLS = 50


def wal_has_uncommitted_frames(db: Path) -> bool:
    """True when the WAL ends with complete frames of the current generation after the
    last commit frame: a transaction was being written when the process died."""
    wal = Path(f"{db}-wal")
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return False
    page_size, salts = struct.unpack(">I", data[8:12])[0], data[16:24]
    frame, offset, committed = 24 + page_size, 32, True
    while offset + frame <= len(data) and data[offset + 8 : offset + 16] == salts:
        committed = struct.unpack(">I", data[offset + 4 : offset + 8])[0] != 0
        offset += frame
    return not committed


class Child:
    """The crash child with a thread collecting its complete output lines."""

    def __init__(self, db: Path, run: int, durability: str) -> None:
        self.stderr = (db.parent / f"child{run}.err").open("w+")
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(db), str(run), str(run * 7919), durability],
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.lines: list[list[str]] = []
        self.ready = threading.Event()
        self.big_batch = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.endswith("\n"):  # cut by the kill
                break
            parts = line.split()
            self.lines.append(parts)
            if parts[0] == "READY":
                self.ready.set()
            elif parts[0] == "BEGIN" and int(parts[1]) >= 1000:
                self.big_batch.set()

    def kill(self, rnd: random.Random) -> None:
        assert self.ready.wait(10), self._stderr()
        if rnd.random() < 0.5:
            time.sleep(rnd.uniform(0, 0.05))
        else:
            assert self.big_batch.wait(10), self._stderr()
            time.sleep(rnd.uniform(0.0005, 0.006))
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(10) == -signal.SIGKILL, self._stderr()
        self.reader.join(10)
        self.proc.stdout.close()  # type: ignore[union-attr]
        self.stderr.close()

    def _stderr(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()


def _records(run: int, first: int, last: int) -> list[tuple[int, int]]:
    return [(run, counter) for counter in range(first, last + 1)]


@pytest.mark.slow
@pytest.mark.parametrize(("durability", "kills"), [("process", KILLS), ("power", KILLS)])
def test_sigkill_loses_no_acknowledged_record(tmp_path: Path, durability: str, kills: int) -> None:
    rnd = random.Random(20240611)
    db = tmp_path / "queue.db"
    expected: dict[int, tuple[str, list[tuple[int, int]]]] = {}  # acked, not yet drained
    last_delivered = {p.name: (0, 0) for p in STREAMS}  # (run, counter), runs start at 1
    last_seq = dict.fromkeys(last_delivered, 0)
    drained_records = 0
    mid_put = mid_transaction = 0
    started = time.monotonic()
    run = 0
    # Keep going past ``kills`` (at most 50 more) until a kill has hit a commit.
    while run < kills or (mid_transaction == 0 and run < kills + 50):
        run += 1
        child = Child(db, run, durability)
        child.kill(rnd)
        begun = None
        for parts in child.lines:
            if parts[0] == "ACK":
                span = (parts[2], *map(int, parts[3:]))
                expected[int(parts[1])] = (span[0], _records(*span[1:]))
                begun = None
            elif parts[0] == "BEGIN":
                begun = (parts[2], *map(int, parts[3:]))
        mid_put += begun is not None
        mid_transaction += wal_has_uncommitted_frames(db)

        check = sqlite3.connect(db)
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        check.close()
        with DurableQueue(db, streams=STREAMS, durability=durability) as queue:
            segments = queue.peek(max_segments=1_000_000)
            assert queue.status().depth == sum(len(s.records) for s in segments)
            present = {s.id: s for s in segments}
            unacked = [s for s in segments if s.id not in expected]
            # At most the batch being put when the kill came, whole, committed but unreported.
            assert len(unacked) <= 1
            for segment in unacked:
                assert begun is not None and segment.stream == begun[0]
                expected[segment.id] = (begun[0], _records(*begun[1:]))
            for segment_id, (stream, records) in expected.items():
                segment = present[segment_id]  # every acknowledged segment is there
                assert segment.stream == stream
                assert [RECORD.unpack_from(r) for r in segment.records] == records
            for name in last_delivered:  # drained + stored: contiguous, no duplicate, in order
                mine = [s for s in segments if s.stream == name]
                seq = last_seq[name]
                for s in mine:
                    assert (s.first_seq, s.last_seq) == (seq + 1, seq + len(s.records))
                    seq = s.last_seq
                order = [last_delivered[name]]
                order += [RECORD.unpack_from(r) for s in mine for r in s.records]
                assert all(a < b for a, b in pairwise(order))

            drained = segments[: rnd.randint(0, len(segments))]
            assert queue.ack(s.id for s in drained) == len(drained)
            for segment in drained:
                last_delivered[segment.stream] = RECORD.unpack_from(segment.records[-1])
                last_seq[segment.stream] = segment.last_seq
                drained_records += len(segment.records)
                del expected[segment.id]
    elapsed = time.monotonic() - started
    print(
        f"\n{durability}: {run} kills in {elapsed:.1f} s, {mid_put} during put_many, "
        f"{mid_transaction} with uncommitted WAL frames, "
        f"{drained_records} records drained"
    )
    assert mid_put >= kills // 5
    assert mid_transaction >= 1
