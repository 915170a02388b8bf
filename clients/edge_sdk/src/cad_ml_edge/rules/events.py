"""What a rule emits when it fires, and its wire form (a telemetry frame with ``status.alert``).

Examples:
    >>> ev = AlertEvent("spindle-hot", "press-1", 12.5, "critical", 81.0, "too hot", "threshold")
    >>> ev.to_frame()["status"]["alert"]["rule_id"]
    'spindle-hot'
    >>> AlertEvent.from_frame(ev.to_frame()) == ev
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cad_ml_edge.errors import WireError
from cad_ml_edge.wire import TelemetryFrame

__all__ = ["EVENT_KINDS", "AlertEvent"]

EVENT_KINDS = ("threshold", "window", "rate", "geofence_enter", "geofence_exit", "anomaly")
_STATUS_KEYS = ("rule_id", "severity", "kind", "value", "message")


@dataclass(frozen=True)
class AlertEvent:
    """One firing of one rule for one device.

    Attributes:
        rule_id: the rule's id.
        device_id: the device whose frame fired it.
        timestamp: the frame time (s) of the frame that fired it.
        severity: ``info``, ``warning`` or ``critical``.
        value: what was compared: the field, the window aggregate or the rate (a float, or
            the status value for ``==``/``!=``); for geofences the position ``(lat, lon)``.
        message: a human-readable sentence.
        kind: one of :data:`EVENT_KINDS`.
    """

    rule_id: str
    device_id: str
    timestamp: float
    severity: str
    value: Any
    message: str
    kind: str

    def to_status(self) -> dict[str, Any]:
        """The alert as plain data, the value of ``status["alert"]`` on the wire."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "kind": self.kind,
            "value": value,
            "message": self.message,
        }

    def to_frame(self) -> dict[str, Any]:
        """A :class:`~cad_ml_edge.wire.TelemetryFrame`-compatible dict carrying the alert.

        ``TelemetryFrame(**event.to_frame())`` and ``frame_from_dict`` both accept it.
        """
        return {
            "timestamp": self.timestamp,
            "device_id": self.device_id,
            "sensors": {},
            "metrics": {},
            "status": {"alert": self.to_status()},
        }

    @classmethod
    def from_frame(cls, frame: TelemetryFrame | Mapping[str, Any]) -> AlertEvent:
        """Read an alert back from its frame (what the platform does on ingest).

        Raises:
            WireError: when the frame carries no well-formed ``status.alert``.
        """
        data = frame.to_dict() if isinstance(frame, TelemetryFrame) else frame
        alert = (data.get("status") or {}).get("alert")
        if not isinstance(alert, Mapping) or any(k not in alert for k in _STATUS_KEYS):
            raise WireError("EDGE_WIRE_INVALID", detail=f"status.alert needs {_STATUS_KEYS}")
        if alert["kind"] not in EVENT_KINDS:
            raise WireError("EDGE_WIRE_INVALID", detail=f"unknown alert kind {alert['kind']!r}")
        value = alert["value"]
        if isinstance(value, list):
            value = tuple(value)
        return cls(
            rule_id=alert["rule_id"],
            device_id=data["device_id"],
            timestamp=data["timestamp"],
            severity=alert["severity"],
            value=value,
            message=alert["message"],
            kind=alert["kind"],
        )
