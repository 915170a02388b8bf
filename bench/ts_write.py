"""Benchmark: batch write throughput of the time-series stores (SQLite, PostgreSQL).

Frames look like the ingest bench's: three sensors and one metric (4 numeric fields),
``--devices`` devices (default 10) at 1 Hz, interleaved in time, written in batches of
``--batch`` frames (default 5,000) until ``--points`` frames are stored. Every
``--status-every``-th frame carries a small status mapping (default 100; 0 = never).

Per store it prints the median frames/s over the batches, the whole load's frames/s
(wall clock) and the time to rewrite one stored batch (every frame a duplicate: the
retry path). Each store starts empty (a temporary SQLite file, a throw-away PostgreSQL
database dropped at the end). The machine is shared: compare stores within one run.

Usage: python bench/ts_write.py [--stores sqlite,postgres] [--points 200000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cadml.timeseries.port import TimeSeriesStore
from cadml.twin.frame import TelemetryFrame
from query import open_store  # bench/query.py: fresh, empty stores

__all__ = ["make_batches", "measure"]

T0 = 1_699_920_000.0
STORES = ("sqlite", "postgres")


def make_batches(
    points: int, devices: int, batch: int, status_every: int = 100
) -> list[list[TelemetryFrame]]:
    """``points`` frames of 4 numeric fields from ``devices`` devices at 1 Hz, in batches."""
    frames = []
    for i in range(points):
        status = {"mode": "run", "seq": i} if status_every and i % status_every == 0 else {}
        frames.append(
            TelemetryFrame(
                T0 + i // devices,
                f"press-{i % devices:02d}",
                {"temperature": 60.0 + i % 10, "pressure": 5.1 + i % 7 / 100, "vibration": 0.02},
                {"rpm": 1450.0 + i % 13},
                status,
            )
        )
    return [frames[i : i + batch] for i in range(0, points, batch)]


def measure(store: TimeSeriesStore, batches: list[list[TelemetryFrame]]) -> dict[str, float]:
    """Write every batch, then rewrite the first; returns the rates and the rewrite time."""
    rates = []
    started = time.perf_counter()
    for batch in batches:
        t = time.perf_counter()
        result = store.write(batch)
        rates.append(len(batch) / (time.perf_counter() - t))
        if result.written != len(batch):
            raise RuntimeError(f"{store.name}: wrote {result.written} of {len(batch)}")
    elapsed = time.perf_counter() - started
    expected = sum(map(len, batches))
    if store.count() != expected:
        raise RuntimeError(f"{store.name}: stored {store.count()} of {expected} frames")
    t = time.perf_counter()
    again = store.write(batches[0])
    rewrite_s = time.perf_counter() - t
    if again.written != 0 or again.duplicates != len(batches[0]):
        raise RuntimeError(f"{store.name}: the rewrite gave {again}")
    return {"median": statistics.median(rates), "overall": expected / elapsed,
            "rewrite_ms": rewrite_s * 1000}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--stores", default=",".join(STORES), help="comma-separated: sqlite,postgres"
    )
    parser.add_argument("--points", type=int, default=200_000, help="frames to write per store")
    parser.add_argument("--devices", type=int, default=10, help="devices sending at 1 Hz")
    parser.add_argument("--batch", type=int, default=5_000, help="frames per write")
    parser.add_argument("--status-every", type=int, default=100, help="every Nth frame has status")
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres:postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without database",
    )
    args = parser.parse_args()  # fmt: skip

    batches = make_batches(args.points, args.devices, args.batch, args.status_every)
    print(
        f"{args.points:,} frames of 4 fields, {args.devices} devices at 1 Hz, "
        f"batches of {args.batch:,}"
    )
    print(
        f"{'store':9s} {'median frames/s':>16s} {'overall frames/s':>17s} {'rewrite 1 batch':>16s}"
    )
    for kind in [s.strip() for s in args.stores.split(",") if s.strip()]:
        with open_store(kind, args.pg_url, influx_url="") as store:
            r = measure(store, batches)
        print(
            f"{kind:9s} {r['median']:16,.0f} {r['overall']:17,.0f} {r['rewrite_ms']:14.0f}ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
