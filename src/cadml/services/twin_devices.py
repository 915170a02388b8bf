"""Use cases of the device registry: register, update, rotate keys, and authenticate ingest.

A device key looks like ``cdev_<43 url-safe characters>``; only its sha256 and its first
12 characters are stored, and the key itself is shown once (at registration or
rotation). Ingest accepts either the device's own key or a user credential with the
``twin:write`` scope (a gateway posting for many devices).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cadml.db.devices import DeviceRepository
from cadml.db.records import DeviceRecord
from cadml.errors import AuthError, ValidationError
from cadml.services.accounts import AccountService
from cadml.services.auth import require_scope
from cadml.twin.devices import check_device_id, check_retention_days, check_tags
from cadml.twin.mqtt_auth import mosquitto_hash

__all__ = ["DEVICE_KEY_PREFIX", "DeviceService", "GeneratedDeviceKey", "RegisteredDevice"]

DEVICE_KEY_PREFIX = "cdev_"
"""How every device key starts (user API keys start with ``cadml_``)."""

_KEY_CACHE_TTL_S = 30.0


@dataclass(frozen=True, slots=True)
class GeneratedDeviceKey:
    """A fresh device key: the plain key (shown once), its prefix and sha256."""

    plain: str
    prefix: str
    key_hash: str


@dataclass(frozen=True, slots=True)
class RegisteredDevice:
    """A device just registered (or re-keyed) and its plain secrets, shown only now.

    ``mqtt_password`` is set when the device has an MQTT user name (at registration or
    when its MQTT password is rotated).
    """

    device: DeviceRecord
    api_key: str
    mqtt_password: str | None = None


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def generate_device_key() -> GeneratedDeviceKey:
    """A fresh random device key."""
    plain = DEVICE_KEY_PREFIX + secrets.token_urlsafe(32)
    return GeneratedDeviceKey(plain, plain[:12], _hash(plain))


class DeviceService:
    """The device registry's use cases.

    Args:
        devices: the repository.
        accounts: authenticates user credentials for ingest on behalf of a device.
    """

    def __init__(self, devices: DeviceRepository, accounts: AccountService) -> None:
        self.devices = devices
        self._accounts = accounts
        self._key_cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def register(
        self,
        device_id: str,
        *,
        type: str,
        name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        owner_id: str | None = None,
        mqtt_username: str | None = None,
        retention_raw_days: float | None = None,
        retention_rollup_days: float | None = None,
    ) -> RegisteredDevice:
        """Register a device and return it with its new key.

        Raises:
            ValidationError: ``TWIN_DEVICE_INVALID``.
            ConflictError: ``TWIN_DEVICE_EXISTS``.
        """
        check_device_id(device_id)
        check_device_id(type, "type")
        if mqtt_username is not None:
            check_device_id(mqtt_username, "mqtt_username")
        if name is not None and len(name) > 200:
            raise ValidationError(
                "TWIN_DEVICE_INVALID", details={"field": "name", "reason": "over 200 characters"}
            )
        key = generate_device_key()
        mqtt_password = None if mqtt_username is None else secrets.token_urlsafe(24)
        record = self.devices.create(
            device_id,
            type=type,
            name=name,
            tags=check_tags(tags or {}),
            owner_id=owner_id,
            key_prefix=key.prefix,
            key_hash=key.key_hash,
            mqtt_username=mqtt_username,
            mqtt_password_hash=None if mqtt_password is None else mosquitto_hash(mqtt_password),
            retention_raw_days=check_retention_days(retention_raw_days, "retention_raw_days"),
            retention_rollup_days=check_retention_days(
                retention_rollup_days, "retention_rollup_days"
            ),
        )
        return RegisteredDevice(record, key.plain, mqtt_password)

    def rotate_mqtt_password(self, device_id: str) -> str:
        """Give the device a new MQTT password and return it (shown once).

        The broker sees it after the password file is rendered again
        (``cadml twin mosquitto-auth``) and Mosquitto reloads it (SIGHUP).

        Raises:
            NotFoundError: ``NOT_FOUND_DEVICE``.
            ValidationError: ``TWIN_DEVICE_INVALID`` when the device has no MQTT user name.
        """
        record = self.devices.require(device_id)
        if record.mqtt_username is None:
            raise ValidationError(
                "TWIN_DEVICE_INVALID",
                details={"field": "mqtt_username", "reason": "the device has none; set one first"},
            )
        password = secrets.token_urlsafe(24)
        self.devices.set_mqtt_password(device_id, mosquitto_hash(password))
        return password

    def update(self, device_id: str, changes: Mapping[str, Any]) -> DeviceRecord:
        """Change a device's type, name, tags, MQTT user name or retention.

        Raises:
            ValidationError: ``TWIN_DEVICE_INVALID``.
            NotFoundError: ``NOT_FOUND_DEVICE``.
        """
        checked: dict[str, Any] = {}
        for field, value in changes.items():
            if field == "type":
                checked[field] = check_device_id(value, "type")
            elif field == "mqtt_username":
                checked[field] = None if value is None else check_device_id(value, field)
            elif field == "tags":
                checked[field] = check_tags(value)
            elif field in ("retention_raw_days", "retention_rollup_days"):
                checked[field] = check_retention_days(value, field)
            elif field == "name":
                checked[field] = value
            else:
                raise ValidationError(
                    "TWIN_DEVICE_INVALID", details={"field": field, "reason": "cannot be changed"}
                )
        return self.devices.update(device_id, checked)

    def rotate_key(self, device_id: str) -> RegisteredDevice:
        """Give the device a new key; the old one stops working at once.

        Raises:
            NotFoundError: ``NOT_FOUND_DEVICE``.
        """
        key = generate_device_key()
        record = self.devices.set_key(device_id, key.prefix, key.key_hash)
        with self._lock:
            self._key_cache.clear()
        return RegisteredDevice(record, key.plain)

    def delete(self, device_id: str) -> bool:
        """Remove a device from the registry (its telemetry stays until retention)."""
        with self._lock:
            self._key_cache.clear()
        return self.devices.delete(device_id)

    def _device_of_key(self, plain: str) -> str | None:
        key_hash = _hash(plain)
        now = time.monotonic()
        with self._lock:
            hit = self._key_cache.get(key_hash)
            if hit is not None and now - hit[1] < _KEY_CACHE_TTL_S:
                return hit[0]
        record = self.devices.get_by_key_hash(key_hash)
        if record is None:
            return None
        with self._lock:
            if len(self._key_cache) > 10_000:
                self._key_cache.clear()
            self._key_cache[key_hash] = (record.id, now)
        return record.id

    def authorize_ingest(self, device_id: str, token: str | None) -> str:
        """Check that ``token`` may send telemetry for ``device_id``.

        Returns:
            ``device:<id>`` for a device key, ``user:<id>`` for a user credential (the
            rate-limit key).

        Raises:
            AuthError: ``AUTH_REQUIRED``, ``TWIN_DEVICE_KEY_INVALID`` or a user token's
                own auth errors.
            PermissionDeniedError: ``AUTH_FORBIDDEN`` for a user without ``twin:write``.
            NotFoundError: ``NOT_FOUND_DEVICE`` when a user posts for an unknown device.
        """
        if not token:
            raise AuthError("AUTH_REQUIRED")
        if token.startswith(DEVICE_KEY_PREFIX):
            owner = self._device_of_key(token)
            if owner != device_id:
                raise AuthError("TWIN_DEVICE_KEY_INVALID", details={"device_id": device_id})
            return f"device:{device_id}"
        principal = self._accounts.authenticate(token)
        require_scope(principal, "twin:write")
        self.devices.require(device_id)
        return f"user:{principal.user_id}"
