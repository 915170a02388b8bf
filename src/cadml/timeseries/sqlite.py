"""The embedded time-series store: one SQLite file in WAL mode, with rollups and state.

Schema (created on first use, idempotent)::

    frames(device_id, ts, event_key, payload)  PRIMARY KEY (device_id, ts, event_key)
                                               WITHOUT ROWID; payload = MsgPack
                                               [sensors, metrics, status]
    rollup_1m / rollup_1h(bucket, device_id, field, n, total, low, high, squares)
                                               PRIMARY KEY (bucket, device_id, field),
                                               bucket = floor(ts / period); see
                                               :mod:`cadml.timeseries.sqlite_rollups`
    devices(device_id, last_seen, status, status_ts)      status = MsgPack mapping
    field_state(device_id, field, value, ts)              last value per numeric field

``write`` runs one ``BEGIN IMMEDIATE`` transaction per batch (the write lock is taken at
the start, so concurrent writers in other processes wait on the busy timeout instead
of failing on upgrade): ``INSERT OR IGNORE`` the frames, then add the *new* frames'
moments to both rollup tables and move the state forward (a late, older frame never
overwrites a newer value). Rows go in as multi-row ``VALUES`` statements, not
``executemany`` (see :mod:`cadml.timeseries.sqlite_rows`: a GIL convoy with the ingest
network thread). Duplicates are found by the change count: when the insert changed
fewer rows than it got, the transaction is redone row by row to learn which.

Readers and the writer may live in different processes (WAL: readers never block the
writer). Inside one process each thread gets its own connection (``threading.local``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgpack
import msgspec

from cadml.errors import StorageError
from cadml.timeseries.port import (
    AggregatePoint,
    Cursor,
    DeviceState,
    FieldState,
    WriteResult,
)
from cadml.timeseries.query import check_aggregate, check_field, check_history, check_retention
from cadml.timeseries.rollup import (
    Moments,
    aggregate_values,
    finish_moments,
    rollup_period,
    rollup_rows,
)
from cadml.timeseries.selection import select_fields
from cadml.timeseries.sqlite_checkpoint import WalCheckpointer
from cadml.timeseries.sqlite_rollups import (
    create_rollup_tables,
    delete_rollups,
    query_rollups,
    upsert_rollups,
)
from cadml.timeseries.sqlite_rows import execute_flat, execute_rows, values_sql
from cadml.twin.frame import TelemetryFrame, event_key

__all__ = ["SqliteTimeSeriesStore"]

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS frames (
        device_id TEXT NOT NULL, ts REAL NOT NULL, event_key TEXT NOT NULL,
        payload BLOB NOT NULL, PRIMARY KEY (device_id, ts, event_key)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS devices (
        device_id TEXT PRIMARY KEY, last_seen REAL NOT NULL, status BLOB,
        status_ts REAL) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS field_state (
        device_id TEXT NOT NULL, field TEXT NOT NULL, value REAL NOT NULL, ts REAL NOT NULL,
        PRIMARY KEY (device_id, field)) WITHOUT ROWID""",
]

_INSERT = "INSERT OR IGNORE INTO frames (device_id, ts, event_key, payload) VALUES"
_UPSERT_FIELD = "INSERT INTO field_state (device_id, field, value, ts) VALUES"
_ON_FIELD = """ON CONFLICT (device_id, field) DO UPDATE SET value = excluded.value,
    ts = excluded.ts WHERE excluded.ts > field_state.ts"""
_NEWER_STATUS = (
    "excluded.status_ts IS NOT NULL AND "
    "(devices.status_ts IS NULL OR excluded.status_ts > devices.status_ts)"
)
_UPSERT_DEVICE = "INSERT INTO devices (device_id, last_seen, status, status_ts) VALUES"
_ON_DEVICE = f"""ON CONFLICT (device_id) DO UPDATE SET
        last_seen = max(devices.last_seen, excluded.last_seen),
        status = CASE WHEN {_NEWER_STATUS} THEN excluded.status ELSE devices.status END,
        status_ts = CASE WHEN {_NEWER_STATUS} THEN excluded.status_ts ELSE devices.status_ts END"""


_pack = msgspec.msgpack.encode
"""MsgPack bytes of a value (msgspec: ~5x faster than msgpack.packb; same bytes)."""


def _unpack(blob: bytes) -> Any:
    return msgpack.unpackb(blob, raw=False, strict_map_key=False)


class SqliteTimeSeriesStore:
    """Telemetry in one SQLite file (WAL, synchronous=NORMAL), safe across threads and processes.

    Args:
        path: the database file (created with its directory when missing).
        busy_timeout_s: how long a writer waits for another process's write lock.
    """

    name = "sqlite"
    counts_duplicates = True
    """Duplicates are detected and counted; the first write of an identity wins."""
    keeps_rollups = True
    """Rollup tables are kept apart from raw frames (retention deletes them separately)."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self._timeout = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        self._checkpointer = WalCheckpointer(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement)
            create_rollup_tables(conn)
            conn.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise self._unavailable(exc) from exc

    # -- connections ------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StorageError(
                "TWIN_STORE_UNAVAILABLE", details={"store": self.name, "reason": "store closed"}
            )
        conn = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
        # checkpoints run on a background thread, not inside commits (sqlite_checkpoint)
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("PRAGMA journal_size_limit=67108864")
        self._local.conn = conn
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _unavailable(self, exc: BaseException) -> StorageError:
        return StorageError(
            "TWIN_STORE_UNAVAILABLE", details={"store": self.name, "reason": str(exc)}
        )

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (a consistent snapshot across statements)."""
        conn = self._conn()
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from exc

    # -- write ------------------------------------------------------------------------

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        """Store a batch in one transaction; duplicates are ignored and counted."""
        if not frames:
            return WriteResult(0, 0)
        unique: dict[tuple[str, float, str], TelemetryFrame] = {}
        for frame in frames:
            ek = event_key(frame) if frame.status else ""
            unique.setdefault((frame.device_id, frame.timestamp, ek), frame)
        batch = list(unique.values())
        conn = self._conn()
        self._checkpointer.ensure_started()
        try:
            flat: list[Any] = []  # the rows one after another: fewer objects than tuples
            add = flat.extend
            for key, f in unique.items():
                add(key)
                flat.append(_pack((f.sensors, f.metrics, f.status)))
            conn.execute("BEGIN IMMEDIATE")
            try:
                if execute_flat(conn, _INSERT, flat, 4) == len(batch):
                    new = batch
                else:  # some are stored already: redo row by row to learn which
                    conn.execute("ROLLBACK")
                    conn.execute("BEGIN IMMEDIATE")
                    one = values_sql(_INSERT, 4, 1, "")
                    new = [f for i, f in enumerate(batch)
                           if conn.execute(one, flat[4 * i : 4 * i + 4]).rowcount]  # fmt: skip
                self._apply(conn, new)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, TypeError, ValueError, OverflowError) as exc:
            raise StorageError(
                "TWIN_STORE_WRITE_FAILED", details={"store": self.name, "reason": str(exc)}
            ) from exc
        return WriteResult(len(new), len(frames) - len(new))

    @staticmethod
    def _apply(conn: sqlite3.Connection, new: list[TelemetryFrame]) -> None:
        """Add the new frames to the rollups and move the state forward."""
        last: dict[tuple[str, str], tuple[float, float]] = {}
        for period, deltas in rollup_rows(new, newest=last).items():
            upsert_rollups(conn, period, deltas)
        devices: dict[str, list[Any]] = {}  # device -> [last_seen, status, status_ts]
        for frame in new:
            ts = frame.timestamp
            device = frame.device_id
            entry = devices.get(device)
            if entry is None:
                entry = devices[device] = [ts, None, None]
            elif ts > entry[0]:
                entry[0] = ts
            if frame.status and not event_key(frame) and (entry[2] is None or ts > entry[2]):
                entry[1], entry[2] = frame.status, ts
        fields = [(d, f, v, ts) for (d, f), (ts, v) in last.items()]
        execute_rows(conn, _UPSERT_FIELD, fields, _ON_FIELD)
        execute_rows(
            conn,
            _UPSERT_DEVICE,
            [
                (d, seen, None if status is None else _pack(status), status_ts)
                for d, (seen, status, status_ts) in devices.items()
            ],
            _ON_DEVICE,
        )

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
        sql = "SELECT ts, payload FROM frames WHERE device_id = ?"
        args: list[Any] = [device_id]
        if start is not None:
            sql += " AND ts >= ?"
            args.append(float(start))
        if stop is not None:
            sql += " AND ts < ?"
            args.append(float(stop))
        if before is not None:
            sql += " AND (ts, event_key) < (?, ?)"
            args += [float(before.timestamp), before.event_key]
        sql += " ORDER BY ts DESC, event_key DESC LIMIT ?"
        args.append(limit)
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        out = []
        for ts, payload in rows:
            sensors, metrics, status = _unpack(payload)
            out.append(TelemetryFrame(ts, device_id, sensors, metrics, status))
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
        devices = "device_id = ?" if device_id is not None else (
            "device_id IN (SELECT device_id FROM devices)"
        )  # fmt: skip
        dev_args = [device_id] if device_id is not None else []
        if period is not None:
            per_window = round(window_s / period)
            first, end = round(start / period), round(stop / period)
            with self._read() as conn:
                rows = query_rollups(conn, period, field, first, end, per_window, device_id)
            return [
                AggregatePoint(w * window_s, finish_moments(fn, Moments(*m)), m[0])
                for w, *m in rows
            ]
        group, name = check_field(field)
        index = 0 if group == "sensors" else 1
        sql = (
            f"SELECT ts, payload FROM frames WHERE {devices} AND ts >= ? AND ts < ? "
            "AND event_key = ''"
        )
        with self._read() as conn:
            rows = conn.execute(sql, [*dev_args, start, stop]).fetchall()
        points = []
        for ts, payload in rows:
            value = _unpack(payload)[index].get(name)
            if value is not None:
                points.append((ts, value))
        return aggregate_values(points, window_s, fn)

    def state(self, device_id: str) -> DeviceState | None:
        """The device's last values, last status and last_seen, or None."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT last_seen, status FROM devices WHERE device_id = ?", (device_id,)
            ).fetchone()
            if row is None:
                return None
            values = conn.execute(
                "SELECT field, value, ts FROM field_state WHERE device_id = ?", (device_id,)
            ).fetchall()
        return DeviceState(
            device_id,
            row[0],
            {f: FieldState(v, ts) for f, v, ts in values},
            {} if row[1] is None else _unpack(row[1]),
        )

    def count(self, device_id: str | None = None) -> int:
        """How many frames are stored."""
        with self._read() as conn:
            if device_id is None:
                row = conn.execute("SELECT count(*) FROM frames").fetchone()
            else:
                row = conn.execute(
                    "SELECT count(*) FROM frames WHERE device_id = ?", (device_id,)
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
        conn = self._conn()
        deleted = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if raw_before is not None:
                    deleted = conn.execute(
                        "DELETE FROM frames WHERE device_id = ? AND ts < ?",
                        (device_id, float(raw_before)),
                    ).rowcount
                if rollup_before is not None:
                    delete_rollups(conn, device_id, float(rollup_before))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError(
                "TWIN_STORE_WRITE_FAILED", details={"store": self.name, "reason": str(exc)}
            ) from exc
        return deleted

    def close(self) -> None:
        """Stop the checkpoint thread and close every thread's connection."""
        self._closed = True
        self._checkpointer.stop()
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()
