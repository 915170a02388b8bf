"""The telemetry wire protocol shared by the edge SDK and the platform's twin ingest.

A :class:`TelemetryFrame` is ``timestamp`` (unix seconds, float ≥ 0), ``device_id``,
``sensors`` and ``metrics`` (name → float) and ``status`` (name → any JSON value).
Frames travel as MsgPack (default) or JSON; :func:`decode_frames` detects which. A
batch is a list of frames. ``cadml`` may import this module; it never imports ``cadml``.

Readings are de-duplicated by the platform on ``(device_id, timestamp)``. A frame whose
``status`` holds an ``alert`` (see :meth:`cad_ml_edge.rules.AlertEvent.to_frame`) is an
event that carries the timestamp of the reading that raised it, so the platform must
de-duplicate alert frames on ``(device_id, timestamp, status.alert.rule_id)`` instead.

Examples:
    >>> f = TelemetryFrame(12.5, "press-1", {"temperature": 71.5})
    >>> decode_frames(encode_frames([f])) == [f]
    True
    >>> decode_frames(encode_frames([f], codec="json"))[0].sensors
    {'temperature': 71.5}
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgpack

from cad_ml_edge.errors import WireError

__all__ = [
    "CODECS",
    "TelemetryFrame",
    "decode_frames",
    "encode_frames",
    "frame_from_dict",
]

CODECS = ("msgpack", "json")
_MAX_DEVICE_ID = 128


@dataclass(frozen=True)
class TelemetryFrame:
    """One reading of a device: numeric sensors and metrics, free-form status."""

    timestamp: float
    device_id: str
    sensors: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self)

    def to_dict(self) -> dict[str, Any]:
        """The frame as plain data (the wire's field names)."""
        return {
            "timestamp": self.timestamp,
            "device_id": self.device_id,
            "sensors": dict(self.sensors),
            "metrics": dict(self.metrics),
            "status": dict(self.status),
        }

    def value(self, path: str) -> Any:
        """A field by dotted path: ``sensors.temperature``, ``status.lat``, ``timestamp``.

        Returns None when the field is absent.
        """
        group, _, name = path.partition(".")
        if not name:
            return getattr(self, group, None) if group in ("timestamp", "device_id") else None
        values = {"sensors": self.sensors, "metrics": self.metrics, "status": self.status}.get(
            group
        )
        return None if values is None else values.get(name)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check(frame: TelemetryFrame) -> None:
    if not _number(frame.timestamp) or frame.timestamp < 0:
        raise WireError("EDGE_WIRE_INVALID", detail=f"timestamp {frame.timestamp!r} must be ≥ 0")
    if not isinstance(frame.device_id, str) or not 0 < len(frame.device_id) <= _MAX_DEVICE_ID:
        raise WireError("EDGE_WIRE_INVALID", detail="device_id must be 1-128 characters")
    for group in ("sensors", "metrics"):
        values = getattr(frame, group)
        if not isinstance(values, dict):
            raise WireError("EDGE_WIRE_INVALID", detail=f"{group} must be a mapping")
        for name, value in values.items():
            if not isinstance(name, str) or not _number(value):
                raise WireError(
                    "EDGE_WIRE_INVALID", detail=f"{group}.{name} must be a finite number"
                )
    if not isinstance(frame.status, dict):
        raise WireError("EDGE_WIRE_INVALID", detail="status must be a mapping")


def frame_from_dict(data: Mapping[str, Any]) -> TelemetryFrame:
    """Build a frame from decoded data, with a clear error for anything malformed."""
    if not isinstance(data, Mapping):
        raise WireError("EDGE_WIRE_INVALID", detail="a frame must be a mapping")
    unknown = set(data) - {"timestamp", "device_id", "sensors", "metrics", "status"}
    if unknown:
        raise WireError("EDGE_WIRE_INVALID", detail=f"unknown fields {sorted(unknown)}")
    if "timestamp" not in data or "device_id" not in data:
        raise WireError("EDGE_WIRE_INVALID", detail="timestamp and device_id are required")
    return TelemetryFrame(
        timestamp=data["timestamp"],
        device_id=data["device_id"],
        sensors=dict(data.get("sensors") or {}),
        metrics=dict(data.get("metrics") or {}),
        status=dict(data.get("status") or {}),
    )


def encode_frames(frames: Iterable[TelemetryFrame], codec: str = "msgpack") -> bytes:
    """Encode a batch of frames as MsgPack (default) or JSON bytes."""
    data = [f.to_dict() for f in frames]
    if codec == "msgpack":
        return bytes(msgpack.packb(data, use_bin_type=True))
    if codec == "json":
        return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    raise WireError("EDGE_WIRE_INVALID", detail=f"unknown codec {codec!r}; use {CODECS}")


def decode_frames(payload: bytes) -> list[TelemetryFrame]:
    """Decode a frame or a batch, detecting JSON (starts with ``{`` or ``[``) or MsgPack."""
    if not payload:
        raise WireError("EDGE_WIRE_INVALID", detail="empty payload")
    try:
        if payload[:1] in (b"{", b"["):
            data = json.loads(payload)
        else:
            data = msgpack.unpackb(payload, raw=False, strict_map_key=True)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise WireError("EDGE_WIRE_INVALID", detail=f"undecodable payload: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    return [frame_from_dict(item) for item in items]
