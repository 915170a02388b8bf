"""A lean MQTT subscriber: one socket, big reads, many packets per read, batched PUBACKs.

paho-mqtt spends ~95 CPU µs per QoS 1 message on this machine (one packet per read, an
``MQTTMessage`` object and several callbacks each). This client reads up to
``read_bytes`` (256 KiB) per ``recv``, cuts every complete packet out of the chunk with
:func:`~cadml.mqtt.packets.split_packets`, and hands all PUBLISHes of the chunk to one
callback as ``(topic, payload, packet_id, dup)`` tuples. PUBACKs are not sent by the
client on its own: between reads it asks ``take_acks()`` for the packet ids that may be
acknowledged now and sends them all with one ``sendall``. ``wake()`` (from any thread)
interrupts a wait so that fresh acks go out at once.

One network thread owns the socket (reads, acks, PINGREQ, reconnects); ``on_connect`` runs
on it after every CONNACK, before any PUBLISH of the new connection is delivered, so the
owner can start a new ack generation there: acks of an old connection can never be sent
on a new one (the broker redelivers those messages).

TLS: the socket is wrapped with :meth:`MqttConfig.tls_context`. Reconnects use exponential
backoff (``reconnect_min_s`` doubling to ``reconnect_max_s``) and resubscribe.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from cadml.errors import CadmlError, ServiceUnavailableError
from cadml.mqtt import packets as pk
from cadml.mqtt.config import MqttConfig

__all__ = ["LeanClient"]

_log = logging.getLogger(__name__)

MessagesCallback = Callable[[list[pk.Publish]], None]


class _Refused(Exception):
    """The broker answered CONNECT or SUBSCRIBE with a failure reason code."""


class LeanClient:
    """A QoS 1 subscriber for one topic filter in a persistent session.

    Args:
        config: broker, TLS, session and subscription settings.
        on_messages: called on the network thread with the PUBLISHes of one read, in
            arrival order; it may block (backpressure: nothing is read meanwhile).
        take_acks: returns the packet ids to acknowledge now, in arrival order.
        on_connect: called on the network thread after each successful CONNACK.
        on_disconnect: called on the network thread when a connection is lost.
        reconnect_min_s: first reconnect delay.
        reconnect_max_s: reconnect delay cap.
        read_bytes: bytes asked for per ``recv``.
        coalesce_s: after a read that was not full, wait this long before the next one,
            so that the next read takes many messages at once (see :meth:`_serve`).
    """

    def __init__(
        self,
        config: MqttConfig,
        *,
        on_messages: MessagesCallback,
        take_acks: Callable[[], list[int]],
        on_connect: Callable[[], None] | None = None,
        on_disconnect: Callable[[str], None] | None = None,
        reconnect_min_s: float = 0.25,
        reconnect_max_s: float = 30.0,
        read_bytes: int = 256 * 1024,
        coalesce_s: float = 0.002,
    ) -> None:
        self.config = config
        self.on_messages = on_messages
        self.take_acks = take_acks
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.read_bytes = read_bytes
        self.coalesce_s = coalesce_s
        self.v5 = config.protocol == 5
        self.connects = 0
        self._sock: socket.socket | None = None
        self._tail = b""
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._subscribed = threading.Event()
        self._sub_error: str | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._wake_pending = False
        self._next_packet_id = 0
        self._last_sent = 0.0
        self._last_received = 0.0
        self._ping_sent = 0.0

    @property
    def connected(self) -> bool:
        """Whether a connection is up (CONNACK received, not lost since)."""
        return self._sock is not None

    # -- life cycle ---------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> None:
        """Connect, subscribe and start the network thread.

        Raises:
            ServiceUnavailableError: ``TWIN_MQTT_UNAVAILABLE`` (no broker, TLS failed, no
                answer within ``timeout_s``) or ``TWIN_MQTT_REFUSED`` (CONNACK or SUBACK
                with a failure reason).
            ConfigurationError: invalid TLS settings.
        """
        url = self.config.url
        try:
            self._open(timeout_s)
        except _Refused as exc:
            self.stop()
            raise ServiceUnavailableError(
                "TWIN_MQTT_REFUSED", details={"url": url, "reason": str(exc)}
            ) from exc
        except (OSError, pk.MalformedPacket) as exc:
            self.stop()
            raise ServiceUnavailableError(
                "TWIN_MQTT_UNAVAILABLE", details={"url": url, "reason": str(exc) or repr(exc)}
            ) from exc
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._run, name="twin-mqtt-lean", daemon=True)
        self._thread.start()
        if not self._subscribed.wait(timeout_s) or self._sub_error is not None:
            reason = self._sub_error or f"no SUBACK within {timeout_s} s"
            code = "TWIN_MQTT_REFUSED" if self._sub_error else "TWIN_MQTT_UNAVAILABLE"
            self.stop()
            raise ServiceUnavailableError(code, details={"url": url, "reason": reason})

    def wake(self) -> None:
        """Make the network thread look for acks now (safe from any thread)."""
        if self._wake_pending:
            return
        self._wake_pending = True
        # OSError: the pipe is full (a wake-up is pending anyway) or closed
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def stop(self) -> None:
        """Send DISCONNECT (the session stays with the broker), close, and join the thread."""
        self._closing.set()
        self.wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10.0)
        sock = self._sock
        if sock is not None:
            self._sock = None
            with contextlib.suppress(OSError):
                sock.sendall(pk.DISCONNECT)
            sock.close()
        for s in (self._wake_r, self._wake_w):
            s.close()

    # -- connecting ---------------------------------------------------------------------

    def _open(self, timeout_s: float) -> None:
        """One connection attempt: TCP (+TLS), CONNECT, CONNACK, SUBSCRIBE."""
        cfg = self.config
        context = cfg.tls_context()
        sock = socket.create_connection((cfg.host, cfg.port), timeout=timeout_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=cfg.host)
            sock.sendall(
                pk.encode_connect(
                    cfg.session_client_id,
                    keepalive_s=cfg.keepalive_s,
                    clean_start=False,
                    session_expiry_s=cfg.session_expiry_s,
                    receive_maximum=cfg.receive_maximum,
                    username=cfg.username,
                    password=cfg.password,
                    v5=self.v5,
                )
            )
            # Only the CONNACK is consumed here: PUBLISHes of the session may follow it in
            # the same read, and stay in ``data`` for the network thread.
            data = b""
            deadline = time.monotonic() + timeout_s
            while (packet := pk.packet_at(data)) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no CONNACK within {timeout_s} s")
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("the broker closed the connection before CONNACK")
                data += chunk
            first, body, used = packet
            if first >> 4 != pk.CONNACK:
                raise pk.MalformedPacket(f"expected CONNACK, got packet type {first >> 4}")
            session_present, reason = pk.decode_connack(body, self.v5)
        except BaseException:
            sock.close()
            raise
        if reason != 0:
            sock.close()
            raise _Refused(pk.connack_reason(reason, self.v5))
        sock.settimeout(max(5.0, cfg.keepalive_s))
        self._tail = data[used:]
        self._sock = sock
        self._wake_pending = False
        self.connects += 1
        now = time.monotonic()
        self._last_received = now
        self._ping_sent = 0.0
        _log.info(
            "MQTT connected to %s (session present: %s), subscribing to %s",
            cfg.url,
            session_present,
            cfg.subscription,
        )
        if self.on_connect is not None:
            self.on_connect()
        self._next_packet_id = self._next_packet_id % 65535 + 1
        self._send(pk.encode_subscribe(self._next_packet_id, cfg.subscription, 1, v5=self.v5))

    def service(self) -> None:
        """Send the acks that are ready and a PINGREQ when one is due.

        For the network thread only, while ``on_messages`` blocks (backpressure): the
        broker keeps getting acks (so it can send again once reading resumes) and
        keep-alive traffic (so it does not close the connection). Errors are left for the
        read loop to find.
        """
        if self._sock is None:
            return
        with contextlib.suppress(OSError):
            acks = self.take_acks()
            if acks:
                self._send(pk.encode_pubacks(acks))
            keepalive = float(self.config.keepalive_s) or 3600.0
            now = time.monotonic()
            if now - self._last_sent >= keepalive / 2 and not self._ping_sent:
                self._send(pk.PINGREQ)
                self._ping_sent = now

    def _send(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ConnectionError("not connected")
        sock.sendall(data)
        self._last_sent = time.monotonic()

    # -- the network thread -------------------------------------------------------------

    def _run(self) -> None:
        delay = self.reconnect_min_s
        while not self._closing.is_set():
            if self._sock is None:
                if self._closing.wait(delay):
                    return
                delay = min(delay * 2, self.reconnect_max_s)
                try:
                    _log.info("MQTT reconnecting to %s", self.config.url)
                    self._open(max(5.0, self.config.keepalive_s))
                except (OSError, pk.MalformedPacket, _Refused, CadmlError) as exc:
                    _log.warning(
                        "MQTT broker %s unreachable (%s); next try in %.1f s",
                        self.config.url,
                        exc,
                        delay,
                    )
                    continue
            try:
                self._serve()
            except Exception as exc:  # any failure: drop the connection and retry
                if not isinstance(exc, (OSError, pk.MalformedPacket, _Refused)):
                    _log.exception("MQTT network thread failed; reconnecting")
                sock, self._sock = self._sock, None
                if sock is not None:
                    sock.close()
                if self._closing.is_set():
                    return
                if isinstance(exc, _Refused):
                    self._sub_error = str(exc)
                    self._subscribed.set()
                _log.warning("MQTT connection to %s lost: %s", self.config.url, exc)
                if self.on_disconnect is not None:
                    self.on_disconnect(str(exc))
                continue
            delay = self.reconnect_min_s  # _serve returns only when closing

    def _serve(self) -> None:
        """Read, dispatch and acknowledge until the connection fails or the client stops."""
        sock = self._sock
        assert sock is not None
        tls = isinstance(sock, ssl.SSLSocket)
        keepalive = float(self.config.keepalive_s) or 3600.0
        wake_r = self._wake_r
        poller = select.poll()  # not select(): file descriptors above 1024 are fine
        poller.register(sock.fileno(), select.POLLIN)
        poller.register(wake_r.fileno(), select.POLLIN)
        sock_fd, wake_fd = sock.fileno(), wake_r.fileno()
        wait_ms = int(min(1.0, keepalive / 4) * 1000)
        tail = self._tail
        self._tail = b""
        if tail:
            tail = self._dispatch(tail)
        while not self._closing.is_set():
            acks = self.take_acks()
            if acks:
                self._send(pk.encode_pubacks(acks))
            now = time.monotonic()
            if now - self._last_sent >= keepalive / 2 and not self._ping_sent:
                self._send(pk.PINGREQ)
                self._ping_sent = now
            if not (tls and sock.pending()):  # type: ignore[attr-defined]
                ready = [fd for fd, _ in poller.poll(wait_ms)]
                if wake_fd in ready:
                    with contextlib.suppress(BlockingIOError):
                        wake_r.recv(4096)
                    self._wake_pending = False
                if sock_fd not in ready:
                    if self._ping_sent and time.monotonic() - self._ping_sent > keepalive:
                        raise TimeoutError(f"no PINGRESP within {keepalive:g} s")
                    continue
            try:
                chunk = sock.recv(self.read_bytes) if not tls else self._recv_tls(sock)
            except ssl.SSLWantReadError:
                continue
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            self._last_received = time.monotonic()
            tail = self._dispatch(tail + chunk if tail else chunk)
            if len(chunk) < self.read_bytes // 2 and self.coalesce_s > 0:
                # A steady stream arrives a few messages per read: each read costs a
                # poll, a recv, a dispatch, a submit and an ack write whatever it holds.
                # Waiting a moment lets the socket gather a batch (more messages per read,
                # fewer, larger acks) for at most coalesce_s of added latency.
                self._closing.wait(self.coalesce_s)

    def _recv_tls(self, sock: socket.socket) -> bytes:
        sock.settimeout(0.0)
        try:
            return sock.recv(self.read_bytes)
        finally:
            sock.settimeout(max(5.0, self.config.keepalive_s))

    def _dispatch(self, data: bytes) -> bytes:
        """Handle every complete packet of ``data``; returns the incomplete rest."""
        publishes, others, used = pk.split_packets(data, 0, self.v5)
        for first, body in others:
            kind = first >> 4
            if kind == pk.PINGRESP:
                self._ping_sent = 0.0
            elif kind == pk.SUBACK:
                _, codes = pk.decode_suback(body, self.v5)
                if not codes or codes[0] >= 0x80:
                    reason = pk.connack_reason(codes[0] if codes else 0x80, self.v5)
                    raise _Refused(f"subscription to {self.config.subscription} refused: {reason}")
                self._subscribed.set()
            elif kind == pk.DISCONNECT_TYPE:
                reason = pk.connack_reason(body[0]) if body else "normal disconnection"
                raise ConnectionError(f"the broker disconnected: {reason}")
            else:
                _log.debug("MQTT packet type %d ignored", kind)
        if publishes:
            self._ping_sent = 0.0  # the broker is alive
            self.on_messages(publishes)
        return data[used:] if used < len(data) else b""
