"""The PostgreSQL batch write: binary ``COPY`` straight into ``ts_frames``, moments in Python.

One :func:`write_batch` is one transaction:

1. The batch is de-duplicated (first frame of an identity wins) and ordered by
   ``(device_id, ts_ns, event_key)`` — the primary-key order, so two concurrent writers
   take row locks in the same order and cannot deadlock.
2. **Fast path**: inside a savepoint the rows are streamed as binary ``COPY`` into
   ``ts_frames``; while the server inserts them, the client sums the rollup moments and
   the state of the batch. If the ``COPY`` succeeds every frame was new.
3. **Duplicate path**: a unique violation rolls the savepoint back; the same bytes are
   copied into a session temp table and ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
   names the frames that were new; the moments are summed again over those only.
4. The rollup, field-state and device-state upserts take arrays (``unnest``), sorted by
   key; the state only moves forward (``WHERE stored.ts_ns < excluded.ts_ns``).

Summing in Python costs less than exploding the rows again in SQL. Measured per frame
(4 fields, batches of 5,000, this shared 2-core machine): ordering, encoding and summing
about 3.5 µs of client time, overlapped with the server's ``COPY`` (6–8 µs); upserts about
3 µs. The previous design (``RETURNING`` into a temp table, JSON per frame,
``jsonb_each_text`` and ``DISTINCT ON`` in SQL) took about 45 µs.
"""

from __future__ import annotations

import functools
import json
import operator
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cadml.timeseries.port import ROLLUP_PERIODS_S
from cadml.timeseries.postgres_schema import FRAME_COLUMNS, ROLLUP_TABLES
from cadml.twin.frame import TelemetryFrame, event_key

try:
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - the [postgres] extra is missing
    pg_errors = None  # type: ignore[assignment]

__all__ = [
    "DeviceRows",
    "Shape",
    "Summary",
    "apply_summary",
    "encode_copy",
    "order_batch",
    "summarize",
    "write_batch",
]

_NS = 1_000_000_000
_FINEST_NS = int(min(ROLLUP_PERIODS_S)) * _NS
_TEXT_OID, _FLOAT8_OID = 25, 701
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_I32 = struct.Struct(">i").pack
_EMPTY_TEXT = _I32(0)
_EMPTY_STATUS = _I32(3) + b"\x01{}"  # jsonb binary: version 1, then the text

COPY_FRAMES = f"COPY ts_frames ({FRAME_COLUMNS}) FROM STDIN (FORMAT BINARY)"
COPY_STAGE = f"COPY ts_stage_v2 ({FRAME_COLUMNS}) FROM STDIN (FORMAT BINARY)"
INSERT_STAGED = f"""INSERT INTO ts_frames ({FRAME_COLUMNS})
    SELECT {FRAME_COLUMNS} FROM ts_stage_v2 ORDER BY device_id, ts_ns, event_key
    ON CONFLICT DO NOTHING RETURNING device_id, ts_ns, event_key"""
_UPSERT_ROLLUP = """INSERT INTO {table} AS r
        (device_id, field, bucket, n, total, low, high, squares)
    SELECT * FROM unnest(%s::text[], %s::text[], %s::int8[], %s::int8[], %s::float8[],
                         %s::float8[], %s::float8[], %s::float8[])
    ORDER BY 1, 2, 3
    ON CONFLICT (device_id, field, bucket) DO UPDATE SET
        n = r.n + excluded.n, total = r.total + excluded.total,
        low = least(r.low, excluded.low), high = greatest(r.high, excluded.high),
        squares = r.squares + excluded.squares"""
_UPSERT_FIELDS = """INSERT INTO ts_field_state AS s (device_id, field, value, ts_ns)
    SELECT * FROM unnest(%s::text[], %s::text[], %s::float8[], %s::int8[]) ORDER BY 1, 2
    ON CONFLICT (device_id, field) DO UPDATE SET value = excluded.value, ts_ns = excluded.ts_ns
    WHERE s.ts_ns < excluded.ts_ns"""
_NEWER = (
    "excluded.status_ns IS NOT NULL AND (d.status_ns IS NULL OR excluded.status_ns > d.status_ns)"
)
_UPSERT_DEVICES = f"""INSERT INTO ts_device_state AS d (device_id, last_seen_ns, status, status_ns)
    SELECT device_id, last_ns, status::jsonb, status_ns
    FROM unnest(%s::text[], %s::int8[], %s::text[], %s::int8[])
        AS u(device_id, last_ns, status, status_ns)
    ORDER BY 1
    ON CONFLICT (device_id) DO UPDATE SET
        last_seen_ns = greatest(d.last_seen_ns, excluded.last_seen_ns),
        status = CASE WHEN {_NEWER} THEN excluded.status ELSE d.status END,
        status_ns = CASE WHEN {_NEWER} THEN excluded.status_ns ELSE d.status_ns END"""


# -- ordering ---------------------------------------------------------------------------


def _to_ns_many(timestamps: list[float]) -> np.ndarray:
    """:func:`cadml.timeseries.timestamps.to_ns` over many (same rounding: half to even)."""
    ts = np.asarray(timestamps, dtype=np.float64)
    if not (np.isfinite(ts) & (ts >= 0) & (ts < 9e9)).all():
        raise ValueError("a frame timestamp is not a unix time from 0 to 9e9 s")
    whole = np.floor(ts)
    ns: np.ndarray = whole.astype(np.int64) * _NS + np.rint((ts - whole) * 1e9).astype(np.int64)
    return ns


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, float]], tuple[float, ...]]:
    """Values of ``names`` in that order (KeyError when one is missing)."""
    if len(names) == 1:
        (name,) = names
        return lambda values: (values[name],)
    if not names:
        return lambda values: ()
    return operator.itemgetter(*names)  # type: ignore[return-value]


@dataclass(slots=True)
class Shape:
    """The frames of one device (of a batch) that carry the same numeric fields.

    Attributes:
        names: the field names, ``sensors.<name>`` then ``metrics.<name>``.
        rows: their positions in the device's ordered frames (ascending).
        values: one row per frame, one column per name (float64).
    """

    names: list[str]
    rows: np.ndarray
    values: np.ndarray


@dataclass(slots=True)
class DeviceRows:
    """One device's frames of a batch, de-duplicated, in ``(ts_ns, event_key)`` order.

    Attributes:
        device: the device id.
        stamps: ``ts_ns`` of each frame, ascending (int64).
        keys: the event key of each frame (``""`` for a reading).
        frames: the frames.
        shapes: the frames grouped by their field names.
        shape_of: the index in ``shapes`` of each frame.
    """

    device: str
    stamps: np.ndarray
    keys: list[str]
    frames: list[TelemetryFrame]
    shapes: list[Shape]
    shape_of: list[int]

    def identities(self) -> Iterator[tuple[tuple[str, int, str], TelemetryFrame]]:
        """``((device_id, ts_ns, event_key), frame)`` of every frame, in order."""
        for ns, key, frame in zip(self.stamps.tolist(), self.keys, self.frames, strict=True):
            yield (self.device, ns, key), frame


def _shapes(frames: list[TelemetryFrame]) -> tuple[list[Shape], list[int]]:
    """Group one device's ordered frames by their field names (in each frame's order)."""
    index: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    flats: list[list[float]] = []
    members: list[list[int]] = []
    shape_of: list[int] = []
    current, n_s, n_m = -1, -1, -1
    get_s = get_m = _getter(())
    for i, frame in enumerate(frames):
        sensors, metrics = frame.sensors, frame.metrics
        if len(sensors) == n_s and len(metrics) == n_m:
            try:
                values_s, values_m = get_s(sensors), get_m(metrics)
            except KeyError:
                pass
            else:
                flat = flats[current]
                flat.extend(values_s)
                flat.extend(values_m)
                members[current].append(i)
                shape_of.append(current)
                continue
        key = (tuple(sensors), tuple(metrics))
        found = index.get(key)
        if found is None:
            found = index[key] = len(flats)
            flats.append([])
            members.append([])
        current, n_s, n_m = found, len(sensors), len(metrics)
        get_s, get_m = _getter(key[0]), _getter(key[1])
        flats[current].extend(get_s(sensors))
        flats[current].extend(get_m(metrics))
        members[current].append(i)
        shape_of.append(current)
    shapes = []
    for (sensor_names, metric_names), g in index.items():
        names = [f"sensors.{k}" for k in sensor_names] + [f"metrics.{k}" for k in metric_names]
        values = np.array(flats[g], dtype=np.float64).reshape(len(members[g]), len(names))
        shapes.append(Shape(names, np.array(members[g], dtype=np.intp), values))
    return shapes, shape_of


def _group(frames: Sequence[TelemetryFrame]) -> tuple[np.ndarray, dict[str, list[int]]]:
    """``ts_ns`` of every frame and the frame indexes of each device."""
    stamps = _to_ns_many([f.timestamp for f in frames])
    by_device: dict[str, list[int]] = {}
    for i, frame in enumerate(frames):
        found = by_device.get(frame.device_id)
        if found is None:
            by_device[frame.device_id] = [i]
        else:
            found.append(i)
    return stamps, by_device


def _device_rows(
    device: str, frames: Sequence[TelemetryFrame], stamps: np.ndarray, index: list[int]
) -> DeviceRows:
    """One device's frames, de-duplicated (a stable sort keeps the first) and ordered."""
    mine = [frames[i] for i in index]
    ns = stamps[index]
    keys = [event_key(f) if f.status else "" for f in mine]
    if len(ns) > 1 and not (ns[1:] > ns[:-1]).all():
        # out of order, duplicates or alert events
        idents = list(zip(ns.tolist(), keys, strict=True))
        kept: list[int] = []
        last = None
        for j in sorted(range(len(mine)), key=idents.__getitem__):
            if idents[j] != last:
                kept.append(j)
                last = idents[j]
        mine = [mine[j] for j in kept]
        keys = [keys[j] for j in kept]
        ns = ns[kept]
    shapes, shape_of = _shapes(mine)
    return DeviceRows(device, ns, keys, mine, shapes, shape_of)


def order_batch(frames: Sequence[TelemetryFrame]) -> list[DeviceRows]:
    """De-duplicate a batch (the first frame of an identity wins) in primary-key order.

    Devices are sorted by code point (= the "C" collation of UTF-8), each device's frames
    by ``(ts_ns, event_key)``.

    Raises:
        ValueError: a timestamp is negative, not finite or beyond 9e9 s (year 2255); a
            value is not a number.
        TypeError: a numeric value is not a number.
    """
    stamps, by_device = _group(frames)
    return [_device_rows(d, frames, stamps, by_device[d]) for d in sorted(by_device)]


# -- binary COPY ------------------------------------------------------------------------


def _text(value: str, encoding: str) -> bytes:
    data = value.encode(encoding)
    return _I32(len(data)) + data


def _names_field(names: list[str], encoding: str) -> bytes:
    if not names:
        body = struct.pack(">iii", 0, 0, _TEXT_OID)
    else:
        body = struct.pack(">iiiii", 1, 0, _TEXT_OID, len(names), 1) + b"".join(
            _text(n, encoding) for n in names
        )
    return _I32(len(body)) + body


def _status_field(status: dict[str, Any]) -> bytes:
    data = json.dumps(status, allow_nan=False).encode()
    return _I32(len(data) + 1) + b"\x01" + data


_PLAIN_TAIL = _EMPTY_TEXT + _EMPTY_STATUS


@functools.lru_cache(maxsize=256)
def _row_dtype(prefix: int, n: int, tail: int) -> np.dtype[Any]:
    """A row's bytes: device and names, ``ts_ns``, the ``float8[]`` of ``n``, the tail."""
    fields: list[Any] = [("prefix", f"S{prefix}"), ("ns", ">i8")]
    if n:
        fields += [("head", "S24"), ("items", [("len", ">i4"), ("v", ">f8")], (n,))]
    else:
        fields += [("head", "S16")]
    if tail:
        fields += [("tail", f"S{tail}")]
    return np.dtype(fields)


def _array_head(n: int) -> bytes:
    if not n:
        return _I32(12) + struct.pack(">iii", 0, 0, _FLOAT8_OID)
    return _I32(20 + 12 * n) + struct.pack(">iiiii", 1, 0, _FLOAT8_OID, n, 1)


def _encode_shape(prefix: bytes, rows: DeviceRows, shape: Shape, plain: bool) -> np.ndarray:
    """The fixed-width part of a shape's rows (the whole rows when ``plain``)."""
    n = len(shape.names)
    out = np.empty(len(shape.rows), dtype=_row_dtype(len(prefix), n, len(_PLAIN_TAIL) * plain))
    out["prefix"] = prefix
    out["ns"] = rows.stamps[shape.rows]
    out["head"] = _array_head(n)
    if n:
        out["items"]["len"] = 8
        out["items"]["v"] = shape.values
    if plain:
        out["tail"] = _PLAIN_TAIL
    return out


def _encode_device(rows: DeviceRows, encoding: str) -> bytes:
    """A device's rows in key order: fixed-width parts through numpy, then keys and status."""
    head = b"\x00\x06" + _text(rows.device, encoding)
    plain = not any(rows.keys) and not any(f.status for f in rows.frames)
    parts = [
        _encode_shape(head + _names_field(shape.names, encoding) + _I32(8), rows, shape, plain)
        for shape in rows.shapes
    ]
    if plain and len(parts) == 1:
        return parts[0].tobytes()
    fixed = [(part.tobytes(), part.itemsize) for part in parts]
    taken = [0] * len(parts)
    out = bytearray()
    for g, key, frame in zip(rows.shape_of, rows.keys, rows.frames, strict=True):
        data, width = fixed[g]
        start = taken[g] * width
        taken[g] += 1
        out += data[start : start + width]
        if not plain:
            out += _text(key, encoding) if key else _EMPTY_TEXT
            out += _status_field(frame.status) if frame.status else _EMPTY_STATUS
    return bytes(out)


def encode_copy(batch: Iterable[DeviceRows], encoding: str = "utf-8") -> Iterator[bytes]:
    """The batch as binary ``COPY`` data (columns :data:`FRAME_COLUMNS`), in chunks.

    Args:
        batch: from :func:`order_batch` (or produced lazily, device by device).
        encoding: the connection's client encoding (a Python codec name).

    Raises:
        TypeError, ValueError: a status that is not JSON.
    """
    yield _SIGNATURE
    for rows in batch:
        yield _encode_device(rows, encoding)
    yield _TRAILER


# -- moments and state ------------------------------------------------------------------


@dataclass
class Summary:
    """What one batch of new frames adds to the rollups and the state.

    Attributes:
        frames: how many frames (readings and alert events).
        rollups: period → ``(device, field, bucket)`` → ``[n, total, low, high, squares]``.
        fields: ``(device, field)`` → ``(value, ts_ns)`` of the newest reading with it.
        devices: device → ``(last_seen_ns, status JSON or None, status_ns or None)``.
    """

    frames: int = 0
    rollups: dict[float, dict[tuple[str, str, int], list[Any]]] = field(default_factory=dict)
    fields: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    devices: dict[str, tuple[int, str | None, int | None]] = field(default_factory=dict)


def _add_shape(summary: Summary, rows: DeviceRows, shape: Shape, alerts: np.ndarray | None) -> None:
    """The moments and newest values of a shape's readings (alert events are skipped)."""
    if not np.isfinite(shape.values).all():
        raise ValueError("a numeric field value is not finite")
    members, values = shape.rows, shape.values
    if alerts is not None:
        readings = ~alerts[members]
        members, values = members[readings], values[readings]
    if not len(members) or not shape.names:
        return
    stamps = rows.stamps[members]
    buckets = stamps // _FINEST_NS
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    with np.errstate(over="ignore", under="ignore"):
        squares = np.add.reduceat(values * values, starts, axis=0).tolist()
        totals = np.add.reduceat(values, starts, axis=0).tolist()
    lows = np.minimum.reduceat(values, starts, axis=0).tolist()
    highs = np.maximum.reduceat(values, starts, axis=0).tolist()
    counts = np.diff(np.r_[starts, len(stamps)]).tolist()
    out = summary.rollups[min(ROLLUP_PERIODS_S)]
    device = rows.device
    for g, bucket in enumerate(buckets[starts].tolist()):
        n = counts[g]
        for j, name in enumerate(shape.names):
            key = (device, name, bucket)
            found = out.get(key)
            if found is None:
                out[key] = [n, totals[g][j], lows[g][j], highs[g][j], squares[g][j]]
            else:  # another shape has readings in this bucket
                found[0] += n
                found[1] += totals[g][j]
                found[2] = min(found[2], lows[g][j])
                found[3] = max(found[3], highs[g][j])
                found[4] += squares[g][j]
    newest = int(stamps[-1])
    for name, value in zip(shape.names, values[-1].tolist(), strict=True):
        known = summary.fields.get((device, name))
        if known is None or known[1] < newest:
            summary.fields[(device, name)] = (value, newest)


def summarize(batch: list[DeviceRows]) -> Summary:
    """Rollup moments (every period) and state of new frames, from :func:`order_batch` order.

    Raises:
        ValueError: a numeric value is not finite.
    """
    finest = min(ROLLUP_PERIODS_S)
    summary = Summary(rollups={finest: {}})
    for rows in batch:
        summary.frames += len(rows.keys)
        alerts = np.array([bool(k) for k in rows.keys]) if any(rows.keys) else None
        for shape in rows.shapes:
            _add_shape(summary, rows, shape, alerts)
        status: tuple[dict[str, Any], int] | None = None
        for i in range(len(rows.keys) - 1, -1, -1):
            if not rows.keys[i] and rows.frames[i].status:
                status = (rows.frames[i].status, int(rows.stamps[i]))
                break
        last_ns = int(rows.stamps[-1])
        if status is None:
            summary.devices[rows.device] = (last_ns, None, None)
        else:
            summary.devices[rows.device] = (
                last_ns, json.dumps(status[0], allow_nan=False), status[1]
            )  # fmt: skip
    base = summary.rollups[finest]
    for period in ROLLUP_PERIODS_S:
        if period == finest:
            continue
        ratio = round(period / finest)
        coarse: dict[tuple[str, str, int], list[Any]] = {}
        for (device, name, bucket), m in base.items():
            key = (device, name, bucket // ratio)
            found = coarse.get(key)
            if found is None:
                coarse[key] = list(m)
            else:
                found[0] += m[0]
                found[1] += m[1]
                found[2] = min(found[2], m[2])
                found[3] = max(found[3], m[3])
                found[4] += m[4]
        summary.rollups[period] = coarse
    return summary


def _columns(rows: dict[Any, Any]) -> list[list[Any]]:
    """``{(a, b): [x, y]}`` or ``{a: (x, y)}`` → the columns ``[a...], [b...], [x...], ...``."""
    flat = [(*(key if isinstance(key, tuple) else (key,)), *value) for key, value in rows.items()]
    return [list(col) for col in zip(*flat, strict=True)]


def apply_summary(cur: Any, summary: Summary) -> None:
    """Upsert the rollups and the state of a summary (sorted by key in SQL)."""
    for period, rows in summary.rollups.items():
        if rows:
            cur.execute(_UPSERT_ROLLUP.format(table=ROLLUP_TABLES[period]), _columns(rows))
    if summary.fields:
        cur.execute(_UPSERT_FIELDS, _columns(summary.fields))
    if summary.devices:
        cur.execute(_UPSERT_DEVICES, _columns(summary.devices))


# -- the transaction --------------------------------------------------------------------


def _only_new(batch: list[DeviceRows], keys: set[tuple[str, int, str]]) -> list[DeviceRows]:
    return order_batch([frame for rows in batch for key, frame in rows.identities() if key in keys])


def write_batch(conn: Any, frames: Sequence[TelemetryFrame]) -> int:
    """Store a batch in one transaction; returns how many frames were new.

    Args:
        conn: an autocommit psycopg connection, not in a transaction.
        frames: the batch (duplicates allowed).

    Raises:
        TypeError, ValueError: bad frame content (nothing stored).
        psycopg.Error: the database failed (nothing stored).
    """
    stamps, by_device = _group(frames)
    batch: list[DeviceRows] = []

    def ordered() -> Iterator[DeviceRows]:  # device by device, while the server inserts
        for device in sorted(by_device):
            batch.append(_device_rows(device, frames, stamps, by_device[device]))
            yield batch[-1]

    chunks: list[bytes] = []
    encoded = encode_copy(ordered(), conn.info.encoding)
    with conn.transaction(), conn.cursor() as cur:
        try:
            with conn.transaction(), cur.copy(COPY_FRAMES) as copy:
                for chunk in encoded:
                    chunks.append(chunk)
                    copy.write(chunk)
                summary = summarize(batch)  # while the server finishes the COPY
        except (pg_errors.UniqueViolation, pg_errors.DeadlockDetected):
            chunks.extend(encoded)  # in case the COPY stopped before the end
            with cur.copy(COPY_STAGE) as copy:
                for chunk in chunks:
                    copy.write(chunk)
            cur.execute(INSERT_STAGED)
            keys = set(cur.fetchall())
            summary = summarize(_only_new(batch, keys)) if keys else Summary()
        apply_summary(cur, summary)
    return summary.frames
