"""The live path: frames to rows, excursions (hysteresis and cool-down), the monitor and
its alert frames, and the hook on a real ingest pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadml.errors import ServiceUnavailableError, ValidationError
from cadml.ml.anomaly import (
    ExcursionGate,
    LstmAutoencoderDetector,
    RowAligner,
    ZScoreDetector,
    align_frames,
    anomalous_intervals,
)
from cadml.services.ml_anomaly import (
    AnomalyMonitor,
    DetectorMetadata,
    MonitorHook,
    TrainedDetector,
    attach_monitors,
)
from cadml.timeseries.memory import MemoryTimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key
from cadml.twin.pipeline import IngestPipeline

FIELDS = ("sensors.t", "sensors.v")


def frame(ts: float, t: float | None = None, v: float | None = None, **status) -> TelemetryFrame:
    sensors = {k: x for k, x in (("t", t), ("v", v)) if x is not None}
    return TelemetryFrame(ts, "press-1", sensors, {}, dict(status))


# -- rows ----------------------------------------------------------------------------------


def test_rows_forward_fill_and_wait_until_every_field_was_seen() -> None:
    aligner = RowAligner(FIELDS)
    assert aligner.push(frame(1.0, t=1.0)) is None
    assert aligner.push(frame(2.0, t=2.0)) is None
    assert aligner.push(frame(3.0, v=10.0)).values == (2.0, 10.0)
    assert aligner.push(frame(4.0, t=3.0)).values == (3.0, 10.0)
    assert aligner.push(frame(5.0)) is None  # no chosen field
    assert aligner.push(frame(6.0, t=4.0, v=11.0)).values == (4.0, 11.0)


def test_late_repeated_and_alert_frames_make_no_rows() -> None:
    aligner = RowAligner(FIELDS)
    aligner.push(frame(10.0, t=1.0, v=1.0))
    assert aligner.push(frame(9.0, t=5.0, v=5.0)) is None  # late
    assert aligner.push(frame(10.0, t=5.0, v=5.0)) is None  # the same reading again
    alert = TelemetryFrame(11.0, "press-1", {"t": 9.0}, {}, {"alert": {"rule_id": "r"}})
    assert aligner.push(alert) is None
    assert aligner.late == 2
    assert aligner.push(frame(11.0, t=2.0)).values == (2.0, 1.0)


def test_numeric_status_fields_count_and_text_does_not() -> None:
    aligner = RowAligner(["sensors.t", "status.load"])
    assert aligner.push(frame(1.0, t=1.0, load="high")) is None
    assert aligner.push(frame(2.0, t=1.0, load=True)) is None
    assert aligner.push(frame(3.0, t=1.0, load=0.75)).values == (1.0, 0.75)


def test_resampled_rows_are_bucket_means_at_the_bucket_start() -> None:
    frames = [
        frame(100.0, t=1.0, v=10.0),
        frame(104.0, t=3.0),
        frame(109.9, t=5.0),  # bucket [100, 110): t mean 3, v mean 10
        frame(125.0, v=20.0),  # bucket [120, 130): t keeps the last row's 3; [110, 120) empty
        frame(127.0, v=30.0),
    ]
    rows = align_frames(frames, FIELDS, resample_s=10.0)
    assert rows.timestamps.tolist() == [100.0, 120.0]
    assert rows.values.tolist() == [[3.0, 10.0], [3.0, 25.0]]
    assert rows.source_timestamps.tolist() == [109.9, 127.0]
    assert rows.late == 0


def test_a_frame_of_an_earlier_bucket_is_late() -> None:
    aligner = RowAligner(["sensors.t"], resample_s=10.0)
    aligner.push(frame(25.0, t=1.0))
    assert aligner.push(frame(5.0, t=9.0)) is None and aligner.late == 1
    assert aligner.flush().values == (1.0,)


@pytest.mark.parametrize(
    ("fields", "resample"),
    [([], None), (["t", "t"], None), (["a.b.c"], None), (["t"], 0.0), (["t"], float("nan"))],
)
def test_bad_row_options_are_refused(fields: list[str], resample: float | None) -> None:
    with pytest.raises(ValidationError) as info:
        RowAligner(fields, resample)
    assert info.value.code == "ML_ANOMALY_INVALID_OPTION"


# -- excursions ----------------------------------------------------------------------------


def test_one_alert_per_excursion_and_the_excursion_ends_after_clear_rows() -> None:
    gate = ExcursionGate(clear_rows=3)
    verdicts = [0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0]
    fired = [gate.update(float(t), bool(a)) for t, a in enumerate(verdicts)]
    # rows 1-5 are one excursion (2 normal rows < 3 between them); 9 starts another
    assert [t for t, f in enumerate(fired) if f] == [1, 9]
    assert gate.alerts == 2 and gate.open


def test_a_cooldown_suppresses_an_excursion_that_starts_too_soon() -> None:
    gate = ExcursionGate(clear_rows=1, cooldown_s=10.0)
    rows = [(0.0, True), (1.0, False), (5.0, True), (6.0, False), (10.0, True)]
    fired = [gate.update(t, a) for t, a in rows]
    assert fired == [True, False, False, False, True]
    assert gate.suppressed == 1


@given(
    st.lists(st.booleans(), max_size=80),
    st.integers(1, 4),
)
def test_the_gate_alerts_exactly_at_the_first_row_of_each_interval(
    verdicts: list[bool], clear_rows: int
) -> None:
    gate = ExcursionGate(clear_rows=clear_rows)
    fired = [i for i, a in enumerate(verdicts) if gate.update(float(i), a)]
    intervals = anomalous_intervals(
        np.arange(len(verdicts), dtype=float), np.array(verdicts, dtype=float), 0.5, clear_rows
    )
    assert fired == [i.first_row for i in intervals]
    assert sum(i.anomalous_rows for i in intervals) == sum(verdicts)


# -- the monitor ---------------------------------------------------------------------------


def trained_zscore(name: str = "press-1-z", resample_s: float | None = None) -> TrainedDetector:
    """A z-score detector of (t, v) trained on 200 seeded rows around (50, 5)."""
    rng = np.random.default_rng(11)
    X = np.column_stack([rng.normal(50.0, 1.0, 200), rng.normal(5.0, 0.1, 200)])
    detector = ZScoreDetector().fit(X)
    return TrainedDetector(_metadata(name, detector, resample_s), detector, X[-10:])


def _metadata(name: str, detector, resample_s: float | None = None) -> DetectorMetadata:
    return DetectorMetadata(
        name=name,
        kind=detector.kind,
        device="press-1",
        fields=FIELDS,
        since=None,
        until=None,
        first_timestamp=0.0,
        last_timestamp=199.0,
        rows=200,
        frames=200,
        late_frames=0,
        resample_s=resample_s,
        window=detector.window,
        sensitivity=detector.sensitivity,
        threshold=detector.threshold,
        train_quantiles=detector.train_quantiles,
        params={},
        fit_seconds=0.0,
        read_seconds=0.0,
        created_at="2025-01-01T00:00:00+00:00",
        cadml_version="0",
        files={},
    )


def live(pattern: str, start: float = 1000.0, device: str = "press-1") -> list[TelemetryFrame]:
    """One frame per character, 1 s apart: '.' is the training mean, 'X' is 10 sigma out."""
    return [
        TelemetryFrame(start + i, device, {"t": 60.0 if c == "X" else 50.0, "v": 5.0})
        for i, c in enumerate(pattern)
    ]


def test_a_monitor_alerts_once_per_excursion() -> None:
    monitor = AnomalyMonitor(trained_zscore(), clear_rows=3, cooldown_s=0.0)
    # excursion 1: XX.XX (one normal row inside); 2: a lone X; 3: XXXXX
    frames = live("....XX.XX.....X.........XXXXX....")
    alerts = monitor.observe_many(frames)
    assert [a.timestamp for a in alerts] == [1004.0, 1014.0, 1024.0]
    status = monitor.status()["press-1"]
    assert status["rows_scored"] == len(frames) and status["alerts"] == 3
    assert not status["in_excursion"]


def test_the_cooldown_of_the_monitor_counts_row_time() -> None:
    monitor = AnomalyMonitor(trained_zscore(), clear_rows=1, cooldown_s=12.0)
    alerts = monitor.observe_many(live("..X....X.......X"))
    assert [a.timestamp for a in alerts] == [1002.0, 1015.0]
    assert monitor.status()["press-1"]["suppressed"] == 1


def test_the_alert_frame_carries_the_rule_score_threshold_and_fields() -> None:
    trained = trained_zscore("press-1-z")
    monitor = AnomalyMonitor(trained, cooldown_s=0.0)
    (alert,) = monitor.observe_many(live("..X"))
    assert alert.device_id == "press-1" and alert.timestamp == 1002.0
    assert event_key(alert) == "anomaly:press-1-z"
    body = alert.status["alert"]
    assert body["kind"] == "anomaly" and body["severity"] == "critical"
    assert body["score"] == body["value"] > body["threshold"] == trained.detector.threshold
    assert body["fields"] == {"sensors.t": 60.0, "sensors.v": 5.0}
    assert (body["model"], body["detector"], body["row_timestamp"]) == (
        "press-1-z",
        "zscore",
        1002.0,
    )
    assert "press-1-z" in body["message"] and alert.sensors == {}
    # an alert coming back (written, then delivered to listeners) is not a reading
    assert monitor.observe(alert) is None


def test_only_the_watched_devices_are_scored_each_with_its_own_excursions() -> None:
    own = AnomalyMonitor(trained_zscore(), cooldown_s=0.0)
    assert own.observe_many(live("X", device="press-2")) == []
    everyone = AnomalyMonitor(trained_zscore(), cooldown_s=0.0, devices=["*"])
    alerts = everyone.observe_many(
        [*live("..XX", device="press-1"), *live("..X", device="press-2")]
    )
    assert sorted(a.device_id for a in alerts) == ["press-1", "press-2"]
    assert set(everyone.status()) == {"press-1", "press-2"}


def test_a_resampling_monitor_scores_a_bucket_when_it_closes() -> None:
    monitor = AnomalyMonitor(trained_zscore(resample_s=10.0), cooldown_s=0.0)
    frames = [TelemetryFrame(1000.0 + i, "press-1", {"t": 50.0, "v": 5.0}) for i in range(10)] + [
        TelemetryFrame(1010.0 + i, "press-1", {"t": 80.0, "v": 5.0}) for i in range(10)
    ]
    assert monitor.observe_many(frames) == []  # the anomalous bucket is still open
    (alert,) = monitor.flush()
    assert alert.timestamp == 1019.0  # the last reading of the bucket
    assert alert.status["alert"]["row_timestamp"] == 1010.0


def test_a_window_monitor_waits_for_a_full_window() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(400.0)
    X = np.column_stack([np.sin(t / 5) + rng.normal(0, 0.05, 400), np.cos(t / 5)])
    detector = LstmAutoencoderDetector(window=8, hidden=8, epochs=4).fit(X)
    trained = TrainedDetector(_metadata("seq", detector), detector, X[-20:])
    monitor = AnomalyMonitor(trained, cooldown_s=0.0)
    frames = [TelemetryFrame(float(i), "press-1", {"t": a, "v": b}) for i, (a, b) in enumerate(X)]
    assert monitor.observe_many(frames[:7]) == []
    assert monitor.status() == {
        "press-1": {
            "rows_scored": 0,
            "last_score": 0.0,
            "in_excursion": False,
            "alerts": 0,
            "suppressed": 0,
            "late_frames": 0,
        }
    }
    monitor.observe(frames[7])
    assert monitor.status()["press-1"]["rows_scored"] == 1
    spike = TelemetryFrame(400.0, "press-1", {"t": 25.0, "v": 0.0})
    assert monitor.observe(spike) is not None


def test_bad_monitor_options_are_refused() -> None:
    with pytest.raises(ValidationError):
        AnomalyMonitor(trained_zscore(), clear_rows=0)
    with pytest.raises(ValidationError):
        AnomalyMonitor(trained_zscore(), cooldown_s=-1.0)


# -- on the ingest pipeline ----------------------------------------------------------------


def test_monitors_on_the_pipeline_store_their_alerts_like_any_frame() -> None:
    store = MemoryTimeSeriesStore()
    pipeline = IngestPipeline(store, max_queue_frames=1000, batch_size=50, max_delay_s=0.005)
    seen: list[TelemetryFrame] = []
    pipeline.add_listener(seen.extend)  # stands in for the live WebSocket hub
    hook = attach_monitors(pipeline, [AnomalyMonitor(trained_zscore(), cooldown_s=0.0)])
    pipeline.start()
    try:
        for start, chunk in ((1000.0, "....XX...."), (1010.0, "....X.....")):
            pipeline.submit_wait(live(chunk, start=start), timeout_s=10)
    finally:
        assert pipeline.stop(drain=True)
    alerts = [f for f in store.history("press-1", limit=1000) if event_key(f)]
    assert sorted(a.timestamp for a in alerts) == [1004.0, 1014.0]
    assert {event_key(a) for a in alerts} == {"anomaly:press-1-z"}
    assert hook.raised == 2 and hook.dropped == 0
    assert sum(1 for f in seen if event_key(f)) == 2  # fanned out to the other listeners
    assert store.count("press-1") == 22


def test_a_refused_submission_drops_the_alerts_and_counts_them() -> None:
    def full(alerts: list[TelemetryFrame]) -> None:
        raise ServiceUnavailableError("TWIN_INGEST_OVERLOADED")

    hook = MonitorHook([AnomalyMonitor(trained_zscore(), cooldown_s=0.0)], full)
    hook(live("..X"))
    assert (hook.raised, hook.dropped) == (1, 1)
