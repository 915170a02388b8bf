"""Keeping only some numeric fields of a frame (the ``fields`` argument of ``history``).

Examples:
    >>> f = TelemetryFrame(1.0, "d", {"t": 2.0, "p": 1.0}, {"rpm": 3.0}, {"mode": "run"})
    >>> g = select_fields(f, ["sensors.t"])
    >>> g.sensors, g.metrics, g.status
    ({'t': 2.0}, {}, {'mode': 'run'})
"""

from __future__ import annotations

from collections.abc import Sequence

from cadml.twin.frame import TelemetryFrame

__all__ = ["select_fields"]


def select_fields(frame: TelemetryFrame, fields: Sequence[str] | None) -> TelemetryFrame:
    """The frame with only the named numeric fields (``sensors.x``, ``metrics.y``).

    Status is kept whole; ``None`` keeps every field.
    """
    if fields is None:
        return frame
    wanted = set(fields)
    return TelemetryFrame(
        frame.timestamp,
        frame.device_id,
        {k: v for k, v in frame.sensors.items() if f"sensors.{k}" in wanted},
        {k: v for k, v in frame.metrics.items() if f"metrics.{k}" in wanted},
        frame.status,
    )
