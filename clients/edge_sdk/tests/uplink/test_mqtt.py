"""MqttUplink against the real Mosquitto on 127.0.0.1:1883, directly and through a
fault-injecting TCP proxy; a paho subscriber checks every message arrives."""

from __future__ import annotations

import gc
import socket
import ssl
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt import client as mqtt

from cad_ml_edge.errors import ConfigError, UplinkError
from cad_ml_edge.uplink.base import SendResult, Uplink
from cad_ml_edge.uplink.mqtt import MqttUplink
from cad_ml_edge.wire import TelemetryFrame, decode_frames, encode_frames

TcpProxy = sys.modules["edge_test_tcp_proxy"].TcpProxy  # loaded by conftest.py

pytestmark = pytest.mark.mqtt


class Subscriber:
    """A QoS 1 subscriber on the real broker, collecting payloads in arrival order."""

    def __init__(self, topic: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:8]}"
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        assert subscribed.wait(5), "no SUBACK"

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        with self._cond:
            self.messages.append((msg.topic, msg.payload))
            self._cond.notify_all()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[bytes]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.messages) >= n, timeout)
            return [payload for _, payload in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def subscriber(device_id: str) -> Iterator[Subscriber]:
    sub = Subscriber(f"twin/telemetry/{device_id}")
    yield sub
    sub.close()


@pytest.fixture
def proxy() -> Iterator[Any]:
    with TcpProxy() as p:
        yield p


def payload(i: int, device: str) -> bytes:
    return encode_frames([TelemetryFrame(float(i), device, {"seq": float(i)})])


def test_every_message_arrives_in_order_after_its_puback(
    device_id: str, subscriber: Subscriber
) -> None:
    up = MqttUplink(device_id=device_id, timeout_s=5)
    assert isinstance(up, Uplink)
    assert up.topic == f"twin/telemetry/{device_id}"
    assert up.client_id == f"cad-ml-edge-{device_id}"
    sent = [payload(i, device_id) for i in range(100)]
    for body in sent:
        assert up.send(body) == SendResult(accepted=True, status=0)
    up.close()
    up.close()
    assert up.send(payload(100, device_id)).accepted  # reconnects after close()
    up.close()
    got = subscriber.wait_for(101)
    assert got == [*sent, payload(100, device_id)]
    assert {topic for topic, _ in subscriber.messages} == {f"twin/telemetry/{device_id}"}
    assert decode_frames(got[7])[0].sensors == {"seq": 7.0}


def test_topic_template_client_id_and_credentials(device_id: str) -> None:
    sub = Subscriber(f"plant/{device_id}/up")
    try:
        up = MqttUplink(
            "127.0.0.1",
            1883,
            device_id=device_id,
            topic="plant/{device_id}/up",
            client_id=f"gw-{device_id}",
            username="gateway",
            password="secret",
            timeout_s=5,
        )
        assert up.send(b"\x90").accepted
        up.close()
        assert sub.wait_for(1) == [b"\x90"]
    finally:
        sub.close()


def test_broker_unreachable(device_id: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    up = MqttUplink(port=port, device_id=device_id, timeout_s=1)
    with pytest.raises(UplinkError) as info:
        up.send(b"\x90")
    assert info.value.code == "EDGE_UPLINK_FAILED"
    assert "ConnectionRefusedError" in info.value.message()
    up.close()


def test_no_connack_then_recovery(device_id: str, proxy: Any, subscriber: Subscriber) -> None:
    proxy.mode = "blackhole"
    up = MqttUplink(port=proxy.port, device_id=device_id, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(UplinkError) as info:
        up.send(payload(1, device_id))
    assert "no CONNACK" in info.value.message()
    assert time.monotonic() - started < 2
    proxy.mode = "pass"
    up.timeout_s = 5
    assert up.send(payload(2, device_id)).accepted
    up.close()
    assert payload(2, device_id) in subscriber.wait_for(1)


def test_broker_refuses_the_connection(device_id: str, proxy: Any) -> None:
    proxy.mode = "refuse"
    up = MqttUplink(port=proxy.port, device_id=device_id, timeout_s=5)
    started = time.monotonic()
    with pytest.raises(UplinkError) as info:
        up.send(b"\x90")
    assert "refused the connection" in info.value.message()
    assert "Not authorized" in info.value.message()
    assert time.monotonic() - started < 2  # answered, not timed out
    up.close()


def test_no_puback_in_time_then_a_new_connection(
    device_id: str, proxy: Any, subscriber: Subscriber
) -> None:
    up = MqttUplink(port=proxy.port, device_id=device_id, timeout_s=5)
    assert up.send(payload(1, device_id)).accepted
    proxy.mode = "swallow"  # the broker never sees the next PUBLISH
    up.timeout_s = 0.4
    with pytest.raises(UplinkError) as info:
        up.send(payload(2, device_id))
    assert "no PUBACK within 0.4 s" in info.value.message()
    proxy.mode = "pass"
    up.timeout_s = 5
    assert up.send(payload(3, device_id)).accepted  # on a new connection
    up.close()
    # The unconfirmed message never reached the broker; resending it is the forwarder's job.
    assert subscriber.wait_for(2) == [payload(1, device_id), payload(3, device_id)]
    assert proxy.accepted == 2


def test_connection_lost_before_the_puback(device_id: str, proxy: Any) -> None:
    up = MqttUplink(port=proxy.port, device_id=device_id, timeout_s=10)
    assert up.send(payload(1, device_id)).accepted
    proxy.mode = "swallow"
    threading.Timer(0.3, proxy.kill).start()
    started = time.monotonic()
    with pytest.raises(UplinkError) as info:
        up.send(payload(2, device_id))
    assert "disconnected" in info.value.message()
    assert time.monotonic() - started < 3
    proxy.mode = "pass"
    assert up.send(payload(3, device_id)).accepted
    up.close()


class SlowToNotice(MqttUplink):
    """Delays the disconnect callback: paho has closed its socket, the uplink does not
    know yet (the window in which a publish fails with MQTT_ERR_NO_CONN)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entered = threading.Event()
        self.release = threading.Event()

    def _on_disconnect(self, *args: Any) -> None:
        self.entered.set()
        self.release.wait(10)
        super()._on_disconnect(*args)


def test_publish_while_the_connection_is_dropping(device_id: str, proxy: Any) -> None:
    up = SlowToNotice(port=proxy.port, device_id=device_id, timeout_s=5)
    assert up.send(payload(1, device_id)).accepted
    proxy.kill()
    assert up.entered.wait(5)
    try:
        with pytest.raises(UplinkError) as info:
            up.send(payload(2, device_id))
        assert "publish failed" in info.value.message().lower()
    finally:
        up.release.set()
    assert up.send(payload(3, device_id)).accepted
    up.close()


def test_mutual_tls_through_a_tls_terminating_proxy(
    device_id: str, certs: dict[str, Path], server_tls: ssl.SSLContext, subscriber: Subscriber
) -> None:
    with TcpProxy(tls=server_tls) as tls_proxy:
        up = MqttUplink(
            port=tls_proxy.port,
            device_id=device_id,
            ca_file=str(certs["ca"]),
            cert_file=str(certs["client"]),
            key_file=str(certs["client_key"]),
            timeout_s=5,
        )
        assert up.send(payload(1, device_id)).accepted
        up.close()
        server_auth_only = MqttUplink(
            port=tls_proxy.port, device_id=device_id, ca_file=str(certs["ca"]), timeout_s=5
        )
        assert server_auth_only.send(payload(2, device_id)).accepted
        server_auth_only.close()
        # Without the CA the broker's certificate is not trusted.
        plain_ca = MqttUplink(
            port=tls_proxy.port,
            device_id=device_id,
            cert_file=str(certs["client"]),
            key_file=str(certs["client_key"]),
            timeout_s=5,
        )
        with warnings.catch_warnings():
            # paho-mqtt 2.2 does not close the socket of a failed TLS handshake; it is
            # closed when collected, with a ResourceWarning.
            warnings.simplefilter("ignore", ResourceWarning)
            with pytest.raises(UplinkError) as info:
                plain_ca.send(b"\x90")
            message = info.value.message()
            del info
            gc.collect()
        assert "CERTIFICATE_VERIFY_FAILED" in message
        plain_ca.close()
    assert subscriber.wait_for(2) == [payload(1, device_id), payload(2, device_id)]


def test_missing_paho_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("paho", "paho.mqtt", "paho.mqtt.client"):
        monkeypatch.setitem(sys.modules, name, None)
    up = MqttUplink(device_id="d")
    with pytest.raises(ConfigError) as info:
        up.send(b"\x90")
    assert "cad-ml-edge[mqtt]" in info.value.message()
    up.close()
