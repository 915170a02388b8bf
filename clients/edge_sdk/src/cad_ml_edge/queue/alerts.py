"""Capacity alerts: fire once when usage crosses a threshold upwards, re-arm below it.

Examples:
    >>> seen = []
    >>> alarm = CapacityAlarm((0.8, 0.95), lambda name, usage: seen.append((name, usage)))
    >>> for usage in (0.5, 0.85, 0.9, 0.97, 0.7, 0.81):
    ...     alarm.update(usage)
    >>> seen
    [('queue_capacity_80', 0.85), ('queue_capacity_95', 0.97), ('queue_capacity_80', 0.81)]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from cad_ml_edge.errors import ConfigError

__all__ = ["AlertCallback", "CapacityAlarm"]

AlertCallback = Callable[[str, float], None]

_log = logging.getLogger("cad_ml_edge.queue")


class CapacityAlarm:
    """Threshold crossings of a usage fraction.

    Args:
        thresholds: fractions of capacity in (0, 1], e.g. ``(0.8, 0.95)``.
        callback: called as ``callback(name, usage)`` with ``name`` like
            ``"queue_capacity_80"`` and ``usage`` the fraction that crossed it. An exception
            in it is logged, never raised: the records that triggered it are already stored.

    Raises:
        ConfigError: a threshold outside (0, 1].
    """

    def __init__(self, thresholds: Iterable[float], callback: AlertCallback | None) -> None:
        self.thresholds = tuple(sorted(thresholds))
        if not all(0 < t <= 1 for t in self.thresholds):
            raise ConfigError(
                "EDGE_CONFIG_INVALID", detail=f"alert thresholds {self.thresholds} not in (0, 1]"
            )
        self._callback = callback
        self._armed = dict.fromkeys(self.thresholds, True)

    def update(self, usage: float) -> None:
        """Feed the current usage fraction; fires the callback for each new crossing."""
        for threshold in self.thresholds:
            if usage < threshold:
                self._armed[threshold] = True
            elif self._armed[threshold]:
                self._armed[threshold] = False
                self._fire(f"queue_capacity_{round(threshold * 100)}", usage)

    def _fire(self, name: str, usage: float) -> None:
        _log.warning("%s: the queue is at %.1f %% of its capacity", name, usage * 100)
        if self._callback is None:
            return
        try:
            self._callback(name, usage)
        except Exception:
            _log.exception("queue alert callback failed for %s", name)
