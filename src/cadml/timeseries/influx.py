"""The InfluxDB 1.x time-series store: line protocol to ``/write``, InfluxQL to ``/query``.

Layout: one measurement (``telemetry``) in the configured database (created on first
use). Tags ``device_id`` and, for alert events only, ``event_key`` (the rule id; a
reading has no ``event_key`` tag, which InfluxQL matches as ``event_key = ''``). Fields:
every numeric value as a float field named ``sensors.<name>`` / ``metrics.<name>``, and
``status``, the frame's status as a JSON string (always written, so every frame is a
point even without numeric fields). Time is integer nanoseconds
(:mod:`cadml.timeseries.timestamps`), so float timestamps round-trip exactly.

What InfluxDB does differently (the contract suite reads these capability flags):

* ``counts_duplicates = False``: a point with the same series and time *overwrites*
  (field by field). Identical retries are therefore idempotent, but ``write`` cannot
  tell them apart: ``WriteResult.duplicates`` is always 0, and a rewrite with other
  values wins over the first write.
* ``keeps_rollups = False``: every aggregate is computed from raw points with
  ``GROUP BY time(window) fill(none)`` (windows aligned to the epoch, like the rollups
  of the other stores). ``delete_before(rollup_before=...)`` therefore has nothing to
  delete, and deleting raw points removes them from aggregates too.
* ``stddev``: InfluxQL's ``STDDEV`` is the *sample* standard deviation; the store
  converts it to the population one (``s * sqrt((n - 1) / n)``) with ``COUNT`` from the
  same query.
* A ``/write`` is all-or-nothing only for well-formed batches: InfluxDB writes the
  parsable points of a batch that holds a malformed one ("partial write"). The store
  refuses what it cannot encode (newlines anywhere, backslashes in device ids, rule ids
  and field names) before sending, so a batch is refused as a whole.

``httpx.Client`` is thread-safe, so one client serves the writer and the readers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import httpx

from cadml.errors import StorageError
from cadml.timeseries.port import (
    AggregatePoint,
    Cursor,
    DeviceState,
    FieldState,
    WriteResult,
)
from cadml.timeseries.query import check_aggregate, check_history, check_retention
from cadml.timeseries.selection import select_fields
from cadml.timeseries.timestamps import from_ns, to_ns
from cadml.twin.frame import TelemetryFrame, event_key

__all__ = ["InfluxTimeSeriesStore", "encode_line"]

_FUNCTIONS = {"mean": "MEAN", "min": "MIN", "max": "MAX", "sum": "SUM", "count": "COUNT",
              "stddev": "STDDEV"}  # fmt: skip
_KEY_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})


def _key(text: str, what: str) -> str:
    """Escape a tag value or field key; refuse what line protocol cannot carry."""
    if "\n" in text or "\r" in text or "\\" in text:
        raise ValueError(f"{what} {text!r} holds a newline or backslash (not storable in InfluxDB)")
    return text.translate(_KEY_ESCAPES)


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_line(frame: TelemetryFrame, measurement: str = "telemetry") -> str:
    """One frame as a line of InfluxDB line protocol (nanosecond precision).

    Raises:
        ValueError: a name InfluxDB cannot store, or a status that is not JSON.

    Examples:
        >>> print(encode_line(TelemetryFrame(1.5, "press 1", {"t": 2.0}, {}, {"on": 1})))
        telemetry,device_id=press\\ 1 sensors.t=2.0,status="{\\"on\\":1}" 1500000000
    """
    tags = f"{measurement},device_id={_key(frame.device_id, 'device id')}"
    ekey = event_key(frame)
    if ekey:
        tags += f",event_key={_key(ekey, 'rule id')}"
    fields = [f"{_key('sensors.' + k, 'field')}={v!r}" for k, v in frame.sensors.items()]
    fields += [f"{_key('metrics.' + k, 'field')}={v!r}" for k, v in frame.metrics.items()]
    status = json.dumps(frame.status, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    fields.append(f"status={_string(status)}")
    return f"{tags} {','.join(fields)} {to_ns(frame.timestamp)}"


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InfluxTimeSeriesStore:
    """Telemetry in InfluxDB 1.x (tested against 1.6).

    Args:
        url: the HTTP API, e.g. ``http://127.0.0.1:8086``.
        database: the database; created on first use.
        measurement: the measurement holding the frames.
        timeout_s: per-request timeout.

    Raises:
        StorageError: ``TWIN_STORE_UNAVAILABLE`` when the server cannot be reached.
    """

    name = "influx"
    counts_duplicates = False
    """A rewrite of the same identity overwrites; ``duplicates`` is always 0."""
    keeps_rollups = False
    """Aggregates come from raw points; there are no rollups to keep or delete."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        measurement: str = "telemetry",
        timeout_s: float = 30.0,
    ) -> None:
        self.database = database
        self._measurement = measurement
        self._from = _ident(measurement)
        self._client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s)
        try:
            self._query(f"CREATE DATABASE {_ident(database)}", post=True)
        except StorageError:
            self._client.close()
            raise

    # -- HTTP -------------------------------------------------------------------------

    def _fail(self, code: str, reason: str) -> StorageError:
        return StorageError(code, details={"store": self.name, "reason": reason[:500]})

    def _query(self, q: str, *, post: bool = False) -> list[dict[str, Any]]:
        """Run InfluxQL (``;``-separated statements); one result dict per statement."""
        params = {"db": self.database, "q": q, "epoch": "ns"}
        try:
            if post:
                response = self._client.post("/query", data=params)
            else:
                response = self._client.get("/query", params=params)
        except httpx.HTTPError as exc:
            raise self._fail("TWIN_STORE_UNAVAILABLE", f"{type(exc).__name__}: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "error" in body:
            raise self._fail(
                "TWIN_STORE_UNAVAILABLE",
                f"HTTP {response.status_code}: {body.get('error', response.text)}",
            )
        results: list[dict[str, Any]] = body.get("results", [])
        for result in results:
            if "error" in result:
                raise self._fail("TWIN_STORE_UNAVAILABLE", str(result["error"]))
        return results

    @staticmethod
    def _rows(result: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for series in result.get("series", ()):
            columns = series["columns"]
            rows += [dict(zip(columns, values, strict=True)) for values in series["values"]]
        return rows

    # -- write ------------------------------------------------------------------------

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        """Send the batch as one ``/write`` (duplicates overwrite, see the module docstring)."""
        if not frames:
            return WriteResult(0, 0)
        unique: dict[tuple[str, float, str], TelemetryFrame] = {}
        for frame in frames:
            unique.setdefault((frame.device_id, frame.timestamp, event_key(frame)), frame)
        try:
            body = "\n".join(encode_line(f, self._measurement) for f in unique.values())
        except (TypeError, ValueError) as exc:
            raise self._fail("TWIN_STORE_WRITE_FAILED", str(exc)) from exc
        try:
            response = self._client.post(
                "/write",
                params={"db": self.database, "precision": "ns"},
                content=body.encode(),
            )
        except httpx.HTTPError as exc:
            raise self._fail("TWIN_STORE_UNAVAILABLE", f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 204:
            code = (
                "TWIN_STORE_UNAVAILABLE"
                if response.status_code >= 500
                else "TWIN_STORE_WRITE_FAILED"
            )
            raise self._fail(code, f"HTTP {response.status_code}: {response.text}")
        return WriteResult(len(unique), 0)

    # -- reads ------------------------------------------------------------------------

    def _frames(
        self, device_id: str, rows: list[dict[str, Any]]
    ) -> list[tuple[int, str, TelemetryFrame]]:
        out = []
        for row in rows:
            sensors: dict[str, float] = {}
            metrics: dict[str, float] = {}
            for key, value in row.items():
                if value is None:
                    continue
                if key.startswith("sensors."):
                    sensors[key[8:]] = float(value)
                elif key.startswith("metrics."):
                    metrics[key[8:]] = float(value)
            status = json.loads(row["status"]) if row.get("status") is not None else {}
            ns = int(row["time"])
            out.append(
                (ns, row.get("event_key") or "",
                 TelemetryFrame(from_ns(ns), device_id, sensors, metrics, status))
            )  # fmt: skip
        return out

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
        """A device's frames newest first (see the port).

        InfluxQL orders by time only; frames sharing a timestamp are ordered here by
        event key, fetching the whole group at a page boundary so none is skipped.
        """
        check_history(start, stop, limit, fields)
        base = f"SELECT * FROM {self._from} WHERE device_id = {_literal(device_id)}"
        lower = f" AND time >= {to_ns(start)}" if start is not None else ""
        upper = to_ns(stop) if stop is not None else None
        rows: list[tuple[int, str, TelemetryFrame]] = []
        if before is not None:
            cursor_ns = to_ns(before.timestamp)
            inside = (start is None or cursor_ns >= to_ns(start)) and (
                upper is None or cursor_ns < upper
            )
            if inside:
                (same,) = self._query(f"{base} AND time = {cursor_ns}")
                rows += [r for r in self._frames(device_id, self._rows(same))
                         if r[1] < before.event_key]  # fmt: skip
            upper = cursor_ns if upper is None else min(upper, cursor_ns)
        cond = lower + (f" AND time < {upper}" if upper is not None else "")
        (page,) = self._query(f"{base}{cond} ORDER BY time DESC LIMIT {limit}")
        got = self._frames(device_id, self._rows(page))
        if len(got) == limit:  # the oldest timestamp may continue past the limit
            last_ns = got[-1][0]
            (group,) = self._query(f"{base} AND time = {last_ns}")
            got = [r for r in got if r[0] != last_ns] + self._frames(device_id, self._rows(group))
        rows += got
        rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
        out = [r[2] for r in rows[:limit]]
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
        """Windows of ``fn`` over one field with ``GROUP BY time(window) fill(none)``."""
        check_aggregate(field, window_s, fn, start, stop)
        window_s = float(window_s)
        window_us = round(window_s * 1e6)
        column = _ident(field)
        where = f"event_key = '' AND time >= {to_ns(start)} AND time < {to_ns(stop)}"
        if device_id is not None:
            where += f" AND device_id = {_literal(device_id)}"
        (result,) = self._query(
            f"SELECT COUNT({column}) AS n, {_FUNCTIONS[fn]}({column}) AS v FROM {self._from} "
            f"WHERE {where} GROUP BY time({window_us}u) fill(none)"
        )
        out = []
        for row in self._rows(result):
            n = int(row["n"] or 0)
            if n == 0:
                continue
            value = row["v"]
            if fn == "stddev":
                value = 0.0 if value is None or n < 2 else value * math.sqrt((n - 1) / n)
            bucket = int(row["time"]) // (window_us * 1000)
            out.append(AggregatePoint(bucket * window_s, float(value), n))
        return out

    def state(self, device_id: str) -> DeviceState | None:
        """Last values and status from ``LAST()`` per field (readings only)."""
        (keys,) = self._query(f"SHOW FIELD KEYS FROM {self._from}")
        numeric = [
            r["fieldKey"] for r in self._rows(keys)
            if r["fieldKey"].startswith(("sensors.", "metrics."))
        ]  # fmt: skip
        device = f"device_id = {_literal(device_id)}"
        statements = [
            f"SELECT LAST(status) FROM {self._from} WHERE {device}",
            f"SELECT LAST(status) FROM {self._from} WHERE {device} AND event_key = '' "
            "AND status != '{}'",
            *(
                f"SELECT LAST({_ident(name)}) FROM {self._from} WHERE {device} AND event_key = ''"
                for name in numeric
            ),
        ]
        results = self._query("; ".join(statements))
        seen = self._rows(results[0])
        if not seen:
            return None
        status_rows = self._rows(results[1])
        fields = {}
        for name, result in zip(numeric, results[2:], strict=True):
            for row in self._rows(result):
                fields[name] = FieldState(float(row["last"]), from_ns(int(row["time"])))
        return DeviceState(
            device_id,
            from_ns(int(seen[0]["time"])),
            fields,
            json.loads(status_rows[0]["last"]) if status_rows else {},
        )

    def count(self, device_id: str | None = None) -> int:
        """How many frames are stored (every point has a ``status`` field)."""
        where = f" WHERE device_id = {_literal(device_id)}" if device_id is not None else ""
        (result,) = self._query(f"SELECT COUNT(status) FROM {self._from}{where}")
        rows = self._rows(result)
        return int(rows[0]["count"]) if rows else 0

    def delete_before(
        self,
        device_id: str,
        *,
        raw_before: float | None = None,
        rollup_before: float | None = None,
    ) -> int:
        """Delete the device's points before ``raw_before``; ``rollup_before`` has nothing to do."""
        check_retention(raw_before, rollup_before)
        if raw_before is None:
            return 0
        where = f"device_id = {_literal(device_id)} AND time < {to_ns(raw_before)}"
        (result,) = self._query(f"SELECT COUNT(status) FROM {self._from} WHERE {where}")
        rows = self._rows(result)
        deleted = int(rows[0]["count"]) if rows else 0
        if deleted:
            self._query(f"DELETE FROM {self._from} WHERE {where}", post=True)
        return deleted

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
