"""One contract suite over every ``TimeSeriesStore``: memory, SQLite, PostgreSQL, InfluxDB.

The oracle for aggregates is numpy over the very frames that were written. Two store
capabilities are read from the store itself and change what is asserted, never how
strictly what is stored is checked:

* ``counts_duplicates``: the store tells a rewrite from a new frame (``WriteResult``
  counts it and the first write wins). InfluxDB cannot: a point with the same series and
  time overwrites, so identical retries are idempotent but ``duplicates`` is 0.
* ``keeps_rollups``: rollups live apart from raw points, so deleting raw points leaves
  aligned aggregates answerable until the rollups are deleted too. InfluxDB answers
  every aggregate from raw points.

PostgreSQL uses one throw-away database per module (``pg_database_factory``), its tables
emptied before each test; InfluxDB a throw-away database name per test, dropped
afterwards. Both skip when the server is absent, and
fail instead under ``CADML_TEST_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from cadml.errors import StorageError
from cadml.timeseries.memory import MemoryTimeSeriesStore
from cadml.timeseries.port import (
    AGGREGATE_FUNCTIONS,
    AggregatePoint,
    Cursor,
    TimeSeriesStore,
    WriteResult,
)
from cadml.timeseries.sqlite import SqliteTimeSeriesStore
from cadml.twin.frame import TelemetryFrame, event_key

INFLUX_URL = os.environ.get("CADML_TEST_INFLUX_URL", "http://127.0.0.1:8086")
REQUIRE_SERVICES = os.environ.get("CADML_TEST_REQUIRE_SERVICES") == "1"

T0 = 1_699_999_200.0  # a whole hour (472222 * 3600)
assert (T0 / 3600).is_integer()


def _influx_or_skip() -> None:
    try:
        with socket.create_connection(("127.0.0.1", 8086), timeout=1):
            return
    except OSError:
        message = f"InfluxDB is not running at {INFLUX_URL}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def pg_module_database(pg_database_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """One throw-away PostgreSQL database for this module (creating one per test is slow)."""
    with pg_database_factory() as url:
        yield url


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "influx",
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimeSeriesStore]:
    """Every store implementation, empty, one after the other."""
    made: TimeSeriesStore
    cleanup = None
    if request.param == "memory":
        made = MemoryTimeSeriesStore()
    elif request.param == "sqlite":
        made = SqliteTimeSeriesStore(tmp_path / "twin.db")
    elif request.param == "postgres":
        import psycopg

        from cadml.timeseries.postgres import PostgresTimeSeriesStore

        url = request.getfixturevalue("pg_module_database")
        made = PostgresTimeSeriesStore(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "TRUNCATE ts_frames, ts_rollup_1m, ts_rollup_1h, ts_device_state, ts_field_state"
            )
    else:
        from cadml.timeseries.influx import InfluxTimeSeriesStore

        _influx_or_skip()
        db = f"cadml_test_{secrets.token_hex(6)}"
        made = InfluxTimeSeriesStore(INFLUX_URL, db)

        def cleanup() -> None:
            httpx.post(f"{INFLUX_URL}/query", data={"q": f'DROP DATABASE "{db}"'}, timeout=10)

    assert isinstance(made, TimeSeriesStore)
    try:
        yield made
    finally:
        made.close()
        if cleanup is not None:
            cleanup()


def counts_duplicates(store: TimeSeriesStore) -> bool:
    return bool(getattr(store, "counts_duplicates", True))


def keeps_rollups(store: TimeSeriesStore) -> bool:
    return bool(getattr(store, "keeps_rollups", True))


# ------------------------------------------------------------------ data


def alert(ts: float, device: str, rule: str, **sensors: float) -> TelemetryFrame:
    return TelemetryFrame(
        ts, device, dict(sensors), {}, {"alert": {"rule_id": rule, "level": "high"}}
    )


def history_frames(device: str = "press-1") -> list[TelemetryFrame]:
    """Ten readings one second apart and an alert event sharing the 6th's timestamp."""
    frames = [
        TelemetryFrame(
            T0 + i + 0.125,
            device,
            {"t": 20.0 + i, "p": 2.0 * i},
            {"rpm": 100.0 + i},
            {"mode": "run", "step": i},
        )
        for i in range(10)
    ]
    frames.append(alert(T0 + 5.125, device, "overheat", t=25.0))
    return frames


def newest_first(frames: Sequence[TelemetryFrame]) -> list[TelemetryFrame]:
    return sorted(frames, key=lambda f: (f.timestamp, event_key(f)), reverse=True)


def series_frames() -> list[TelemetryFrame]:
    """Two devices over two hours; some frames lack metrics.rpm; alert events mixed in."""
    rng = np.random.default_rng(7)
    frames = []
    for i in range(1000):
        ts = T0 + 0.125 + 7.5 * i
        metrics = {"rpm": float(rng.uniform(1000, 2000))} if i % 2 else {}
        frames.append(TelemetryFrame(ts, "A", {"temp": float(rng.normal(50, 10))}, metrics))
    for i in range(700):
        ts = T0 + 3.0 + 11.0 * i
        frames.append(TelemetryFrame(ts, "B", {"temp": float(rng.normal(70, 5))}))
    # alert events repeat a reading's timestamp with a wild value: never aggregated
    frames += [
        alert(T0 + 0.125 + 7.5 * 40, "A", "hot", temp=1e6),
        alert(T0 + 3.0, "B", "x", temp=-1e6),
    ]
    random.Random(3).shuffle(frames)
    return frames


def write_in_batches(
    store: TimeSeriesStore, frames: Sequence[TelemetryFrame], n: int = 300
) -> None:
    for i in range(0, len(frames), n):
        result = store.write(frames[i : i + n])
        assert result.written == len(frames[i : i + n])


def oracle(
    frames: Sequence[TelemetryFrame],
    field: str,
    window: float,
    fn: str,
    start: float,
    stop: float,
    device: str | None,
) -> list[tuple[float, float, int]]:
    group, name = field.split(".")
    pts = [
        (f.timestamp, getattr(f, group)[name])
        for f in frames
        if not event_key(f)
        and (device is None or f.device_id == device)
        and name in getattr(f, group)
        and start <= f.timestamp < stop
    ]
    if not pts:
        return []
    ts = np.array([p[0] for p in pts])
    vals = np.array([p[1] for p in pts])
    buckets = np.floor(ts / window)
    out = []
    for b in np.unique(buckets):
        v = vals[buckets == b]
        value = float(len(v)) if fn == "count" else float(NUMPY[fn](v))
        out.append((float(b) * window, float(value), len(v)))
    return out


# np.std is the population standard deviation (ddof=0)
NUMPY: dict[str, Callable[[np.ndarray], Any]] = {
    "mean": np.mean,
    "min": np.min,
    "max": np.max,
    "sum": np.sum,
    "stddev": np.std,
}


def assert_matches(
    got: list[AggregatePoint], want: list[tuple[float, float, int]], case: str
) -> None:
    assert [(p.start, p.count) for p in got] == [(w[0], w[2]) for w in want], case
    for p, w in zip(got, want, strict=True):
        assert p.value == pytest.approx(w[1], rel=1e-9, abs=1e-9), (case, p, w)


def assert_invalid(call, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StorageError) as info:
        call(*args, **kwargs)
    assert info.value.code == "TWIN_STORE_INVALID_QUERY"


# ------------------------------------------------------------------ write + history


def test_write_then_history_newest_first(store: TimeSeriesStore) -> None:
    frames = history_frames()
    shuffled = frames[:]
    random.Random(1).shuffle(shuffled)
    assert store.write(shuffled) == WriteResult(11, 0)
    assert store.count("press-1") == 11
    assert store.count() == 11
    got = store.history("press-1")
    assert got == newest_first(frames)
    # an alert event sorts before the reading sharing its timestamp (event key descending)
    assert [event_key(f) for f in got[4:6]] == ["overheat", ""]


def test_history_range_is_start_inclusive_stop_exclusive(store: TimeSeriesStore) -> None:
    store.write(history_frames())
    got = store.history("press-1", start=T0 + 2.125, stop=T0 + 6.125)
    assert [f.timestamp - T0 for f in got] == [5.125, 5.125, 4.125, 3.125, 2.125]
    assert store.history("press-1", start=T0 + 9.125) == [newest_first(history_frames())[0]]
    assert store.history("press-1", stop=T0 + 0.125) == []
    assert store.history("press-1", start=T0 + 3.0, stop=T0 + 3.0) == []


def test_history_limit_and_field_selection(store: TimeSeriesStore) -> None:
    store.write(history_frames())
    assert store.history("press-1", limit=3) == newest_first(history_frames())[:3]
    got = store.history("press-1", limit=2, fields=["sensors.t", "metrics.rpm"])
    assert [(f.sensors, f.metrics) for f in got] == [({"t": 29.0}, {"rpm": 109.0}),
                                                     ({"t": 28.0}, {"rpm": 108.0})]  # fmt: skip
    assert got[0].status == {"mode": "run", "step": 9}  # status is kept whole
    only = store.history("press-1", fields=["sensors.p"])
    assert len(only) == 11
    assert all(set(f.sensors) <= {"p"} and f.metrics == {} for f in only)


@pytest.mark.parametrize("page", [1, 2, 3, 5])
def test_cursor_pagination_visits_every_frame_once(store: TimeSeriesStore, page: int) -> None:
    frames = history_frames()
    frames.append(alert(T0 + 5.125, "press-1", "vibration", t=25.0))  # three share 5.125
    store.write(frames)
    seen: list[TelemetryFrame] = []
    cursor: Cursor | None = None
    while True:
        got = store.history("press-1", limit=page, before=cursor)
        assert len(got) <= page
        if not got:
            break
        seen += got
        cursor = Cursor(got[-1].timestamp, event_key(got[-1]))
    assert seen == newest_first(frames)
    assert [event_key(f) for f in seen[4:7]] == ["vibration", "overheat", ""]


def test_timestamps_and_values_round_trip_exactly(store: TimeSeriesStore) -> None:
    frames = [
        TelemetryFrame(1700000000.125, "d", {"a": 0.1, "b": -5e20}),
        TelemetryFrame(1700000000.123456, "d", {"a": 1e-300, "b": 123456.789012345}),
        TelemetryFrame(1700000000.000001, "d", {}, {"m": -0.0001}, {"s": 'x y,z="q"\\'}),
    ]
    store.write(frames)
    assert store.history("d") == newest_first(frames)


# ------------------------------------------------------------------ idempotency


def test_rewrite_is_idempotent(store: TimeSeriesStore) -> None:
    frames = series_frames()
    write_in_batches(store, frames)
    before = store.count()
    aggregate_before = store.aggregate(
        "sensors.temp", window_s=60, fn="sum", start=T0, stop=T0 + 7200
    )
    history_before = store.history("A", limit=50)
    state_before = store.state("A")

    result = store.write(frames[:500])
    if counts_duplicates(store):
        assert result == WriteResult(0, 500)
    else:  # InfluxDB: the same series + time overwrites; duplicates are not counted
        assert result == WriteResult(500, 0)
    assert store.count() == before == 1702
    assert store.aggregate("sensors.temp", window_s=60, fn="sum", start=T0, stop=T0 + 7200) == (
        aggregate_before
    )
    assert store.history("A", limit=50) == history_before
    assert store.state("A") == state_before


def test_duplicates_inside_one_batch_are_stored_once(store: TimeSeriesStore) -> None:
    f = TelemetryFrame(T0 + 1, "d", {"t": 1.0})
    result = store.write([f, f, f])
    assert result == (WriteResult(1, 2) if counts_duplicates(store) else WriteResult(1, 0))
    assert store.count("d") == 1
    (point,) = store.aggregate("sensors.t", window_s=60, fn="count", start=T0, stop=T0 + 60)
    assert point.count == 1


def test_a_batch_of_new_frames_and_duplicates_counts_only_the_new_ones(
    store: TimeSeriesStore,
) -> None:
    # every third frame first, then everything in shuffled batches that mix new frames,
    # duplicates and (on device A) frames with and without metrics.rpm
    frames = series_frames()
    first = frames[::3]
    write_in_batches(store, first)
    rng = np.random.default_rng(11)
    order = rng.permutation(len(frames))
    written = duplicates = 0
    for i in range(0, len(order), 257):
        result = store.write([frames[j] for j in order[i : i + 257]])
        written += result.written
        duplicates += result.duplicates
    if counts_duplicates(store):
        assert (written, duplicates) == (len(frames) - len(first), len(first))
    assert store.count() == len(frames)
    for field in ("sensors.temp", "metrics.rpm"):
        for fn in ("count", "sum", "stddev"):
            for window, a, b in ((60.0, 0.0, 7200.0), (90.0, 0.0, 7200.0)):
                got = store.aggregate(field, window_s=window, fn=fn, start=T0 + a, stop=T0 + b)
                want = oracle(frames, field, window, fn, T0 + a, T0 + b, None)
                assert_matches(got, want, f"mixed batches {field} {fn} {window}")


def test_first_write_wins(store: TimeSeriesStore) -> None:
    store.write([TelemetryFrame(T0 + 1, "d", {"t": 1.0})])
    result = store.write([TelemetryFrame(T0 + 1, "d", {"t": 99.0})])
    # InfluxDB (documented): the same series + time overwrites, so the last write wins
    kept = 1.0 if counts_duplicates(store) else 99.0
    assert result == (WriteResult(0, 1) if counts_duplicates(store) else WriteResult(1, 0))
    assert store.count("d") == 1
    assert store.history("d")[0].sensors == {"t": kept}
    state = store.state("d")
    assert state is not None and state.fields["sensors.t"].value == kept
    (point,) = store.aggregate("sensors.t", window_s=60, fn="max", start=T0, stop=T0 + 60)
    assert (point.value, point.count) == (kept, 1)


def test_alert_events_are_keyed_by_rule_id(store: TimeSeriesStore) -> None:
    reading = TelemetryFrame(T0 + 1, "d", {"t": 90.0})
    hot, loud = alert(T0 + 1, "d", "hot", t=90.0), alert(T0 + 1, "d", "loud")
    assert store.write([reading, hot]).written == 2
    result = store.write([hot, loud])
    assert result.written == (1 if counts_duplicates(store) else 2)
    assert store.count("d") == 3
    assert store.history("d") == [loud, hot, reading]  # "loud" > "hot" > ""
    # alert events are history only: one reading in the aggregate
    (point,) = store.aggregate("sensors.t", window_s=60, fn="count", start=T0, stop=T0 + 60)
    assert point.count == 1


# ------------------------------------------------------------------ aggregates

CASES = [
    # (window, start offset, stop offset, path)
    (60.0, 0.0, 7200.0, "1-minute rollup"),
    (300.0, 0.0, 7200.0, "1-minute rollup, 5 per window"),
    (3600.0, 0.0, 7200.0, "1-hour rollup"),
    (7200.0, -7200.0, 10800.0, "1-hour rollup, 2 per window, range past the data"),
    (60.0, 600.0, 1200.0, "1-minute rollup, inner range"),
    (90.0, 0.0, 7200.0, "raw: window not a multiple of 60"),
    (60.0, 17.5, 7000.0, "raw: unaligned range"),
    (0.5, 100.0, 200.0, "raw: sub-second window"),
]


@pytest.mark.parametrize("device", ["A", None])
def test_aggregates_match_numpy(store: TimeSeriesStore, device: str | None) -> None:
    frames = series_frames()
    write_in_batches(store, frames)
    for window, a, b, label in CASES:
        for field in ("sensors.temp", "metrics.rpm"):
            for fn in AGGREGATE_FUNCTIONS:
                got = store.aggregate(
                    field, window_s=window, fn=fn, start=T0 + a, stop=T0 + b, device_id=device
                )
                want = oracle(frames, field, window, fn, T0 + a, T0 + b, device)
                assert want, label
                assert_matches(got, want, f"{label} {field} {fn} device={device}")


def test_aggregates_of_missing_things_are_empty(store: TimeSeriesStore) -> None:
    write_in_batches(store, series_frames())
    for window in (60.0, 90.0):
        for kwargs in (
            {"field": "sensors.nope"},
            {"field": "sensors.temp", "device_id": "nobody"},
            {"field": "metrics.rpm", "device_id": "B"},
        ):
            assert (
                store.aggregate(
                    window_s=window,
                    fn="mean",
                    start=T0,
                    stop=T0 + 3600,
                    **kwargs,  # type: ignore[arg-type]
                )
                == []
            )
    assert store.aggregate("sensors.temp", window_s=60, fn="mean", start=T0 - 3600, stop=T0) == []
    assert store.aggregate("sensors.temp", window_s=60, fn="mean", start=T0, stop=T0) == []


# ------------------------------------------------------------------ state


def test_state_holds_last_values_and_ignores_late_older_frames(store: TimeSeriesStore) -> None:
    assert store.state("d") is None
    store.write(
        [
            TelemetryFrame(T0 + 10, "d", {"t": 10.0}, {"rpm": 1000.0}, {"mode": "run"}),
            TelemetryFrame(T0 + 5, "d", {"t": 5.0, "p": 1.5}, {}, {"mode": "idle"}),
        ]
    )
    store.write([TelemetryFrame(T0 + 7, "d", {"t": 7.0, "p": 2.5}, {"rpm": 700.0}, {"mode": "x"})])
    store.write([alert(T0 + 12, "d", "hot", t=99.0)])  # alerts do not move the values
    state = store.state("d")
    assert state is not None
    assert state.device_id == "d"
    assert state.last_seen == T0 + 12
    assert {k: (v.value, v.timestamp) for k, v in state.fields.items()} == {
        "sensors.t": (10.0, T0 + 10),
        "sensors.p": (2.5, T0 + 7),
        "metrics.rpm": (1000.0, T0 + 10),
    }
    assert state.status == {"mode": "run"}
    store.write([TelemetryFrame(T0 + 11, "d", {"t": 11.0})])  # no status: status stays
    state = store.state("d")
    assert state is not None
    assert state.fields["sensors.t"].value == 11.0
    assert state.status == {"mode": "run"}
    assert store.state("other") is None


# ------------------------------------------------------------------ retention


def test_retention_deletes_raw_and_rollups_separately(store: TimeSeriesStore) -> None:
    frames = series_frames()
    write_in_batches(store, frames)
    cut = T0 + 3600
    old_a = [f for f in frames if f.device_id == "A" and f.timestamp < cut]
    assert store.delete_before("A", raw_before=cut) == len(old_a) == 481

    assert store.count("A") == 1001 - 481
    assert store.count("B") == 701
    assert min(f.timestamp for f in store.history("A", limit=1000)) >= cut
    # raw path: the deleted frames are gone
    assert (
        store.aggregate("sensors.temp", window_s=90, fn="count", start=T0, stop=cut, device_id="A")
        == []
    )
    # rollup path: answered from the rollups until they are deleted

    def aligned(start: float, stop: float) -> list[AggregatePoint]:
        return store.aggregate(
            "sensors.temp", window_s=300.0, fn="mean", start=start, stop=stop, device_id="A"
        )

    old = aligned(T0, cut)
    if keeps_rollups(store):
        assert_matches(
            old, oracle(frames, "sensors.temp", 300, "mean", T0, cut, "A"), "kept rollups"
        )
    else:
        assert old == []
    recent = oracle(frames, "sensors.temp", 300, "mean", cut, T0 + 7200, "A")
    assert_matches(aligned(cut, T0 + 7200), recent, "recent")

    assert store.delete_before("A", rollup_before=cut + 30) == 0  # rollups only: no raw frame
    assert aligned(T0, cut) == []
    # the 1-minute bucket [cut, cut+60) ends after cut+30: kept
    (first,) = store.aggregate(
        "sensors.temp", window_s=60, fn="count", start=cut, stop=cut + 60, device_id="A"
    )
    assert first.count == 8
    assert_matches(aligned(cut, T0 + 7200), recent, "recent")
    # the other device is untouched
    b = oracle(frames, "sensors.temp", 3600, "sum", T0, T0 + 7200, "B")
    assert_matches(
        store.aggregate(
            "sensors.temp", window_s=3600, fn="sum", start=T0, stop=T0 + 7200, device_id="B"
        ),
        b,
        "B",
    )
    assert store.delete_before("nobody", raw_before=cut, rollup_before=cut) == 0


# ------------------------------------------------------------------ odd inputs


def test_unicode_device_ids(store: TimeSeriesStore) -> None:
    device = "pres-İzmir ğüşöç,=東京/🚀"
    frames = history_frames(device)
    store.write(frames)
    assert store.history(device) == newest_first(frames)
    assert store.count(device) == 11
    state = store.state(device)
    assert state is not None and state.fields["sensors.t"].value == 29.0
    (point,) = store.aggregate(
        "sensors.t", window_s=60, fn="sum", start=T0, stop=T0 + 60, device_id=device
    )
    assert point.value == sum(20.0 + i for i in range(10))
    assert store.delete_before(device, raw_before=T0 + 60) == 11
    assert store.history(device) == []


def test_empty_results(store: TimeSeriesStore) -> None:
    assert store.write([]) == WriteResult(0, 0)
    assert store.history("nobody") == []
    assert store.count() == 0
    assert store.count("nobody") == 0
    assert store.state("nobody") is None
    assert store.aggregate("sensors.t", window_s=60, fn="mean", start=T0, stop=T0 + 3600) == []
    assert store.aggregate("sensors.t", window_s=7, fn="mean", start=T0, stop=T0 + 3600) == []
    assert store.delete_before("nobody", raw_before=T0, rollup_before=T0) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"field": "temp"},
        {"field": "sensors."},
        {"field": "status.mode"},
        {"field": "sensors.a.b"},
        {"fn": "median"},
        {"window_s": 0},
        {"window_s": -60},
        {"window_s": float("nan")},
        {"window_s": float("inf")},
        {"window_s": 1.0000001},
        {"start": T0 + 60, "stop": T0},
        {"start": float("nan")},
        {"stop": float("inf")},
    ],
)
def test_invalid_aggregate_queries_are_refused(
    store: TimeSeriesStore, kwargs: dict[str, object]
) -> None:
    args: dict[str, object] = {"field": "sensors.t", "window_s": 60.0, "fn": "mean",
                               "start": T0, "stop": T0 + 3600} | kwargs  # fmt: skip
    field = args.pop("field")
    assert_invalid(store.aggregate, field, **args)


def test_invalid_history_and_retention_are_refused(store: TimeSeriesStore) -> None:
    assert_invalid(store.history, "d", limit=0)
    assert_invalid(store.history, "d", start=T0 + 1, stop=T0)
    assert_invalid(store.history, "d", fields=["rpm"])
    assert_invalid(store.delete_before, "d", raw_before=float("nan"))


# ------------------------------------------------------------------ threads


def test_one_writer_and_readers_in_threads(store: TimeSeriesStore) -> None:
    batches = [
        [TelemetryFrame(T0 + b * 100 + i, "d", {"t": float(i)}) for i in range(100)]
        for b in range(20)
    ]
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for batch in batches:
                store.write(batch)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    def reader() -> None:
        try:
            while not done.is_set():
                got = store.history("d", limit=10)
                assert got == sorted(got, key=lambda f: f.timestamp, reverse=True)
                store.aggregate("sensors.t", window_s=60, fn="count", start=T0, stop=T0 + 3600)
                store.state("d")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert store.count("d") == 2000
    (point,) = store.aggregate(
        "sensors.t", window_s=3600, fn="sum", start=T0, stop=T0 + 3600, device_id="d"
    )
    assert point.value == 20 * sum(range(100)) and point.count == 2000
