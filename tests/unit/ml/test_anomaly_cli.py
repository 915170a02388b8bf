"""``cadml ml anomaly`` in-process (click's runner) on an embedded SQLite store in tmp_path:
help with examples, train/score/list/monitor output, and coded refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadml.cli.ml_anomaly import anomaly
from cadml.ml.anomaly.synthetic import synthetic_telemetry
from cadml.settings import get_settings
from cadml.timeseries.sqlite import SqliteTimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key

START = "2023-11-14T22:13:20Z"  # the synthetic series' first timestamp (1,700,000,000)
TRAIN_UNTIL = "1700003000"  # the first 3,000 rows are clean


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "var"
    monkeypatch.setenv("CADML_DATA_DIR", str(root))
    monkeypatch.delenv("CADML_TWIN_STORE", raising=False)
    get_settings.cache_clear()
    data = synthetic_telemetry(seed=0)
    store = SqliteTimeSeriesStore(root / "twin.db")
    try:
        store.write(
            [
                TelemetryFrame(
                    float(ts), "press-7", {"temperature": float(t), "vibration": float(v)}
                )
                for ts, (t, v) in zip(data.timestamps, data.values, strict=True)
            ]
        )
    finally:
        store.close()
    yield root
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str, BaseException | None]:
    result = CliRunner().invoke(anomaly, list(args))
    return result.exit_code, result.stdout, result.stderr, result.exception


@pytest.mark.parametrize("command", [[], ["train"], ["score"], ["list"], ["monitor"], ["export"]])
def test_every_command_has_help_with_examples(command: list[str]) -> None:
    code, out, _, _ = run(*command, "--help")
    assert code == 0 and "Examples:" in out and "cadml ml anomaly" in out


def test_train_score_list_and_monitor(data_dir: Path) -> None:
    code, out, err, _ = run(
        "train", "-d", "press-7", "-f", "temperature", "-f", "vibration",
        "-k", "iqr", "--since", START, "--until", TRAIN_UNTIL,
    )  # fmt: skip
    assert code == 0, err
    assert "trained 'press-7-iqr' (iqr) on press-7: 3,000 rows" in out
    assert "threshold  0.4160" in out and "reading the history" in err
    assert (data_dir / "ml" / "anomaly" / "press-7-iqr" / "detector.json").is_file()

    code, out, err, _ = run("score", "--name", "press-7-iqr", "--since", TRAIN_UNTIL, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["rows"] == 2000 and len(report["intervals"]) >= 10
    assert report["anomalous_rows"] == sum(i["anomalous_rows"] for i in report["intervals"])

    code, out, _, _ = run("score", "--name", "press-7-iqr", "--since", TRAIN_UNTIL)
    assert f"anomalous in {len(report['intervals'])} interval(s)" in out

    code, out, err, _ = run("list", "--json")
    assert [m["name"] for m in json.loads(out)] == ["press-7-iqr"]
    code, out, err, _ = run("list")
    assert out.startswith("press-7-iqr") and "1 detector(s)" in err

    code, out, err, _ = run(
        "monitor", "--name", "press-7-iqr", "--since", TRAIN_UNTIL, "--cooldown", "0",
        "--dry-run",
    )  # fmt: skip
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]
    assert len(alerts) == len(report["intervals"])
    assert {a["status"]["alert"]["rule_id"] for a in alerts} == {"anomaly:press-7-iqr"}
    assert "(printed only; scored with python)" in err
    store = SqliteTimeSeriesStore(data_dir / "twin.db")
    try:
        assert not [f for f in store.history("press-7", limit=10_000) if event_key(f)]
    finally:
        store.close()

    code, out, err, _ = run("monitor", "--name", "press-7-iqr", "--since", TRAIN_UNTIL)
    assert code == 0 and "written to the store" in err
    # the default 60 s cool-down merges excursions that start within a minute of an alert
    assert 0 < len(out.splitlines()) <= len(alerts)


def test_refusals_carry_their_codes(data_dir: Path) -> None:
    _, _, _, error = run("train", "-d", "press-9", "-f", "temperature", "-k", "zscore")
    assert getattr(error, "code", None) == "ML_ANOMALY_UNKNOWN_DEVICE"
    _, _, _, error = run("train", "-d", "press-7", "-f", "rpm", "-k", "zscore")
    assert getattr(error, "code", None) == "ML_ANOMALY_FIELD_NOT_PRESENT"
    _, _, _, error = run("train", "-d", "press-7", "-f", "t", "-k", "zscore", "--since", "soon")
    assert getattr(error, "code", None) == "TWIN_QUERY_INVALID"
    _, _, _, error = run("score", "--name", "nothing")
    assert getattr(error, "code", None) == "ML_ANOMALY_NOT_FOUND"
    code, _, err, _ = run("train", "-d", "press-7", "-f", "t", "-k", "prophet")
    assert code == 2 and "prophet" in err
