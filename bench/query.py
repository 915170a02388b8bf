"""Benchmark: load and query the time-series stores (SQLite, PostgreSQL, InfluxDB).

A *point* here is one frame holding one numeric field (``sensors.value``). The load is
``--devices`` devices (default 10) sending one frame a second, interleaved in time as an
ingestor would see them, written in batches of ``--batch`` frames (default 5,000) until
``--points`` (default 1,000,000) are stored: 100k frames ≈ 27.8 h per device.

Then, for each store, the median of ``--repeats`` runs of:

1. ``history``: the last 100 frames of one device;
2. ``day mean``: 5-minute means over one device's first day (aligned: 1-minute rollups);
3. ``all mean``: 5-minute means over every point of every device (aligned);
4. ``day raw``: the same as 2 but starting 1 s late, so raw frames are read
   (InfluxDB always reads raw points).

The goal for 1-3 is under 50 ms each on the embedded store (SQLite). Every run uses a
fresh database (a temporary SQLite file, a throw-away PostgreSQL database, a throw-away
InfluxDB database), dropped at the end.

Usage: python bench/query.py [--stores sqlite,postgres,influx] [--points 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from cadml.timeseries.port import TimeSeriesStore
from cadml.twin.frame import TelemetryFrame

__all__ = ["load", "make_batches", "time_queries"]

T0 = 1_699_920_000.0  # midnight UTC, a whole day
STORES = ("sqlite", "postgres", "influx")


def make_batches(
    points: int, devices: int, batch: int, seed: int = 0
) -> list[list[TelemetryFrame]]:
    """``points`` one-field frames from ``devices`` devices at 1 Hz, in write batches."""
    rnd = random.Random(seed)
    frames = [
        TelemetryFrame(T0 + i // devices, f"press-{i % devices:02d}",
                       {"value": round(rnd.gauss(50.0, 10.0), 3)})
        for i in range(points)
    ]  # fmt: skip
    return [frames[i : i + batch] for i in range(0, points, batch)]


@contextlib.contextmanager
def open_store(kind: str, pg_url: str, influx_url: str) -> Iterator[TimeSeriesStore]:
    """A fresh, empty store of ``kind``, removed afterwards."""
    name = f"cadml_bench_{secrets.token_hex(4)}"
    if kind == "sqlite":
        from cadml.timeseries.sqlite import SqliteTimeSeriesStore

        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteTimeSeriesStore(Path(tmp) / "twin.db")
            try:
                yield store
            finally:
                store.close()
    elif kind == "postgres":
        import psycopg

        from cadml.timeseries.postgres import PostgresTimeSeriesStore

        with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            pg = PostgresTimeSeriesStore(f"{pg_url}/{name}")
            try:
                yield pg
            finally:
                pg.close()
        finally:
            with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif kind == "influx":
        from cadml.timeseries.influx import InfluxTimeSeriesStore

        influx = InfluxTimeSeriesStore(influx_url, name)
        try:
            yield influx
        finally:
            influx.close()
            httpx.post(f"{influx_url}/query", data={"q": f'DROP DATABASE "{name}"'}, timeout=60)
    else:
        raise SystemExit(f"unknown store {kind!r}; use {', '.join(STORES)}")


def load(store: TimeSeriesStore, batches: list[list[TelemetryFrame]]) -> float:
    """Write every batch; returns frames per second."""
    started = time.perf_counter()
    written = sum(store.write(batch).written for batch in batches)
    elapsed = time.perf_counter() - started
    expected = sum(map(len, batches))
    if written != expected or store.count() != expected:
        raise RuntimeError(f"{store.name}: stored {store.count()} of {expected} frames")
    return expected / elapsed


def _median_ms(call: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = call()  # warm-up (caches, prepared plans)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def time_queries(
    store: TimeSeriesStore, points: int, devices: int, repeats: int
) -> dict[str, float]:
    """Median milliseconds of the four queries (see the module docstring)."""
    span_s = math.ceil(points / devices)
    day = min(86_400.0, math.ceil(span_s / 3600) * 3600.0)
    end = T0 + math.ceil(span_s / 3600) * 3600.0
    device = "press-00"
    queries: dict[str, Callable[[], Any]] = {
        "history": lambda: store.history(device, limit=100),
        "day mean": lambda: store.aggregate("sensors.value", window_s=300, fn="mean",
                                            start=T0, stop=T0 + day, device_id=device),
        "all mean": lambda: store.aggregate("sensors.value", window_s=300, fn="mean",
                                            start=T0, stop=end),
        "day raw": lambda: store.aggregate("sensors.value", window_s=300, fn="mean",
                                           start=T0 + 1, stop=T0 + day, device_id=device),
    }  # fmt: skip
    out: dict[str, float] = {}
    for label, call in queries.items():
        ms, result = _median_ms(call, repeats)
        if not result:
            raise RuntimeError(f"{store.name}: {label} returned nothing")
        out[label] = ms
    total = sum(p.count for p in store.aggregate("sensors.value", window_s=3600, fn="count",
                                                 start=T0, stop=end))  # fmt: skip
    if total != points:
        raise RuntimeError(f"{store.name}: the all-points count is {total}, not {points}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="A point is one frame with one numeric field. Example (quick): "
        "python bench/query.py --stores sqlite --points 100000",
    )
    parser.add_argument(
        "--stores",
        default=",".join(STORES),
        help="comma-separated: sqlite,postgres,influx (default: all)",
    )
    parser.add_argument("--points", type=int, default=1_000_000, help="points to load per store")
    parser.add_argument("--devices", type=int, default=10, help="devices sending at 1 Hz")
    parser.add_argument("--batch", type=int, default=5_000, help="frames per write")
    parser.add_argument("--repeats", type=int, default=7, help="runs per query (median)")
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres:postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without database",
    )
    parser.add_argument("--influx-url", default="http://127.0.0.1:8086", help="InfluxDB 1.x URL")
    args = parser.parse_args()  # fmt: skip

    batches = make_batches(args.points, args.devices, args.batch)
    print(
        f"{args.points:,} points (frames of one field), {args.devices} devices at 1 Hz, "
        f"batches of {args.batch:,}; median of {args.repeats} runs"
    )
    header = f"{'store':9s} {'load frames/s':>14s} {'history':>9s} {'day mean':>9s} " \
             f"{'all mean':>9s} {'day raw':>9s}"  # fmt: skip
    print(header)
    for kind in [s.strip() for s in args.stores.split(",") if s.strip()]:
        with open_store(kind, args.pg_url, args.influx_url) as store:
            started = time.perf_counter()
            rate = load(store, batches)
            load_s = time.perf_counter() - started
            ms = time_queries(store, args.points, args.devices, args.repeats)
        print(
            f"{kind:9s} {rate:14,.0f} {ms['history']:7.1f}ms {ms['day mean']:7.1f}ms "
            f"{ms['all mean']:7.1f}ms {ms['day raw']:7.1f}ms   (load {load_s:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
