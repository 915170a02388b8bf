"""Anomaly windows: timestamps in NAB's format and the rows a window covers.

NAB labels a window by its first and last timestamp, e.g.
``["2014-04-10 07:15:00.000000", "2014-04-11 16:45:00.000000"]``. NAB's own labels are
snapped to row timestamps, and NAB's scorer looks the bounds up by exact equality. Here a
window covers **every row whose timestamp t satisfies start <= t <= end** — the rule NAB's
labeller uses to mark rows — so a bound that falls between two rows still works: the
window starts at the first row at or after ``start`` and ends at the last row at or before
``end``. With bounds that are row timestamps this is exactly NAB. A window that contains
no row at all is reported as empty and takes no part in scoring.

Times are naive UTC ``datetime64[us]``; a timestamp with a UTC offset is converted to UTC.

Examples:
    >>> ts = parse_timestamps(["2014-04-10 07:00:00", "2014-04-10 07:05:00",
    ...                        "2014-04-10 07:10:00", "2014-04-10 07:15:00"])
    >>> w = Window(parse_timestamp("2014-04-10 07:03:00"), parse_timestamp("2014-04-10 07:10:00"))
    >>> rows, empty = window_rows(ts, [w])
    >>> rows[0].first, rows[0].last, rows[0].width, empty
    (1, 2, 2, ())
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

__all__ = [
    "TIME_DTYPE",
    "Window",
    "WindowRows",
    "format_timestamp",
    "parse_timestamp",
    "parse_timestamps",
    "window_rows",
]

TIME_DTYPE = "datetime64[us]"
"""The dtype of every timestamp array in the NAB code."""


def parse_timestamp(text: str) -> np.datetime64:
    """An ISO 8601 timestamp (``"2014-04-10 07:15:00.000000"``) as ``datetime64[us]``.

    Raises:
        ValueError: if ``text`` is not an ISO 8601 date or date-time.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(moment, "us")


def parse_timestamps(texts: Sequence[str]) -> np.ndarray:
    """Many timestamps at once; shape ``(n,)``, dtype ``datetime64[us]``.

    Raises:
        ValueError: naming the first text that is not a timestamp.
    """
    out = np.empty(len(texts), dtype=TIME_DTYPE)
    for i, text in enumerate(texts):
        out[i] = parse_timestamp(text)
    return out


def format_timestamp(moment: np.datetime64) -> str:
    """A timestamp in NAB's label format (``"2014-04-10 07:15:00.000000"``)."""
    return str(np.datetime_as_string(moment.astype(TIME_DTYPE), unit="us")).replace("T", " ")


@dataclass(frozen=True)
class Window:
    """A labelled anomaly window, inclusive at both ends."""

    start: np.datetime64
    end: np.datetime64

    def label(self) -> str:
        """The window as NAB writes it, ``[start, end]``."""
        return f"[{format_timestamp(self.start)}, {format_timestamp(self.end)}]"


@dataclass(frozen=True)
class WindowRows:
    """The rows a window covers in one file: ``first`` to ``last``, both inclusive."""

    first: int
    last: int

    @property
    def width(self) -> int:
        """Number of rows in the window."""
        return self.last - self.first + 1


def window_rows(
    timestamps: np.ndarray, windows: Sequence[Window]
) -> tuple[tuple[WindowRows, ...], tuple[Window, ...]]:
    """Map windows to the rows they cover.

    Args:
        timestamps: shape ``(n,)``, ``datetime64``, in non-decreasing order.
        windows: the file's windows, in time order and not overlapping.

    Returns:
        The row ranges of the windows that cover at least one row, in order, and the
        windows that cover none.

    Raises:
        ValueError: if a window ends before it starts, or windows are out of order or
            overlap (NAB's scorer assumes neither happens).
    """
    ts = np.asarray(timestamps).astype(TIME_DTYPE)
    rows: list[WindowRows] = []
    empty: list[Window] = []
    previous: Window | None = None
    for window in windows:
        if window.end < window.start:
            raise ValueError(f"window {window.label()} ends before it starts")
        if previous is not None and window.start <= previous.end:
            raise ValueError(
                f"window {window.label()} overlaps or precedes window {previous.label()}"
            )
        previous = window
        first = int(np.searchsorted(ts, window.start, side="left"))
        last = int(np.searchsorted(ts, window.end, side="right")) - 1
        if last < first:
            empty.append(window)
        else:
            rows.append(WindowRows(first, last))
    return tuple(rows), tuple(empty)
