"""Request and response bodies of the twin API, and the history cursor's text form."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cadml.db.records import DeviceRecord
from cadml.errors import ValidationError
from cadml.timeseries.port import Cursor

__all__ = [
    "DeviceIn",
    "DeviceOut",
    "DevicePatch",
    "decode_cursor",
    "device_out",
    "encode_cursor",
]


class DeviceIn(BaseModel):
    """Register a device."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(examples=["press-7"], description="1-128 letters, digits or . _ - :")
    type: str = Field(examples=["hydraulic_press"])
    name: str | None = Field(default=None, examples=["Press 7, line 2"])
    tags: dict[str, Any] = Field(default_factory=dict, examples=[{"line": "2", "site": "izmir"}])
    mqtt_username: str | None = None
    retention_raw_days: float | None = Field(default=None, description="None: type/default")
    retention_rollup_days: float | None = None


class DevicePatch(BaseModel):
    """Change some fields of a device (others stay)."""

    model_config = ConfigDict(extra="forbid")

    type: str | None = None
    name: str | None = None
    tags: dict[str, Any] | None = None
    mqtt_username: str | None = None
    retention_raw_days: float | None = None
    retention_rollup_days: float | None = None


class DeviceOut(BaseModel):
    """A registered device (never its key)."""

    id: str
    type: str
    name: str | None
    tags: dict[str, Any]
    key_prefix: str
    mqtt_username: str | None
    retention_raw_days: float | None
    retention_rollup_days: float | None
    created_at: datetime
    updated_at: datetime


def device_out(record: DeviceRecord) -> DeviceOut:
    """The API view of a device record."""
    return DeviceOut(
        id=record.id,
        type=record.type,
        name=record.name,
        tags=record.tags,
        key_prefix=record.key_prefix,
        mqtt_username=record.mqtt_username,
        retention_raw_days=record.retention_raw_days,
        retention_rollup_days=record.retention_rollup_days,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def encode_cursor(cursor: Cursor) -> str:
    """The opaque text of a history cursor.

    Examples:
        >>> decode_cursor(encode_cursor(Cursor(1700000000.25, "overheat")))
        Cursor(timestamp=1700000000.25, event_key='overheat')
    """
    raw = json.dumps([cursor.timestamp, cursor.event_key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str | None) -> Cursor | None:
    """A cursor from its text (None passes).

    Raises:
        ValidationError: ``TWIN_QUERY_INVALID`` for text that is not a cursor.
    """
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        timestamp, key = json.loads(raw)
        return Cursor(float(timestamp), str(key))
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            "TWIN_QUERY_INVALID",
            details={"field": "cursor", "reason": "not a cursor this API returned"},
        ) from exc
