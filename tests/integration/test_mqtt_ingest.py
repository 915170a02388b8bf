"""MQTT ingest against a real Mosquitto on 127.0.0.1 (a private broker per test).

Every test runs with both MQTT clients (``client``: the lean built-in one and paho).
Nothing here asserts a duration: the tests wait (generously) for counts, then assert
counts, sets of timestamps and exit codes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mqtt_broker import MosquittoProcess, make_certificates, mosquitto_binary, wait_for
from mqtt_publisher import expected_timestamps, publish_frames

from cadml.errors import ServiceUnavailableError
from cadml.mqtt.config import MqttConfig
from cadml.mqtt.ingestor import MqttIngestor
from cadml.timeseries.port import Cursor
from cadml.timeseries.sqlite import SqliteTimeSeriesStore
from cadml.twin.frame import TimeRule, event_key
from cadml.twin.pipeline import IngestPipeline

REQUIRE = os.environ.get("CADML_TEST_REQUIRE_SERVICES") == "1"
HERE = Path(__file__).parent
REPO = HERE.parent.parent
BASE_TS = 1_700_000_000.0


def _need_mosquitto() -> None:
    if mosquitto_binary() is None:
        message = "the mosquitto binary is not installed (apt-get install mosquitto)"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["lean", "paho"])
def client(request: pytest.FixtureRequest) -> str:
    """The MQTT client implementation under test."""
    return str(request.param)


@pytest.fixture
def broker(tmp_path: Path, free_tcp_port) -> Iterator[MosquittoProcess]:  # type: ignore[no-untyped-def]
    """A private Mosquitto with persistence, stopped after the test."""
    _need_mosquitto()
    workdir = tmp_path / "broker"
    workdir.mkdir()
    b = MosquittoProcess(workdir, free_tcp_port())
    b.start()
    yield b
    b.stop()


def _pipeline(path: Path) -> tuple[IngestPipeline, SqliteTimeSeriesStore]:
    store = SqliteTimeSeriesStore(path)
    pipeline = IngestPipeline(
        store,
        max_queue_frames=20_000,
        batch_size=2_000,
        max_delay_s=0.02,
        time_rule=TimeRule(max_age_s=0),
    )
    pipeline.start()
    return pipeline, store


def _stored_timestamps(path: Path, device: str) -> list[float]:
    reader = SqliteTimeSeriesStore(path)
    stamps: list[float] = []
    try:
        before = None
        while True:
            page = reader.history(device, limit=10_000, before=before)
            stamps += [f.timestamp for f in page]
            if len(page) < 10_000:
                return stamps
            before = Cursor(page[-1].timestamp, event_key(page[-1]))
    finally:
        reader.close()


def _count(path: Path, device: str | None = None) -> int:
    if not path.exists():
        return 0
    reader = SqliteTimeSeriesStore(path)
    try:
        return reader.count(device)
    finally:
        reader.close()


class IngestProcess:
    """``python -m cadml ingest`` as a subprocess, its stderr in a file."""

    def __init__(
        self, broker: MosquittoProcess, db: Path, log: Path, client: str, *extra: str
    ) -> None:
        env = dict(os.environ)
        env.update(
            CADML_TWIN_STORE="sqlite",
            CADML_TWIN_SQLITE_PATH=str(db),
            CADML_MQTT_URL=broker.url,
            CADML_LOG_JSON="false",
            CADML_TWIN_MAX_AGE_S="0",
        )
        self.log = log
        with log.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cadml", "ingest", "--client-id", "kill-test",
                 "--client", client, *extra],
                env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err,
            )  # fmt: skip

    def wait_started(self) -> None:
        """Wait for the 'cadml ingest:' banner (connected and subscribed)."""

        def started() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"ingest exited: {self.log.read_text()}")
            return "cadml ingest:" in self.log.read_text()

        assert wait_for(started, 60), self.log.read_text()


def test_sigkill_mid_burst_loses_and_duplicates_nothing(
    broker: MosquittoProcess, tmp_path: Path, client: str
) -> None:
    db = tmp_path / "twin.db"
    n, step, device = 20_000, 0.001, "press-kill"
    first = IngestProcess(broker, db, tmp_path / "first.log", client)
    first.wait_started()
    publisher = subprocess.Popen(
        [sys.executable, str(HERE / "mqtt_publisher.py"), str(broker.port), device, str(n),
         str(BASE_TS), str(step)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert wait_for(lambda: _count(db, device) >= 2_000, 90), "nothing arrived before the kill"
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(30)
    at_kill = _count(db, device)
    second = IngestProcess(broker, db, tmp_path / "second.log", client)
    second.wait_started()
    _, err = publisher.communicate(timeout=120)
    assert publisher.returncode == 0, err
    assert wait_for(lambda: _count(db, device) >= n, 120), f"only {_count(db, device)} of {n}"
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(60) == 0, second.log.read_text()
    assert "ingest stopped:" in second.log.read_text()
    stamps = _stored_timestamps(db, device)
    assert len(stamps) == n  # exactly once
    assert set(stamps) == expected_timestamps(n, BASE_TS, step)
    assert at_kill < n, "the kill came after the burst: the test proved nothing"


def test_ingestor_reconnects_after_a_broker_restart(
    broker: MosquittoProcess, tmp_path: Path, client: str
) -> None:
    db = tmp_path / "twin.db"
    pipeline, store = _pipeline(db)
    ingestor = MqttIngestor(
        MqttConfig(port=broker.port, client_id="restart-test"),
        pipeline,
        reconnect_min_s=0.05,
        reconnect_max_s=0.5,
        client=client,
    )
    ingestor.start()
    try:
        publish_frames(broker.port, "dev-r", 200, BASE_TS, 0.01)
        assert wait_for(lambda: pipeline.counters().written >= 200, 60)
        broker.stop()
        assert wait_for(lambda: not ingestor.stats().connected, 30)
        broker.start()
        assert wait_for(lambda: ingestor.stats().connects >= 2 and ingestor.stats().connected, 60)
        publish_frames(broker.port, "dev-r", 300, BASE_TS + 100, 0.01)
        # Written, not "accounted": messages of the first burst whose PUBACK the stopped
        # broker never saw come back after the restart as duplicates.
        assert wait_for(lambda: pipeline.counters().written >= 500, 60)
    finally:
        ingestor.stop(timeout_s=10)
        pipeline.stop(timeout_s=10)
        store.close()
    stamps = _stored_timestamps(db, "dev-r")
    assert len(stamps) == 500
    assert set(stamps) == expected_timestamps(200, BASE_TS, 0.01) | expected_timestamps(
        300, BASE_TS + 100, 0.01
    )


def test_shared_subscription_splits_the_load(
    broker: MosquittoProcess, tmp_path: Path, client: str
) -> None:
    db = tmp_path / "twin.db"
    parts = []
    for name in ("a", "b"):
        pipeline, store = _pipeline(db)
        ingestor = MqttIngestor(
            MqttConfig(port=broker.port, client_id=f"shared-{name}", share_group="ingest"),
            pipeline,
            client=client,
        )
        ingestor.start()
        parts.append((ingestor, pipeline, store))
    n = 2_000
    try:
        publish_frames(broker.port, "dev-s", n, BASE_TS, 0.01)
        assert wait_for(lambda: sum(p.counters().accounted for _, p, _ in parts) >= n, 60)
    finally:
        for ingestor, pipeline, store in parts:
            ingestor.stop(timeout_s=10)
            pipeline.stop(timeout_s=10)
            store.close()
    received = [p.counters().received for _, p, _ in parts]
    assert all(r > 0 for r in received), f"one ingestor got nothing: {received}"
    assert sum(received) == n
    assert sum(p.counters().duplicates for _, p, _ in parts) == 0
    assert sorted(_stored_timestamps(db, "dev-s")) == sorted(expected_timestamps(n, BASE_TS, 0.01))


def test_bad_payloads_are_counted_and_do_not_stop_ingest(
    broker: MosquittoProcess, tmp_path: Path, client: str
) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    db = tmp_path / "twin.db"
    pipeline, store = _pipeline(db)
    ingestor = MqttIngestor(
        MqttConfig(port=broker.port, client_id="bad-test"), pipeline, client=client
    )
    ingestor.start()
    try:
        sender = mqtt.Client(CallbackAPIVersion.VERSION2)
        sender.connect("127.0.0.1", broker.port)
        sender.loop_start()
        bad = [
            ("twin/telemetry/dev-b", b"\xc1\xc1 garbage"),
            ("twin/telemetry/dev-b", b'{"timestamp": 1, "device_id": "someone-else"}'),
            ("twin/telemetry/dev-b", b'[{"timestamp": -5, "device_id": "dev-b"}]'),
            ("twin/telemetry/dev-b", b"[]"),
        ]
        infos = [sender.publish(t, p, qos=1) for t, p in bad]
        for info in infos:
            info.wait_for_publish(30)
        sender.disconnect()
        sender.loop_stop()
        publish_frames(broker.port, "dev-b", 100, BASE_TS, 0.01)
        assert wait_for(lambda: pipeline.counters().written >= 100, 60)
        assert wait_for(lambda: ingestor.stats().acked >= 104, 30)
    finally:
        ingestor.stop(timeout_s=10)
        pipeline.stop(timeout_s=10)
        store.close()
    assert pipeline.counters().rejected == {
        "TWIN_FRAME_UNDECODABLE": 1,
        "TWIN_FRAME_DEVICE_MISMATCH": 1,
        "TWIN_FRAME_INVALID": 1,
        "TWIN_FRAME_EMPTY": 1,
    }
    assert ingestor.stats().rejected_messages == 4
    assert len(_stored_timestamps(db, "dev-b")) == 100


def test_tls_with_client_certificates(tmp_path: Path, free_tcp_port, client: str) -> None:  # type: ignore[no-untyped-def]
    _need_mosquitto()
    certs = make_certificates(tmp_path)
    broker = MosquittoProcess(
        tmp_path, free_tcp_port(), tls=(certs["ca"], certs["server_cert"], certs["server_key"])
    )
    broker.start()
    db = tmp_path / "twin.db"
    pipeline, store = _pipeline(db)
    try:
        no_cert = MqttIngestor(
            MqttConfig(port=broker.port, tls=True, ca_file=certs["ca"], client_id="tls-none"),
            pipeline,
            client=client,
        )
        with pytest.raises(ServiceUnavailableError) as info:
            no_cert.start(connect_timeout_s=10)
        assert info.value.code in ("TWIN_MQTT_UNAVAILABLE", "TWIN_MQTT_REFUSED")
        ingestor = MqttIngestor(
            MqttConfig(
                port=broker.port,
                tls=True,
                ca_file=certs["ca"],
                cert_file=certs["client_cert"],
                key_file=certs["client_key"],
                client_id="tls-ok",
            ),
            pipeline,
            client=client,
        )
        ingestor.start()
        tls = {
            "ca": str(certs["ca"]),
            "cert": str(certs["client_cert"]),
            "key": str(certs["client_key"]),
        }
        publish_frames(broker.port, "dev-t", 50, BASE_TS, 0.01, tls=tls)
        assert wait_for(lambda: pipeline.counters().written >= 50, 60)
        ingestor.stop(timeout_s=10)
    finally:
        pipeline.stop(timeout_s=10)
        store.close()
        broker.stop()
    assert len(_stored_timestamps(db, "dev-t")) == 50


def test_ingest_command_explains_an_unreachable_broker(  # type: ignore[no-untyped-def]
    tmp_path: Path, free_tcp_port, client: str
) -> None:
    env = dict(os.environ)
    env.update(
        CADML_TWIN_SQLITE_PATH=str(tmp_path / "twin.db"),
        CADML_MQTT_URL=f"mqtt://127.0.0.1:{free_tcp_port()}",
    )
    done = subprocess.run(
        [sys.executable, "-m", "cadml", "ingest", "--client", client],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "TWIN_MQTT_UNAVAILABLE" in done.stderr
    assert "tr:" in done.stderr and "hint:" in done.stderr
