"""The MQTT ingest transport: broker → decode → :class:`~cadml.twin.pipeline.IngestPipeline`.

One paho-mqtt client (MQTT 5 by default) in a **persistent session** (stable client id,
``clean_start=False``, session expiry) subscribes at QoS 1 to ``twin/telemetry/+`` (the
last topic level is the device id), optionally as ``$share/<group>/...`` so several
ingestors split the load. Acknowledgements are **manual**: a message's PUBACK is sent only
after the store committed the batch holding its frames (in arrival order, see
:mod:`cadml.mqtt.acks`), so a crash at any point makes the broker redeliver instead of
losing; redelivered frames are idempotent duplicates in the store.

Bad payloads are counted by reason (``TWIN_FRAME_*``) and acknowledged at once: they can
never become good. When the pipeline's queue is full the network thread blocks in
``submit``; it stops reading the socket, and the broker stops sending once
``receive_maximum`` messages are unacknowledged, which in turn throttles the publishers.

Threads: paho's client is driven by our own network thread (``client.loop`` in a loop).
The pipeline's writer thread only marks messages ready; the network thread sends the
acks, so the client is never written from two threads and an ack can never leak into a
newer connection. It reconnects with exponential backoff and resubscribes in
``on_connect``.

Why paho and not aiomqtt: measured on this machine for the same QoS 1 burst, see
``docs/ingest.md`` and ``bench/ingest.py --compare-clients``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from cadml.errors import CadmlError, ServiceUnavailableError
from cadml.mqtt.acks import AckSlot, AckTracker
from cadml.mqtt.config import MqttConfig
from cadml.timeseries.port import WriteResult
from cadml.twin.frame import Rejection
from cadml.twin.pipeline import IngestPipeline

__all__ = ["IngestorStats", "MqttIngestor"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestorStats:
    """What the MQTT transport has seen.

    Args:
        connected: whether the client is connected now.
        connects: successful connections (1 + reconnects).
        messages: PUBLISH packets received.
        acked: PUBACKs sent.
        rejected_messages: messages with at least one bad frame.
        redelivered: messages the broker flagged as redeliveries (DUP).
        unacked: messages of this connection not yet acknowledged.
    """

    connected: bool
    connects: int
    messages: int
    acked: int
    rejected_messages: int
    redelivered: int
    unacked: int


class MqttIngestor:
    """Subscribes to telemetry and feeds the pipeline, acking after commit.

    Args:
        config: broker, TLS, topic and session settings.
        pipeline: a started pipeline (shared with HTTP ingest in the API process).
        max_payload_bytes: larger messages are rejected (``TWIN_FRAME_TOO_LARGE``).
        reconnect_min_s: first reconnect delay; doubles up to ``reconnect_max_s``.
        reconnect_max_s: reconnect delay cap.
        clock: the platform clock for the time rule (unix seconds).
    """

    def __init__(
        self,
        config: MqttConfig,
        pipeline: IngestPipeline,
        *,
        max_payload_bytes: int = 4 * 1024 * 1024,
        reconnect_min_s: float = 0.25,
        reconnect_max_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.pipeline = pipeline
        self.max_payload_bytes = max_payload_bytes
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.clock = clock
        self.acks = AckTracker()
        self._client: mqtt.Client | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._connected = threading.Event()
        self._first_outcome = threading.Event()
        self._refusal: str | None = None
        self._start_error: str | None = None
        self._paused = False
        self._connects = 0
        self._messages = 0
        self._acked = 0
        self._rejected_messages = 0
        self._redelivered = 0

    # -- life cycle ---------------------------------------------------------------------

    def start(self, connect_timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start the network thread.

        Raises:
            ServiceUnavailableError: ``TWIN_MQTT_UNAVAILABLE`` when the broker cannot be
                reached, ``TWIN_MQTT_REFUSED`` when it refuses the connection.
            ConfigurationError: invalid TLS settings.
        """
        client = self._build_client()
        self._client = client
        cfg = self.config
        try:
            if cfg.protocol == 5:
                client.connect(
                    cfg.host,
                    cfg.port,
                    cfg.keepalive_s,
                    clean_start=False,
                    properties=self._connect_properties(),
                )
            else:
                client.connect(cfg.host, cfg.port, cfg.keepalive_s)
        except (OSError, ValueError) as exc:
            raise ServiceUnavailableError(
                "TWIN_MQTT_UNAVAILABLE", details={"url": cfg.url, "reason": str(exc) or repr(exc)}
            ) from exc
        self._thread = threading.Thread(target=self._run, name="twin-mqtt-ingest", daemon=True)
        self._thread.start()
        if not self._first_outcome.wait(connect_timeout_s):
            self._shutdown_thread()
            raise ServiceUnavailableError(
                "TWIN_MQTT_UNAVAILABLE",
                details={"url": cfg.url, "reason": f"no CONNACK within {connect_timeout_s} s"},
            )
        if self._refusal is not None:
            self._shutdown_thread()
            raise ServiceUnavailableError(
                "TWIN_MQTT_REFUSED", details={"url": cfg.url, "reason": self._refusal}
            )
        if self._start_error is not None:
            self._shutdown_thread()
            raise ServiceUnavailableError(
                "TWIN_MQTT_UNAVAILABLE", details={"url": cfg.url, "reason": self._start_error}
            )

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop taking messages, acknowledge what gets committed, and disconnect.

        Messages received after this call are neither submitted nor acknowledged (the
        broker keeps them for the session). The pipeline is not stopped: its owner does.

        Returns:
            True when every submitted message was acknowledged before disconnecting.
        """
        self._paused = True
        deadline = time.monotonic() + timeout_s
        while self.acks.unresolved and time.monotonic() < deadline and self._connected.is_set():
            time.sleep(0.01)
        while self.acks.pending_acks and time.monotonic() < deadline and self._connected.is_set():
            time.sleep(0.01)
        clean = self.acks.unresolved == 0 and self.acks.pending_acks == 0
        self._shutdown_thread()
        return clean

    def _shutdown_thread(self) -> None:
        self._closing.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10.0)
        if self._client is not None:
            self._client.disconnect()
            self._client.loop(0.05)  # flush the DISCONNECT

    def stats(self) -> IngestorStats:
        """A snapshot of the transport's counters."""
        return IngestorStats(
            connected=self._connected.is_set(),
            connects=self._connects,
            messages=self._messages,
            acked=self._acked,
            rejected_messages=self._rejected_messages,
            redelivered=self._redelivered,
            unacked=self.acks.unresolved + self.acks.pending_acks,
        )

    # -- the client ---------------------------------------------------------------------

    def _build_client(self) -> mqtt.Client:
        cfg = self.config
        v5 = cfg.protocol == 5
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.session_client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else False,
            manual_ack=True,
        )
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.password)
        context = cfg.tls_context()
        if context is not None:
            client.tls_set_context(context)
            if cfg.insecure:
                client.tls_insecure_set(True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _connect_properties(self) -> Properties:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.config.session_expiry_s
        props.ReceiveMaximum = self.config.receive_maximum
        return props

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self._refusal = str(reason)
            _log.error("MQTT broker %s refused the connection: %s", self.config.url, reason)
            self._first_outcome.set()
            return
        self.acks.reset()
        self._connects += 1
        if self.config.protocol == 5:
            client.subscribe(self.config.subscription, options=SubscribeOptions(qos=1))
        else:
            client.subscribe(self.config.subscription, qos=1)
        _log.info(
            "MQTT connected to %s (session present: %s), subscribed to %s",
            self.config.url,
            getattr(flags, "session_present", "?"),
            self.config.subscription,
        )
        self._connected.set()
        self._first_outcome.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connected.clear()
        if not self._closing.is_set():
            _log.warning("MQTT connection to %s lost: %s", self.config.url, reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._paused:
            return  # not acknowledged: the broker redelivers it to the session later
        self._messages += 1
        if message.dup:
            self._redelivered += 1
        slot = self.acks.track(message.mid) if message.qos > 0 else None
        payload = bytes(message.payload)
        try:
            device = self.config.device_from_topic(message.topic)
        except UnicodeDecodeError:
            self._reject(slot, [Rejection("TWIN_FRAME_INVALID", "topic is not UTF-8")])
            return
        if len(payload) > self.max_payload_bytes:
            self._reject(
                slot,
                [Rejection("TWIN_FRAME_TOO_LARGE", f"{len(payload)} bytes")],
            )
            return
        decoded = self.pipeline.decode(payload, device_id=device, now=self.clock())
        if decoded.rejections:
            self._rejected_messages += 1
            self.pipeline.count_rejections(decoded.rejections)
        if not decoded.frames:
            if slot is not None:
                self.acks.ready(slot)
            return
        done = _AckWhenCommitted(self.acks, slot) if slot is not None else None
        try:
            self.pipeline.submit(decoded.frames, done, block=True)
        except CadmlError as exc:
            # Only a stopped pipeline refuses a blocking submit: leave it unacknowledged.
            _log.warning("message %d not ingested: %s", message.mid, exc)
            if slot is not None:
                self.acks.fail(slot)

    def _reject(self, slot: AckSlot | None, rejections: list[Rejection]) -> None:
        self._rejected_messages += 1
        self.pipeline.count_rejections(rejections)
        if slot is not None:
            self.acks.ready(slot)

    def _send_acks(self, client: mqtt.Client) -> None:
        mids = self.acks.take()
        for mid in mids:
            client.ack(mid, 1)
        self._acked += len(mids)

    def _run(self) -> None:
        client = self._client
        assert client is not None
        delay = self.reconnect_min_s
        while not self._closing.is_set():
            rc = client.loop(timeout=0.01)
            if rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                if self._connected.is_set():
                    self._send_acks(client)
                    delay = self.reconnect_min_s
                continue
            self._connected.clear()
            if not self._connects:
                # Lost before the first CONNACK (refused, TLS handshake rejected): start()
                # reports it instead of retrying forever.
                if self._refusal is None:
                    self._start_error = f"connection closed before CONNACK ({rc.name})"
                self._first_outcome.set()
                return
            if self._closing.wait(delay):
                return
            delay = min(delay * 2, self.reconnect_max_s)
            try:
                _log.info("MQTT reconnecting to %s", self.config.url)
                client.reconnect()
            except (OSError, ValueError) as exc:
                _log.warning(
                    "MQTT broker %s unreachable (%s); next try in %.1f s",
                    self.config.url,
                    exc,
                    delay,
                )


class _AckWhenCommitted:
    """The pipeline's completion callback for one message."""

    __slots__ = ("slot", "tracker")

    def __init__(self, tracker: AckTracker, slot: AckSlot) -> None:
        self.tracker = tracker
        self.slot = slot

    def __call__(self, outcome: WriteResult | BaseException) -> None:
        if isinstance(outcome, BaseException):
            self.tracker.fail(self.slot)
        else:
            self.tracker.ready(self.slot)
