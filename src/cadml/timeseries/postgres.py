"""The PostgreSQL time-series store (psycopg 3): binary COPY batches, rollups and state.

Schema (:mod:`cadml.timeseries.postgres_schema`, version 2, created on first use under an
advisory lock; a version-1 database is converted in place)::

    ts_frames(device_id, ts_ns, event_key, names text[], vals float8[], status jsonb)
        PRIMARY KEY (device_id, ts_ns, event_key); names = {"sensors.t", ...} ↔ vals
    ts_rollup_1m / ts_rollup_1h(device_id, field, bucket, n, total, low, high, squares)
        PRIMARY KEY (device_id, field, bucket); bucket = ts_ns div period_ns
    ts_device_state(device_id, last_seen_ns, status jsonb, status_ns)
    ts_field_state(device_id, field, value, ts_ns)

Time is integer nanoseconds (:mod:`cadml.timeseries.timestamps`): exact, and the type a
TimescaleDB hypertable can partition on. Text columns use the "C" collation, so ordering
by ``event_key`` matches Python's and the other stores'.

One ``write`` is one transaction (:mod:`cadml.timeseries.postgres_write`): a binary
``COPY`` straight into ``ts_frames`` inside a savepoint; when it hits a stored identity
the batch goes through a temp table and ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
instead. Only the new frames' moments and state are upserted.

TimescaleDB: when ``pg_available_extensions`` lists ``timescaledb`` the store creates the
extension and turns ``ts_frames`` into a hypertable (1-day chunks on ``ts_ns``). The
rollup tables stay as they are: they are exact at commit, whereas continuous aggregates
refresh later. **This branch is untested here** (TimescaleDB is not installable on this
machine); the plain-table path is what the contract suite covers.

Thread-safety: a small pool of connections; each call borrows one.
"""

from __future__ import annotations

import math
import queue
import struct
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
from cadml.timeseries.postgres_schema import (
    ROLLUP_TABLES,
    SESSION_SETUP,
    SchemaTooNewError,
    ensure_schema,
)
from cadml.timeseries.postgres_write import write_batch
from cadml.timeseries.query import check_aggregate, check_history, check_retention
from cadml.timeseries.rollup import Moments, finish_moments, rollup_period
from cadml.timeseries.selection import select_fields
from cadml.timeseries.timestamps import from_ns, to_ns
from cadml.twin.frame import TelemetryFrame

try:
    import psycopg
except ImportError:  # pragma: no cover - the [postgres] extra is missing
    psycopg = None  # type: ignore[assignment]

__all__ = ["PostgresTimeSeriesStore"]

_TABLES = ROLLUP_TABLES
_ALL_DEVICES = "device_id IN (SELECT device_id FROM ts_device_state)"


def _frame(
    device_id: str, ts_ns: int, names: list[str], vals: list[float], status: Any
) -> TelemetryFrame:
    sensors: dict[str, float] = {}
    metrics: dict[str, float] = {}
    for key, value in zip(names, vals, strict=True):
        group, _, name = key.partition(".")
        (sensors if group == "sensors" else metrics)[name] = value
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
    """Duplicates are detected (primary key; the duplicate path names the new rows) and counted."""
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
        self._pool = _Pool(url, pool_size, SESSION_SETUP)
        try:
            with self._pool.connection() as conn, conn.transaction():
                ensure_schema(conn)
                self.timescale = self._maybe_timescale(conn)
        except (psycopg.Error, SchemaTooNewError) as exc:
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
        try:
            with self._pool.connection() as conn:
                written = write_batch(conn, frames)
        except (TypeError, ValueError, struct.error) as exc:
            raise self._error("TWIN_STORE_WRITE_FAILED", exc) from exc
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
        sql = "SELECT ts_ns, names, vals, status FROM ts_frames WHERE device_id = %s"
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
        out = [_frame(device_id, *row) for row in rows]
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
                "SELECT bucket / %s AS w, sum(n)::bigint, sum(total), min(low), "
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
            "SELECT ts_ns / %s AS w, count(v), sum(v), min(v), max(v), stddev_pop(v) "
            "FROM (SELECT ts_ns, vals[array_position(names, %s)] AS v FROM ts_frames "
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
