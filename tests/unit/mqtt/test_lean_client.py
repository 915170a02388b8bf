"""The lean client against a scripted fake broker on 127.0.0.1 (no Mosquitto needed)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from cadml.errors import ServiceUnavailableError
from cadml.mqtt import packets as pk
from cadml.mqtt.config import MqttConfig
from cadml.mqtt.lean_client import LeanClient

from .test_packets import publish

CONNACK_OK = b"\x20\x03\x00\x00\x00"


def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class FakeBroker:
    """Accepts connections; each is handled by ``script(conn, reader)`` in a thread."""

    def __init__(self, script: Callable[[socket.socket, FakeBroker], None]) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.script = script
        self.received: list[tuple[int, bytes]] = []
        self.connections = 0
        self.conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            self.conns.append(conn)
            threading.Thread(target=self.script, args=(conn, self), daemon=True).start()

    def read_packet(self, conn: socket.socket, buf: bytearray) -> tuple[int, bytes]:
        """The next packet the client sent (kept in ``received``)."""
        while (packet := pk.packet_at(bytes(buf))) is None:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("client closed")
            buf += chunk
        first, body, end = packet
        del buf[:end]
        self.received.append((first, body))
        return first, body

    def close(self) -> None:
        self.server.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def brokers() -> Iterator[list[FakeBroker]]:
    made: list[FakeBroker] = []
    yield made
    for b in made:
        b.close()


def handshake(broker: FakeBroker, conn: socket.socket, buf: bytearray, extra: bytes = b"") -> None:
    first, body = broker.read_packet(conn, buf)
    assert first == 0x10
    conn.sendall(CONNACK_OK + extra)
    first, body = broker.read_packet(conn, buf)
    assert first == 0x82
    conn.sendall(b"\x90\x04" + body[:2] + b"\x00\x01")  # SUBACK, granted QoS 1


def test_publishes_after_connack_in_the_same_read_fragments_and_batched_acks(
    brokers: list[FakeBroker],
) -> None:
    stream = b"".join(
        publish(f"twin/telemetry/d{i}".encode(), b"p" * i, pid=i) for i in range(1, 61)
    )
    acks_seen: list[int] = []

    def script(conn: socket.socket, broker: FakeBroker) -> None:
        buf = bytearray()
        # a queued session message arrives in the same write as the CONNACK
        handshake(broker, conn, buf, extra=publish(b"twin/telemetry/d0", b"first", pid=100))
        for i in range(0, len(stream), 7):  # 7-byte fragments: packets cut anywhere
            conn.sendall(stream[i : i + 7])
            time.sleep(0.0005)
        while len(acks_seen) < 61:
            first, body = broker.read_packet(conn, buf)
            if first == 0x40:
                acks_seen.append(int.from_bytes(body[:2], "big"))

    broker = FakeBroker(script)
    brokers.append(broker)
    got: list[pk.Publish] = []
    ready: list[int] = []
    lock = threading.Lock()
    connects: list[int] = []

    def on_messages(batch: list[pk.Publish]) -> None:
        with lock:
            got.extend(batch)
            ready.extend(p[2] for p in batch)

    def take_acks() -> list[int]:
        with lock:
            out = ready[:]
            ready.clear()
            return out

    client = LeanClient(
        MqttConfig(port=broker.port, client_id="lean-unit"),
        on_messages=on_messages,
        take_acks=take_acks,
        on_connect=lambda: connects.append(1),
        read_bytes=16,
    )
    client.start(timeout_s=10)
    try:
        assert wait_for(lambda: len(acks_seen) == 61)
    finally:
        client.stop()
    assert got[0] == (b"twin/telemetry/d0", b"first", 100, False)
    assert [(t, p, m) for t, p, m, _ in got[1:]] == [
        (f"twin/telemetry/d{i}".encode(), b"p" * i, i) for i in range(1, 61)
    ]
    assert acks_seen == [100, *range(1, 61)]
    assert connects == [1]
    connect = broker.received[0][1]
    assert b"lean-unit" in connect and connect[6] == 5  # MQTT 5
    assert broker.received[1][1].endswith(b"twin/telemetry/+\x01")


def test_a_refused_connack_is_twin_mqtt_refused(brokers: list[FakeBroker]) -> None:
    def script(conn: socket.socket, broker: FakeBroker) -> None:
        broker.read_packet(conn, bytearray())
        conn.sendall(b"\x20\x03\x00\x86\x00")  # bad user name or password

    broker = FakeBroker(script)
    brokers.append(broker)
    client = LeanClient(
        MqttConfig(port=broker.port, username="u", password="wrong"),
        on_messages=lambda batch: None,
        take_acks=list,
    )
    with pytest.raises(ServiceUnavailableError) as info:
        client.start(timeout_s=10)
    assert info.value.code == "TWIN_MQTT_REFUSED"
    assert "bad user name or password" in str(info.value.details)


def test_a_refused_subscription_is_twin_mqtt_refused(brokers: list[FakeBroker]) -> None:
    def script(conn: socket.socket, broker: FakeBroker) -> None:
        buf = bytearray()
        broker.read_packet(conn, buf)
        conn.sendall(CONNACK_OK)
        _, body = broker.read_packet(conn, buf)
        conn.sendall(b"\x90\x04" + body[:2] + b"\x00\x87")  # not authorized
        time.sleep(1)

    broker = FakeBroker(script)
    brokers.append(broker)
    client = LeanClient(MqttConfig(port=broker.port), on_messages=lambda b: None, take_acks=list)
    with pytest.raises(ServiceUnavailableError) as info:
        client.start(timeout_s=10)
    assert info.value.code == "TWIN_MQTT_REFUSED"


def test_nobody_listening_is_twin_mqtt_unavailable(free_tcp_port) -> None:  # type: ignore[no-untyped-def]
    client = LeanClient(
        MqttConfig(port=free_tcp_port()), on_messages=lambda b: None, take_acks=list
    )
    with pytest.raises(ServiceUnavailableError) as info:
        client.start(timeout_s=5)
    assert info.value.code == "TWIN_MQTT_UNAVAILABLE"


def test_a_lost_connection_reconnects_and_resubscribes(brokers: list[FakeBroker]) -> None:
    def script(conn: socket.socket, broker: FakeBroker) -> None:
        buf = bytearray()
        handshake(broker, conn, buf)
        n = broker.connections
        conn.sendall(publish(b"t/x", f"m{n}".encode(), pid=n))
        if n == 1:
            conn.close()  # the broker goes away after one message
            return
        while True:
            try:
                broker.read_packet(conn, buf)
            except (ConnectionError, OSError):
                return

    broker = FakeBroker(script)
    brokers.append(broker)
    got: list[bytes] = []
    events: list[str] = []
    client = LeanClient(
        MqttConfig(port=broker.port, keepalive_s=2),
        on_messages=lambda batch: got.extend(p[1] for p in batch),
        take_acks=list,
        on_connect=lambda: events.append("connect"),
        on_disconnect=lambda reason: events.append("lost"),
        reconnect_min_s=0.01,
        reconnect_max_s=0.05,
    )
    client.start(timeout_s=10)
    try:
        assert wait_for(lambda: got == [b"m1", b"m2"])
        # keepalive 2 s: a PINGREQ goes out after about 1 s of silence
        assert wait_for(lambda: any(f == 0xC0 for f, _ in broker.received))
    finally:
        client.stop()
    assert events == ["connect", "lost", "connect"]
    assert [f for f, _ in broker.received].count(0x82) == 2  # subscribed on both connections
    assert client.connects == 2


def test_service_sends_acks_and_pings_while_on_messages_blocks(
    brokers: list[FakeBroker],
) -> None:
    """Backpressure: the network thread blocks in on_messages, but calls service()."""

    def script(conn: socket.socket, broker: FakeBroker) -> None:
        buf = bytearray()
        handshake(broker, conn, buf)
        conn.sendall(publish(b"t/a", b"1", pid=1) + publish(b"t/b", b"2", pid=2))
        while True:
            try:
                first, _ = broker.read_packet(conn, buf)
            except (ConnectionError, OSError):
                return
            if first == 0xC0:
                conn.sendall(b"\xd0\x00")  # PINGRESP

    broker = FakeBroker(script)
    brokers.append(broker)
    release = threading.Event()
    ready: list[int] = []
    client: LeanClient

    def on_messages(batch: list[pk.Publish]) -> None:
        ready.extend(p[2] for p in batch)  # "committed" at once
        while not release.wait(0.05):  # ... but the queue stays full: blocked
            client.service()

    def take_acks() -> list[int]:
        out = ready[:]
        ready.clear()
        return out

    client = LeanClient(
        MqttConfig(port=broker.port, keepalive_s=2), on_messages=on_messages, take_acks=take_acks
    )
    client.start(timeout_s=10)
    try:
        # while blocked: the acks went out, and a PINGREQ after ~1 s of silence
        assert wait_for(lambda: [f for f, _ in broker.received].count(0x40) == 2, 10)
        assert wait_for(lambda: any(f == 0xC0 for f, _ in broker.received), 10)
        assert client.connected
    finally:
        release.set()
        client.stop()
