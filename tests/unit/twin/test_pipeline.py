"""The ingest pipeline against an in-memory fake store (no network, no database)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from cadml.errors import ServiceUnavailableError
from cadml.timeseries.port import WriteResult
from cadml.twin.frame import Rejection, TelemetryFrame
from cadml.twin.pipeline import IngestPipeline


class FakeStore:
    """Idempotent on (device, timestamp); can block and fail on demand."""

    name = "fake"

    def __init__(self) -> None:
        self.rows: dict[tuple[str, float], TelemetryFrame] = {}
        self.batches: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.failures = 0
        self.lock = threading.Lock()

    def write(self, frames: Sequence[TelemetryFrame]) -> WriteResult:
        self.entered.set()
        assert self.gate.wait(30)
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise OSError("store down")
            written = 0
            for f in frames:
                key = (f.device_id, f.timestamp)
                if key not in self.rows:
                    self.rows[key] = f
                    written += 1
            self.batches.append(len(frames))
            return WriteResult(written, len(frames) - written)


def frames(n: int, start: int = 0, device: str = "d") -> list[TelemetryFrame]:
    return [TelemetryFrame(float(start + i), device, {"x": float(i)}) for i in range(n)]


def make(store: FakeStore, **kw: object) -> IngestPipeline:
    options: dict[str, object] = {
        "max_queue_frames": 1000,
        "batch_size": 100,
        "max_delay_s": 0.01,
        "retry_initial_s": 0.001,
        "retry_max_s": 0.01,
    }
    options.update(kw)
    pipeline = IngestPipeline(store, **options)  # type: ignore[arg-type]
    pipeline.start()
    return pipeline


def test_every_frame_is_written_once_and_counted() -> None:
    store = FakeStore()
    p = make(store)
    results: list[WriteResult | BaseException] = []
    for i in range(50):
        p.submit(frames(3, start=3 * i), results.append)
    assert p.stop(drain=True, timeout_s=30)
    assert len(store.rows) == 150
    assert len(results) == 50 and all(isinstance(r, WriteResult) for r in results)
    c = p.counters()
    assert (c.received, c.written, c.duplicates, c.queue_depth, c.in_flight) == (150, 150, 0, 0, 0)
    assert c.batches == len(store.batches) and sum(store.batches) == 150


def test_batches_never_exceed_batch_size_when_submissions_fit() -> None:
    store = FakeStore()
    store.gate.clear()  # hold the writer so the queue fills up
    p = make(store, batch_size=10, max_delay_s=0.3)
    p.submit(frames(1))
    assert store.entered.wait(10)
    for i in range(35):
        p.submit(frames(1, start=100 + i))
    store.gate.set()
    assert p.stop(timeout_s=30)
    assert store.batches[0] == 1 and max(store.batches) == 10
    assert sum(store.batches) == 36


def test_a_single_frame_is_committed_after_the_delay_without_filling_a_batch() -> None:
    store = FakeStore()
    p = make(store, batch_size=10_000, max_delay_s=0.01)
    assert p.submit_wait(frames(1), timeout_s=30) == WriteResult(1, 0)
    assert store.batches == [1]
    p.stop()


def test_done_is_not_called_before_the_commit() -> None:
    store = FakeStore()
    store.gate.clear()
    p = make(store)
    called = threading.Event()
    p.submit(frames(5), lambda outcome: called.set())
    assert store.entered.wait(10)
    assert not called.is_set()  # the store has not returned yet
    store.gate.set()
    assert called.wait(10)
    p.stop()


def test_full_queue_raises_overloaded_and_counts_dropped() -> None:
    store = FakeStore()
    store.gate.clear()
    p = make(store, max_queue_frames=10, batch_size=5)
    p.submit(frames(5))
    assert store.entered.wait(10)  # the writer holds 5, the queue is empty
    p.submit(frames(10, start=100))
    with pytest.raises(ServiceUnavailableError) as info:
        p.submit(frames(1, start=500))
    assert info.value.code == "TWIN_INGEST_OVERLOADED"
    assert info.value.details["capacity"] == 10
    assert p.counters().dropped == {"overloaded": 1}
    store.gate.set()
    assert p.stop(timeout_s=30)
    assert len(store.rows) == 15


def full(store: FakeStore) -> IngestPipeline:
    """A pipeline of 10 frames' room whose writer is stuck and whose queue is full."""
    store.gate.clear()
    p = make(store, max_queue_frames=10, batch_size=10)
    p.submit(frames(10))
    assert store.entered.wait(10)
    p.submit(frames(10, start=100))
    return p


def test_blocking_submit_waits_for_room() -> None:
    store = FakeStore()
    p = full(store)
    done = threading.Event()

    def blocked() -> None:
        p.submit(frames(10, start=200), block=True)
        done.set()

    t = threading.Thread(target=blocked)
    t.start()
    assert not done.wait(0.2)  # the queue is full: it waits
    store.gate.set()
    assert done.wait(30)
    t.join()
    assert p.stop(timeout_s=30)
    assert len(store.rows) == 30 and p.counters().dropped == {}


def test_blocking_submit_with_a_timeout_gives_overloaded() -> None:
    store = FakeStore()
    store.gate.clear()
    p = make(store, max_queue_frames=5, batch_size=5)
    p.submit(frames(5))
    assert store.entered.wait(10)
    p.submit(frames(5, start=10))
    with pytest.raises(ServiceUnavailableError, match="TWIN_INGEST_OVERLOADED"):
        p.submit(frames(1, start=99), block=True, timeout_s=0.05)
    store.gate.set()
    p.stop()


def test_store_failures_are_retried_until_the_batch_commits() -> None:
    store = FakeStore()
    store.failures = 3
    p = make(store)
    outcome = p.submit_wait(frames(7), timeout_s=30)
    assert outcome == WriteResult(7, 0)
    c = p.counters()
    assert c.store_errors == 3 and c.written == 7 and c.batches == 1
    assert p.metrics.registry.get_sample_value("cadml_twin_ingest_store_errors_total") == 3
    p.stop()


def test_stop_does_not_hang_on_a_dead_store_and_fails_pending_frames() -> None:
    store = FakeStore()
    store.failures = 10**9
    p = make(store)
    outcomes: list[WriteResult | BaseException] = []
    p.submit(frames(4), outcomes.append)
    p.submit(frames(4, start=10), outcomes.append)
    assert p.stop(drain=True, timeout_s=0.3) is False
    assert len(outcomes) == 2
    assert all(isinstance(o, ServiceUnavailableError) for o in outcomes)
    assert {o.code for o in outcomes if isinstance(o, ServiceUnavailableError)} == {
        "TWIN_INGEST_STOPPED"
    }
    c = p.counters()
    assert c.dropped == {"shutdown": 8} and c.written == 0 and c.store_errors >= 1


def test_stop_without_drain_fails_the_queue() -> None:
    store = FakeStore()
    store.gate.clear()
    p = make(store, batch_size=2)
    outcomes: list[WriteResult | BaseException] = []
    p.submit(frames(2), outcomes.append)
    assert store.entered.wait(10)
    p.submit(frames(2, start=10), outcomes.append)
    stopper = threading.Thread(target=lambda: p.stop(drain=False, timeout_s=30))
    stopper.start()
    store.gate.set()
    stopper.join(30)
    assert isinstance(outcomes[-1], WriteResult) or isinstance(outcomes[0], BaseException)
    assert sorted(type(o).__name__ for o in outcomes) == ["ServiceUnavailableError", "WriteResult"]
    assert len(store.rows) == 2


def test_submit_after_stop_is_refused() -> None:
    p = make(FakeStore())
    p.stop()
    with pytest.raises(ServiceUnavailableError, match="TWIN_INGEST_STOPPED"):
        p.submit(frames(1))


def test_submit_wait_reports_duplicates_of_its_own_frames() -> None:
    store = FakeStore()
    p = make(store)
    assert p.submit_wait(frames(5), timeout_s=30) == WriteResult(5, 0)
    assert p.submit_wait(frames(5, start=3), timeout_s=30) == WriteResult(3, 2)
    c = p.counters()
    assert (c.written, c.duplicates) == (8, 2)
    p.stop()


def test_listeners_get_committed_frames_and_a_failing_listener_is_ignored() -> None:
    store = FakeStore()
    p = make(store)
    seen: list[TelemetryFrame] = []

    def broken(batch: list[TelemetryFrame]) -> None:
        raise RuntimeError("listener bug")

    p.add_listener(broken)
    p.add_listener(seen.extend)
    p.submit_wait(frames(3), timeout_s=30)
    p.submit_wait(frames(2, start=10), timeout_s=30)
    assert [f.timestamp for f in seen] == [0.0, 1.0, 2.0, 10.0, 11.0]
    p.stop()


def test_rejections_are_counted_by_reason_in_counters_and_metrics() -> None:
    p = make(FakeStore())
    p.count_rejections(
        [
            Rejection("TWIN_FRAME_INVALID", "x", 0),
            Rejection("TWIN_FRAME_INVALID", "y", 1),
            Rejection("TWIN_FRAME_FUTURE", "z", 2),
        ]
    )
    p.count_rejections([])
    assert p.counters().rejected == {"TWIN_FRAME_INVALID": 2, "TWIN_FRAME_FUTURE": 1}
    value = p.metrics.registry.get_sample_value(
        "cadml_twin_ingest_frames_rejected_total", {"reason": "TWIN_FRAME_INVALID"}
    )
    assert value == 2
    p.stop()


def test_many_submitting_threads_lose_and_duplicate_nothing() -> None:
    store = FakeStore()
    p = make(store, max_queue_frames=200, batch_size=64)
    threads = [
        threading.Thread(
            target=lambda k=k: [
                p.submit(frames(2, start=k * 10_000 + 2 * i), block=True) for i in range(250)
            ]
        )
        for k in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert p.stop(timeout_s=30)
    assert len(store.rows) == 2000
    c = p.counters()
    assert (c.received, c.written, c.duplicates, c.dropped) == (2000, 2000, 0, {})
    assert p.metrics.registry.get_sample_value("cadml_twin_ingest_frames_written_total") == 2000
    assert p.metrics.registry.get_sample_value("cadml_twin_ingest_queue_depth") == 0


def test_decode_applies_the_time_rule() -> None:
    from cadml.twin.frame import TimeRule, encode_frames

    p = IngestPipeline(FakeStore(), time_rule=TimeRule(max_future_s=10, max_age_s=100))
    payload = encode_frames([TelemetryFrame(1000.0, "d"), TelemetryFrame(5000.0, "d")])
    decoded = p.decode(payload, device_id="d", now=1000.0)
    assert [f.timestamp for f in decoded.frames] == [1000.0]
    assert [r.code for r in decoded.rejections] == ["TWIN_FRAME_FUTURE"]


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        IngestPipeline(FakeStore(), batch_size=0)


def test_a_blocked_submitter_is_called_back_while_it_waits() -> None:
    store = FakeStore()
    p = full(store)
    calls: list[float] = []
    done = threading.Event()

    def blocked() -> None:
        p.submit(frames(10, start=200), block=True, while_blocked=lambda: calls.append(1.0))
        done.set()

    t = threading.Thread(target=blocked)
    t.start()
    assert not done.wait(0.8)  # the queue is full: it waits, and is called back meanwhile
    assert len(calls) >= 2
    store.gate.set()
    assert done.wait(30)
    t.join()
    assert p.stop(timeout_s=30)
    assert len(store.rows) == 30 and p.counters().dropped == {}
