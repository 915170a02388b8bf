"""The durable store-and-forward queue: prioritised, size-capped, one segment per batch.

A batch given to :meth:`DurableQueue.put_many` becomes one
:class:`~cad_ml_edge.queue.segment.Segment` (compressed once, a CRC per record and per
segment) written in one SQLite transaction; when the call returns the records are durable
(see :mod:`cad_ml_edge.queue.database` for what "durable" means at each ``durability``).
Uplinks :meth:`~DurableQueue.peek` segments (critical first, FIFO within a priority, in
order per stream) and :meth:`~DurableQueue.ack` them once the platform confirmed them:
delivery is at least once, and the server dedups.

Space: ``max_bytes`` caps the stored bytes (compressed blobs plus
:data:`SEGMENT_OVERHEAD` per segment); each stream's policy decides what a put does at the
cap. Independently, a put needs ``reserve_bytes`` of free disk (free pages of the file
count) on top of its blob, after a WAL checkpoint if need be; otherwise it fails with
``EDGE_DISK_FULL`` and writes nothing. The reserve is what lets acks and checkpoints run
on a full disk: without it (``reserve_bytes=0``) SQLite meets ``ENOSPC`` itself (still
``EDGE_DISK_FULL``, nothing written) and the WAL may have taken the last free bytes, so
acks fail too until space is freed.

One :class:`DurableQueue` holds one connection and may be shared between threads. The
per-stream figures live in the database and change in the same transaction as the
segments, so they are exact after any crash.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cad_ml_edge.errors import ConfigError, CorruptRecordError, EdgeError, QueueFullError
from cad_ml_edge.queue import database as db
from cad_ml_edge.queue.alerts import AlertCallback, CapacityAlarm
from cad_ml_edge.queue.policy import Priority, StreamPolicy
from cad_ml_edge.queue.segment import Segment, decode_segment, encode_segment

__all__ = ["SEGMENT_OVERHEAD", "DurableQueue", "QueueStatus"]

SEGMENT_OVERHEAD = 64
"""Bytes counted per segment on top of its blob (row header, index entries)."""

_AUTO_EXPIRE_INTERVAL_S = 1.0

_Row = tuple[Any, ...]  # (id, stream, count, size) of a segment being removed

_log = logging.getLogger("cad_ml_edge.queue")


@dataclass(frozen=True)
class QueueStatus:
    """A snapshot of the queue.

    Attributes:
        depth: records stored.
        bytes: stored bytes as counted against ``max_bytes``.
        segments: segments stored.
        max_bytes: the cap.
        capacity_pct: ``bytes`` as a percentage of ``max_bytes``.
        oldest_age_s: age of the oldest stored segment (the oldest of the streams' first
            segments); None when empty.
        streams: records stored per stream (every stream seen, 0 included).
        dropped: records lost per stream (``expired`` + ``evicted``).
        expired: records dropped by their stream's TTL, per stream.
        evicted: records evicted to make room (``drop_oldest``), per stream.
        rejected: records refused by a put (queue or disk full), per stream.
        quarantined: records moved aside because a CRC failed, per stream.
    """

    depth: int
    bytes: int
    segments: int
    max_bytes: int
    capacity_pct: float
    oldest_age_s: float | None
    streams: dict[str, int]
    dropped: dict[str, int]
    expired: dict[str, int]
    evicted: dict[str, int]
    rejected: dict[str, int]
    quarantined: dict[str, int]


class DurableQueue:
    """A durable, prioritised, size-capped queue of byte records in one SQLite file.

    Args:
        path: the database file (created with its schema when missing).
        max_bytes: the cap on stored bytes (see the module docstring).
        streams: the policies of known streams.
        default_policy: the policy of any other stream (its name replaced).
        alert_thresholds: capacity fractions that fire ``on_alert`` once per upward
            crossing; each re-arms when usage falls below it.
        on_alert: called as ``on_alert("queue_capacity_80", usage_fraction)``.
        compress_level: zlib level per segment (0 stores, 1 fastest, 9 smallest).
        clock: the wall clock (unix seconds) for ``created_at``, ages and TTLs.
        durability: ``"process"`` (survives a crash of the process) or ``"power"``
            (survives a power cut; an fsync per put).
        reserve_bytes: free disk space a put must leave (0 disables the check).
        strict: make :meth:`peek` raise :class:`~cad_ml_edge.errors.CorruptRecordError`
            after quarantining a segment, instead of only logging and counting it.
        busy_timeout_s: how long to wait for another process holding the write lock.

    Raises:
        ConfigError: an invalid argument.
        EdgeError: ``EDGE_QUEUE_STORAGE`` when the file cannot be opened as a queue.

    Examples:
        >>> import os, tempfile
        >>> with DurableQueue(os.path.join(tempfile.mkdtemp(), "q.db")) as q:
        ...     sid = q.put_many("temp", [b"a", b"b"])
        ...     [s.records for s in q.peek()], q.ack([sid]), q.status().depth
        ([[b'a', b'b']], 1, 0)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        streams: Iterable[StreamPolicy] = (),
        default_policy: StreamPolicy = StreamPolicy("*"),
        alert_thresholds: Iterable[float] = (0.8, 0.95),
        on_alert: AlertCallback | None = None,
        compress_level: int = 1,
        clock: Callable[[], float] = time.time,
        durability: str = "process",
        reserve_bytes: int = 16 * 1024 * 1024,
        strict: bool = False,
        busy_timeout_s: float = 5.0,
    ) -> None:
        _check_arguments(max_bytes, compress_level, durability, reserve_bytes)
        self.path = str(path)
        self.max_bytes = max_bytes
        self.durability = durability
        self.reserve_bytes = reserve_bytes
        self.strict = strict
        self._policies = {p.name: p for p in streams}
        self._default = default_policy
        self._alarm = CapacityAlarm(alert_thresholds, on_alert)
        self._compress_level = compress_level
        self._clock = clock
        self._next_expire = float("-inf")
        self._lock = threading.RLock()
        with self._storage():
            self._conn = db.open_database(
                self.path, durability, busy_timeout_s, reserve_bytes, self._normalise_priorities
            )
        self._check_alerts()

    # -- public API ------------------------------------------------------------------

    def policy(self, stream: str) -> StreamPolicy:
        """The policy that applies to ``stream`` (its own, or the default renamed)."""
        found = self._policies.get(stream)
        if found is None:
            found = self._policies[stream] = replace(self._default, name=stream)
        return found

    def put(self, stream: str, payload: bytes) -> int:
        """Store one record; see :meth:`put_many`."""
        return self.put_many(stream, (payload,))

    def put_many(self, stream: str, payloads: Sequence[bytes]) -> int:
        """Store a batch as one segment in one transaction; durable when it returns.

        At the cap, expired segments go first; then the stream's policy applies:
        ``reject`` stores nothing; ``drop_oldest`` evicts the stream's oldest whole
        segments, then the oldest of the lowest-priority ``drop_oldest`` streams that are
        not more important than this one (never a ``reject`` stream's data).

        Args:
            stream: the stream's name.
            payloads: the records, at least one.

        Returns:
            The new segment's id.

        Raises:
            QueueFullError: ``EDGE_QUEUE_FULL`` (the policy rejects, or even evicting
                cannot make room) or ``EDGE_DISK_FULL``; nothing was stored.
            EdgeError: ``EDGE_QUEUE_STORAGE`` for any other storage failure.
            ValueError: no payloads.
        """
        policy = self.policy(stream)
        blob, crc, _ = encode_segment(payloads, self._compress_level)
        count = len(payloads)
        with self._lock:
            try:
                with self._storage(stream, count):
                    self._ensure_disk(stream, count, len(blob))
                    with self._transaction() as conn:
                        segment_id = self._insert(conn, policy, blob, crc, count)
            except QueueFullError:  # the disk: nothing was written; count it if we can
                with contextlib.suppress(EdgeError), self._storage(), self._transaction() as conn:
                    db.count(conn, {stream: count}, "rejected")
                raise
            self._check_alerts()
        if segment_id is None:
            raise QueueFullError("EDGE_QUEUE_FULL", stream=stream, limit_bytes=self.max_bytes)
        return segment_id

    def peek(
        self, max_segments: int = 1, max_bytes: int | None = None, stream: str | None = None
    ) -> list[Segment]:
        """The next segments to send, without removing them.

        Order: priority class (critical first), then oldest first; so each stream's
        records come in enqueue order. A segment whose CRC fails is moved to the
        quarantine table, logged and counted, and never returned. At most once a second
        it first drops expired segments.

        Args:
            max_segments: at most this many segments.
            max_bytes: stop before the payloads would exceed this many bytes (the first
                segment is returned whatever its size).
            stream: only this stream's segments (oldest first), e.g. to round-robin
                between the streams of ``status().streams``.

        Returns:
            Up to ``max_segments`` segments; empty when the queue is.

        Raises:
            CorruptRecordError: with ``strict=True``, after quarantining a segment.
            ValueError: ``max_segments`` < 1.
        """
        if max_segments < 1:
            raise ValueError("max_segments must be >= 1")
        with self._lock, self._storage():
            now = self._clock()
            if now >= self._next_expire:
                with self._transaction() as conn:
                    self._expire(conn, now)
            segments, corrupt = self._read(max_segments, max_bytes, stream)
            if corrupt:
                with self._transaction() as conn:
                    self._quarantine(conn, corrupt, now)
            self._check_alerts()
        if corrupt and self.strict:
            raise corrupt[0][1]
        return segments

    def ack(self, segment_ids: Iterable[int]) -> int:
        """Delete delivered segments; unknown ids (already gone) are ignored.

        Returns:
            How many segments were deleted.
        """
        with self._lock, self._storage(), self._transaction() as conn:
            rows = []
            for segment_id in dict.fromkeys(segment_ids):
                row = conn.execute(
                    "SELECT id, stream, count, size FROM segments WHERE id = ?", (segment_id,)
                ).fetchone()
                if row is not None:
                    rows.append(row)
            db.delete_segments(conn, rows, None)
        self._check_alerts()
        return len(rows)

    def expire(self) -> int:
        """Drop the segments older than their stream's TTL (counted as ``expired``).

        :meth:`peek` does this at most once a second, and :meth:`put_many` at the cap.

        Returns:
            How many records were dropped.
        """
        with self._lock, self._storage(), self._transaction() as conn:
            dropped, _ = self._expire(conn, self._clock())
        self._check_alerts()
        return dropped

    def status(self) -> QueueStatus:
        """A consistent snapshot of depth, bytes, ages and loss counters."""
        with self._lock, self._storage(), self._transaction("DEFERRED") as conn:
            streams = conn.execute("SELECT stream, records, segments, bytes FROM streams")
            streams = streams.fetchall()
            counters = conn.execute("SELECT reason, stream, records FROM counters").fetchall()
            # Each stream's first segment by id, through its index: no scan of the table.
            oldest = conn.execute(
                "SELECT MIN((SELECT created_at FROM segments WHERE segments.stream ="
                " streams.stream ORDER BY id LIMIT 1)) FROM streams WHERE segments > 0"
            ).fetchone()[0]
        by_reason: dict[str, dict[str, int]] = {}
        for reason, stream, records in counters:
            by_reason.setdefault(reason, {})[stream] = records
        expired, evicted = by_reason.get("expired", {}), by_reason.get("evicted", {})
        stored = sum(row[3] for row in streams)
        return QueueStatus(
            depth=sum(row[1] for row in streams),
            bytes=stored,
            segments=sum(row[2] for row in streams),
            max_bytes=self.max_bytes,
            capacity_pct=100.0 * stored / self.max_bytes,
            oldest_age_s=None if oldest is None else max(0.0, self._clock() - oldest),
            streams={row[0]: row[1] for row in streams},
            dropped={s: expired.get(s, 0) + evicted.get(s, 0) for s in {*expired, *evicted}},
            expired=expired,
            evicted=evicted,
            rejected=by_reason.get("rejected", {}),
            quarantined=by_reason.get("quarantined", {}),
        )

    def close(self) -> None:
        """Close the database (idempotent); later calls raise ``EDGE_QUEUE_STORAGE``."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> DurableQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    def _storage(
        self, stream: str = "", records: int = 0
    ) -> contextlib.AbstractContextManager[None]:
        return db.storage_errors(self.path, stream, records)

    @contextlib.contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        with db.transaction(self._conn, mode):
            yield self._conn

    def _check_alerts(self) -> None:
        with self._storage():
            stored = self._conn.execute("SELECT COALESCE(SUM(bytes), 0) FROM streams")
            self._alarm.update(stored.fetchone()[0] / self.max_bytes)

    def _ensure_disk(self, stream: str, count: int, blob_size: int) -> None:
        """Raise ``EDGE_DISK_FULL`` unless the blob fits with the reserve to spare."""
        if not self.reserve_bytes:
            return
        need = self.reserve_bytes + blob_size
        if not db.has_room(self._conn, self.path, need):
            # The WAL holds several versions of hot pages; a checkpoint gives them back.
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if not db.has_room(self._conn, self.path, need):
                raise QueueFullError("EDGE_DISK_FULL", path=self.path, stream=stream, records=count)

    def _normalise_priorities(self, conn: sqlite3.Connection) -> None:
        # A stream's priority may have changed since its segments were stored; they drain
        # by the current one, all together, so the stream's order holds.
        for (stream,) in conn.execute("SELECT stream FROM streams WHERE segments > 0").fetchall():
            priority = int(self.policy(stream).priority)
            conn.execute(
                "UPDATE segments SET priority = ? WHERE stream = ? AND priority <> ?",
                (priority, stream, priority),
            )

    def _insert(
        self, conn: sqlite3.Connection, policy: StreamPolicy, blob: bytes, crc: int, count: int
    ) -> int | None:
        """Make room and insert; None (with ``rejected`` counted) when there is none."""
        now = self._clock()
        size = len(blob) + SEGMENT_OVERHEAD
        excess = size - self.max_bytes
        excess += conn.execute("SELECT COALESCE(SUM(bytes), 0) FROM streams").fetchone()[0]
        if excess > 0 and now >= self._next_expire:
            excess -= self._expire(conn, now)[1]
        if excess > 0:
            victims = self._victims(conn, policy, excess) if size <= self.max_bytes else None
            if victims is None:
                db.count(conn, {policy.name: count}, "rejected")
                return None
            db.delete_segments(conn, victims, "evicted")
        row = conn.execute("SELECT next_seq FROM streams WHERE stream = ?", (policy.name,))
        first_seq = (row.fetchone() or (1,))[0]
        segment_id = conn.execute(
            "INSERT INTO segments (stream, priority, first_seq, last_seq, count, created_at,"
            " size, crc, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                policy.name,
                int(policy.priority),
                first_seq,
                first_seq + count - 1,
                count,
                now,
                size,
                crc,
                blob,
            ),
        ).lastrowid
        conn.execute(
            "INSERT INTO streams (stream, next_seq, records, segments, bytes)"
            " VALUES (?, ?, ?, 1, ?) ON CONFLICT (stream) DO UPDATE SET"
            " next_seq = excluded.next_seq, records = records + excluded.records,"
            " segments = segments + 1, bytes = bytes + excluded.bytes",
            (policy.name, first_seq + count, count, size),
        )
        return segment_id

    def _victims(
        self, conn: sqlite3.Connection, policy: StreamPolicy, excess: int
    ) -> list[_Row] | None:
        """The oldest segments to evict for ``excess`` bytes, or None if impossible."""
        if policy.on_full != "drop_oldest":
            return None
        own = conn.execute(
            "SELECT id, stream, count, size FROM segments WHERE stream = ? ORDER BY id",
            (policy.name,),
        )

        def others() -> Iterator[_Row]:  # lazy: its ORDER BY sorts, so only when needed
            yield from conn.execute(
                "SELECT id, stream, count, size FROM segments"
                " WHERE priority >= ? AND stream <> ? ORDER BY priority DESC, id",
                (int(policy.priority), policy.name),
            )

        victims: list[_Row] = []
        for row in itertools.chain(own, others()):
            if self.policy(row[1]).on_full == "drop_oldest":
                victims.append(row)
                excess -= row[3]
                if excess <= 0:
                    return victims
        return None

    def _expire(self, conn: sqlite3.Connection, now: float) -> tuple[int, int]:
        """Drop expired segments; returns the records and bytes dropped.

        Each stream expires from its head and stops at its first segment young enough,
        so the cost is the expired segments, not the queue, and a clock stepped back
        never leaves a hole in the middle of a stream.
        """
        self._next_expire = now + _AUTO_EXPIRE_INTERVAL_S
        rows: list[_Row] = []
        for (stream,) in conn.execute("SELECT stream FROM streams WHERE segments > 0").fetchall():
            ttl = self.policy(stream).ttl_s
            if ttl is None:
                continue
            cursor = conn.execute(
                "SELECT id, stream, count, size, created_at FROM segments"
                " WHERE stream = ? ORDER BY id",
                (stream,),
            )
            for row in cursor:
                if row[4] >= now - ttl:
                    break
                rows.append(row[:4])
            cursor.close()
        db.delete_segments(conn, rows, "expired")
        return sum(row[2] for row in rows), sum(row[3] for row in rows)

    def _read(
        self, max_segments: int, max_bytes: int | None, stream: str | None
    ) -> tuple[list[Segment], list[tuple[_Row, CorruptRecordError]]]:
        segments: list[Segment] = []
        corrupt: list[tuple[_Row, CorruptRecordError]] = []
        used = 0
        columns = "id, stream, count, size, priority, first_seq, last_seq, created_at, crc, body"
        if stream is None:
            cursor = self._conn.execute(f"SELECT {columns} FROM segments ORDER BY priority, id")
        else:
            cursor = self._conn.execute(
                f"SELECT {columns} FROM segments WHERE stream = ? ORDER BY id", (stream,)
            )
        for row in cursor:
            try:
                records = decode_segment(row[9], row[8], row[2])
            except CorruptRecordError as exc:
                error = CorruptRecordError(
                    "EDGE_RECORD_CORRUPT",
                    detail=f"segment {row[0]} of stream {row[1]!r}: {exc.details['detail']}",
                )
                corrupt.append((row[:4], error))
                continue
            nbytes = sum(map(len, records))
            if segments and max_bytes is not None and used + nbytes > max_bytes:
                break
            segments.append(Segment(row[0], row[1], Priority(row[4]), records, *row[5:8]))
            used += nbytes
            if len(segments) == max_segments:
                break
        cursor.close()
        return segments, corrupt

    def _quarantine(
        self,
        conn: sqlite3.Connection,
        corrupt: list[tuple[_Row, CorruptRecordError]],
        now: float,
    ) -> None:
        for row, error in corrupt:
            _log.error("quarantined: %s", error.message())
            conn.execute(
                "INSERT OR REPLACE INTO quarantine (id, stream, priority, first_seq, last_seq,"
                " count, created_at, crc, body, quarantined_at, reason) SELECT id, stream,"
                " priority, first_seq, last_seq, count, created_at, crc, body, ?, ?"
                " FROM segments WHERE id = ?",
                (now, error.details["detail"], row[0]),
            )
        db.delete_segments(conn, [row for row, _ in corrupt], "quarantined")


def _check_arguments(
    max_bytes: int, compress_level: int, durability: str, reserve_bytes: int
) -> None:
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        detail = f"max_bytes must be a positive int, not {max_bytes!r}"
    elif compress_level not in range(-1, 10):
        detail = f"compress_level must be -1..9, not {compress_level!r}"
    elif durability not in db.DURABILITY:
        detail = f"durability must be one of {tuple(db.DURABILITY)}, not {durability!r}"
    elif not isinstance(reserve_bytes, int) or reserve_bytes < 0:
        detail = f"reserve_bytes must be an int >= 0, not {reserve_bytes!r}"
    else:
        return
    raise ConfigError("EDGE_CONFIG_INVALID", detail=detail)
