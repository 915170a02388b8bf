"""The agent: frames in, rules evaluated, batches buffered durably, alerts first, forwarded."""

from __future__ import annotations

import json
import sys

from cad_ml_edge.agent import EdgeAgent, build_uplink
from cad_ml_edge.config import ALERT_STREAM, TELEMETRY_STREAM
from cad_ml_edge.queue import Priority
from cad_ml_edge.uplink.http import HttpUplink
from cad_ml_edge.uplink.mqtt import MqttUplink
from cad_ml_edge.wire import TelemetryFrame, decode_frames


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def frame(ts: float, **sensors: float) -> TelemetryFrame:
    return TelemetryFrame(ts, "press-1", dict(sensors))


def test_frames_are_batched_by_count_and_by_time(config_factory, platform):
    clock = Clock()
    agent = EdgeAgent(config_factory(platform.url), clock=clock, run_command=lambda argv: None)
    for i in range(4):
        agent.ingest(frame(float(i), t=20.0))
    assert agent.queue.status().depth == 0 and agent.status()["pending"] == 4
    agent.tick()  # interval not reached yet
    assert agent.queue.status().depth == 0
    clock.now += 0.6
    agent.tick()
    assert agent.queue.status().depth == 4
    agent.tick()  # nothing pending: no empty segment
    assert agent.queue.status().segments == 1
    for i in range(5):
        agent.ingest(frame(10.0 + i, t=20.0))
    assert agent.queue.status().depth == 9, "a full batch flushes at once"
    assert agent.config.rule_state_path.exists()
    agent.close()


def test_alert_goes_to_the_critical_stream_and_runs_the_command(config_factory, platform):
    ran: list[tuple[str, ...]] = []
    agent = EdgeAgent(config_factory(platform.url), run_command=ran.append)
    events = agent.ingest(frame(1.0, t=80.0, g=5.0))
    assert [e.rule_id for e in events] == ["hot", "ghost"]
    assert ran == [("/bin/true",)], "the unconfigured command is logged, not run"
    assert agent.commands_run == 1 and agent.alerts_raised == 1
    first = agent.queue.peek(max_segments=1)[0]
    assert first.stream == ALERT_STREAM and first.priority == Priority.CRITICAL
    alert = decode_frames(first.records[0])[0]
    assert alert.status["alert"]["rule_id"] == "hot"
    agent.close()


def test_default_command_runner_handles_missing_and_slow_programs(config_factory, platform):
    agent = EdgeAgent(config_factory(platform.url))
    agent.command_timeout_s = 0.2
    agent._default_run_command(("/bin/true",))
    agent._default_run_command(("/nonexistent/program",))
    agent._default_run_command((sys.executable, "-c", "import time; time.sleep(5)"))
    agent.close()


def test_rule_state_survives_a_restart(config_factory, platform):
    config = config_factory(platform.url)
    first = EdgeAgent(config, run_command=lambda argv: None)
    assert first.ingest(frame(1.0, t=80.0))  # fires, hysteresis now armed
    first.close()
    second = EdgeAgent(config, run_command=lambda argv: None)
    assert second.ingest(frame(2.0, t=80.0)) == [], "still above: must not fire again"
    assert second.ingest(frame(3.0, t=48.0)) == []
    assert [e.rule_id for e in second.ingest(frame(4.0, t=80.0))] == ["hot"]
    second.close()


def test_capacity_alerts_are_buffered_or_logged_when_full(config_factory, platform):
    config = config_factory(
        platform.url,
        buffer={
            "max_bytes": 40_000,
            "alert_thresholds": [0.01],
            "streams": [
                {"name": TELEMETRY_STREAM, "on_full": "drop_oldest"},
                {"name": ALERT_STREAM, "priority": "critical", "on_full": "reject"},
            ],
        },
    )
    agent = EdgeAgent(config, run_command=lambda argv: None)
    for i in range(200):
        agent.ingest(frame(float(i), t=20.0, pad=float(i)))
    agent.flush()
    kinds = []
    for seg in agent.queue.peek(max_segments=50):
        if seg.stream == ALERT_STREAM:
            kinds += [decode_frames(r)[0].status.get("alert") for r in seg.records]
    assert "buffer_capacity" in kinds
    agent.close()
    # A capacity alert that cannot be buffered (here: the buffer is closed) is logged and
    # never breaks ingest.
    agent._on_capacity("queue_capacity_95", 0.99)


def test_status_and_forwarding_to_the_platform(config_factory, platform, tmp_path):
    agent = EdgeAgent(config_factory(platform.url), run_command=lambda argv: None)
    for i in range(7):
        agent.ingest(frame(float(i), t=80.0 if i == 3 else 20.0))
    agent.flush()
    while agent.forwarder.run_once():
        pass
    got = {(f.timestamp, f.device_id) for f in platform.frames}
    assert {(float(i), "press-1") for i in range(7)} <= got
    assert any("alert" in f.status for f in platform.frames)
    assert set(platform.auth) == {"Bearer cadml_devicekey"}
    agent.write_status()
    status = json.loads(agent.config.status_path.read_text())
    assert status["frames_in"] == 7 and status["buffer"]["depth"] == 0
    assert status["uplink"]["delivered"] >= 7
    agent.close()


def test_build_uplink_by_kind(config_factory, platform):
    assert isinstance(build_uplink(config_factory(platform.url)), HttpUplink)
    mqtt = build_uplink(config_factory(platform.url, uplink={"kind": "mqtt", "url": ""}))
    assert isinstance(mqtt, MqttUplink)
    mqtt.close()


def test_rule_state_is_saved_at_most_every_few_seconds(config_factory, platform):
    clock = Clock()
    agent = EdgeAgent(config_factory(platform.url), clock=clock, run_command=lambda argv: None)
    agent.flush()
    saved = agent.config.rule_state_path.stat().st_mtime_ns
    agent.config.rule_state_path.unlink()
    agent.flush()
    assert not agent.config.rule_state_path.exists(), "not due yet"
    clock.now += agent.state_every_s
    agent.flush()
    assert agent.config.rule_state_path.exists() and saved
    agent.close()


def test_a_corrupt_rule_state_file_is_set_aside(config_factory, platform):
    config = config_factory(platform.url)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    config.rule_state_path.write_text("{not json", encoding="utf-8")
    agent = EdgeAgent(config, run_command=lambda argv: None)
    assert config.rule_state_path.with_suffix(".corrupt").exists()
    assert agent.ingest(frame(1.0, t=80.0)), "fresh state: the rule fires"
    agent.close()
    config.rule_state_path.write_text('{"version": 999}', encoding="utf-8")
    EdgeAgent(config, run_command=lambda argv: None).close()
    assert config.rule_state_path.with_suffix(".corrupt").read_text() == '{"version": 999}'
