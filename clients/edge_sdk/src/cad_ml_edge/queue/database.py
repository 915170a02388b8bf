"""The queue's SQLite file: schema, pragmas, transactions, error translation, disk space.

Durability: WAL with ``synchronous=NORMAL`` (``durability="process"``) keeps every
committed transaction across a crash or ``SIGKILL`` of the process, because a commit has
written its WAL frames through the OS before it returns and only the fsync waits for the
checkpoint; the crash test kills a writer 50 times to show it. A power cut can lose the
last transactions; ``durability="power"`` selects ``synchronous=FULL`` (an fsync per
commit: 1.4-1.7× slower with batches of 100 on this machine, whose virtual disk
makes fsync cheap; expect more on an SD card).

The schema's version is ``PRAGMA user_version``; a file with a newer version is refused.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from cad_ml_edge.errors import EdgeError, QueueFullError

__all__ = [
    "DURABILITY",
    "SCHEMA_VERSION",
    "WAL_SIZE_LIMIT",
    "count",
    "delete_segments",
    "has_room",
    "open_database",
    "storage_errors",
    "transaction",
]

SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of the queue's database."""

WAL_SIZE_LIMIT = 4 * 1024 * 1024
"""The WAL is truncated to this size after a checkpoint."""

DURABILITY = {"process": "NORMAL", "power": "FULL"}
"""``durability`` → SQLite ``synchronous`` level."""

_SQLITE_FULL = 13
_WAL_MIN_PAGES, _WAL_MAX_PAGES = 16, 1000

_SCHEMA = (
    """CREATE TABLE segments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL,
        priority INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        created_at REAL NOT NULL,
        size INTEGER NOT NULL,
        crc INTEGER NOT NULL,
        body BLOB NOT NULL)""",
    # (priority, rowid) and (stream, rowid): drain order and per-stream FIFO eviction.
    "CREATE INDEX segments_by_priority ON segments(priority)",
    "CREATE INDEX segments_by_stream ON segments(stream)",
    """CREATE TABLE streams (
        stream TEXT PRIMARY KEY,
        next_seq INTEGER NOT NULL,
        records INTEGER NOT NULL,
        segments INTEGER NOT NULL,
        bytes INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE counters (
        stream TEXT NOT NULL,
        reason TEXT NOT NULL,
        records INTEGER NOT NULL,
        PRIMARY KEY (stream, reason)) WITHOUT ROWID""",
    """CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        stream TEXT NOT NULL,
        priority INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        created_at REAL NOT NULL,
        crc INTEGER NOT NULL,
        body BLOB NOT NULL,
        quarantined_at REAL NOT NULL,
        reason TEXT NOT NULL)""",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)


def open_database(
    path: str,
    durability: str,
    busy_timeout_s: float,
    reserve_bytes: int,
    prepare: Callable[[sqlite3.Connection], None],
) -> sqlite3.Connection:
    """Open (creating the schema if needed) and configure the queue's database.

    Args:
        path: the file.
        durability: a key of :data:`DURABILITY`.
        busy_timeout_s: wait this long for another writer's lock.
        reserve_bytes: the free disk space puts keep; the WAL is checkpointed when it
            reaches a quarter of it (SQLite's default of 1,000 pages at most), so that a
            checkpoint, which moves the WAL's pages into the file, always has room.
        prepare: run inside the opening transaction, after the schema check.

    Returns:
        A connection in autocommit mode (transactions are explicit), usable from any
        thread (the caller serialises).

    Raises:
        EdgeError: ``EDGE_QUEUE_STORAGE`` for a file in a newer schema or not in WAL mode.
        sqlite3.Error: from SQLite (translate with :func:`storage_errors`).
    """
    conn = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise EdgeError("EDGE_QUEUE_STORAGE", path=path, detail=f"journal mode {mode}")
        conn.execute(f"PRAGMA synchronous = {DURABILITY[durability]}")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        wal_pages = min(_WAL_MAX_PAGES, max(_WAL_MIN_PAGES, reserve_bytes // (4 * page_size)))
        conn.execute(f"PRAGMA wal_autocheckpoint = {wal_pages if reserve_bytes else 1000}")
        with transaction(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA:
                    conn.execute(statement)
            elif version != SCHEMA_VERSION:
                raise EdgeError(
                    "EDGE_QUEUE_STORAGE",
                    path=path,
                    detail=f"schema version {version}; this SDK reads {SCHEMA_VERSION}",
                )
            prepare(conn)
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def storage_errors(path: str, stream: str = "", records: int = 0) -> Iterator[None]:
    """Translate SQLite's errors: a full disk into ``QueueFullError("EDGE_DISK_FULL")``,
    anything else into ``EdgeError("EDGE_QUEUE_STORAGE")``."""
    try:
        yield
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL or "is full" in str(exc):
            raise QueueFullError(
                "EDGE_DISK_FULL", path=path, stream=stream, records=records
            ) from exc
        raise EdgeError("EDGE_QUEUE_STORAGE", path=path, detail=str(exc)) from exc


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[None]:
    """``BEGIN <mode>`` … ``COMMIT``, rolled back on any exception."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield
        conn.commit()  # inside the try: a COMMIT that fails (disk full) leaves it open
    except BaseException:
        conn.rollback()  # a no-op when SQLite already rolled back
        raise


def has_room(conn: sqlite3.Connection, path: str, need: int) -> bool:
    """Whether ``need`` bytes can still be written: free disk space, then (only when
    that falls short, to keep the common case to one ``statvfs``) plus the database's
    free pages."""
    free = shutil.disk_usage(path).free
    if free >= need:
        return True
    pages = conn.execute("PRAGMA freelist_count").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    return free + pages * page_size >= need


def count(conn: sqlite3.Connection, records: dict[str, int], reason: str) -> None:
    """Add ``records`` (stream → n) to the persistent counter ``reason``."""
    conn.executemany(
        "INSERT INTO counters (stream, reason, records) VALUES (?, ?, ?)"
        " ON CONFLICT (stream, reason) DO UPDATE SET records = records + excluded.records",
        [(stream, reason, n) for stream, n in records.items()],
    )


def delete_segments(
    conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]], reason: str | None
) -> None:
    """Delete segments given as ``(id, stream, count, size)``, keeping the per-stream
    figures in step and adding their records to the counter ``reason`` (if any)."""
    per_stream: dict[str, list[int]] = {}
    for segment_id, stream, records, size in rows:
        conn.execute("DELETE FROM segments WHERE id = ?", (segment_id,))
        totals = per_stream.setdefault(stream, [0, 0, 0])
        totals[0] += records
        totals[1] += 1
        totals[2] += size
    conn.executemany(
        "UPDATE streams SET records = records - ?, segments = segments - ?, bytes = bytes - ?"
        " WHERE stream = ?",
        [(*totals, stream) for stream, totals in per_stream.items()],
    )
    if reason is not None:
        count(conn, {stream: totals[0] for stream, totals in per_stream.items()}, reason)
