"""The SQLite store's rollup tables: layout, upsert, queries, retention, old-file upgrade.

One table per rollup period (``rollup_1m``, ``rollup_1h``)::

    (bucket, device_id, field, n, total, low, high, squares)
    PRIMARY KEY (bucket, device_id, field) WITHOUT ROWID,  bucket = floor(ts / period)

**Time first.** Every ingest batch adds to the newest bucket of every field of every
device that sent. Keyed by time, those rows sit together on a few pages; keyed by device,
each device's newest rows lie on their own page, and every commit writes all those pages
to the WAL (and the checkpoint writes them again). Measured with 100 devices × 4 fields
and 200-frame batches: 44 KB of WAL per batch instead of 440 KB keyed ``(device_id,
bucket, field)``, and 3.0 ms of rollup upserts and commit instead of 4.9 ms; keyed
``(device_id, field, bucket)`` (the first layout) a 500-frame batch wrote 1.6 MB.

Queries of one device seek bucket by bucket: a recursive CTE lists the buckets of the
range and the primary key finds each ``(bucket, device, field)`` row, so a day of 1-minute
buckets is 1,440 seeks (a few ms) however many devices there are. A range of more than
:data:`SEEK_LIMIT` minute buckets first seeks the hours that hold the field's data (in the
1-hour table), then only their minutes; longer still, the range is scanned. Queries over
all devices scan the bucket range, which is where those rows are anyway.

Files of earlier versions keyed ``(device_id, field, bucket)`` or ``(device_id, bucket,
field)``; :func:`create_rollup_tables` copies their rows into this layout (once, inside
the schema transaction).
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterable
from typing import Any

from cadml.timeseries.sqlite_rows import execute_flat

__all__ = [
    "SEEK_LIMIT",
    "TABLES",
    "create_rollup_tables",
    "delete_rollups",
    "query_rollups",
    "upsert_rollups",
]

_log = logging.getLogger(__name__)

TABLES = {60.0: "rollup_1m", 3600.0: "rollup_1h"}
"""Rollup period (s) → table."""

SEEK_LIMIT = 100_000
"""A device's query seeks bucket by bucket up to this many buckets, and scans beyond."""

_COLUMNS = "bucket, device_id, field, n, total, low, high, squares"
_KEY = ("bucket", "device_id", "field")

_CREATE = """CREATE TABLE IF NOT EXISTS {table} (
    bucket INTEGER NOT NULL, device_id TEXT NOT NULL, field TEXT NOT NULL,
    n INTEGER NOT NULL, total REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL,
    squares REAL NOT NULL, PRIMARY KEY (bucket, device_id, field)) WITHOUT ROWID"""
_UPSERT = f"INSERT INTO {{table}} ({_COLUMNS}) VALUES"
_ON_CONFLICT = """ON CONFLICT (bucket, device_id, field) DO UPDATE SET
    n = n + excluded.n, total = total + excluded.total,
    low = min(low, excluded.low), high = max(high, excluded.high),
    squares = squares + excluded.squares"""
_MOMENTS = "sum(r.n), sum(r.total), min(r.low), max(r.high), sum(r.squares)"
_SEEK = f"""WITH RECURSIVE b(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM b WHERE x + 1 < ?)
    SELECT r.bucket / ? AS w, {_MOMENTS}
    FROM b CROSS JOIN {{table}} AS r
    WHERE r.bucket = b.x AND r.device_id = ? AND r.field = ?
    GROUP BY w ORDER BY w"""
_SEEK_BY_COARSE = f"""WITH RECURSIVE
        h(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM h WHERE x + 1 < ?),
        k(y) AS (SELECT 0 UNION ALL SELECT y + 1 FROM k WHERE y + 1 < ?),
        filled(hb) AS (SELECT c.bucket FROM h CROSS JOIN {{coarse}} AS c
            WHERE c.bucket = h.x AND c.device_id = ? AND c.field = ?)
    SELECT r.bucket / ? AS w, {_MOMENTS}
    FROM filled CROSS JOIN k CROSS JOIN {{table}} AS r
    WHERE r.bucket = filled.hb * ? + k.y AND r.bucket >= ? AND r.bucket < ?
        AND r.device_id = ? AND r.field = ?
    GROUP BY w ORDER BY w"""
_SCAN = f"""SELECT r.bucket / ? AS w, {_MOMENTS} FROM {{table}} AS r
    WHERE r.bucket >= ? AND r.bucket < ? AND r.field = ? AND {{devices}}
    GROUP BY w ORDER BY w"""


def create_rollup_tables(conn: sqlite3.Connection) -> None:
    """Create the tables, or move an older file's tables to this layout (in a transaction)."""
    for table in TABLES.values():
        conn.execute(_CREATE.format(table=table))
        key = {row[1]: row[5] for row in conn.execute(f"PRAGMA table_info({table})")}
        if tuple(sorted(key, key=lambda c: key[c] or 99)[:3]) == _KEY:
            continue
        _log.info("SQLite time-series store: re-keying %s to (bucket, device_id, field)", table)
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
        conn.execute(_CREATE.format(table=table))
        conn.execute(f"INSERT INTO {table} ({_COLUMNS}) SELECT {_COLUMNS} FROM {table}_old")
        conn.execute(f"DROP TABLE {table}_old")


def upsert_rollups(
    conn: sqlite3.Connection, period: float, deltas: dict[tuple[str, str, int], list[float]]
) -> None:
    """Add ``(device, field, bucket) → [n, sum, min, max, sum of squares]`` deltas."""
    flat: list[Any] = []
    add = flat.extend
    for (device, field, bucket), m in deltas.items():
        add((bucket, device, field))
        add(m)
    execute_flat(conn, _UPSERT.format(table=TABLES[period]), flat, 8, _ON_CONFLICT)


def query_rollups(
    conn: sqlite3.Connection,
    period: float,
    field: str,
    first: int,
    stop: int,
    per_window: int,
    device_id: str | None,
) -> Iterable[tuple[Any, ...]]:
    """``(window, n, sum, min, max, sum of squares)`` of buckets ``first <= b < stop``.

    Windows are ``bucket // per_window``, in order; a window without rows is absent.
    """
    table = TABLES[period]
    if device_id is not None:
        # never seek past the device's newest bucket (nor before the table's oldest)
        newest = conn.execute(
            "SELECT last_seen FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        oldest = conn.execute(f"SELECT min(bucket) FROM {table}").fetchone()[0]
        if newest is None or oldest is None:
            return []
        first = max(first, int(oldest))
        stop = min(stop, math.floor(newest[0] / period) + 1)
        if first >= stop:
            return []
        if stop - first <= SEEK_LIMIT:
            sql = _SEEK.format(table=table)
            return conn.execute(sql, (first, stop, per_window, device_id, field)).fetchall()
        coarse = max(TABLES)
        ratio = round(coarse / period)
        if period < coarse and (stop - 1) // ratio + 1 - first // ratio <= SEEK_LIMIT:
            # a long range of fine buckets: seek the coarse buckets that hold data, then
            # only their fine buckets (a device that reported for a day in a year: 8,760
            # coarse seeks and 1,440 fine ones)
            sql = _SEEK_BY_COARSE.format(table=table, coarse=TABLES[coarse])
            args = (first // ratio, (stop - 1) // ratio + 1, ratio, device_id, field,
                    per_window, ratio, first, stop, device_id, field)  # fmt: skip
            return conn.execute(sql, args).fetchall()
        sql = _SCAN.format(table=table, devices="r.device_id = ?")
        return conn.execute(sql, (per_window, first, stop, field, device_id)).fetchall()
    sql = _SCAN.format(table=table, devices="r.device_id IN (SELECT device_id FROM devices)")
    return conn.execute(sql, (per_window, first, stop, field)).fetchall()


def delete_rollups(conn: sqlite3.Connection, device_id: str, before: float) -> None:
    """Delete a device's buckets that end by ``before`` (unix s), in every table."""
    for period, table in TABLES.items():
        conn.execute(
            f"DELETE FROM {table} WHERE bucket < ? AND device_id = ?",
            (math.floor(before / period), device_id),
        )
