"""Per-device MQTT credentials for Mosquitto: password hashes, the password file and the ACL.

Mosquitto (2.x) authenticates clients from a ``password_file`` whose lines are
``user:$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512>`` (what ``mosquitto_passwd``
writes) and authorises topics from an ``acl_file``. The registry stores only the hash;
:func:`password_file` and :func:`acl_file` render both files from the registry, so each
device may publish to its own telemetry topic and nothing else.

Examples:
    >>> h = mosquitto_hash("s3cret", salt=b"0123456789ab")
    >>> h.startswith("$7$101$MDEyMzQ1Njc4OWFi$")
    True
    >>> verify_mosquitto_hash("s3cret", h), verify_mosquitto_hash("guess", h)
    (True, False)
    >>> print(acl_file([("press-7", "press-7-mqtt")]), end="")
    # written by cadml: each device may publish only to its own telemetry topic
    user press-7-mqtt
    topic write twin/telemetry/press-7
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

__all__ = [
    "DEFAULT_TOPIC_TEMPLATE",
    "acl_file",
    "mosquitto_hash",
    "password_file",
    "verify_mosquitto_hash",
]

DEFAULT_TOPIC_TEMPLATE = "twin/telemetry/{device_id}"
"""The topic a device publishes its frames to."""

_ITERATIONS = 101  # what mosquitto_passwd 2.0 writes
_SALT_BYTES = 12


def mosquitto_hash(
    password: str, *, salt: bytes | None = None, iterations: int = _ITERATIONS
) -> str:
    """The ``$7$`` (PBKDF2-SHA512) hash Mosquitto's password file holds."""
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_mosquitto_hash(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash (constant-time comparison)."""
    try:
        _, kind, iterations, salt, digest = hashed.split("$")
        if kind != "7":
            return False
        want = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac(
            "sha512", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(want, got)


def password_file(entries: Iterable[tuple[str, str]]) -> str:
    """A Mosquitto ``password_file`` from ``(mqtt_username, hash)`` pairs."""
    return "".join(f"{user}:{hashed}\n" for user, hashed in sorted(entries))


def acl_file(
    entries: Iterable[tuple[str, str]],
    topic_template: str = DEFAULT_TOPIC_TEMPLATE,
    *,
    ingest_users: Iterable[str] = (),
    ingest_topic: str = "twin/telemetry/#",
) -> str:
    """A Mosquitto ``acl_file`` from ``(device_id, mqtt_username)`` pairs.

    Args:
        entries: each device and the broker user it connects as.
        topic_template: the device's topic; ``{device_id}`` is replaced.
        ingest_users: broker users of ingestor processes, allowed to read all telemetry.
        ingest_topic: what the ingestors subscribe to.
    """
    lines = ["# written by cadml: each device may publish only to its own telemetry topic"]
    for device_id, user in sorted(entries):
        lines += [f"user {user}", f"topic write {topic_template.format(device_id=device_id)}"]
    for user in sorted(ingest_users):
        lines += [f"user {user}", f"topic read {ingest_topic}"]
    return "\n".join(lines) + "\n"
