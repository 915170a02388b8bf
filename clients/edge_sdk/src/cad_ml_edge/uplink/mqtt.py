"""MQTT uplink on paho-mqtt 2.x (extra ``[mqtt]``; imported only when first used).

Each batch is one QoS 1 message on ``twin/telemetry/{device_id}``, and :meth:`send`
returns only once the broker's PUBACK for it arrived. The client keeps a persistent
session on the broker (``clean_session=False``, a stable client id). A batch whose PUBACK
did not arrive is not confirmed, so the forwarder sends it again.

Reconnection belongs to the forwarder: paho's own automatic reconnect is off, and every
:meth:`MqttUplink.send` on a lost connection makes exactly one connection attempt, so
the forwarder's jittered backoff is the only retry schedule. Under MQTT 3.1.1 a broker
cannot refuse a message, so this uplink never returns a rejection.
"""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any

from cad_ml_edge.errors import ConfigError, UplinkError
from cad_ml_edge.uplink.base import SendResult

__all__ = ["DEFAULT_TOPIC", "MqttUplink"]

DEFAULT_TOPIC = "twin/telemetry/{device_id}"
_POLL_S = 0.05


class MqttUplink:
    """Publishes MsgPack batches with QoS 1 and waits for each PUBACK.

    Args:
        host: the broker.
        port: its port (1883, or 8883 with TLS).
        device_id: the device; fills ``{device_id}`` in ``topic`` and the client id.
        topic: topic template (default ``twin/telemetry/{device_id}``).
        client_id: stable id for the persistent session (default ``cad-ml-edge-<device>``).
        username: broker user, if the broker wants one.
        password: its password.
        ca_file: CA bundle to verify the broker; enables TLS.
        cert_file: client certificate (PEM) for mutual TLS; enables TLS.
        key_file: the certificate's private key, if not inside ``cert_file``.
        timeout_s: the longest wait for CONNACK and for each PUBACK.
        keepalive_s: MQTT keep-alive interval.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        device_id: str,
        topic: str | None = None,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        timeout_s: float = 10.0,
        keepalive_s: int = 30,
    ) -> None:
        self.host = host
        self.port = port
        self.device_id = device_id
        self.topic = (topic or DEFAULT_TOPIC).replace("{device_id}", device_id)
        self.client_id = client_id or f"cad-ml-edge-{device_id}"
        self.timeout_s = timeout_s
        self.keepalive_s = keepalive_s
        self._username = username
        self._password = password
        self._ca_file = ca_file
        self._cert_file = cert_file
        self._key_file = key_file
        self._client: Any = None
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._settled = threading.Event()  # CONNACK (either way) or disconnect arrived
        self._error: str | None = None

    # ------------------------------------------------------------ paho glue
    def _make_client(self) -> Any:
        try:
            from paho.mqtt import client as mqtt
        except ImportError as exc:
            raise ConfigError(
                "EDGE_CONFIG_INVALID",
                detail="the MQTT uplink needs paho-mqtt: pip install 'cad-ml-edge[mqtt]'",
            ) from exc
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            reconnect_on_failure=False,
        )
        client.connect_timeout = self.timeout_s
        if self._username is not None:
            client.username_pw_set(self._username, self._password)
        if self._ca_file or self._cert_file:
            context = ssl.create_default_context(cafile=self._ca_file)
            if self._cert_file:
                context.load_cert_chain(self._cert_file, self._key_file)
            client.tls_set_context(context)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        return client

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._error = f"{self.host}:{self.port} refused the connection: {reason}"
        else:
            self._connected.set()
        self._settled.set()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()
        if self._error is None:  # keep the refusal that caused it
            self._error = f"{self.host}:{self.port} disconnected: {reason}"
        self._settled.set()

    def _fail(self, detail: str) -> UplinkError:
        return UplinkError("EDGE_UPLINK_FAILED", detail=detail, status=0, retry_after=None)

    def _drop_client(self) -> None:
        # The network thread ends on disconnect (auto-reconnect is off); disconnect() first
        # so a thread stuck on a dead connection with messages in flight ends too. A fresh
        # client per connection: paho leaks its wake-up socket pair when one client's loop
        # is restarted, and the forwarder resends whatever was unconfirmed anyway.
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()
        self._connected.clear()

    def _connect(self) -> None:
        self._drop_client()
        self._client = self._make_client()
        self._connected.clear()
        self._settled.clear()
        self._error = None
        try:
            self._client.connect(self.host, self.port, keepalive=self.keepalive_s)
        except (OSError, ValueError) as exc:
            raise self._fail(f"{self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc
        self._client.loop_start()
        self._settled.wait(self.timeout_s)
        if not self._connected.is_set():
            raise self._fail(self._error or f"{self.host}:{self.port}: no CONNACK in time")

    # ---------------------------------------------------------------- API
    def send(self, batch: bytes) -> SendResult:
        """Publish one batch with QoS 1 and wait for its PUBACK.

        Raises:
            UplinkError: not connected and the connection attempt failed, the connection
                was lost before the PUBACK, or no PUBACK within ``timeout_s``.
            ConfigError: paho-mqtt is not installed.
        """
        with self._lock:
            if not self._connected.is_set():
                self._connect()
            deadline = time.monotonic() + self.timeout_s
            try:
                info = self._client.publish(self.topic, batch, qos=1)
                while not info.is_published():
                    if not self._connected.is_set():
                        raise self._fail(self._error or "connection lost before the PUBACK")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:  # the connection may be dead: reconnect next time
                        self._connected.clear()
                        raise self._fail(f"no PUBACK within {self.timeout_s} s")
                    info.wait_for_publish(min(remaining, _POLL_S))
            except RuntimeError as exc:  # publish while the connection was dropping
                self._connected.clear()
                raise self._fail(str(exc)) from exc
        return SendResult(accepted=True, status=0)

    def close(self) -> None:
        """Disconnect and stop the network thread (the session persists on the broker)."""
        with self._lock:
            self._drop_client()
