"""Checks of query arguments, shared by every store, and the error they raise.

A store calls these before touching its database, so every store refuses the same
queries with the same code: ``TWIN_STORE_INVALID_QUERY`` (HTTP 422).

Examples:
    >>> check_field("sensors.temperature")
    ('sensors', 'temperature')
    >>> check_field("temperature")
    Traceback (most recent call last):
    ...
    cadml.errors.StorageError: TWIN_STORE_INVALID_QUERY: Invalid time-series query: field \
'temperature' must be sensors.<name> or metrics.<name>
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cadml.errors import StorageError
from cadml.timeseries.port import AGGREGATE_FUNCTIONS
from cadml.twin.frame import FIELD_GROUPS

__all__ = [
    "MAX_HISTORY_LIMIT",
    "MIN_WINDOW_S",
    "check_aggregate",
    "check_field",
    "check_history",
    "check_retention",
    "invalid_query",
]

MIN_WINDOW_S = 0.001
"""Shortest aggregate window (1 ms)."""

MAX_HISTORY_LIMIT = 100_000
"""Most frames one history page may ask for."""


def invalid_query(reason: str, store: str = "") -> StorageError:
    """The ``TWIN_STORE_INVALID_QUERY`` error with its reason."""
    return StorageError("TWIN_STORE_INVALID_QUERY", details={"reason": reason, "store": store})


def check_field(field: str) -> tuple[str, str]:
    """Split a numeric field name into its group and name.

    Raises:
        StorageError: ``TWIN_STORE_INVALID_QUERY`` when it is not ``sensors.<name>`` or
            ``metrics.<name>`` (the name non-empty, without dots).
    """
    group, dot, name = field.partition(".") if isinstance(field, str) else ("", "", "")
    if not dot or group not in FIELD_GROUPS or not name or "." in name:
        raise invalid_query(f"field {field!r} must be sensors.<name> or metrics.<name>")
    return group, name


def _check_range(start: float | None, stop: float | None) -> None:
    for label, value in (("start", start), ("stop", stop)):
        if value is not None and (not isinstance(value, (int, float)) or not math.isfinite(value)):
            raise invalid_query(f"{label} {value!r} must be a finite number of unix seconds")
    if start is not None and stop is not None and stop < start:
        raise invalid_query(f"stop {stop!r} is before start {start!r}")


def check_history(
    start: float | None, stop: float | None, limit: int, fields: Sequence[str] | None
) -> None:
    """Check the arguments of :meth:`TimeSeriesStore.history`.

    Raises:
        StorageError: ``TWIN_STORE_INVALID_QUERY`` for a bad range, limit or field name.
    """
    _check_range(start, stop)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise invalid_query(f"limit {limit!r} must be an integer from 1 to {MAX_HISTORY_LIMIT}")
    for name in fields or ():
        check_field(name)


def check_aggregate(field: str, window_s: float, fn: str, start: float, stop: float) -> None:
    """Check the arguments of :meth:`TimeSeriesStore.aggregate`.

    Raises:
        StorageError: ``TWIN_STORE_INVALID_QUERY`` for a bad field, function, window
            (not finite, under :data:`MIN_WINDOW_S`, or not a whole number of
            microseconds) or time range.
    """
    check_field(field)
    if fn not in AGGREGATE_FUNCTIONS:
        raise invalid_query(f"function {fn!r} is not one of {', '.join(AGGREGATE_FUNCTIONS)}")
    if (
        isinstance(window_s, bool)
        or not isinstance(window_s, (int, float))
        or not math.isfinite(window_s)
        or window_s < MIN_WINDOW_S
    ):
        raise invalid_query(f"window {window_s!r} s must be a finite number >= {MIN_WINDOW_S}")
    micros = window_s * 1e6
    if abs(micros - round(micros)) > 1e-3:  # float noise is far under a nanosecond
        raise invalid_query(f"window {window_s!r} s must be a whole number of microseconds")
    if start is None or stop is None:
        raise invalid_query("aggregates need both start and stop")
    _check_range(start, stop)


def check_retention(raw_before: float | None, rollup_before: float | None) -> None:
    """Check the arguments of :meth:`TimeSeriesStore.delete_before`.

    Raises:
        StorageError: ``TWIN_STORE_INVALID_QUERY`` for a time that is not finite.
    """
    for label, value in (("raw_before", raw_before), ("rollup_before", rollup_before)):
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise invalid_query(f"{label} {value!r} must be a finite number of unix seconds")
