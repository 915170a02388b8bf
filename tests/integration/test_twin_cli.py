"""``cadml twin``: register, list, re-key, state, history, aggregate, retention, delete —
against the embedded databases, in-process through click's runner."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadml.cli.main import cli
from cadml.runtime import build_runtime
from cadml.settings import get_settings
from cadml.twin.frame import TelemetryFrame, encode_frames


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CADML_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CADML_WORKERS", "1")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _ingest(frames: list[TelemetryFrame]) -> None:
    runtime = build_runtime(get_settings())
    runtime.twin.pipeline.start()
    try:
        runtime.twin.ingest(frames[0].device_id, encode_frames(frames))
    finally:
        runtime.twin.pipeline.stop()
        runtime.stop()


def test_the_device_life_cycle_from_the_command_line(runner: CliRunner) -> None:
    key = _ok(
        runner, "twin", "devices", "register", "press-7", "--type", "press", "--tag", "line=2"
    )
    assert key.strip().startswith("cdev_")
    listed = json.loads(_ok(runner, "twin", "devices", "list", "--json"))
    assert listed == [{"id": "press-7", "type": "press", "name": None, "tags": {"line": "2"}}]
    new_key = _ok(runner, "twin", "devices", "rotate-key", "press-7").strip()
    assert new_key.startswith("cdev_") and new_key != key.strip()

    now = time.time()
    day = now // 86400 * 86400
    _ingest(
        [
            TelemetryFrame(day - 86400 * 3 + 10, "press-7", {"temperature": 10.0}),
            TelemetryFrame(now - 2, "press-7", {"temperature": 30.0}, {"cycle": 1.0}),
            TelemetryFrame(now - 1, "press-7", {"temperature": 32.0}, {"cycle": 2.0}),
        ]
    )
    state = json.loads(_ok(runner, "twin", "state", "press-7"))
    assert state["fields"] == {"sensors.temperature": 32.0, "metrics.cycle": 2.0}
    assert state["presence"] == "online"
    lines = _ok(runner, "twin", "history", "press-7", "--start", "-1h", "--fields", "temperature")
    frames = [json.loads(line) for line in lines.splitlines()]
    assert [f["sensors"]["temperature"] for f in frames] == [32.0, 30.0]
    assert all(f["metrics"] == {} for f in frames)
    rows = _ok(
        runner,
        "twin",
        "aggregate",
        "temperature",
        "--device",
        "press-7",
        "--window",
        "1d",
        "--fn",
        "max",
        "--start",
        "-5d",
    )
    values = [float(line.split("\t")[1]) for line in rows.splitlines()]
    assert values == [10.0, 32.0]

    runtime = build_runtime(get_settings())
    try:
        runtime.twin_devices.update("press-7", {"retention_raw_days": 1.0})
    finally:
        runtime.stop()
    result = runner.invoke(cli, ["twin", "retention"], catch_exceptions=False)
    assert result.exit_code == 0 and "deleted 1 raw frame" in result.stderr
    _ok(runner, "twin", "devices", "delete", "press-7")
    assert json.loads(_ok(runner, "twin", "devices", "list", "--json")) == []


def test_bad_input_is_a_coded_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["twin", "devices", "register", "a/b", "--type", "x"])
    assert result.exit_code != 0
    assert getattr(result.exception, "code", None) == "TWIN_DEVICE_INVALID"
    result = runner.invoke(cli, ["twin", "devices", "register", "--type", "x"])
    assert result.exit_code == 2 and "DEVICE_ID or --count" in result.output
    result = runner.invoke(cli, ["twin", "state", "nobody"])
    assert getattr(result.exception, "code", None) == "NOT_FOUND_DEVICE"


def test_register_many_writes_a_keys_file_for_the_simulator(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "keys.json"
    _ok(
        runner,
        "twin",
        "devices",
        "register",
        "--count",
        "3",
        "--type",
        "cnc",
        "--keys-out",
        str(out),
    )
    keys = json.loads(out.read_text())
    assert sorted(keys) == ["sim-001", "sim-002", "sim-003"]
    assert out.stat().st_mode & 0o777 == 0o600
