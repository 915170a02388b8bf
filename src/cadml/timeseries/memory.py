"""An in-memory :class:`~cadml.timeseries.port.TimeSeriesStore` for tests of the code above it.

It keeps the whole contract, rollups included (so retention of raw points and rollups
behaves as in the embedded SQLite store), with plain dicts under one lock. Nothing is
persisted; history sorts on every call, which is fine for tests and demos.

Examples:
    >>> from cadml.twin.frame import TelemetryFrame
    >>> store = MemoryTimeSeriesStore()
    >>> store.write([TelemetryFrame(60.0, "d", {"t": 1.0}), TelemetryFrame(61.0, "d", {"t": 3.0})])
    WriteResult(written=2, duplicates=0)
    >>> store.aggregate("sensors.t", window_s=60, fn="mean", start=0, stop=120)
    [AggregatePoint(start=60.0, value=2.0, count=2)]
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from cadml.timeseries.port import (
    ROLLUP_PERIODS_S,
    AggregatePoint,
    Cursor,
    DeviceState,
    FieldState,
    WriteResult,
)
from cadml.timeseries.query import check_aggregate, check_field, check_history, check_retention
from cadml.timeseries.rollup import (
    Moments,
    RollupKey,
    accumulate_rollups,
    aggregate_values,
    finish_moments,
    rollup_period,
)
from cadml.timeseries.selection import select_fields
from cadml.twin.frame import TelemetryFrame, event_key, numeric_fields

__all__ = ["MemoryTimeSeriesStore"]

_Key = tuple[float, str]


class _Device:
    __slots__ = ("fields", "frames", "last_seen", "status", "status_ts")

    def __init__(self) -> None:
        self.frames: dict[_Key, TelemetryFrame] = {}
        self.fields: dict[str, FieldState] = {}
        self.last_seen = float("-inf")
        self.status: dict[str, Any] = {}
        self.status_ts = float("-inf")


class MemoryTimeSeriesStore:
    """Telemetry in process memory; thread-safe (one lock)."""

    name = "memory"
    counts_duplicates = True
    """Duplicates are detected and counted; the first write of an identity wins."""
    keeps_rollups = True
    """Rollups are kept apart from raw points (retention deletes them separately)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, _Device] = {}
        self._rollups: dict[float, dict[RollupKey, Moments]] = {p: {} for p in ROLLUP_PERIODS_S}

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        """Store a batch; duplicates (same device, timestamp, event key) are ignored."""
        new: list[TelemetryFrame] = []
        with self._lock:
            for frame in frames:
                device = self._devices.setdefault(frame.device_id, _Device())
                key = (frame.timestamp, event_key(frame))
                if key in device.frames:
                    continue
                device.frames[key] = frame
                new.append(frame)
                self._update_state(device, frame, key[1])
            for period, rows in accumulate_rollups(new).items():
                table = self._rollups[period]
                for rkey, moments in rows.items():
                    if rkey in table:
                        table[rkey].merge(moments)
                    else:
                        table[rkey] = moments
        return WriteResult(len(new), len(frames) - len(new))

    @staticmethod
    def _update_state(device: _Device, frame: TelemetryFrame, ekey: str) -> None:
        ts = frame.timestamp
        device.last_seen = max(device.last_seen, ts)
        if ekey:
            return
        for name, value in numeric_fields(frame).items():
            old = device.fields.get(name)
            if old is None or ts > old.timestamp:
                device.fields[name] = FieldState(value, ts)
        if frame.status and ts > device.status_ts:
            device.status, device.status_ts = dict(frame.status), ts

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
        with self._lock:
            device = self._devices.get(device_id)
            keys = sorted(device.frames, reverse=True) if device else []
            out: list[TelemetryFrame] = []
            for key in keys:
                ts = key[0]
                if (stop is not None and ts >= stop) or (
                    before is not None and key >= (before.timestamp, before.event_key)
                ):
                    continue
                if start is not None and ts < start:
                    break
                assert device is not None
                out.append(device.frames[key])
                if len(out) == limit:
                    break
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
        """Windows of ``fn`` over one field (rollups when aligned, raw otherwise)."""
        check_aggregate(field, window_s, fn, start, stop)
        window_s, start, stop = float(window_s), float(start), float(stop)
        period = rollup_period(window_s, start, stop)
        with self._lock:
            if period is not None:
                return self._from_rollups(field, window_s, fn, start, stop, device_id, period)
            group, name = check_field(field)
            points = [
                (ts, value)
                for dev_id, device in self._devices.items()
                if device_id is None or dev_id == device_id
                for (ts, ekey), frame in device.frames.items()
                if not ekey and start <= ts < stop
                for value in _field_value(frame, group, name)
            ]
        return aggregate_values(points, window_s, fn)

    def _from_rollups(
        self,
        field: str,
        window_s: float,
        fn: str,
        start: float,
        stop: float,
        device_id: str | None,
        period: float,
    ) -> list[AggregatePoint]:
        per_window = round(window_s / period)
        first, last = round(start / period), round(stop / period)
        windows: dict[int, Moments] = {}
        for (dev_id, name, bucket), m in self._rollups[period].items():
            if name != field or not first <= bucket < last:
                continue
            if device_id is not None and dev_id != device_id:
                continue
            w = bucket // per_window
            if w in windows:
                windows[w].merge(m)
            else:
                windows[w] = Moments(m.count, m.total, m.low, m.high, m.squares)
        return [
            AggregatePoint(w * window_s, finish_moments(fn, m), m.count)
            for w, m in sorted(windows.items())
        ]

    def state(self, device_id: str) -> DeviceState | None:
        """The device's last values, last status and last_seen, or None."""
        with self._lock:
            device = self._devices.get(device_id)
            if device is None or device.last_seen == float("-inf"):
                return None
            return DeviceState(
                device_id, device.last_seen, dict(device.fields), dict(device.status)
            )

    def count(self, device_id: str | None = None) -> int:
        """How many frames are stored."""
        with self._lock:
            if device_id is not None:
                device = self._devices.get(device_id)
                return len(device.frames) if device else 0
            return sum(len(d.frames) for d in self._devices.values())

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
        with self._lock:
            device = self._devices.get(device_id)
            if device is not None and raw_before is not None:
                old = [key for key in device.frames if key[0] < raw_before]
                for key in old:
                    del device.frames[key]
                deleted = len(old)
            if rollup_before is not None:
                for period, rows in self._rollups.items():
                    limit = rollup_before // period
                    for rkey in [k for k in rows if k[0] == device_id and k[2] < limit]:
                        del rows[rkey]
        return deleted

    def close(self) -> None:
        """Nothing to release."""


def _field_value(frame: TelemetryFrame, group: str, name: str) -> tuple[float, ...]:
    values = frame.sensors if group == "sensors" else frame.metrics
    value = values.get(name)
    return () if value is None else (value,)
