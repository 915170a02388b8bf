"""Device identity rules, presence (online/offline) and retention policies.

Pure functions; the registry itself is :class:`cadml.db.devices.DeviceRepository`.

Examples:
    >>> check_device_id("press-1")
    'press-1'
    >>> presence(last_seen=100.0, now=130.0, timeout_s=60.0)
    'online'
    >>> presence(last_seen=None, now=130.0, timeout_s=60.0)
    'never_seen'
    >>> RetentionPolicy.resolve((None, 7.0), (30.0, 365.0), default=(90.0, None))
    RetentionPolicy(raw_days=30.0, rollup_days=7.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cadml.errors import ValidationError

__all__ = [
    "MAX_TAGS",
    "RetentionPolicy",
    "check_device_id",
    "check_retention_days",
    "check_tags",
    "presence",
]

MAX_TAGS = 50
"""Most tags a device may carry."""

# Word characters (Unicode letters and digits, underscore) and . : -; no '/', '+', '#' or
# spaces, which MQTT topic levels reserve, so the id can be the topic's last level.
_ID = re.compile(r"[\w.:-]{1,128}")


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError("TWIN_DEVICE_INVALID", details={"field": field, "reason": reason})


def check_device_id(value: str, field: str = "device_id") -> str:
    """Return ``value`` when it is a valid device id or type.

    Raises:
        ValidationError: ``TWIN_DEVICE_INVALID``.
    """
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _invalid(
            field, f"{value!r} must be 1-128 letters, digits or . _ - : (no spaces, / + #)"
        )
    return value


def check_tags(tags: Mapping[str, Any]) -> dict[str, Any]:
    """Return the tags when they are a flat mapping of short names to scalars.

    Raises:
        ValidationError: ``TWIN_DEVICE_INVALID``.
    """
    if not isinstance(tags, Mapping):
        raise _invalid("tags", "must be a mapping of name to value")
    if len(tags) > MAX_TAGS:
        raise _invalid("tags", f"{len(tags)} tags; at most {MAX_TAGS}")
    for name, value in tags.items():
        if not isinstance(name, str) or not 0 < len(name) <= 64:
            raise _invalid("tags", f"tag name {name!r} must be 1-64 characters")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise _invalid("tags", f"tag {name!r} must be a string, number, boolean or null")
        if isinstance(value, str) and len(value) > 256:
            raise _invalid("tags", f"tag {name!r} is longer than 256 characters")
    return dict(tags)


def check_retention_days(value: float | None, field: str) -> float | None:
    """Return a retention in days (None = inherit) when it is a positive finite number.

    Raises:
        ValidationError: ``TWIN_DEVICE_INVALID``.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(field, "must be a number of days")
    if not math.isfinite(value) or value <= 0:
        raise _invalid(field, f"{value!r} must be a positive number of days")
    return float(value)


def presence(last_seen: float | None, now: float, timeout_s: float) -> str:
    """``online`` when a frame arrived within the heartbeat timeout, else ``offline``.

    ``never_seen`` when the device has sent nothing yet.
    """
    if last_seen is None:
        return "never_seen"
    return "online" if now - last_seen <= timeout_s else "offline"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long raw frames and rollups are kept, in days (None = forever)."""

    raw_days: float | None
    rollup_days: float | None

    @classmethod
    def resolve(
        cls,
        device: tuple[float | None, float | None],
        by_type: tuple[float | None, float | None] | None,
        default: tuple[float | None, float | None],
    ) -> RetentionPolicy:
        """The device's own setting wins, then its type's, then the platform default."""
        layers = [device, by_type or (None, None), default]
        raw = next((layer[0] for layer in layers if layer[0] is not None), None)
        rollup = next((layer[1] for layer in layers if layer[1] is not None), None)
        return cls(raw, rollup)

    def cutoffs(self, now: float) -> tuple[float | None, float | None]:
        """Unix times before which raw frames and rollups are deleted."""
        raw = None if self.raw_days is None else now - self.raw_days * 86400.0
        rollup = None if self.rollup_days is None else now - self.rollup_days * 86400.0
        return raw, rollup
