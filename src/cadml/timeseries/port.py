"""The ``TimeSeriesStore`` port: what the twin needs from a time-series database.

Every store keeps the same contract (``tests/contract/test_timeseries_stores.py`` runs one
suite against each):

* **Idempotent writes.** A frame's identity is ``(device_id, timestamp, event_key)``
  (:func:`cadml.twin.frame.event_key`: ``""`` for readings, the rule id for alert
  events). Writing a frame again changes nothing and counts as a duplicate; the first
  write wins.
* **History** is newest first, ``start`` inclusive, ``stop`` exclusive, paginated by a
  keyset cursor (:class:`Cursor`, the last frame of the previous page).
* **Numeric fields** are named ``sensors.<name>`` / ``metrics.<name>``
  (:func:`cadml.twin.frame.numeric_fields`). Aggregates, rollups and the current state
  cover readings only; alert events are kept in history.
* **Aggregates** over fixed windows aligned to the unix epoch (``floor(t / window)``),
  ``start`` inclusive, ``stop`` exclusive; empty windows are omitted. ``stddev`` is the
  population standard deviation. A store answers from its 1-minute or 1-hour rollups
  when the window is a multiple of the rollup period and start/stop are aligned to it,
  and from raw points otherwise; the answers are the same (up to float rounding).
* **Retention** deletes raw points and rollups separately (:meth:`delete_before`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cadml.twin.frame import TelemetryFrame

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "ROLLUP_PERIODS_S",
    "AggregatePoint",
    "Cursor",
    "DeviceState",
    "FieldState",
    "TimeSeriesStore",
    "WriteResult",
]

AGGREGATE_FUNCTIONS = ("mean", "min", "max", "sum", "count", "stddev")
"""The aggregate functions every store offers."""

ROLLUP_PERIODS_S = (60.0, 3600.0)
"""The rollup periods kept current on write (1 minute and 1 hour)."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one committed write.

    Args:
        written: frames stored for the first time.
        duplicates: frames whose identity was already stored (ignored).
    """

    written: int
    duplicates: int = 0


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous history page ended: its oldest frame's identity."""

    timestamp: float
    event_key: str = ""


@dataclass(frozen=True, slots=True)
class AggregatePoint:
    """One window of an aggregate: its start (unix s), the value and the point count."""

    start: float
    value: float
    count: int


@dataclass(frozen=True, slots=True)
class FieldState:
    """The last value of one numeric field and when it was measured."""

    value: float
    timestamp: float


@dataclass(frozen=True)
class DeviceState:
    """A device's current state as the store knows it.

    Args:
        device_id: the device.
        last_seen: timestamp of its newest frame (unix s).
        fields: last value of every numeric field (``sensors.x``, ``metrics.y``).
        status: the status of its newest reading that carried one (alert events never
            change fields or status, but do count for ``last_seen``).
    """

    device_id: str
    last_seen: float
    fields: dict[str, FieldState] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class TimeSeriesStore(Protocol):
    """A time-series database for telemetry frames (see the module docstring)."""

    name: str
    """Short adapter name: ``sqlite``, ``postgres``, ``influx``, ``memory``."""

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        """Store a batch in one commit; when it returns, the batch is durable.

        Raises:
            StorageError: ``TWIN_STORE_UNAVAILABLE`` / ``TWIN_STORE_WRITE_FAILED``;
                nothing of the batch is stored then.
        """
        ...

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
        """A device's frames newest first; ``fields`` keeps only those numeric fields."""
        ...

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
        """Windows of ``fn`` over one field, oldest first; ``device_id=None`` means all."""
        ...

    def state(self, device_id: str) -> DeviceState | None:
        """The device's current state, or None when nothing is stored for it."""
        ...

    def count(self, device_id: str | None = None) -> int:
        """How many frames are stored (for one device, or in all)."""
        ...

    def delete_before(
        self,
        device_id: str,
        *,
        raw_before: float | None = None,
        rollup_before: float | None = None,
    ) -> int:
        """Apply retention to one device; returns how many raw frames were deleted."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
