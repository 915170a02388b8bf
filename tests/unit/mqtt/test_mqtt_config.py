"""MQTT URL parsing, subscription topics and the TLS context (no broker)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from cadml.errors import ConfigurationError
from cadml.mqtt.config import MqttConfig, default_client_id, parse_mqtt_url


@pytest.mark.parametrize(
    ("url", "host", "port", "tls"),
    [
        ("mqtt://127.0.0.1", "127.0.0.1", 1883, False),
        ("mqtt://broker:1884", "broker", 1884, False),
        ("mqtts://broker", "broker", 8883, True),
        ("MQTTS://broker:9999/", "broker", 9999, True),
        ("tcp://b", "b", 1883, False),
    ],
)
def test_urls(url: str, host: str, port: int, tls: bool) -> None:
    c = parse_mqtt_url(url)
    assert (c.host, c.port, c.tls) == (host, port, tls)
    assert c.url == f"{'mqtts' if tls else 'mqtt'}://{host}:{port}"


def test_credentials_in_the_url_are_unquoted_and_kept_out_of_url() -> None:
    c = parse_mqtt_url("mqtt://ing%40est:p%2Fw@h:1")
    assert (c.username, c.password) == ("ing@est", "p/w")
    assert "p/w" not in c.url


@pytest.mark.parametrize(
    "url", ["http://h", "mqtt://", "mqtt://h:99999", "mqtt://h/topic", "mqtt://h?x=1", "h:1883"]
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_mqtt_url(url)
    assert info.value.code == "TWIN_MQTT_INVALID_URL"
    assert info.value.message("tr")  # both languages render


def test_subscription_and_device_from_topic() -> None:
    assert MqttConfig().subscription == "twin/telemetry/+"
    shared = MqttConfig(share_group="ingest", topic="plant/+/tele/+")
    assert shared.subscription == "$share/ingest/plant/+/tele/+"
    assert shared.device_from_topic("plant/a/tele/robot-7") == "robot-7"


@pytest.mark.parametrize(
    "changes",
    [
        {"topic": "$share/g/twin/+"},
        {"topic": "twin/#/x"},
        {"topic": ""},
        {"share_group": "a/b"},
        {"share_group": ""},
        {"cert_file": Path("c.pem")},
        {"protocol": 3},
        {"receive_maximum": 0},
    ],
)
def test_invalid_options(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        MqttConfig(**changes)  # type: ignore[arg-type]


def test_from_settings_takes_the_mqtt_settings() -> None:
    settings = SimpleNamespace(
        mqtt_url="mqtts://b:8884",
        mqtt_username="u",
        mqtt_password="p",
        mqtt_ca_file=None,
        mqtt_cert_file=None,
        mqtt_key_file=None,
        mqtt_topic="twin/telemetry/+",
        mqtt_share_group="g",
        mqtt_client_id="ingest-a",
    )
    c = MqttConfig.from_settings(settings)
    assert (c.host, c.port, c.tls, c.username, c.password) == ("b", 8884, True, "u", "p")
    assert (c.subscription, c.session_client_id) == ("$share/g/twin/telemetry/+", "ingest-a")


def test_from_settings_without_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="CADML_MQTT_URL"):
        MqttConfig.from_settings(SimpleNamespace(mqtt_url=None))


def test_default_client_id_is_stable() -> None:
    assert default_client_id() == default_client_id()
    assert MqttConfig().session_client_id == default_client_id()
    assert len(default_client_id()) <= 64


def test_plain_tcp_has_no_tls_context() -> None:
    assert MqttConfig().tls_context() is None


def test_tls_context_with_system_cas_verifies_the_host() -> None:
    context = MqttConfig(tls=True).tls_context()
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_tls_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        MqttConfig(tls=True, ca_file=tmp_path / "nope.pem").tls_context()
    assert info.value.code == "TWIN_MQTT_TLS_INVALID"


def test_tls_garbage_ca_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigurationError, match="TWIN_MQTT_TLS_INVALID"):
        MqttConfig(tls=True, ca_file=bad).tls_context()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_context_loads_ca_and_client_certificate(tmp_path: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "1", "-subj", "/CN=t"],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    cfg = MqttConfig(
        tls=True,
        insecure=True,
        ca_file=tmp_path / "c.pem",
        cert_file=tmp_path / "c.pem",
        key_file=tmp_path / "k.pem",
    )
    context = cfg.tls_context()
    assert context is not None and not context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 1
