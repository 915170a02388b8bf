"""MQTT connection settings: the broker URL, TLS, the subscription and the session.

``mqtt://host[:1883]`` is plain TCP, ``mqtts://host[:8883]`` is TLS (with the system CAs
or ``ca_file``; a client certificate with ``cert_file`` + ``key_file``). User and password
may come in the URL or separately.

Examples:
    >>> c = parse_mqtt_url("mqtts://ingest:s3cret@broker.local")
    >>> c.host, c.port, c.tls, c.username
    ('broker.local', 8883, True, 'ingest')
    >>> MqttConfig(share_group="ingest").subscription
    '$share/ingest/twin/telemetry/+'
    >>> MqttConfig().device_from_topic("twin/telemetry/press-1")
    'press-1'
"""

from __future__ import annotations

import os
import socket
import ssl
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cadml.errors import ConfigurationError

__all__ = ["CLIENTS", "DEFAULT_CLIENT", "MqttConfig", "default_client_id", "parse_mqtt_url"]

CLIENTS = ("lean", "paho")
"""The MQTT client implementations :class:`~cadml.mqtt.ingestor.MqttIngestor` can use."""

DEFAULT_CLIENT = "lean"
"""The client used unless configured otherwise (``CADML_MQTT_CLIENT``, ``--client``)."""

_SCHEMES = {"mqtt": (False, 1883), "tcp": (False, 1883), "mqtts": (True, 8883), "ssl": (True, 8883)}


def default_client_id() -> str:
    """A client id stable across restarts of this ingestor on this host.

    The persistent session (and the messages the broker keeps for it while the ingestor
    is down) is bound to the client id, so it must not be random.
    """
    return f"cadml-ingest-{socket.gethostname()}"[:64]


@dataclass(frozen=True)
class MqttConfig:
    """Everything needed to connect and subscribe.

    Args:
        host: broker host name.
        port: broker port.
        tls: connect with TLS.
        username: MQTT user name.
        password: MQTT password.
        ca_file: PEM CA bundle for the broker's certificate (default: system CAs).
        cert_file: client certificate (PEM), for brokers that require one.
        key_file: the client certificate's private key (PEM).
        insecure: skip the broker host name check (tests with self-made certificates).
        topic: the topic filter; its last level is the device id.
        share_group: subscribe as ``$share/<group>/<topic>`` (load split between ingestors).
        client_id: stable id of the persistent session (default: from the host name).
        keepalive_s: MQTT keepalive.
        session_expiry_s: how long the broker keeps the session (and queues QoS1
            messages) while this client is away.
        receive_maximum: unacknowledged QoS1 messages the broker may send at once (MQTT 5);
            acks wait for the store commit, so this window must cover a commit's worth of
            messages.
        protocol: ``5`` (MQTT 5, default) or ``4`` (3.1.1; the broker's
            ``max_inflight_messages``, 20 by default, then caps the window).
        client: the MQTT client implementation: ``"lean"`` (:mod:`cadml.mqtt.lean_client`,
            many packets per read, batched acks; the default) or ``"paho"`` (paho-mqtt).
    """

    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False
    topic: str = "twin/telemetry/+"
    share_group: str | None = None
    client_id: str | None = None
    keepalive_s: int = 30
    session_expiry_s: int = 24 * 3600
    receive_maximum: int = 10_000
    protocol: int = 5
    client: str = DEFAULT_CLIENT

    def __post_init__(self) -> None:
        topic = self.topic
        if not topic or topic.startswith("$share/") or "#" in topic[:-1] or topic.endswith("/"):
            raise ConfigurationError(
                "TWIN_MQTT_INVALID_TOPIC",
                details={"topic": topic, "reason": "a filter like twin/telemetry/+ is needed"},
            )
        if self.share_group is not None and (
            not self.share_group or any(c in self.share_group for c in "/+#")
        ):
            raise ConfigurationError(
                "TWIN_MQTT_INVALID_TOPIC",
                details={"topic": topic, "reason": f"bad share group {self.share_group!r}"},
            )
        if (self.cert_file is None) != (self.key_file is None):
            raise ConfigurationError(
                "TWIN_MQTT_TLS_INVALID",
                details={"reason": "a client certificate needs both cert_file and key_file"},
            )
        if self.protocol not in (4, 5):
            raise ConfigurationError(
                "TWIN_MQTT_INVALID_URL",
                details={"url": self.url, "reason": "protocol must be 4 (3.1.1) or 5"},
            )
        if self.client not in CLIENTS:
            raise ConfigurationError(
                "TWIN_MQTT_INVALID_CLIENT",
                details={"client": self.client, "choices": ", ".join(CLIENTS)},
            )
        if not 1 <= self.receive_maximum <= 65535:
            raise ConfigurationError(
                "TWIN_MQTT_INVALID_URL",
                details={"url": self.url, "reason": "receive_maximum must be 1-65535"},
            )

    @property
    def url(self) -> str:
        """The broker URL without credentials."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    @property
    def subscription(self) -> str:
        """The filter to subscribe to, with the ``$share/<group>/`` prefix when shared."""
        if self.share_group:
            return f"$share/{self.share_group}/{self.topic}"
        return self.topic

    @property
    def session_client_id(self) -> str:
        """The client id to connect with."""
        return self.client_id or default_client_id()

    def device_from_topic(self, topic: str) -> str:
        """The device id of a message: the topic's last level."""
        return topic.rsplit("/", 1)[-1]

    def with_options(self, **changes: Any) -> MqttConfig:
        """A copy with the non-None ``changes`` applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS context for ``tls=True`` (None for plain TCP).

        Raises:
            ConfigurationError: ``TWIN_MQTT_TLS_INVALID`` when a file is missing or not
                valid PEM.
        """
        if not self.tls:
            return None
        for path in (self.ca_file, self.cert_file, self.key_file):
            if path is not None and not os.path.isfile(path):
                raise ConfigurationError(
                    "TWIN_MQTT_TLS_INVALID", details={"reason": f"{path} does not exist"}
                )
        try:
            context = ssl.create_default_context(
                ssl.Purpose.SERVER_AUTH,
                cafile=str(self.ca_file) if self.ca_file else None,
            )
            if self.cert_file is not None and self.key_file is not None:
                context.load_cert_chain(str(self.cert_file), str(self.key_file))
        except (ssl.SSLError, ValueError) as exc:
            raise ConfigurationError("TWIN_MQTT_TLS_INVALID", details={"reason": str(exc)}) from exc
        if self.insecure:
            context.check_hostname = False
        return context

    @classmethod
    def from_settings(cls, settings: Any) -> MqttConfig:
        """The configuration from platform settings (``CADML_MQTT_*``).

        Raises:
            ConfigurationError: ``TWIN_MQTT_INVALID_URL`` when ``mqtt_url`` is not set or
                invalid; see :meth:`__post_init__` for the others.
        """
        url = getattr(settings, "mqtt_url", None)
        if not url:
            raise ConfigurationError(
                "TWIN_MQTT_INVALID_URL",
                details={"url": "", "reason": "CADML_MQTT_URL is not set"},
            )
        base = parse_mqtt_url(url)
        return base.with_options(
            username=getattr(settings, "mqtt_username", None),
            password=getattr(settings, "mqtt_password", None),
            ca_file=getattr(settings, "mqtt_ca_file", None),
            cert_file=getattr(settings, "mqtt_cert_file", None),
            key_file=getattr(settings, "mqtt_key_file", None),
            topic=getattr(settings, "mqtt_topic", None),
            share_group=getattr(settings, "mqtt_share_group", None),
            client_id=getattr(settings, "mqtt_client_id", None),
            client=getattr(settings, "mqtt_client", None),
        )


def parse_mqtt_url(url: str) -> MqttConfig:
    """Host, port, TLS and credentials from ``mqtt://`` / ``mqtts://`` URLs.

    Raises:
        ConfigurationError: ``TWIN_MQTT_INVALID_URL`` for another scheme, a missing host,
            a bad port or a path.
    """

    def bad(reason: str) -> ConfigurationError:
        return ConfigurationError("TWIN_MQTT_INVALID_URL", details={"url": url, "reason": reason})

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise bad(f"the scheme must be mqtt:// or mqtts://, not {parts.scheme or 'none'}")
    tls, default_port = _SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise bad(str(exc)) from exc
    if not parts.hostname:
        raise bad("no host")
    if parts.path not in ("", "/") or parts.query:
        raise bad("an MQTT URL has no path or query; give the topic separately")
    return MqttConfig(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
