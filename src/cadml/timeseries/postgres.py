"""The PostgreSQL time-series store (psycopg 3): COPY batches, rollups and state in SQL.

Schema (created on first use under an advisory lock, ``CREATE ... IF NOT EXISTS``)::

    ts_frames(device_id, ts_ns, event_key, fields jsonb, status jsonb)
        PRIMARY KEY (device_id, ts_ns, event_key); fields = {"sensors.t": 1.5, ...}
    ts_rollup_1m / ts_rollup_1h(device_id, field, bucket, n, total, low, high, squares)
        PRIMARY KEY (device_id, field, bucket); bucket = ts_ns div period_ns
    ts_device_state(device_id, last_seen_ns, status jsonb, status_ns)
    ts_field_state(device_id, field, value, ts_ns)

Time is integer nanoseconds (:mod:`cadml.timeseries.timestamps`): exact, and the type a
TimescaleDB hypertable can partition on. Text columns use the "C" collation, so ordering
by ``event_key`` matches Python's and the other stores'.

One ``write`` is one transaction: ``COPY`` the batch into a session temp table, then
``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` into ``ts_frames`` keeps the
rows that were new, and only those feed the rollup upserts and the state (all rows are
taken in key order so that two concurrent writers cannot deadlock).

TimescaleDB: when ``pg_available_extensions`` lists ``timescaledb`` the store creates the
extension and turns ``ts_frames`` into a hypertable (1-day chunks on ``ts_ns``). The
rollup tables stay as they are: they are exact at commit, whereas continuous aggregates
refresh later. **This branch is untested here** (TimescaleDB is not installable on this
machine); the plain-table path is what the contract suite covers.

Thread-safety: a small pool of connections; each call borrows one.
"""

from __future__ import annotations

import json
import math
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from cadml.errors import ConfigurationError, StorageError
from cadml.timeseries.port import (
    AggregatePoint,
    Cursor,
    DeviceState,
    FieldState,
    WriteResult,
)
from cadml.timeseries.query import check_aggregate, check_history, check_retention
from cadml.timeseries.rollup import Moments, finish_moments, rollup_period
from cadml.timeseries.selection import select_fields
from cadml.timeseries.timestamps import from_ns, to_ns
from cadml.twin.frame import TelemetryFrame, event_key

try:
    import psycopg
except ImportError:  # pragma: no cover - the [postgres] extra is missing
    psycopg = None  # type: ignore[assignment]

__all__ = ["PostgresTimeSeriesStore"]

_TABLES = {60.0: "ts_rollup_1m", 3600.0: "ts_rollup_1h"}
_C = 'COLLATE "C"'

_SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS ts_frames (
        device_id text {_C} NOT NULL, ts_ns bigint NOT NULL, event_key text {_C} NOT NULL,
        fields jsonb NOT NULL, status jsonb NOT NULL,
        PRIMARY KEY (device_id, ts_ns, event_key))""",
    *(
        f"""CREATE TABLE IF NOT EXISTS {table} (
        device_id text {_C} NOT NULL, field text {_C} NOT NULL, bucket bigint NOT NULL,
        n bigint NOT NULL, total float8 NOT NULL, low float8 NOT NULL, high float8 NOT NULL,
        squares float8 NOT NULL, PRIMARY KEY (device_id, field, bucket))"""
        for table in _TABLES.values()
    ),
    f"""CREATE TABLE IF NOT EXISTS ts_device_state (
        device_id text {_C} PRIMARY KEY, last_seen_ns bigint NOT NULL, status jsonb,
        status_ns bigint)""",
    f"""CREATE TABLE IF NOT EXISTS ts_field_state (
        device_id text {_C} NOT NULL, field text {_C} NOT NULL, value float8 NOT NULL,
        ts_ns bigint NOT NULL, PRIMARY KEY (device_id, field))""",
]

_SESSION = [
    f"""CREATE TEMP TABLE IF NOT EXISTS ts_stage (device_id text {_C}, ts_ns bigint,
        event_key text {_C}, fields jsonb, status jsonb) ON COMMIT DELETE ROWS""",
    f"""CREATE TEMP TABLE IF NOT EXISTS ts_fresh (device_id text {_C}, ts_ns bigint,
        event_key text {_C}, fields jsonb, status jsonb) ON COMMIT DELETE ROWS""",
    f"""CREATE TEMP TABLE IF NOT EXISTS ts_fresh_points (device_id text {_C},
        field text {_C}, ts_ns bigint, value float8) ON COMMIT DELETE ROWS""",
]

_INSERT_NEW = """WITH ins AS (
        INSERT INTO ts_frames (device_id, ts_ns, event_key, fields, status)
        SELECT device_id, ts_ns, event_key, fields, status FROM ts_stage
        ORDER BY device_id, ts_ns, event_key
        ON CONFLICT DO NOTHING
        RETURNING device_id, ts_ns, event_key, fields, status)
    INSERT INTO ts_fresh SELECT * FROM ins"""
_EXPLODE = """INSERT INTO ts_fresh_points (device_id, field, ts_ns, value)
    SELECT f.device_id, kv.key, f.ts_ns, kv.value::float8
    FROM ts_fresh f CROSS JOIN LATERAL jsonb_each_text(f.fields) kv
    WHERE f.event_key = ''"""
_UPSERT_ROLLUP = """INSERT INTO {table} AS r
        (device_id, field, bucket, n, total, low, high, squares)
    SELECT device_id, field, div(ts_ns, %s)::bigint AS b, count(*), sum(value), min(value),
        max(value), sum({square})
    FROM ts_fresh_points GROUP BY device_id, field, b ORDER BY device_id, field, b
    ON CONFLICT (device_id, field, bucket) DO UPDATE SET
        n = r.n + excluded.n, total = r.total + excluded.total,
        low = least(r.low, excluded.low), high = greatest(r.high, excluded.high),
        squares = r.squares + excluded.squares"""
# PostgreSQL raises on float8 underflow/overflow where IEEE gives 0/inf: square explicitly.
_SQUARE = (
    "CASE WHEN abs(value) < 1e-150 THEN 0::float8 WHEN abs(value) > 1e150 "
    "THEN 'Infinity'::float8 ELSE value * value END"
)
_UPSERT_FIELDS = """INSERT INTO ts_field_state AS s (device_id, field, value, ts_ns)
    SELECT DISTINCT ON (device_id, field) device_id, field, value, ts_ns FROM ts_fresh_points
    ORDER BY device_id, field, ts_ns DESC
    ON CONFLICT (device_id, field) DO UPDATE SET value = excluded.value, ts_ns = excluded.ts_ns
    WHERE s.ts_ns < excluded.ts_ns"""
_NEWER = (
    "excluded.status_ns IS NOT NULL AND (d.status_ns IS NULL OR excluded.status_ns > d.status_ns)"
)
_UPSERT_DEVICES = f"""INSERT INTO ts_device_state AS d (device_id, last_seen_ns, status, status_ns)
    SELECT seen.device_id, seen.last_ns, st.status, st.ts_ns
    FROM (SELECT device_id, max(ts_ns) AS last_ns FROM ts_fresh GROUP BY device_id) seen
    LEFT JOIN (SELECT DISTINCT ON (device_id) device_id, status, ts_ns FROM ts_fresh
               WHERE event_key = '' AND status <> '{{}}'::jsonb
               ORDER BY device_id, ts_ns DESC) st USING (device_id)
    ORDER BY seen.device_id
    ON CONFLICT (device_id) DO UPDATE SET
        last_seen_ns = greatest(d.last_seen_ns, excluded.last_seen_ns),
        status = CASE WHEN {_NEWER} THEN excluded.status ELSE d.status END,
        status_ns = CASE WHEN {_NEWER} THEN excluded.status_ns ELSE d.status_ns END"""

_ALL_DEVICES = "device_id IN (SELECT device_id FROM ts_device_state)"


def _fields_json(frame: TelemetryFrame) -> str:
    values = {f"sensors.{k}": v for k, v in frame.sensors.items()}
    values.update({f"metrics.{k}": v for k, v in frame.metrics.items()})
    return json.dumps(values, allow_nan=False)


def _status_json(status: dict[str, Any]) -> str:
    return json.dumps(status, allow_nan=False) if status else "{}"


def _frame(device_id: str, ts_ns: int, fields: dict[str, Any], status: Any) -> TelemetryFrame:
    sensors: dict[str, float] = {}
    metrics: dict[str, float] = {}
    for key, value in fields.items():
        group, _, name = key.partition(".")
        (sensors if group == "sensors" else metrics)[name] = float(value)
    return TelemetryFrame(from_ns(ts_ns), device_id, sensors, metrics, status)


class _Pool:
    """A few autocommit connections, each borrowed by one thread at a time."""

    def __init__(self, url: str, size: int, setup: Sequence[str]) -> None:
        self._url = url
        self._setup = setup
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._all: list[Any] = []

    def _connect(self) -> Any:
        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        for statement in self._setup:
            conn.execute(statement)
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """Borrow a connection; a broken one is closed instead of returned."""
        self._slots.acquire()
        conn = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            yield conn
        except BaseException:
            if conn is not None and (conn.closed or conn.broken):
                conn.close()
                conn = None
            raise
        finally:
            if conn is not None:
                self._idle.put(conn)
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


class PostgresTimeSeriesStore:
    """Telemetry in PostgreSQL (plain tables, or a TimescaleDB hypertable when available).

    Args:
        url: ``postgresql://user:password@host:port/dbname``.
        pool_size: most connections held at once (the writer plus concurrent readers).

    Raises:
        ConfigurationError: ``CONFIG_INVALID`` when psycopg is not installed.
        StorageError: ``TWIN_STORE_UNAVAILABLE`` when the database cannot be reached.
    """

    name = "postgres"
    counts_duplicates = True
    """Duplicates are detected (``ON CONFLICT DO NOTHING RETURNING``) and counted."""
    keeps_rollups = True
    """Rollup tables are kept apart from raw frames (retention deletes them separately)."""

    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        if psycopg is None:  # pragma: no cover - the [postgres] extra is missing
            raise ConfigurationError(
                details={
                    "reason": "the postgres store needs psycopg: pip install 'cadml[postgres]'"
                }
            )
        self.timescale = False
        self._pool = _Pool(url, pool_size, _SESSION)
        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('cadml.timeseries.schema'))")
                for statement in _SCHEMA:
                    conn.execute(statement)
                self.timescale = self._maybe_timescale(conn)
        except psycopg.Error as exc:
            self._pool.close()
            raise self._error("TWIN_STORE_UNAVAILABLE", exc) from exc

    @staticmethod
    def _maybe_timescale(conn: Any) -> bool:
        """Make ``ts_frames`` a hypertable when TimescaleDB exists (untested here)."""
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
        if available is None:
            return False
        conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        conn.execute(
            "SELECT create_hypertable('ts_frames', 'ts_ns', "
            "chunk_time_interval => 86400000000000, if_not_exists => TRUE, "
            "migrate_data => TRUE)"
        )
        return True

    def _error(self, code: str, exc: BaseException) -> StorageError:
        return StorageError(code, details={"store": self.name, "reason": str(exc).strip()})

    @contextmanager
    def _read(self) -> Iterator[Any]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise self._error("TWIN_STORE_UNAVAILABLE", exc) from exc

    # -- write ------------------------------------------------------------------------

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        """Store a batch in one transaction; duplicates are ignored and counted."""
        if not frames:
            return WriteResult(0, 0)
        unique: dict[tuple[str, int, str], TelemetryFrame] = {}
        for frame in frames:
            unique.setdefault((frame.device_id, to_ns(frame.timestamp), event_key(frame)), frame)
        try:
            rows = [
                (d, ns, ek, _fields_json(f), _status_json(f.status))
                for (d, ns, ek), f in unique.items()
            ]
        except (TypeError, ValueError) as exc:
            raise self._error("TWIN_STORE_WRITE_FAILED", exc) from exc
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                with cur.copy(
                    "COPY ts_stage (device_id, ts_ns, event_key, fields, status) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute(_INSERT_NEW)
                written = cur.rowcount
                if written:
                    cur.execute(_EXPLODE)
                    for period, table in _TABLES.items():
                        cur.execute(
                            _UPSERT_ROLLUP.format(table=table, square=_SQUARE),
                            (int(period) * 10**9,),
                        )
                    cur.execute(_UPSERT_FIELDS)
                    cur.execute(_UPSERT_DEVICES)
        except psycopg.OperationalError as exc:
            raise self._error("TWIN_STORE_UNAVAILABLE", exc) from exc
        except psycopg.Error as exc:
            raise self._error("TWIN_STORE_WRITE_FAILED", exc) from exc
        return WriteResult(written, len(frames) - written)

    # -- reads ------------------------------------------------------------------------

    def history(
        self,
        device_id: str,
        *,
        start: float | None = None,
        stop: float | None = None,
        limit: int = 100,
        fields: Sequence[str] | None = None,
        before: Cursor | None = None,
    ) -> list[TelemetryFrame]:
        """A device's frames newest first (see the port)."""
        check_history(start, stop, limit, fields)
        sql = "SELECT ts_ns, fields, status FROM ts_frames WHERE device_id = %s"
        args: list[Any] = [device_id]
        if start is not None:
            sql += " AND ts_ns >= %s"
            args.append(to_ns(start))
        if stop is not None:
            sql += " AND ts_ns < %s"
            args.append(to_ns(stop))
        if before is not None:
            sql += " AND (ts_ns, event_key) < (%s, %s)"
            args += [to_ns(before.timestamp), before.event_key]
        sql += " ORDER BY ts_ns DESC, event_key DESC LIMIT %s"
        args.append(limit)
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        out = [_frame(device_id, ns, f, s) for ns, f, s in rows]
        return [select_fields(f, fields) for f in out] if fields is not None else out

    def aggregate(
        self,
        field: str,
        *,
        window_s: float,
        fn: str,
        start: float,
        stop: float,
        device_id: str | None = None,
    ) -> list[AggregatePoint]:
        """Windows of ``fn`` over one field: from a rollup table when aligned, raw otherwise."""
        check_aggregate(field, window_s, fn, start, stop)
        window_s, start, stop = float(window_s), float(start), float(stop)
        period = rollup_period(window_s, start, stop)
        devices = "device_id = %s" if device_id is not None else _ALL_DEVICES
        dev_args = [device_id] if device_id is not None else []
        if period is not None:
            sql = (
                "SELECT div(bucket, %s)::bigint AS w, sum(n)::bigint, sum(total), min(low), "
                f"max(high), sum(squares) FROM {_TABLES[period]} WHERE {devices} "
                "AND field = %s AND bucket >= %s AND bucket < %s GROUP BY w ORDER BY w"
            )
            args = [round(window_s / period), *dev_args, field,
                    round(start / period), round(stop / period)]  # fmt: skip
            with self._read() as conn:
                rows = conn.execute(sql, args).fetchall()
            return [
                AggregatePoint(w * window_s, finish_moments(fn, Moments(*m)), m[0])
                for w, *m in rows
            ]
        sql = (
            "SELECT div(ts_ns, %s)::bigint AS w, count(v), sum(v), min(v), max(v), "
            "stddev_pop(v) FROM (SELECT ts_ns, (fields ->> %s)::float8 AS v FROM ts_frames "
            f"WHERE {devices} AND ts_ns >= %s AND ts_ns < %s AND event_key = '') x "
            "WHERE v IS NOT NULL GROUP BY w ORDER BY w"
        )
        args = [round(window_s * 1e6) * 1000, field, *dev_args, to_ns(start), to_ns(stop)]
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        out = []
        for w, n, total, low, high, std in rows:
            value = std if fn == "stddev" else finish_moments(fn, Moments(n, total, low, high, 0.0))
            out.append(AggregatePoint(w * window_s, float(value), n))
        return out

    def state(self, device_id: str) -> DeviceState | None:
        """The device's last values, last status and last_seen, or None."""
        with self._read() as conn, conn.transaction():
            row = conn.execute(
                "SELECT last_seen_ns, status FROM ts_device_state WHERE device_id = %s",
                (device_id,),
            ).fetchone()
            if row is None:
                return None
            values = conn.execute(
                "SELECT field, value, ts_ns FROM ts_field_state WHERE device_id = %s",
                (device_id,),
            ).fetchall()
        return DeviceState(
            device_id,
            from_ns(row[0]),
            {f: FieldState(v, from_ns(ns)) for f, v, ns in values},
            row[1] or {},
        )

    def count(self, device_id: str | None = None) -> int:
        """How many frames are stored."""
        with self._read() as conn:
            if device_id is None:
                row = conn.execute("SELECT count(*) FROM ts_frames").fetchone()
            else:
                row = conn.execute(
                    "SELECT count(*) FROM ts_frames WHERE device_id = %s", (device_id,)
                ).fetchone()
        return int(row[0])

    def delete_before(
        self,
        device_id: str,
        *,
        raw_before: float | None = None,
        rollup_before: float | None = None,
    ) -> int:
        """Delete frames before ``raw_before``, rollup buckets ending by ``rollup_before``."""
        check_retention(raw_before, rollup_before)
        deleted = 0
        try:
            with self._pool.connection() as conn, conn.transaction():
                if raw_before is not None:
                    deleted = conn.execute(
                        "DELETE FROM ts_frames WHERE device_id = %s AND ts_ns < %s",
                        (device_id, to_ns(raw_before)),
                    ).rowcount
                if rollup_before is not None:
                    for period, table in _TABLES.items():
                        conn.execute(
                            f"DELETE FROM {table} WHERE device_id = %s AND bucket < %s",
                            (device_id, math.floor(rollup_before / period)),
                        )
        except psycopg.Error as exc:
            raise self._error("TWIN_STORE_WRITE_FAILED", exc) from exc
        return deleted

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()
