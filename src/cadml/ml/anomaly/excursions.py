"""Excursions: runs of anomalous rows, so one incident gives one alert, not one per row.

**The rule** (the live gate and the batch intervals share it):

* An **excursion starts** at a row whose score is above the threshold while no
  excursion is open.
* It **ends** after ``clear_rows`` consecutive rows at or below the threshold (default
  3). Anomalous rows separated by fewer normal rows belong to the same excursion, so a
  noisy score hovering around the threshold does not alert again and again.
* **One alert per excursion**, at its first row. With a ``cooldown_s`` > 0, an
  excursion that starts less than ``cooldown_s`` seconds after the previous alert of the
  same gate raises no alert (it is counted as suppressed): a flapping device cannot
  flood the alert history.

:class:`ExcursionGate` applies the rule one row at a time (the live monitor keeps one
per device); :func:`anomalous_intervals` applies it to a scored history and returns the
excursions as intervals. Feeding the rows of a history through a gate without cooldown
raises exactly one alert per interval (tested).

Examples:
    >>> gate = ExcursionGate(clear_rows=2)
    >>> [gate.update(t, a) for t, a in enumerate([0, 1, 1, 0, 1, 0, 0, 1])]
    [False, True, False, False, False, False, False, True]
    >>> [(i.first_row, i.last_row) for i in anomalous_intervals(
    ...     [float(t) for t in range(8)], [0, .9, .9, 0, .9, 0, 0, .9], 0.5, clear_rows=2)]
    [(1, 4), (7, 7)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cadml.ml.anomaly.base import check_option

__all__ = ["DEFAULT_CLEAR_ROWS", "AnomalyInterval", "ExcursionGate", "anomalous_intervals"]

DEFAULT_CLEAR_ROWS = 3
"""Normal rows in a row that end an excursion."""


class ExcursionGate:
    """The hysteresis and cool-down of one device's alerts (see the module docstring).

    Args:
        clear_rows: consecutive rows at or below the threshold that end an excursion.
        cooldown_s: least time between two alerts; 0 disables it.

    Attributes:
        open: whether an excursion is in progress.
        alerts: alerts raised so far.
        suppressed: excursions that started inside the cool-down (no alert).
    """

    def __init__(self, clear_rows: int = DEFAULT_CLEAR_ROWS, cooldown_s: float = 0.0) -> None:
        check_option("clear_rows", clear_rows, clear_rows >= 1, "at least 1 row")
        check_option("cooldown_s", cooldown_s, cooldown_s >= 0, "0 or more seconds")
        self.clear_rows = int(clear_rows)
        self.cooldown_s = float(cooldown_s)
        self.open = False
        self._normal_run = 0
        self._last_alert: float | None = None
        self.alerts = 0
        self.suppressed = 0

    def update(self, timestamp: float, anomalous: bool) -> bool:
        """Take the next row's verdict; True when it starts an excursion that alerts."""
        if not anomalous:
            if self.open:
                self._normal_run += 1
                if self._normal_run >= self.clear_rows:
                    self.open = False
                    self._normal_run = 0
            return False
        self._normal_run = 0
        if self.open:
            return False
        self.open = True
        last = self._last_alert
        if last is not None and timestamp - last < self.cooldown_s:
            self.suppressed += 1
            return False
        self._last_alert = timestamp
        self.alerts += 1
        return True


@dataclass(frozen=True)
class AnomalyInterval:
    """One excursion of a scored history.

    Attributes:
        start: timestamp of its first anomalous row.
        end: timestamp of its last anomalous row.
        first_row: index of the first anomalous row.
        last_row: index of the last anomalous row.
        anomalous_rows: rows above the threshold inside it.
        peak_score: the highest score.
        peak_timestamp: when the highest score occurred.
    """

    start: float
    end: float
    first_row: int
    last_row: int
    anomalous_rows: int
    peak_score: float
    peak_timestamp: float

    def to_dict(self) -> dict[str, float | int]:
        """The interval as JSON-ready data."""
        return {
            "start": self.start,
            "end": self.end,
            "first_row": self.first_row,
            "last_row": self.last_row,
            "anomalous_rows": self.anomalous_rows,
            "peak_score": self.peak_score,
            "peak_timestamp": self.peak_timestamp,
        }


def anomalous_intervals(
    timestamps: Sequence[float] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    threshold: float,
    clear_rows: int = DEFAULT_CLEAR_ROWS,
) -> list[AnomalyInterval]:
    """The excursions of a scored history, oldest first (rows above ``threshold``,
    merged across fewer than ``clear_rows`` normal rows)."""
    check_option("clear_rows", clear_rows, clear_rows >= 1, "at least 1 row")
    ts = np.asarray(timestamps, dtype=np.float64)
    values = np.asarray(scores, dtype=np.float64)
    flagged = np.flatnonzero(values > threshold)
    intervals: list[AnomalyInterval] = []
    if flagged.size == 0:
        return intervals
    # A gap of g rows between two flagged rows holds g - 1 normal rows.
    breaks = np.flatnonzero(np.diff(flagged) - 1 >= clear_rows)
    for group in np.split(flagged, breaks + 1):
        first, last = int(group[0]), int(group[-1])
        peak = int(group[np.argmax(values[group])])
        intervals.append(
            AnomalyInterval(
                float(ts[first]),
                float(ts[last]),
                first,
                last,
                int(group.size),
                float(values[peak]),
                float(ts[peak]),
            )
        )
    return intervals
