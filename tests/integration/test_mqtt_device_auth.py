"""Per-device MQTT credentials: the registry renders Mosquitto's password and ACL files, and a
real broker then lets each device publish only to its own topic, with only its password."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from polling import wait_for

from cadml.cli.main import cli
from cadml.runtime import build_runtime
from cadml.settings import get_settings


def _need_mosquitto() -> str:
    path = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(path).exists():
        if os.environ.get("CADML_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail("the mosquitto binary is not installed")
        pytest.skip("the mosquitto binary is not installed")
    return path


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CADML_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CADML_WORKERS", "1")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _client(port: int, user: str, password: str, name: str) -> tuple[mqtt.Client, int]:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name)
    client.username_pw_set(user, password)
    result: list[int] = []
    client.on_connect = lambda c, u, f, rc, p: result.append(rc.value)
    client.connect("127.0.0.1", port)
    client.loop_start()
    wait_for(lambda: bool(result), timeout_s=10)
    return client, result[0]


def test_devices_publish_only_to_their_own_topic_with_their_own_password(
    registry: Path, free_tcp_port
) -> None:  # type: ignore[no-untyped-def]
    binary = _need_mosquitto()
    runtime = build_runtime(get_settings())
    try:
        a = runtime.twin_devices.register("press-1", type="press", mqtt_username="press-1-mq")
        b = runtime.twin_devices.register("press-2", type="press", mqtt_username="press-2-mq")
    finally:
        runtime.stop()
    assert a.mqtt_password and b.mqtt_password and a.mqtt_password != b.mqtt_password
    passwd, acl = registry / "cadml.passwd", registry / "cadml.acl"
    env = {"CADML_MQTT_PASSWORD": "ingest-secret"}
    result = CliRunner().invoke(
        cli,
        [
            "twin",
            "mosquitto-auth",
            "--passwd",
            str(passwd),
            "--acl",
            str(acl),
            "--ingest-user",
            "ingest",
        ],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert passwd.stat().st_mode & 0o777 == 0o600
    assert "press-1-mq:$7$" in passwd.read_text()

    port = free_tcp_port()
    conf = registry / "mosquitto.conf"
    lines = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {passwd}",
        f"acl_file {acl}",
    ]
    if os.geteuid() == 0:
        lines.append("user root")
    conf.write_text("\n".join(lines) + "\n")
    broker = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    clients: list[mqtt.Client] = []
    try:
        wait_for(lambda: _port_open(port), timeout_s=20)
        got: list[str] = []
        lock = threading.Lock()
        reader, rc = _client(port, "ingest", "ingest-secret", "reader")
        clients.append(reader)
        assert rc == 0

        def on_message(c, u, message) -> None:  # type: ignore[no-untyped-def]
            with lock:
                got.append(f"{message.topic}={message.payload.decode()}")

        reader.on_message = on_message
        reader.subscribe("twin/telemetry/#", qos=1)
        time.sleep(0.3)

        dev, rc = _client(port, "press-1-mq", a.mqtt_password, "press-1")
        clients.append(dev)
        assert rc == 0
        dev.publish("twin/telemetry/press-1", b"mine", qos=1).wait_for_publish(10)
        dev.publish("twin/telemetry/press-2", b"forged", qos=1).wait_for_publish(10)
        dev.publish("twin/telemetry/press-1", b"mine-again", qos=1).wait_for_publish(10)
        wait_for(lambda: len(got) >= 2, timeout_s=10)
        time.sleep(0.3)
        assert got == ["twin/telemetry/press-1=mine", "twin/telemetry/press-1=mine-again"]

        wrong, rc = _client(port, "press-2-mq", a.mqtt_password, "press-2-wrong")
        clients.append(wrong)
        assert rc != 0  # another device's password is refused

        # rotate press-2's password, re-render, reload: the old one stops working
        runtime = build_runtime(get_settings())
        try:
            new = runtime.twin_devices.rotate_mqtt_password("press-2")
        finally:
            runtime.stop()
        CliRunner().invoke(
            cli,
            [
                "twin",
                "mosquitto-auth",
                "--passwd",
                str(passwd),
                "--acl",
                str(acl),
                "--ingest-user",
                "ingest",
            ],
            env=env,
            catch_exceptions=False,
        )
        broker.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        old, rc_old = _client(port, "press-2-mq", b.mqtt_password, "press-2-old")
        fresh, rc_new = _client(port, "press-2-mq", new, "press-2-new")
        clients += [old, fresh]
        assert rc_old != 0 and rc_new == 0
    finally:
        for client in clients:
            client.loop_stop()
            client.disconnect()
        broker.terminate()
        broker.wait(10)
