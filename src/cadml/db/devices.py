"""The device repository: the twin's registry of devices and their ingest keys.

Only a device key's sha256 (``key_hash``) and its first characters (``key_prefix``) are
stored; generating keys is the caller's job (:mod:`cadml.services.twin_devices`).
Methods return frozen :class:`~cadml.db.records.DeviceRecord` snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cadml.db.base import utc_now
from cadml.db.models import Device
from cadml.db.records import DeviceRecord
from cadml.db.transaction import read_session, write_session
from cadml.errors import ConflictError, NotFoundError

__all__ = ["UPDATABLE_FIELDS", "DeviceRepository"]

UPDATABLE_FIELDS = frozenset(
    {"type", "name", "tags", "mqtt_username", "retention_raw_days", "retention_rollup_days"}
)
"""Fields :meth:`DeviceRepository.update` may change."""


class DeviceRepository:
    """Twin devices.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def create(
        self,
        device_id: str,
        *,
        type: str,
        key_prefix: str,
        key_hash: str,
        name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        owner_id: str | None = None,
        mqtt_username: str | None = None,
        mqtt_password_hash: str | None = None,
        retention_raw_days: float | None = None,
        retention_rollup_days: float | None = None,
    ) -> DeviceRecord:
        """Register a device.

        Raises:
            ConflictError: ``TWIN_DEVICE_EXISTS`` when the id (or the MQTT user name) is
                taken.
        """
        now = utc_now()
        row = Device(
            id=device_id,
            type=type,
            name=name,
            tags=dict(tags or {}),
            owner_id=owner_id,
            key_prefix=key_prefix,
            key_hash=key_hash,
            mqtt_username=mqtt_username,
            mqtt_password_hash=mqtt_password_hash,
            retention_raw_days=retention_raw_days,
            retention_rollup_days=retention_rollup_days,
            created_at=now,
            updated_at=now,
        )
        try:
            with write_session(self._sessions) as session:
                session.add(row)
                session.flush()
                return DeviceRecord.from_row(row)
        except IntegrityError as error:
            raise ConflictError("TWIN_DEVICE_EXISTS", details={"device_id": device_id}) from error

    def get(self, device_id: str) -> DeviceRecord | None:
        """The device, or None."""
        with read_session(self._sessions) as session:
            row = session.get(Device, device_id)
            return None if row is None else DeviceRecord.from_row(row)

    def require(self, device_id: str) -> DeviceRecord:
        """The device.

        Raises:
            NotFoundError: ``NOT_FOUND_DEVICE``.
        """
        record = self.get(device_id)
        if record is None:
            raise NotFoundError("NOT_FOUND_DEVICE", details={"device_id": device_id})
        return record

    def get_by_key_hash(self, key_hash: str) -> DeviceRecord | None:
        """The device whose ingest key has this sha256, or None."""
        with read_session(self._sessions) as session:
            row = session.scalars(select(Device).where(Device.key_hash == key_hash)).first()
            return None if row is None else DeviceRecord.from_row(row)

    def list(
        self, *, type: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[DeviceRecord], int]:
        """Devices ordered by id, optionally of one type, and the total count."""
        with read_session(self._sessions) as session:
            query = select(Device)
            counter = select(func.count()).select_from(Device)
            if type is not None:
                query = query.where(Device.type == type)
                counter = counter.where(Device.type == type)
            rows = session.scalars(query.order_by(Device.id).limit(limit).offset(offset)).all()
            total = int(session.scalar(counter) or 0)
            return [DeviceRecord.from_row(r) for r in rows], total

    def update(self, device_id: str, changes: Mapping[str, Any]) -> DeviceRecord:
        """Change some of :data:`UPDATABLE_FIELDS`.

        Raises:
            NotFoundError: ``NOT_FOUND_DEVICE``.
            ConflictError: ``TWIN_DEVICE_EXISTS`` for an MQTT user name already taken.
            ValueError: a field outside :data:`UPDATABLE_FIELDS` (a programming error).
        """
        unknown = set(changes) - UPDATABLE_FIELDS
        if unknown:
            raise ValueError(f"fields {sorted(unknown)} cannot be updated")
        try:
            with write_session(self._sessions) as session:
                row = session.get(Device, device_id)
                if row is None:
                    raise NotFoundError("NOT_FOUND_DEVICE", details={"device_id": device_id})
                for name, value in changes.items():
                    setattr(row, name, dict(value) if name == "tags" else value)
                row.updated_at = utc_now()
                session.flush()
                return DeviceRecord.from_row(row)
        except IntegrityError as error:
            raise ConflictError("TWIN_DEVICE_EXISTS", details={"device_id": device_id}) from error

    def set_key(self, device_id: str, key_prefix: str, key_hash: str) -> DeviceRecord:
        """Replace the device's ingest key (the old key stops working at once).

        Raises:
            NotFoundError: ``NOT_FOUND_DEVICE``.
        """
        return self._set(device_id, key_prefix=key_prefix, key_hash=key_hash)

    def set_mqtt_password(self, device_id: str, password_hash: str) -> DeviceRecord:
        """Replace the hash of the device's MQTT password.

        Raises:
            NotFoundError: ``NOT_FOUND_DEVICE``.
        """
        return self._set(device_id, mqtt_password_hash=password_hash)

    def _set(self, device_id: str, **values: Any) -> DeviceRecord:
        with write_session(self._sessions) as session:
            row = session.get(Device, device_id)
            if row is None:
                raise NotFoundError("NOT_FOUND_DEVICE", details={"device_id": device_id})
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utc_now()
            session.flush()
            return DeviceRecord.from_row(row)

    def mqtt_credentials(self) -> tuple[tuple[str, str, str], ...]:
        """``(device_id, mqtt_username, password hash)`` of every device that has them."""
        with read_session(self._sessions) as session:
            rows = session.execute(
                select(Device.id, Device.mqtt_username, Device.mqtt_password_hash)
                .where(Device.mqtt_username.is_not(None), Device.mqtt_password_hash.is_not(None))
                .order_by(Device.id)
            ).all()
            return tuple((str(i), str(u), str(h)) for i, u, h in rows)

    def delete(self, device_id: str) -> bool:
        """Remove the device from the registry; returns whether it existed.

        Its telemetry stays in the time-series store until retention removes it.
        """
        with write_session(self._sessions) as session:
            result = session.execute(delete(Device).where(Device.id == device_id))
            return bool(getattr(result, "rowcount", 0))
