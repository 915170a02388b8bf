"""``cadml simulate`` end to end: the real Mosquitto, a loopback HTTP server, dry runs.

The MQTT tests run the command as a subprocess (``python -m cadml simulate``) and
receive with a paho subscriber on a topic or device prefix no other test uses. They skip
when Mosquitto is not on 127.0.0.1:1883, and fail instead under
``CADML_TEST_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cadml.cli.simulate import simulate
from cadml.twin.frame import TelemetryFrame, decode_batch, frame_from_dict

BROKER = ("127.0.0.1", 1883)
START = 1_704_067_200.0


def _broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def mosquitto() -> None:
    if _broker_up():
        return
    message = "Mosquitto is not running on 127.0.0.1:1883; `make services` starts it"
    if os.environ.get("CADML_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


class Subscriber:
    """A paho QoS 1 subscriber collecting decoded frames by topic."""

    def __init__(self, topic_filter: str) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.frames: list[TelemetryFrame] = []
        self.topics: list[str] = []
        self.rejections: list[Any] = []
        self.messages = 0
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"it-sub-{secrets.token_hex(4)}"
        )
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic_filter, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(*BROKER)
        self.client.loop_start()
        assert self._subscribed.wait(10), "no SUBACK from Mosquitto"

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        batch = decode_batch(msg.payload)
        with self._lock:
            self.messages += 1
            self.topics.append(msg.topic)
            self.frames.extend(batch.frames)
            self.rejections.extend(batch.rejections)

    def wait_for(self, count: int, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.frames) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # anything beyond the expected count (duplicates) arrives too

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def prefix() -> str:
    return f"it-sim-{secrets.token_hex(4)}-"


def run_cli(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cadml", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def dry_run_frames(*args: str) -> list[TelemetryFrame]:
    result = CliRunner().invoke(simulate, ["--dry-run", "--quiet", *args])
    assert result.exit_code == 0, result.output
    return [frame_from_dict(json.loads(line)) for line in result.stdout.splitlines()]


# -- MQTT ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("mosquitto")
def test_every_frame_arrives_on_the_device_topic_and_matches_the_dry_run(prefix: str) -> None:
    args = ["--devices", "3", "--rate", "10", "--count", "40", "--seed", "9"]
    args += ["--start", str(START), "--device-prefix", prefix, "--faults", "30"]
    sub = Subscriber("twin/telemetry/+")
    try:
        result = run_cli("--mqtt", *args)
        assert result.returncode == 0, result.stderr
        sub.wait_for(120)
    finally:
        sub.close()
    mine = [f for f in sub.frames if f.device_id.startswith(prefix)]
    topics = [t for t in sub.topics if t.startswith(f"twin/telemetry/{prefix}")]
    assert len(mine) == 120 == len(topics)  # every frame, once, one per message
    assert {t.rsplit("/", 1)[1] for t in topics} == {f"{prefix}00{i}" for i in (1, 2, 3)}
    assert not sub.rejections
    key = lambda f: (f.device_id, f.timestamp)  # noqa: E731
    assert sorted(mine, key=key) == sorted(dry_run_frames(*args), key=key)
    assert "sent 120, acked 120, failed 0" in result.stderr


@pytest.mark.usefixtures("mosquitto")
def test_batches_json_custom_topic_and_real_time_pacing(prefix: str) -> None:
    topic_root = f"it-sim/{secrets.token_hex(4)}"
    sub = Subscriber(f"{topic_root}/+")
    t0 = time.time()
    try:
        result = run_cli(
            "--mqtt", "--devices", "2", "--rate", "20", "--count", "25", "--batch", "10",
            "--codec", "json", "--topic", topic_root + "/{device_id}",
            "--device-prefix", prefix, "--faults", "none",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        sub.wait_for(50)
    finally:
        sub.close()
    assert len(sub.frames) == 50 and not sub.rejections
    assert sub.messages == 6  # 10 + 10 + 5 frames per device
    for device in (f"{prefix}001", f"{prefix}002"):
        stamps = sorted(f.timestamp for f in sub.frames if f.device_id == device)
        start = stamps[0]
        assert t0 - 1 <= start <= time.time()  # --start now
        assert stamps == [start + k / 20 for k in range(25)]  # exact rate, no drift
    assert "QoS 1" in result.stderr and "sent 50, acked 50, failed 0" in result.stderr


def test_unreachable_broker_is_a_clear_error_with_exit_2() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket closes
    result = run_cli("--mqtt", "--mqtt-url", f"mqtt://127.0.0.1:{port}", "--count", "1")
    assert result.returncode == 2
    assert "TWIN_MQTT_UNAVAILABLE" in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr


# -- HTTP (a loopback server standing in for the platform's ingest route) -------------------


class _Ingest(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, bytes]]
    busy_once: set[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        auth = self.headers.get("Authorization", "")
        self.requests.append((self.path, auth, body))
        if auth == "Bearer bad":
            self._reply(401, {"code": "AUTH_INVALID_TOKEN"})
        elif self.path not in self.busy_once:
            self.busy_once.add(self.path)  # the first POST per device meets backpressure
            self._reply(503, {"code": "TWIN_INGEST_OVERLOADED"}, retry_after="0")
        else:
            self._reply(202, {"accepted": len(decode_batch(body).frames)})

    def _reply(self, status: int, body: dict[str, Any], retry_after: str | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def ingest_server() -> Iterator[tuple[str, type[_Ingest]]]:
    handler = type("Handler", (_Ingest,), {"requests": [], "busy_once": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_http_posts_per_device_keys_and_retries_backpressure(
    ingest_server: tuple[str, type[_Ingest]], tmp_path: Path, prefix: str
) -> None:
    url, handler = ingest_server
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({f"{prefix}001": "k1", f"{prefix}002": "k2"}))
    result = CliRunner().invoke(
        simulate,
        ["--http", "--url", url, "--keys", str(keys), "--devices", "2", "--rate", "5",
         "--count", "12", "--batch", "4", "--device-prefix", prefix, "--start", str(START)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ok = [r for r in handler.requests if r[1]]
    by_device: dict[str, list[TelemetryFrame]] = {}
    for path, auth, body in ok:
        device = path.split("/")[4]
        assert path == f"/api/v1/twin/{device}/telemetry"
        assert auth == {f"{prefix}001": "Bearer k1", f"{prefix}002": "Bearer k2"}[device]
        assert decode_batch(body, device_id=device).rejections == []
        by_device.setdefault(device, []).extend(decode_batch(body).frames)
    assert len(handler.requests) == 2 * 3 + 2  # 3 batches per device + one retried 503 each
    for frames in by_device.values():
        # the retried batch arrives twice; its frames are identical (idempotent ingest)
        assert len({f.timestamp for f in frames}) == 12
    assert "sent 24, acked 24, failed 0" in result.stderr


def test_http_rejections_count_as_failed_and_exit_1(
    ingest_server: tuple[str, type[_Ingest]], prefix: str
) -> None:
    url, _ = ingest_server
    result = CliRunner().invoke(
        simulate,
        ["--http", "--url", url, "--api-key", "bad", "--count", "3", "--rate", "100",
         "--device-prefix", prefix, "--start", str(START)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "failed 3" in result.stderr
    assert "HTTP 401 AUTH_INVALID_TOKEN" in result.stderr


def test_http_without_a_key_for_every_device_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(simulate, ["--http", "--devices", "2", "--count", "1"])
    assert result.exit_code == 2
    assert "no API key" in result.output


# -- dry run -------------------------------------------------------------------------------


def test_dry_run_writes_deterministic_json_lines_and_labels(tmp_path: Path) -> None:
    out, labels = tmp_path / "frames.jsonl", tmp_path / "labels.jsonl"
    args = ["--dry-run", "--devices", "2", "--rate", "2", "--duration", "2h", "--faults", "3",
            "--seed", "4", "--start", "2024-01-01T00:00:00"]  # fmt: skip
    result = CliRunner().invoke(simulate, [*args, "--out", str(out), "--labels", str(labels)])
    assert result.exit_code == 0, result.output
    frames = [frame_from_dict(json.loads(line)) for line in out.read_text().splitlines()]
    assert len(frames) == 2 * 2 * 7200
    assert frames[0].timestamp == START and frames[-1].timestamp == START + 7199.5
    windows = [json.loads(line) for line in labels.read_text().splitlines()]
    assert windows, "3 faults per device-hour over 4 device-hours gave none"
    for f in frames:
        hit = [
            w
            for w in windows
            if w["device_id"] == f.device_id and w["start"] <= f.timestamp < w["end"]
        ]
        assert f.status["fault"] == (hit[0]["kind"] if hit else None)
    assert dry_run_frames(*args[1:]) == frames  # same seed and start: same frames


def test_usage_errors() -> None:
    runner = CliRunner()
    assert runner.invoke(simulate, ["--count", "1"]).exit_code == 2  # no transport
    assert runner.invoke(simulate, ["--mqtt", "--http"]).exit_code == 2
    assert runner.invoke(simulate, ["--dry-run"]).exit_code == 2  # endless without real time
    bad_topic = runner.invoke(simulate, ["--dry-run", "--count", "1", "--topic", "t/{x}"])
    assert bad_topic.exit_code == 2
    assert (
        runner.invoke(simulate, ["--dry-run", "--count", "1", "--faults", "often"]).exit_code == 2
    )
