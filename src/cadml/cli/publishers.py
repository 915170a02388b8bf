"""Where ``cadml simulate`` sends frames: MQTT, HTTP or a JSON-lines file, and its pacer.

The simulator (:mod:`cadml.twin.simulator`) makes frames; these sinks carry them. Every
sink has the same small surface: ``send(device_id, frames)`` (one message), ``flush()``
(wait for outstanding acknowledgements) and ``close()``, and keeps a
:class:`PublishStats`. They live beside the CLI, not in the ``twin`` domain package,
because they import network clients.

* :class:`MqttPublisher`: paho-mqtt 2.x on a background network thread, topic
  ``twin/telemetry/{device_id}``, QoS 1 by default; a frame counts as acknowledged when
  the broker's PUBACK arrives (QoS 0: when it is written to the socket).
* :class:`HttpPublisher`: httpx, ``POST {url}/api/v1/twin/{device_id}/telemetry`` with a
  per-device bearer key, a few requests in flight on a thread pool; 2xx counts as
  acknowledged, 429/503 are retried with the server's ``Retry-After``.
* :class:`JsonLinesSink`: one JSON frame per line, for ``--dry-run``.

:class:`Pacer` keeps a fixed rate with absolute deadlines (``t0 + k × period``), so a
late tick is followed by early ones and the average rate never drifts.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import unquote, urlsplit

from cadml.twin.frame import TelemetryFrame, encode_frames

__all__ = [
    "HttpPublisher",
    "JsonLinesSink",
    "MqttPublisher",
    "MqttTarget",
    "Pacer",
    "PublishStats",
    "PublisherUnavailableError",
    "Sink",
    "load_device_keys",
    "parse_mqtt_url",
]

TOPIC_TEMPLATE = "twin/telemetry/{device_id}"
"""The ingest's MQTT topic for one device."""

_ERR_NO_CONN = 4  # paho's MQTT_ERR_NO_CONN

CONTENT_TYPES = {"msgpack": "application/msgpack", "json": "application/json"}


class PublisherUnavailableError(Exception):
    """The broker or server could not be reached (or refused the connection).

    Args:
        code: the stable error code to show (``TWIN_MQTT_UNAVAILABLE``,
            ``TWIN_MQTT_REFUSED`` or ``TWIN_SIM_HTTP_UNAVAILABLE``).
        url: the target, without credentials.
        reason: what went wrong.
    """

    def __init__(self, code: str, url: str, reason: str) -> None:
        self.code = code
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach {url}: {reason}")


@dataclass
class PublishStats:
    """Counters of one sink; frames, not messages, unless the name says so."""

    sent: int = 0
    messages: int = 0
    acked: int = 0
    failed: int = 0
    bytes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ack(self, frames: int) -> None:
        """Count ``frames`` acknowledged (thread-safe)."""
        with self.lock:
            self.acked += frames

    def fail(self, frames: int, reason: str) -> None:
        """Count ``frames`` failed for ``reason`` (thread-safe)."""
        with self.lock:
            self.failed += frames
            self.errors[reason] += frames

    @property
    def pending(self) -> int:
        """Frames sent but neither acknowledged nor failed yet."""
        return self.sent - self.acked - self.failed


class Sink(Protocol):
    """What the simulation loop needs of a destination."""

    stats: PublishStats

    def send(self, device_id: str, frames: Sequence[TelemetryFrame]) -> None:
        """Send one message holding ``frames`` of ``device_id``."""

    def flush(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for every outstanding acknowledgement."""

    def close(self) -> None:
        """Release the connection; pending frames count as failed."""


class Pacer:
    """Fixed-rate ticks on absolute deadlines: tick ``k`` is due at ``t0 + k × period``.

    Args:
        period_s: seconds between ticks.
        clock: a monotonic clock (injectable for tests).
        sleep: the sleep function (injectable for tests).

    Examples:
        >>> now = [0.0]
        >>> pacer = Pacer(0.5, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
        >>> pacer.wait(3), now[0]
        (0.0, 1.5)
    """

    def __init__(
        self,
        period_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.period_s = period_s
        self._clock = clock
        self._sleep = sleep
        self.t0 = clock()

    def wait(self, tick: int) -> float:
        """Sleep until tick ``tick`` is due.

        Returns:
            How late the tick is, in seconds (0 when on time).
        """
        deadline = self.t0 + tick * self.period_s
        delay = deadline - self._clock()
        if delay > 0:
            self._sleep(delay)
            return 0.0
        return -delay


# -- MQTT -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MqttTarget:
    """A parsed broker URL (``mqtt://[user:pass@]host[:port]`` or ``mqtts://``)."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    @property
    def display(self) -> str:
        """The URL without credentials."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_mqtt_url(url: str) -> MqttTarget:
    """Parse a broker URL.

    Raises:
        ValueError: not an ``mqtt://`` or ``mqtts://`` URL.

    Examples:
        >>> parse_mqtt_url("mqtt://127.0.0.1")
        MqttTarget(host='127.0.0.1', port=1883, tls=False, username=None, password=None)
        >>> parse_mqtt_url("mqtts://u:p@broker:8884").display
        'mqtts://broker:8884'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
        raise ValueError(f"{url!r} is not a broker URL like mqtt://host:1883 or mqtts://host:8883")
    tls = parts.scheme in ("mqtts", "ssl")
    return MqttTarget(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class MqttPublisher:
    """Publish frames to an MQTT broker with paho-mqtt 2.x.

    Args:
        target: the broker.
        qos: 0, 1 (default) or 2.
        codec: ``msgpack`` or ``json``.
        topic_template: ``str.format`` template with ``{device_id}``.
        client_id: the MQTT client id (random when None).
        ca_file, cert_file, key_file: TLS files (``mqtts``); the system CAs when no CA.
        max_pending: frames in flight before :meth:`send` waits (backpressure).
        connect_timeout_s: how long to wait for the broker's CONNACK.

    Raises:
        PublisherUnavailableError: the broker cannot be reached or refused the session.
    """

    def __init__(
        self,
        target: MqttTarget,
        *,
        qos: int = 1,
        codec: str = "msgpack",
        topic_template: str = TOPIC_TEMPLATE,
        client_id: str | None = None,
        ca_file: Path | None = None,
        cert_file: Path | None = None,
        key_file: Path | None = None,
        max_pending: int = 20_000,
        connect_timeout_s: float = 10.0,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.stats = PublishStats()
        self.target = target
        self.qos = qos
        self.codec = codec
        self.topic_template = topic_template
        self.max_pending = max_pending
        self._inflight: dict[int, int] = {}
        self._early: set[int] = set()
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._connect_reason: str | None = None
        client_id = client_id or f"cadml-sim-{os.getpid()}-{secrets.token_hex(3)}"
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(1, 10)
        if target.username:
            client.username_pw_set(target.username, target.password)
        if target.tls:
            context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
            if cert_file:
                context.load_cert_chain(str(cert_file), str(key_file) if key_file else None)
            client.tls_set_context(context)
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        self._client = client
        try:
            client.connect(target.host, target.port, keepalive=30)
        except (OSError, ssl.SSLError) as exc:
            raise PublisherUnavailableError(
                "TWIN_MQTT_UNAVAILABLE", target.display, str(exc)
            ) from exc
        client.loop_start()
        if not self._connected.wait(connect_timeout_s) or self._connect_reason is not None:
            client.loop_stop()
            client.disconnect()
            if self._connect_reason is not None:
                raise PublisherUnavailableError(
                    "TWIN_MQTT_REFUSED", target.display, self._connect_reason
                )
            reason = f"no CONNACK within {connect_timeout_s:g} s"
            raise PublisherUnavailableError("TWIN_MQTT_UNAVAILABLE", target.display, reason)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._connect_reason = str(reason)
        self._connected.set()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        with self._lock:
            frames = self._inflight.pop(mid, None)
            if frames is None:  # the PUBACK beat publish() returning its mid
                self._early.add(mid)
                return
        self._settle(frames, reason)

    def _settle(self, frames: int, reason: Any) -> None:
        if reason is not None and getattr(reason, "is_failure", False):
            self.stats.fail(frames, f"puback {reason}")
        else:
            self.stats.ack(frames)

    def send(self, device_id: str, frames: Sequence[TelemetryFrame]) -> None:
        """Publish one message holding ``frames``; waits while too many are in flight."""
        while self.stats.pending >= self.max_pending:
            time.sleep(0.001)
        payload = encode_frames(frames, self.codec)
        topic = self.topic_template.format(device_id=device_id)
        with self.stats.lock:
            self.stats.sent += len(frames)
            self.stats.messages += 1
            self.stats.bytes += len(payload)
        info = self._client.publish(topic, payload, qos=self.qos)
        # Not connected: paho keeps QoS>0 messages and sends them after the reconnect.
        if info.rc != 0 and not (info.rc == _ERR_NO_CONN and self.qos > 0):
            self.stats.fail(len(frames), f"publish rc={info.rc}")
            return
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
                early = True
            else:
                self._inflight[info.mid] = len(frames)
                early = False
        if early:
            self.stats.ack(len(frames))

    def flush(self, timeout_s: float) -> None:
        """Wait for the broker to acknowledge everything sent, up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while self.stats.pending > 0 and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        """Disconnect; frames still unacknowledged count as failed."""
        with self._lock:
            unacked = sum(self._inflight.values())
            self._inflight.clear()
        if unacked:
            self.stats.fail(unacked, "no acknowledgement")
        self._client.disconnect()
        self._client.loop_stop()


# -- HTTP -----------------------------------------------------------------------------


def load_device_keys(path: Path) -> dict[str, str]:
    """Read per-device API keys from a JSON file.

    The file is either a mapping ``{"device_id": "key", ...}`` or a list of objects with
    ``device_id`` and ``api_key`` (or ``key``) fields.

    Raises:
        ValueError: the file is not one of those shapes.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return {str(k): v for k, v in data.items()}
    if isinstance(data, list):
        keys: dict[str, str] = {}
        for item in data:
            if not isinstance(item, dict) or "device_id" not in item:
                raise ValueError(f"{path}: every list item needs device_id and api_key")
            key = item.get("api_key", item.get("key"))
            if not isinstance(key, str):
                raise ValueError(f"{path}: device {item['device_id']!r} has no api_key")
            keys[str(item["device_id"])] = key
        return keys
    raise ValueError(f"{path}: expected {{device_id: key}} or [{{device_id, api_key}}, ...]")


def _check_reachable(url: str, code: str, timeout_s: float = 3.0) -> None:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout_s):
            return
    except OSError as exc:
        raise PublisherUnavailableError(code, url, str(exc)) from exc


class HttpPublisher:
    """Post frames to the platform's HTTP ingest with httpx.

    Args:
        base_url: the platform, e.g. ``http://127.0.0.1:8000``.
        keys: device id → API key; devices not in it use ``default_key``.
        default_key: the key for every other device (None: send no Authorization).
        codec: ``msgpack`` or ``json``.
        concurrency: requests in flight at once.
        timeout_s: per request.
        retries: attempts after a 429/503 or a connection error.

    Raises:
        PublisherUnavailableError: nothing listens at ``base_url``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        keys: Mapping[str, str] | None = None,
        default_key: str | None = None,
        codec: str = "msgpack",
        concurrency: int = 4,
        timeout_s: float = 10.0,
        retries: int = 3,
    ) -> None:
        import httpx

        self._httpx = httpx
        self.base_url = base_url.rstrip("/")
        _check_reachable(self.base_url, "TWIN_SIM_HTTP_UNAVAILABLE")
        self.stats = PublishStats()
        self.codec = codec
        self.keys = dict(keys or {})
        self.default_key = default_key
        self.retries = retries
        self._client = httpx.Client(
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="cadml-sim-http")
        self._slots = threading.BoundedSemaphore(concurrency * 4)
        self._futures: set[Future[None]] = set()
        self._futures_lock = threading.Lock()

    def send(self, device_id: str, frames: Sequence[TelemetryFrame]) -> None:
        """Queue one POST holding ``frames``; waits while the pool is full."""
        payload = encode_frames(frames, self.codec)
        with self.stats.lock:
            self.stats.sent += len(frames)
            self.stats.messages += 1
            self.stats.bytes += len(payload)
        self._slots.acquire()
        future = self._pool.submit(self._post, device_id, payload, len(frames))
        with self._futures_lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        self._slots.release()
        with self._futures_lock:
            self._futures.discard(future)

    def _post(self, device_id: str, payload: bytes, count: int) -> None:
        headers = {"Content-Type": CONTENT_TYPES[self.codec]}
        key = self.keys.get(device_id, self.default_key)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = f"{self.base_url}/api/v1/twin/{device_id}/telemetry"
        for attempt in range(self.retries + 1):
            try:
                response = self._client.post(url, content=payload, headers=headers)
            except self._httpx.TransportError as exc:
                if attempt < self.retries:
                    time.sleep(min(0.2 * 2**attempt, 5.0))
                    continue
                self.stats.fail(count, type(exc).__name__)
                return
            if response.is_success:
                self.stats.ack(count)
                return
            if response.status_code in (429, 503) and attempt < self.retries:
                time.sleep(_retry_after(response.headers.get("retry-after"), attempt))
                continue
            self.stats.fail(count, f"HTTP {response.status_code} {_error_code(response)}".strip())
            return

    def flush(self, timeout_s: float) -> None:
        """Wait for every queued POST to finish, up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._futures_lock:
                if not self._futures:
                    return
            time.sleep(0.01)

    def close(self) -> None:
        """Stop the pool (queued POSTs are cancelled and count as failed) and the client."""
        with self._futures_lock:
            futures = list(self._futures)
        for future in futures:
            future.cancel()
        self._pool.shutdown(wait=True)
        if self.stats.pending > 0:
            self.stats.fail(self.stats.pending, "cancelled")
        self._client.close()


def _retry_after(header: str | None, attempt: int) -> float:
    try:
        return min(max(float(header or ""), 0.0), 5.0)
    except ValueError:
        return min(0.2 * 2**attempt, 5.0)


def _error_code(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    code = body.get("code") if isinstance(body, dict) else None
    if code is None and isinstance(body, dict) and isinstance(body.get("detail"), dict):
        code = body["detail"].get("code")
    return str(code or "")


# -- dry run --------------------------------------------------------------------------


class JsonLinesSink:
    """Write frames as JSON lines (one frame per line) to a text stream; all count as acked.

    Args:
        stream: an open text stream (the caller closes it).
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stats = PublishStats()
        self._stream = stream

    def send(self, device_id: str, frames: Sequence[TelemetryFrame]) -> None:
        """Write ``frames``, one line each."""
        lines = "".join(
            json.dumps(f.to_dict(), separators=(",", ":"), allow_nan=False) + "\n" for f in frames
        )
        self._stream.write(lines)
        self.stats.sent += len(frames)
        self.stats.messages += 1
        self.stats.bytes += len(lines)
        self.stats.acked += len(frames)

    def flush(self, timeout_s: float) -> None:
        """Flush the stream."""
        self._stream.flush()

    def close(self) -> None:
        """Flush the stream (it stays open)."""
        self._stream.flush()
