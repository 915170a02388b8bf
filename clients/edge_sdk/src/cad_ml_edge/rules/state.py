"""The JSON snapshot of rule state, so windows and hysteresis survive a restart.

A snapshot is plain JSON data::

    {"format": "cad-ml-edge/rules-state", "version": 1,
     "devices": {"<device_id>": {"last_ts": 12.5, "units": {"<key>": {...}}}}}

Unit keys: ``rule:<id>`` (a rule's phase and pending time, or a geofence's side, with
the rule's fingerprint), ``sliding:<field>:<size>`` and ``tumbling:<field>:<size>``
(window contents), ``rate:<field>:s|frame`` (previous sample). On restore, a rule
whose fingerprint changed starts fresh and entries nothing reads are ignored, so
editing one rule keeps every other rule's state.
Floats survive JSON exactly (``repr`` round-trips), so a restored engine continues
exactly as an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cad_ml_edge.errors import RuleError
from cad_ml_edge.rules.compile import Device, Plan

__all__ = ["FORMAT", "VERSION", "dump_snapshot", "load_snapshot"]

FORMAT = "cad-ml-edge/rules-state"
VERSION = 1


def dump_snapshot(devices: Mapping[str, Device]) -> dict[str, Any]:
    """The snapshot of every device's state (JSON-serialisable)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "devices": {device_id: device.dump() for device_id, device in devices.items()},
    }


def load_snapshot(plan: Plan, snapshot: Any) -> dict[str, Device]:
    """Bind ``plan`` to every device in ``snapshot``; all or nothing.

    Raises:
        RuleError: ``EDGE_RULE_STATE_INVALID`` when the snapshot is not one this version
            wrote, or is malformed.
    """
    if not isinstance(snapshot, Mapping) or snapshot.get("format") != FORMAT:
        raise RuleError("EDGE_RULE_STATE_INVALID", detail=f"not a {FORMAT} document")
    if snapshot.get("version") != VERSION:
        raise RuleError(
            "EDGE_RULE_STATE_INVALID",
            detail=f"version {snapshot.get('version')!r}; this SDK reads {VERSION}",
        )
    devices = snapshot.get("devices")
    if not isinstance(devices, Mapping):
        raise RuleError("EDGE_RULE_STATE_INVALID", detail="devices must be a mapping")
    out: dict[str, Device] = {}
    for device_id, saved in devices.items():
        if not isinstance(saved, Mapping):
            raise RuleError(
                "EDGE_RULE_STATE_INVALID", detail=f"device {device_id!r}: not a mapping"
            )
        try:
            out[device_id] = plan.bind(device_id, saved)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise RuleError(
                "EDGE_RULE_STATE_INVALID", detail=f"device {device_id!r}: {exc!r}"
            ) from exc
    return out
