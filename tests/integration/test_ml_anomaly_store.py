"""Anomaly detection trained from REAL time-series stores: the embedded SQLite file and
PostgreSQL on 127.0.0.1 (skipped when it is down, failed under
``CADML_TEST_REQUIRE_SERVICES=1``), then the command line end to end as a subprocess.

The history is the seeded synthetic series (``synthetic_telemetry(seed=0)``): 3,000
clean readings to train on, then 2,000 holding 10 injected events (8 spikes, a level
shift, a drift) that scoring must find.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cadml.errors import NotFoundError, ValidationError
from cadml.ml.anomaly.synthetic import SyntheticTelemetry, synthetic_telemetry
from cadml.services.ml_anomaly import (
    AnomalyModels,
    AnomalyMonitor,
    TrainingRequest,
    replay,
    score_history,
    train_detector,
)
from cadml.timeseries.port import TimeSeriesStore
from cadml.timeseries.sqlite import SqliteTimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key

DEVICE = "press-7"
DATA = synthetic_telemetry(seed=0)
TRAIN_UNTIL = float(DATA.timestamps[DATA.normal_rows])

# `cadml` with `ml anomaly` registered (cadml.cli.main registers it; until then, here).
CADML = [
    sys.executable,
    "-c",
    "from cadml.cli import main, ml, ml_anomaly\n"
    "if 'anomaly' not in ml.ml.commands:\n"
    "    ml.ml.add_command(ml_anomaly.anomaly)\n"
    "main.main()",
]


def history(data: SyntheticTelemetry = DATA) -> list[TelemetryFrame]:
    return [
        TelemetryFrame(
            float(ts),
            DEVICE,
            {"temperature": float(t), "vibration": float(v)},
            {},
            {"mode": "run"},
        )
        for ts, (t, v) in zip(data.timestamps, data.values, strict=True)
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(kind, location)`` of an empty real store holding the seeded history."""
    if request.param == "sqlite":
        location = str(tmp_path / "var" / "twin.db")
        Path(location).parent.mkdir(parents=True)
    else:
        location = request.getfixturevalue("pg_database")
    store = open_store(request.param, location)
    try:
        result = store.write(history())
        assert result.written == len(DATA.timestamps)
    finally:
        store.close()
    yield request.param, location


def open_store(kind: str, location: str) -> TimeSeriesStore:
    if kind == "sqlite":
        return SqliteTimeSeriesStore(Path(location))
    from cadml.timeseries.postgres import PostgresTimeSeriesStore

    return PostgresTimeSeriesStore(location)


def _covers_every_event(intervals: list[dict]) -> bool:
    for event in DATA.events:
        start, end = DATA.timestamps[event.first], DATA.timestamps[event.last]
        if not any(i["start"] <= end and i["end"] >= start for i in intervals):
            return False
    return True


def test_train_score_and_alert_from_a_real_store(
    store_url: tuple[str, str], tmp_path: Path
) -> None:
    kind, location = store_url
    store = open_store(kind, location)
    models = AnomalyModels(tmp_path / "ml" / "anomaly")
    try:
        for detector, options in (("zscore", {}), ("lstm-ae", {"epochs": 3})):
            trained = train_detector(
                store,
                models,
                TrainingRequest(
                    DEVICE,
                    ("temperature", "vibration"),
                    detector,
                    until=TRAIN_UNTIL,
                    options=options,
                ),
            )
            assert trained.metadata.rows == 3000, (kind, detector)
            report = score_history(store, models.load(trained.name), since=TRAIN_UNTIL)
            assert report.rows == 2000
            intervals = [i.to_dict() for i in report.intervals]
            assert _covers_every_event(intervals), (kind, detector, intervals)

        # the monitor's alerts go into the real store next to the readings
        monitor = AnomalyMonitor(models.load("press-7-zscore"), cooldown_s=0.0)
        alerts = replay(store, monitor, since=TRAIN_UNTIL, write=True)
        assert len(alerts) == len(
            score_history(store, models.load("press-7-zscore"), since=TRAIN_UNTIL).intervals
        )
        stored = [f for f in store.history(DEVICE, limit=10_000) if event_key(f)]
        assert sorted(f.timestamp for f in stored) == sorted(a.timestamp for a in alerts)
        assert stored[0].status["alert"]["rule_id"] == "anomaly:press-7-zscore"
        assert store.count(DEVICE) == len(DATA.timestamps) + len(alerts)
        again = store.write(alerts)
        assert again.written == 0  # idempotent on (device, timestamp, rule id)
        # alert events do not disturb training on the same range again
        retrained = train_detector(
            store,
            models,
            TrainingRequest(DEVICE, ("temperature", "vibration"), "zscore", name="again"),
        )
        assert retrained.metadata.rows == len(DATA.timestamps)

        with pytest.raises(NotFoundError):
            train_detector(store, models, TrainingRequest("ghost", ("temperature",), "zscore"))
        with pytest.raises(ValidationError) as info:
            train_detector(
                store, models, TrainingRequest(DEVICE, ("pressure",), "zscore", name="p")
            )
        assert info.value.details["available"] == (
            "sensors.temperature, sensors.vibration, status.mode"
        )
    finally:
        store.close()


# -- the command line, end to end ----------------------------------------------------------


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CADML, "ml", "anomaly", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_the_command_line_end_to_end(store_url: tuple[str, str], tmp_path: Path) -> None:
    """On SQLite with the LSTM autoencoder (train, score, list, export, monitor); on
    PostgreSQL with the z-score detector (the same commands but export, which z-score
    does not need: the ONNX exporters cost ~10 s in a fresh process)."""
    kind, location = store_url
    env = {**os.environ, "CADML_DATA_DIR": str(tmp_path / "var"), "CADML_TWIN_STORE": kind}
    if kind == "postgres":
        env["CADML_TWIN_POSTGRES_URL"] = location
    detector, name = (
        ("lstm-ae", "press-7-lstm-ae") if kind == "sqlite" else ("zscore", "press-7-zscore")
    )
    until = str(TRAIN_UNTIL)

    epochs = ["--epochs", "3"] if detector == "lstm-ae" else []
    trained = cli(
        ["train", "--device", DEVICE, "--field", "temperature", "--field", "vibration",
         "--detector", detector, "--until", until, *epochs, "--json"],
        env,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    meta = json.loads(trained.stdout)
    assert (meta["name"], meta["rows"], meta["device"]) == (name, 3000, DEVICE)
    assert "reading the history of press-7" in trained.stderr and "fitting on" in trained.stderr
    assert Path(meta["path"]).is_dir()

    scored = cli(["score", "--name", name, "--since", until, "--json"], env)
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["rows"] == 2000 and _covers_every_event(report["intervals"])

    listed = cli(["list", "--json"], env)
    assert [m["name"] for m in json.loads(listed.stdout)] == [name]

    if kind == "sqlite":
        exported = cli(["export", "--name", name, "--json"], env)
        assert exported.returncode == 0, exported.stderr
        result = json.loads(exported.stdout)
        assert Path(result["path"]).is_file() and result["input_shape"] == ["N", 16, 2]
        assert result["max_abs_diff"] < 1e-5, f"ONNX max abs diff {result['max_abs_diff']:.3g}"

    monitored = cli(["monitor", "--name", name, "--since", until], env)
    assert monitored.returncode == 0, monitored.stderr
    alerts = [json.loads(line) for line in monitored.stdout.splitlines()]
    assert alerts and "written to the store" in monitored.stderr
    # once exported, the monitor scores with onnxruntime
    engine = "onnx" if kind == "sqlite" else "python"
    assert f"scored with {engine}" in monitored.stderr
    store = open_store(kind, location)
    try:
        stored = [f for f in store.history(DEVICE, limit=10_000) if event_key(f)]
    finally:
        store.close()
    assert sorted(f.timestamp for f in stored) == sorted(a["timestamp"] for a in alerts)

    ghost = cli(["train", "--device", "ghost", "--field", "temperature", "--detector", "iqr"], env)
    assert ghost.returncode == 2 and ghost.stdout == ""
    assert "error ML_ANOMALY_UNKNOWN_DEVICE" in ghost.stderr
    assert "tr:" in ghost.stderr and "hint:" in ghost.stderr
    again = cli(
        ["train", "--device", DEVICE, "--field", "temperature", "--detector", detector], env
    )
    assert again.returncode == 2 and "ML_ANOMALY_NAME_EXISTS" in again.stderr
    assert "--replace" in again.stderr


def test_a_detector_trained_on_sqlite_scores_the_same_rows_as_python(tmp_path: Path) -> None:
    """The saved sample and the scores survive the round trip through files."""
    store = SqliteTimeSeriesStore(tmp_path / "twin.db")
    models = AnomalyModels(tmp_path / "anomaly")
    try:
        store.write(history())
        trained = train_detector(
            store,
            models,
            TrainingRequest(
                DEVICE, ("temperature", "vibration"), "one-class-svm", until=TRAIN_UNTIL
            ),
        )
    finally:
        store.close()
    loaded = models.load(trained.name)
    np.testing.assert_array_equal(
        loaded.detector.score(DATA.values), trained.detector.score(DATA.values)
    )
    np.testing.assert_array_equal(
        loaded.sample, DATA.values[DATA.normal_rows - 256 : DATA.normal_rows]
    )
