"""The anomaly service on the in-memory store: train, save, load, score, replay, follow,
export, and every refusal with its code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cadml.errors import ConflictError, NotFoundError, ValidationError
from cadml.ml.anomaly.synthetic import SyntheticTelemetry, synthetic_telemetry
from cadml.services.ml_anomaly import (
    AnomalyModels,
    AnomalyMonitor,
    TrainingRequest,
    follow,
    read_history,
    replay,
    score_history,
    train_detector,
)
from cadml.timeseries.memory import MemoryTimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key

DEVICE = "press-7"


def frames_of(data: SyntheticTelemetry, device: str = DEVICE) -> list[TelemetryFrame]:
    """One reading per row: temperature and vibration, a status with text and a number."""
    return [
        TelemetryFrame(
            float(ts),
            device,
            {"temperature": float(t), "vibration": float(v)},
            {"cycle": float(i)},
            {"mode": "run", "load": 0.5},
        )
        for i, (ts, (t, v)) in enumerate(zip(data.timestamps, data.values, strict=True))
    ]


@pytest.fixture(scope="module")
def data() -> SyntheticTelemetry:
    return synthetic_telemetry(seed=0)


@pytest.fixture(scope="module")
def store(data: SyntheticTelemetry) -> MemoryTimeSeriesStore:
    store = MemoryTimeSeriesStore()
    store.write(frames_of(data))
    return store


@pytest.fixture
def models(tmp_path: Path) -> AnomalyModels:
    return AnomalyModels(tmp_path / "ml" / "anomaly")


def request(data: SyntheticTelemetry, **changes) -> TrainingRequest:
    """Train on the clean part of the series (before the first injected anomaly)."""
    values = {
        "device": DEVICE,
        "fields": ("temperature", "vibration"),
        "detector": "zscore",
        "until": float(data.timestamps[data.normal_rows]),
        **changes,
    }
    return TrainingRequest(**values)


def test_training_saves_the_detector_and_its_metadata(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    trained = train_detector(store, models, request(data, sensitivity=0.1))
    meta = trained.metadata
    assert meta.name == "press-7-zscore" and meta.kind == "zscore"
    assert meta.fields == ("sensors.temperature", "sensors.vibration")
    assert (meta.rows, meta.frames, meta.late_frames) == (3000, 3000, 0)
    assert meta.first_timestamp == data.timestamps[0]
    assert meta.last_timestamp == data.timestamps[2999]
    assert meta.sensitivity == 0.1 and meta.threshold == trained.detector.threshold
    assert meta.train_quantiles["max"] >= meta.threshold >= meta.train_quantiles["0.99"]
    directory = models.path(meta.name)
    assert sorted(p.name for p in directory.iterdir()) == [
        "detector.json",
        "sample.npy",
        "state.json",
    ]
    saved = json.loads((directory / "detector.json").read_text())
    assert saved["device"] == DEVICE and set(saved["files"]) == {"sample.npy", "state.json"}
    assert not [p for p in models.root.iterdir() if p.name.startswith(".")]  # no leftovers

    loaded = models.load(meta.name)
    np.testing.assert_array_equal(
        loaded.detector.score(data.values), trained.detector.score(data.values)
    )
    assert [m.name for m in models.all_metadata()] == ["press-7-zscore"]
    (monitor,) = models.monitors(cooldown_s=5.0)
    assert (monitor.name, monitor.cooldown_s, monitor.watches(DEVICE)) == (meta.name, 5.0, True)


@pytest.mark.parametrize(
    ("detector", "files"),
    [
        ("isolation-forest", {"model.joblib"}),
        ("one-class-svm", {"model.joblib"}),
        ("lstm-ae", {"weights.npz"}),
    ],
)
def test_learned_detectors_save_and_load_their_models(
    detector: str,
    files: set[str],
    store: MemoryTimeSeriesStore,
    models: AnomalyModels,
    data: SyntheticTelemetry,
) -> None:
    options = {"epochs": 2} if detector == "lstm-ae" else {}
    trained = train_detector(store, models, request(data, detector=detector, options=options))
    assert set(trained.metadata.files) == {"sample.npy", "state.json", *files}
    assert trained.name == f"press-7-{detector}"
    loaded = models.load(trained.name)
    np.testing.assert_array_equal(
        loaded.detector.score(data.values[:500]), trained.detector.score(data.values[:500])
    )
    assert loaded.sample.shape == (256, 2)


def test_scoring_the_stored_history_finds_every_injected_event(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    trained = train_detector(store, models, request(data, detector="one-class-svm"))
    since = float(data.timestamps[data.normal_rows])
    report = score_history(store, trained, since=since)
    assert report.rows == 2000 and report.first_timestamp == since
    for event in data.events:
        start, end = data.timestamps[event.first], data.timestamps[event.last]
        assert any(i.start <= end and i.end >= start for i in report.intervals), event
    assert report.anomalous_rows == sum(i.anomalous_rows for i in report.intervals)
    assert report.max_score == max(i.peak_score for i in report.intervals)
    # replaying the same range through a monitor (no cool-down) alerts once per interval
    alerts = replay(store, AnomalyMonitor(trained, cooldown_s=0.0), since=since)
    assert len(alerts) == len(report.intervals)
    # the training range itself: at most 0.05 % of its 3,000 rows (i.e. 1) above
    clean = score_history(store, trained, until=since)
    assert clean.anomalous_rows <= 1
    empty = score_history(store, trained, since=1.0, until=2.0)
    assert (empty.rows, empty.intervals, empty.first_timestamp) == (0, [], None)


def test_replay_writes_alerts_idempotently_and_follow_picks_up_new_frames(
    data: SyntheticTelemetry, models: AnomalyModels
) -> None:
    store = MemoryTimeSeriesStore()
    store.write(frames_of(data)[: data.normal_rows])
    trained = train_detector(store, models, request(data))
    # follow from now on: feed the test part in two chunks between polls
    rest = frames_of(data)[data.normal_rows :]
    chunks = [rest[:1000], rest[1000:]]
    ticks = iter(range(100))

    def sleep(_: float) -> None:
        if chunks:
            store.write(chunks.pop(0))

    seen: list[TelemetryFrame] = []
    raised = follow(
        store,
        AnomalyMonitor(trained, cooldown_s=0.0),
        interval_s=0.0,
        duration_s=2.5,
        clock=lambda: float(next(ticks)),
        sleep=sleep,
        on_alert=seen.append,
    )
    stored = [f for f in store.history(DEVICE, limit=10_000) if event_key(f)]
    assert raised == len(seen) == len(stored) > 0
    # the same alerts as a replay of the whole test range, and writing them again is a no-op
    since = float(data.timestamps[data.normal_rows])
    again = replay(store, AnomalyMonitor(trained, cooldown_s=0.0), since=since, write=True)
    assert [a.timestamp for a in again] == [a.timestamp for a in seen]
    assert len([f for f in store.history(DEVICE, limit=10_000) if event_key(f)]) == len(stored)


def test_history_is_read_page_by_page_oldest_first(models: AnomalyModels) -> None:
    store = MemoryTimeSeriesStore()
    store.write([TelemetryFrame(float(i), "d", {"t": float(i)}) for i in range(12_345)])
    frames = read_history(store, "d", since=10.0)
    assert len(frames) == 12_335 and frames[0].timestamp == 10.0 and frames[-1].timestamp == 12_344
    with pytest.raises(ValidationError) as info:
        read_history(store, "d", max_frames=10_000)
    assert info.value.code == "ML_ANOMALY_TOO_MANY_ROWS"


def test_a_numeric_status_field_and_a_metric_can_be_chosen(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    trained = train_detector(
        store, models, request(data, fields=("metrics.cycle", "status.load"), name="mixed")
    )
    assert trained.metadata.fields == ("metrics.cycle", "status.load")
    assert trained.metadata.rows == 3000


def test_resampling_makes_one_row_per_bucket(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    trained = train_detector(store, models, request(data, resample_s=10.0, name="buckets"))
    assert trained.metadata.rows == 300 and trained.metadata.resample_s == 10.0


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "code", "details"),
    [
        ({"device": "press-9"}, NotFoundError, "ML_ANOMALY_UNKNOWN_DEVICE", {"device": "press-9"}),
        (
            {"fields": ("temperature", "pressure")},
            ValidationError,
            "ML_ANOMALY_FIELD_NOT_PRESENT",
            {"field": "sensors.pressure"},
        ),
        (
            {"fields": ("status.mode",)},
            ValidationError,
            "ML_ANOMALY_FIELD_NOT_NUMERIC",
            {"field": "status.mode", "example": '"run"'},
        ),
        (
            {"fields": ("mode",)},  # a bare name is a sensor; the status one is text
            ValidationError,
            "ML_ANOMALY_FIELD_NOT_NUMERIC",
            {"field": "status.mode", "asked": "sensors.mode"},
        ),
        (
            {"until": 1_700_000_049.0},  # 49 rows
            ValidationError,
            "ML_ANOMALY_TOO_FEW_ROWS",
            {"rows": 49, "minimum": 50},
        ),
        (
            {"until": 1_700_000_060.0, "detector": "lstm-ae"},  # 60 rows, 16-row windows
            ValidationError,
            "ML_ANOMALY_TOO_FEW_ROWS",
            {"rows": 60, "minimum": 65},
        ),
        ({"since": 5.0, "until": 5.0}, ValidationError, "ML_ANOMALY_INVALID_OPTION", {}),
        ({"name": "../etc"}, ValidationError, "ML_ANOMALY_INVALID_NAME", {"name": "../etc"}),
        ({"detector": "arima"}, ValidationError, "ML_UNKNOWN_DETECTOR", {"name": "arima"}),
        ({"sensitivity": 80.0}, ValidationError, "ML_ANOMALY_INVALID_SENSITIVITY", {}),
        ({"resample_s": -1.0}, ValidationError, "ML_ANOMALY_INVALID_OPTION", {}),
        ({"options": {"depth": 3}}, ValidationError, "ML_ANOMALY_INVALID_OPTION", {}),
    ],
)
def test_bad_training_requests_are_refused_with_a_code(
    changes: dict,
    error: type,
    code: str,
    details: dict,
    store: MemoryTimeSeriesStore,
    models: AnomalyModels,
    data: SyntheticTelemetry,
) -> None:
    with pytest.raises(error) as info:
        train_detector(store, models, request(data, **changes))
    assert info.value.code == code
    for key, value in details.items():
        assert info.value.details[key] == value
    assert not models.root.exists() or not list(models.root.iterdir())  # nothing written


def test_a_missing_field_lists_the_fields_that_exist(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    with pytest.raises(ValidationError) as info:
        train_detector(store, models, request(data, fields=("rpm",)))
    assert info.value.details["available"] == (
        "metrics.cycle, sensors.temperature, sensors.vibration, status.load, status.mode"
    )
    assert "Fields seen" in info.value.message("en") and "alanlar" in info.value.message("tr")


def test_a_name_is_not_overwritten_without_replace(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    first = train_detector(store, models, request(data, name="t"))
    with pytest.raises(ConflictError) as info:
        train_detector(store, models, request(data, name="t", sensitivity=5.0))
    assert info.value.code == "ML_ANOMALY_NAME_EXISTS"
    second = train_detector(store, models, request(data, name="t", sensitivity=5.0, replace=True))
    assert second.metadata.threshold < first.metadata.threshold
    assert models.load("t").metadata.sensitivity == 5.0
    assert [p.name for p in models.root.iterdir()] == ["t"]


def test_a_changed_file_is_refused_and_a_missing_detector_is_not_found(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    train_detector(store, models, request(data, name="t"))
    state = models.path("t") / "state.json"
    state.write_text(state.read_text().replace('"threshold": 0.', '"threshold": 0.9'))
    with pytest.raises(ValidationError) as info:
        models.load("t")
    assert info.value.code == "ML_ANOMALY_STATE_INVALID"
    assert "checksum" in info.value.details["reason"]
    with pytest.raises(NotFoundError) as missing:
        models.load("nothing")
    assert missing.value.code == "ML_ANOMALY_NOT_FOUND"
    assert models.monitors() == []  # a changed detector is not used to monitor
    with pytest.raises(ValidationError):
        models.monitors(["t"])
    (models.path("t") / "detector.json").write_text("{")
    assert models.all_metadata() == []  # unreadable ones are skipped
    models.delete("t")
    assert not models.path("t").exists()


def test_export_writes_onnx_next_to_the_detector_and_checks_parity(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry, tmp_path: Path
) -> None:
    train_detector(
        store,
        models,
        request(data, detector="isolation-forest", options={"n_estimators": 20}, name="f"),
    )
    result = models.export_onnx("f")
    assert result.path == models.path("f") / "detector.onnx" and result.path.is_file()
    assert result.rows_checked == 256 and result.input_shape == ["N", 2]
    assert result.max_abs_diff < 5e-3, f"max abs diff {result.max_abs_diff:.3g}"
    assert result.flag_agreement >= 0.999  # the export's target
    assert result.latency_ms is not None
    assert 0 < result.latency_ms["p50_ms"] <= result.latency_ms["p95_ms"]
    assert models.load("f").onnx is not None  # recorded with its checksum
    train_detector(store, models, request(data, name="z"))
    with pytest.raises(ValidationError) as info:
        models.export_onnx("z")
    assert info.value.code == "ML_ANOMALY_EXPORT_UNSUPPORTED"
    with pytest.raises(ValidationError) as info:
        AnomalyMonitor(models.load("z"), engine="onnx")
    assert info.value.code == "ML_ANOMALY_EXPORT_UNSUPPORTED"
    with pytest.raises(ValidationError) as info:
        AnomalyMonitor(models.load("z"), engine="gpu")
    assert info.value.code == "ML_ANOMALY_INVALID_OPTION"
    assert AnomalyMonitor(models.load("z")).engine == "python"
    other = models.export_onnx("f", tmp_path / "elsewhere.onnx")
    assert other.path.is_file() and models.load("f").onnx is not None


def test_an_exported_detector_monitors_through_onnxruntime_with_the_same_alerts(
    store: MemoryTimeSeriesStore, models: AnomalyModels, data: SyntheticTelemetry
) -> None:
    train_detector(store, models, request(data, detector="one-class-svm", name="svm"))
    assert models.load("svm").onnx is None
    python = AnomalyMonitor(models.load("svm"), cooldown_s=0.0)
    assert python.engine == "python"
    result = models.export_onnx("svm")
    meta = json.loads((models.path("svm") / "detector.json").read_text())
    assert meta["onnx"]["exporter"] == "skl2onnx" and "detector.onnx" in meta["files"]
    assert meta["onnx"]["max_abs_diff"] == result.max_abs_diff < 1e-5
    fast = AnomalyMonitor(models.load("svm"), cooldown_s=0.0)
    assert fast.engine == "onnx"
    since = float(data.timestamps[data.normal_rows])
    expected = [a.timestamp for a in replay(store, python, since=since)]
    assert [a.timestamp for a in replay(store, fast, since=since)] == expected
    (models.path("svm") / "detector.onnx").write_bytes(b"not onnx")
    with pytest.raises(ValidationError) as info:
        models.load("svm")
    assert "detector.onnx: checksum mismatch" in info.value.details["reason"]
