"""In-order acks and the ingestor's message handling, driven without a broker."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import SimpleNamespace

from cadml.mqtt.acks import AckTracker
from cadml.mqtt.config import MqttConfig
from cadml.mqtt.ingestor import MqttIngestor
from cadml.timeseries.port import WriteResult
from cadml.twin.frame import TelemetryFrame, TimeRule, encode_frames
from cadml.twin.pipeline import IngestPipeline


def test_acks_are_released_in_arrival_order() -> None:
    t = AckTracker()
    t.reset()
    slots = [t.track(mid) for mid in (5, 6, 7, 8)]
    t.ready(slots[2])
    t.ready(slots[3])
    assert t.take() == []
    t.ready(slots[0])
    assert t.take() == [5]
    t.ready(slots[1])
    assert t.take() == [6, 7, 8]
    assert t.unresolved == 0 and t.take() == []


def test_a_new_connection_ignores_the_old_generation() -> None:
    t = AckTracker()
    t.reset()
    old = t.track(1)
    t.reset()  # reconnect: the broker will redeliver mid 1
    t.ready(old)
    assert t.take() == [] and t.unresolved == 0
    new = t.track(1)
    t.ready(new)
    t.ready(new)  # twice is harmless
    assert t.take() == [1]


def test_a_failed_slot_holds_back_later_acks() -> None:
    t = AckTracker()
    t.reset()
    a, b = t.track(1), t.track(2)
    t.fail(a)
    t.ready(b)
    assert t.take() == [] and t.unresolved == 0


class ListStore:
    name = "list"

    def __init__(self) -> None:
        self.frames: list[TelemetryFrame] = []
        self.gate = threading.Event()
        self.gate.set()

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        assert self.gate.wait(30)
        self.frames.extend(frames)
        return WriteResult(len(frames))


def message(mid: int, payload: bytes, device: str = "dev-1", dup: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        mid=mid, qos=1, dup=dup, payload=payload, topic=f"twin/telemetry/{device}"
    )


def setup(**kw: object) -> tuple[MqttIngestor, IngestPipeline, ListStore]:
    store = ListStore()
    pipeline = IngestPipeline(
        store, max_delay_s=0.005, time_rule=TimeRule(max_future_s=60, max_age_s=0)
    )
    pipeline.start()
    ingestor = MqttIngestor(MqttConfig(), pipeline, clock=lambda: 1000.0, **kw)  # type: ignore[arg-type]
    ingestor.acks.reset()
    return ingestor, pipeline, store


def frame_payload(ts: float, device: str = "dev-1") -> bytes:
    return encode_frames([TelemetryFrame(ts, device, {"t": 1.0})])


def test_good_messages_are_acked_only_after_the_commit() -> None:
    ingestor, pipeline, store = setup()
    store.gate.clear()
    ingestor._on_message(None, None, message(1, frame_payload(999.0)))  # type: ignore[arg-type]
    ingestor._on_message(None, None, message(2, frame_payload(999.5)))  # type: ignore[arg-type]
    assert ingestor.acks.take() == []  # nothing committed yet
    store.gate.set()
    assert pipeline.stop(timeout_s=30)
    assert ingestor.acks.take() == [1, 2]
    assert [f.timestamp for f in store.frames] == [999.0, 999.5]


def test_bad_messages_are_counted_by_reason_and_acked_in_order() -> None:
    ingestor, pipeline, store = setup(max_payload_bytes=2000)
    store.gate.clear()
    msgs = [
        message(1, frame_payload(999.0)),
        message(2, b"\xc1 not msgpack"),
        message(3, frame_payload(999.0, device="other"), device="dev-1"),
        message(4, frame_payload(5000.0)),  # from the future
        message(5, b""),
        message(6, b"[" + b" " * 3000 + b"]"),
        message(7, b'[{"timestamp": "x", "device_id": "dev-1"}]'),
    ]
    for m in msgs:
        ingestor._on_message(None, None, m)  # type: ignore[arg-type]
    assert ingestor.acks.take() == []  # message 1 is not committed, so nothing after it
    store.gate.set()
    assert pipeline.stop(timeout_s=30)
    assert ingestor.acks.take() == [1, 2, 3, 4, 5, 6, 7]
    assert pipeline.counters().rejected == {
        "TWIN_FRAME_UNDECODABLE": 1,
        "TWIN_FRAME_DEVICE_MISMATCH": 1,
        "TWIN_FRAME_FUTURE": 1,
        "TWIN_FRAME_EMPTY": 1,
        "TWIN_FRAME_TOO_LARGE": 1,
        "TWIN_FRAME_INVALID": 1,
    }
    stats = ingestor.stats()
    assert (stats.messages, stats.rejected_messages) == (7, 6)
    assert len(store.frames) == 1


def test_a_paused_ingestor_neither_submits_nor_acks() -> None:
    ingestor, pipeline, store = setup()
    ingestor._paused = True
    ingestor._on_message(None, None, message(1, frame_payload(999.0)))  # type: ignore[arg-type]
    assert pipeline.stop(timeout_s=30)
    assert ingestor.acks.take() == [] and store.frames == []


def test_a_stopped_pipeline_leaves_the_message_unacked() -> None:
    ingestor, pipeline, _ = setup()
    pipeline.stop()
    ingestor._on_message(None, None, message(1, frame_payload(999.0), dup=True))  # type: ignore[arg-type]
    assert ingestor.acks.take() == [] and ingestor.acks.unresolved == 0
    assert ingestor.stats().redelivered == 1


def test_track_many_releases_a_whole_read_at_once() -> None:
    t = AckTracker()
    t.reset()
    first, second = t.track_many([1, 2, 3]), t.track_many([4, 5])
    assert t.unresolved == 5
    t.ready(second)
    assert t.take() == []
    t.ready(first)
    assert t.take() == [1, 2, 3, 4, 5] and t.unresolved == 0


class CountingPipeline(IngestPipeline):
    """Counts submit calls."""

    submits = 0

    def submit(self, frames, done=None, **options):  # type: ignore[no-untyped-def]
        self.submits += 1
        super().submit(frames, done, **options)


def test_a_read_of_many_messages_is_one_submission_acked_after_its_commit() -> None:
    store = ListStore()
    pipeline = CountingPipeline(
        store, max_delay_s=0.005, time_rule=TimeRule(max_future_s=60, max_age_s=0)
    )
    pipeline.start()
    ingestor = MqttIngestor(MqttConfig(), pipeline, clock=lambda: 1000.0, client="lean")
    ingestor.acks.reset()
    store.gate.clear()
    batch = [(b"twin/telemetry/dev-1", frame_payload(990.0 + i), 10 + i, i == 3) for i in range(5)]
    batch.insert(2, (b"twin/telemetry/dev-1", b"\xc1", 20, False))  # undecodable
    batch.append((b"twin/telemetry/\xff", frame_payload(999.0), 21, False))  # not UTF-8
    batch.append((b"twin/telemetry/dev-1", frame_payload(999.9), 0, False))  # QoS 0
    ingestor._on_batch(batch)
    assert pipeline.submits == 1
    assert ingestor.acks.take() == []  # not committed yet
    store.gate.set()
    assert pipeline.stop(timeout_s=30)
    assert ingestor.acks.take() == [10, 11, 20, 12, 13, 14, 21]  # arrival order, no QoS 0
    assert len(store.frames) == 6
    assert pipeline.counters().rejected == {
        "TWIN_FRAME_UNDECODABLE": 1,
        "TWIN_FRAME_INVALID": 1,
    }
    stats = ingestor.stats()
    assert (stats.messages, stats.rejected_messages, stats.redelivered) == (8, 2, 1)


def test_a_read_of_only_bad_messages_is_acked_at_once() -> None:
    ingestor, pipeline, _ = setup()
    ingestor._on_batch([(b"twin/telemetry/dev-1", b"", 7, False)])
    assert ingestor.acks.take() == [7]
    assert pipeline.stop(timeout_s=30)


def test_an_unknown_client_is_a_configuration_error() -> None:
    import pytest

    from cadml.errors import ConfigurationError

    pipeline = IngestPipeline(ListStore())
    with pytest.raises(ConfigurationError) as info:
        MqttIngestor(MqttConfig(), pipeline, client="gmqtt")
    assert info.value.code == "TWIN_MQTT_INVALID_CLIENT"
    with pytest.raises(ConfigurationError):
        MqttConfig(client="gmqtt")
