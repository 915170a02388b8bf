"""The MQTT ingest transport: broker → decode → :class:`~cadml.twin.pipeline.IngestPipeline`.

One MQTT client (MQTT 5 by default; the lean built-in subscriber of
:mod:`cadml.mqtt.lean_client` or paho-mqtt, ``client="lean"|"paho"``) in a **persistent
session** (stable client id, ``clean_start=False``, session expiry) subscribes at QoS 1
to ``twin/telemetry/+`` (the last topic level is the device id), optionally as
``$share/<group>/...`` so several ingestors split the load. Acknowledgements are
**manual**: a message's PUBACK is sent only after the store committed the batch holding
its frames (in arrival order, see :mod:`cadml.mqtt.acks`), so a crash at any point makes
the broker redeliver instead of losing; redelivered frames are idempotent duplicates in
the store.

Bad payloads are counted by reason (``TWIN_FRAME_*``) and acknowledged at once: they can
never become good. When the pipeline's queue is full the network thread blocks in
``submit``; it stops reading the socket, and the broker stops sending once
``receive_maximum`` messages are unacknowledged, which in turn throttles the publishers.

The lean client hands over all PUBLISHes of one socket read at once: they are decoded
one by one (``pipeline.decode``), and their good frames go to the pipeline in **one**
``submit`` whose completion makes the whole read ready for acknowledgement (one ack slot,
see :meth:`~cadml.mqtt.acks.AckTracker.track_many`). paho delivers one message per
callback, so it submits per message.

Threads: the client is driven by our own network thread (paho: ``client.loop`` in a loop;
lean: its reader thread). The pipeline's writer thread only marks messages ready (and,
for the lean client, wakes the network thread); the network thread sends the acks, so
the socket is never written from two threads and an ack can never leak into a newer
connection. Both reconnect with exponential backoff and resubscribe.

Why not aiomqtt, and why the lean client: measured on this machine, see
``docs/ingest.md`` and ``bench/ingest.py --compare-clients``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from cadml.errors import CadmlError, ConfigurationError, ServiceUnavailableError
from cadml.mqtt.acks import AckSlot, AckTracker
from cadml.mqtt.config import CLIENTS, MqttConfig
from cadml.mqtt.lean_client import LeanClient
from cadml.timeseries.port import WriteResult
from cadml.twin.frame import Rejection, TelemetryFrame
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
        client: ``"lean"`` or ``"paho"`` (default: ``config.client``).

    Raises:
        ConfigurationError: ``TWIN_MQTT_INVALID_CLIENT`` for another client name.
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
        client: str | None = None,
    ) -> None:
        self.client_kind = client or config.client
        if self.client_kind not in CLIENTS:
            raise ConfigurationError(
                "TWIN_MQTT_INVALID_CLIENT",
                details={"client": self.client_kind, "choices": ", ".join(CLIENTS)},
            )
        self.config = config
        self.pipeline = pipeline
        self.max_payload_bytes = max_payload_bytes
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.clock = clock
        self.acks = AckTracker()
        self._client: mqtt.Client | None = None
        self._lean: LeanClient | None = None
        self._devices: dict[bytes | str, str | None] = {}
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
        if self.client_kind == "lean":
            self._start_lean(connect_timeout_s)
            return
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

    def _start_lean(self, connect_timeout_s: float) -> None:
        lean = LeanClient(
            self.config,
            on_messages=self._on_batch,
            take_acks=self._take_acks,
            on_connect=self._lean_connected,
            on_disconnect=self._lean_disconnected,
            reconnect_min_s=self.reconnect_min_s,
            reconnect_max_s=self.reconnect_max_s,
        )
        self._lean = lean
        lean.start(connect_timeout_s)

    def _lean_connected(self) -> None:
        self.acks.reset()
        self._connects += 1
        self._connected.set()

    def _lean_disconnected(self, reason: str) -> None:
        self._connected.clear()

    def _take_acks(self) -> list[int]:
        mids = self.acks.take()
        self._acked += len(mids)
        return mids

    def _shutdown_thread(self) -> None:
        self._closing.set()
        if self._lean is not None:
            self._lean.stop()
            self._connected.clear()
            return
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
        client.on_subscribe = self._on_subscribe
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

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        # start() returns only once subscribed: a message published before the SUBSCRIBE
        # reached the broker would not be queued for this (new) session.
        failed = [r for r in reasons if getattr(r, "is_failure", False)]
        if failed:
            self._refusal = f"subscription to {self.config.subscription} refused: {failed[0]}"
            _log.error("MQTT broker %s: %s", self.config.url, self._refusal)
        self._first_outcome.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connected.clear()
        if not self._closing.is_set():
            _log.warning("MQTT connection to %s lost: %s", self.config.url, reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic: bytes | str = message.topic
        except UnicodeDecodeError:
            topic = b"\xff"  # not UTF-8: rejected as such by _on_batch
        mid = message.mid if message.qos > 0 else 0
        self._on_batch([(topic, bytes(message.payload), mid, bool(message.dup))])

    def _device(self, topic: bytes | str) -> str | None:
        """The device id of a topic (None when it is not UTF-8), cached."""
        devices = self._devices
        device = devices.get(topic, "")
        if device == "":
            try:
                name = topic.decode() if isinstance(topic, bytes) else topic
            except UnicodeDecodeError:
                device = None
            else:
                device = self.config.device_from_topic(name)
            if len(devices) >= 100_000:
                devices.clear()
            devices[topic] = device
        return device

    def _on_batch(self, publishes: Sequence[tuple[bytes | str, bytes, int, bool]]) -> None:
        """Decode the messages of one read and submit their good frames together."""
        if self._paused:
            return  # not acknowledged: the broker redelivers them to the session later
        pipeline = self.pipeline
        decode = pipeline.decode
        limit = self.max_payload_bytes
        now = self.clock()
        frames: list[TelemetryFrame] = []
        rejections: list[Rejection] = []
        mids: list[int] = []
        bad = 0
        for topic, payload, mid, dup in publishes:
            if mid:
                mids.append(mid)
            if dup:
                self._redelivered += 1
            device = self._device(topic)
            if device is None:
                bad += 1
                rejections.append(Rejection("TWIN_FRAME_INVALID", "topic is not UTF-8"))
                continue
            if len(payload) > limit:
                bad += 1
                rejections.append(Rejection("TWIN_FRAME_TOO_LARGE", f"{len(payload)} bytes"))
                continue
            decoded = decode(payload, device_id=device, now=now)
            if decoded.rejections:
                bad += 1
                rejections += decoded.rejections
            frames += decoded.frames
        self._messages += len(publishes)
        if bad:
            self._rejected_messages += bad
            pipeline.count_rejections(rejections)
        slot = self.acks.track_many(mids) if mids else None
        if not frames:
            if slot is not None:
                self.acks.ready(slot)
                self._wake()
            return
        lean = self._lean
        wake = lean.wake if lean is not None else None
        done = _AckWhenCommitted(self.acks, slot, wake) if slot is not None else None
        try:
            pipeline.submit(
                frames, done, block=True, while_blocked=lean.service if lean is not None else None
            )
        except CadmlError as exc:
            # Only a stopped pipeline refuses a blocking submit: leave it unacknowledged.
            _log.warning("%d messages not ingested: %s", len(publishes), exc)
            if slot is not None:
                self.acks.fail(slot)

    def _wake(self) -> None:
        if self._lean is not None:
            self._lean.wake()

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
    """The pipeline's completion callback for one submission (one or many messages)."""

    __slots__ = ("slot", "tracker", "wake")

    def __init__(
        self, tracker: AckTracker, slot: AckSlot, wake: Callable[[], None] | None = None
    ) -> None:
        self.tracker = tracker
        self.slot = slot
        self.wake = wake

    def __call__(self, outcome: WriteResult | BaseException) -> None:
        if isinstance(outcome, BaseException):
            self.tracker.fail(self.slot)
        else:
            self.tracker.ready(self.slot)
            if self.wake is not None:
                self.wake()
