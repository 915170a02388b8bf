"""Exact conversion between float unix seconds and integer nanoseconds.

PostgreSQL and InfluxDB keep time as integer nanoseconds. ``ts * 1e9`` in floats loses
the microseconds of a unix-era timestamp (1.7e18 > 2**53), so the whole seconds and the
fraction are converted apart; unix-era timestamps round-trip exactly.

Examples:
    >>> to_ns(1700000000.125)
    1700000000125000000
    >>> from_ns(to_ns(1700000000.123456)) == 1700000000.123456
    True
"""

from __future__ import annotations

import math

__all__ = ["NS_PER_S", "from_ns", "to_ns"]

NS_PER_S = 1_000_000_000


def to_ns(timestamp: float) -> int:
    """Unix seconds (float) to integer nanoseconds, rounded to the nearest nanosecond."""
    whole = math.floor(timestamp)
    return int(whole) * NS_PER_S + round((timestamp - whole) * 1e9)


def from_ns(ns: int) -> float:
    """Integer nanoseconds to unix seconds (float)."""
    whole, rest = divmod(int(ns), NS_PER_S)
    return whole + rest / 1e9
