"""The edge SDK talking to a real ``cadml serve``: HTTP uplink with a device key, and MQTT
through Mosquitto (the server ingests when CADML_MQTT_URL is set), then the CLI and the
query API see every frame exactly once."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from live_server import CADML, live_server
from polling import wait_for

MQTT_URL = os.environ.get("CADML_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")

pytestmark = pytest.mark.slow
uplink = pytest.importorskip("cad_ml_edge.uplink")
wire = pytest.importorskip("cad_ml_edge.wire")


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [*CADML, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def server(tmp_path: Path, free_tcp_port, mosquitto_url: str):
    port = free_tcp_port()
    prefix = f"e2e-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "CADML_DATA_DIR": str(tmp_path / "var"),
        "CADML_PORT": str(port),
        "CADML_WORKERS": "1",
        "CADML_MQTT_URL": mosquitto_url,
        "CADML_MQTT_TOPIC": f"{prefix}/telemetry/+",
        "CADML_MQTT_CLIENT_ID": f"{prefix}-ingest",
    }
    keys = tmp_path / "keys.json"
    _run(
        [
            "twin",
            "devices",
            "register",
            "--count",
            "2",
            "--prefix",
            "edge-",
            "--type",
            "gw",
            "--keys-out",
            str(keys),
        ],
        env,
    )
    reader = _run(
        ["admin", "create-api-key", "--name", "e2e", "--scopes", "twin:read"], env
    ).strip()
    with live_server(env, tmp_path / "server.log", port, reader) as client:
        yield client, env, json.loads(keys.read_text()), prefix, port


def _frames(device: str, n: int, t0: float) -> list:
    return [
        wire.TelemetryFrame(t0 + i * 0.5, device, {"temperature": 40.0 + i}, {"cycle": float(i)})
        for i in range(n)
    ]


def test_edge_sdk_over_http_and_mqtt_lands_exactly_once(server) -> None:
    client, env, keys, prefix, port = server
    t0 = time.time() - 600
    http = uplink.HttpUplink(
        f"http://127.0.0.1:{port}", device_id="edge-001", api_key=keys["edge-001"]
    )
    batch = wire.encode_frames(_frames("edge-001", 200, t0))
    assert http.send(batch).accepted
    assert http.send(batch).accepted  # a retry after a lost answer: stored once
    http.close()
    host, _, mport = env["CADML_MQTT_URL"].removeprefix("mqtt://").partition(":")
    mqtt = uplink.MqttUplink(
        host=host,
        port=int(mport or 1883),
        device_id="edge-002",
        topic=f"{prefix}/telemetry/{{device_id}}",
    )
    frames = _frames("edge-002", 300, t0)
    for start in range(0, 300, 50):
        assert mqtt.send(wire.encode_frames(frames[start : start + 50])).accepted
    mqtt.close()

    def count(device: str) -> int:
        seen = 0
        cursor = None
        while True:
            params = {"device_id": device, "limit": 1000}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/twin/history", params=params).json()
            seen += page["count"]
            cursor = page["next_cursor"]
            if not cursor:
                return seen

    wait_for(lambda: count("edge-002") == 300, timeout_s=60)
    assert count("edge-001") == 200
    assert count("edge-002") == 300
    state = client.get("/api/v1/twin/edge-002/state").json()
    assert state["fields"]["sensors.temperature"]["value"] == 40.0 + 299
    out = _run(["twin", "history", "edge-002", "--limit", "3", "--fields", "temperature"], env)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["sensors"]["temperature"] for line in lines] == [339.0, 338.0, 337.0]
    assert all(line["metrics"] == {} for line in lines)
