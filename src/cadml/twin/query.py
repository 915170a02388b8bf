"""Parsing the twin query parameters: times, windows, aggregate functions and field names.

Examples:
    >>> parse_window("5m"), parse_window("90s"), parse_window("1h"), parse_window("300")
    (300.0, 90.0, 3600.0, 300.0)
    >>> parse_time("1700000000.5")
    1700000000.5
    >>> parse_time("2023-11-14T22:13:20Z")
    1700000000.0
    >>> field_name("temperature"), field_name("metrics.rpm")
    ('sensors.temperature', 'metrics.rpm')
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from cadml.errors import ValidationError
from cadml.timeseries.port import AGGREGATE_FUNCTIONS
from cadml.twin.frame import FIELD_GROUPS

__all__ = [
    "MAX_HISTORY_LIMIT",
    "MAX_WINDOWS",
    "check_fn",
    "check_range",
    "field_name",
    "parse_fields",
    "parse_time",
    "parse_window",
]

MAX_HISTORY_LIMIT = 10_000
"""Most frames one history page returns."""

MAX_WINDOWS = 100_000
"""Most windows one aggregate query may produce."""

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_WINDOW = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?")


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError("TWIN_QUERY_INVALID", details={"field": field, "reason": reason})


def parse_time(value: str | float | None, field: str = "start") -> float | None:
    """Unix seconds from a number or an ISO 8601 string (naive means UTC); None passes.

    Raises:
        ValidationError: ``TWIN_QUERY_INVALID``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise _invalid(field, f"{text!r} is neither unix seconds nor ISO 8601") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = when.timestamp()
    if not math.isfinite(seconds) or seconds < 0:
        raise _invalid(field, f"{value!r} must be a time at or after 1970-01-01")
    return seconds


def parse_window(value: str) -> float:
    """A window length in seconds from ``30s``, ``5m``, ``1h``, ``1d`` or plain seconds.

    Raises:
        ValidationError: ``TWIN_QUERY_INVALID``.
    """
    match = _WINDOW.fullmatch(str(value).strip())
    if not match:
        raise _invalid("window", f"{value!r} is not a duration like 30s, 5m, 1h or 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < 1.0:
        raise _invalid("window", f"{value!r} is shorter than one second")
    return seconds


def check_fn(fn: str) -> str:
    """The aggregate function name when it is supported.

    Raises:
        ValidationError: ``TWIN_QUERY_INVALID``.
    """
    if fn not in AGGREGATE_FUNCTIONS:
        raise _invalid("fn", f"{fn!r} is not one of {', '.join(AGGREGATE_FUNCTIONS)}")
    return fn


def check_range(start: float | None, stop: float | None) -> None:
    """Refuse a range whose start is not before its stop.

    Raises:
        ValidationError: ``TWIN_QUERY_INVALID``.
    """
    if start is not None and stop is not None and start >= stop:
        raise _invalid("start", f"start {start} must be before stop {stop}")


def field_name(name: str) -> str:
    """The stored name of a numeric field; a bare name means a sensor.

    Raises:
        ValidationError: ``TWIN_QUERY_INVALID``.
    """
    name = name.strip()
    group, dot, rest = name.partition(".")
    if dot:
        if group not in FIELD_GROUPS or not rest or "." in rest:
            raise _invalid("field", f"{name!r} must be <name>, sensors.<name> or metrics.<name>")
        return name
    if not name:
        raise _invalid("field", "a field name is required")
    return f"sensors.{name}"


def parse_fields(value: str | None) -> list[str] | None:
    """Comma-separated field names (None or empty: all fields)."""
    if not value:
        return None
    return [field_name(part) for part in value.split(",") if part.strip()]
