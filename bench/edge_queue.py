"""Benchmark: the edge SDK's durable queue (cad_ml_edge.queue.DurableQueue).

Prints, in one run on this machine:

1. durable enqueue rate: ``put_many`` of batches of ``--batch`` telemetry frames
   (MsgPack, about 200 bytes each), each batch one acknowledged transaction; at
   ``durability="process"`` (WAL, synchronous=NORMAL: survives SIGKILL) and ``"power"``
   (synchronous=FULL: an fsync per batch);
2. drain rate: ``peek(max_segments=10)`` + ``ack`` until empty.

The goal for 1 is >= 50k records/s. ``bench/edge.py`` calls :func:`bench_enqueue` and
:func:`bench_drain`.

Usage: python bench/edge_queue.py [--records 200000] [--batch 100]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cad_ml_edge.queue import DurableQueue
from cad_ml_edge.wire import TelemetryFrame, encode_frames

__all__ = ["bench_drain", "bench_enqueue", "make_payloads"]


def make_payloads(n: int, seed: int = 0) -> list[bytes]:
    """``n`` encoded frames of a press with seven sensors: about 200 bytes each."""
    rnd = random.Random(seed)
    names = ("temperature", "pressure", "vibration_x", "vibration_y", "vibration_z",
             "current", "voltage")  # fmt: skip
    return [
        encode_frames(
            [
                TelemetryFrame(
                    1_700_000_000 + i * 0.01,
                    "press-0001",
                    {name: round(rnd.uniform(0, 100), 3) for name in names},
                )
            ]
        )
        for i in range(n)
    ]


@contextlib.contextmanager
def _temporary_queue(**kwargs: Any) -> Iterator[DurableQueue]:
    with tempfile.TemporaryDirectory() as tmp, DurableQueue(Path(tmp) / "q.db", **kwargs) as q:
        yield q


def _fill(queue: DurableQueue, payloads: list[bytes], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(payloads), batch):
        queue.put_many("telemetry", payloads[start : start + batch])
    return time.perf_counter() - started


def bench_enqueue(n: int = 200_000, batch: int = 100, durability: str = "process") -> float:
    """Durable enqueue rate in records/s: ``n`` records in ``put_many`` batches of ``batch``."""
    payloads = make_payloads(n)
    with _temporary_queue(durability=durability) as queue:
        elapsed = _fill(queue, payloads, batch)
        stored = queue.status().depth
    if stored != n:
        raise RuntimeError(f"stored {stored} of {n} records")
    return n / elapsed


def bench_drain(n: int = 200_000, max_segments: int = 10) -> float:
    """Drain rate in records/s: ``peek(max_segments)`` + ``ack`` of ``n`` stored records
    (in segments of 100)."""
    with _temporary_queue() as queue:
        _fill(queue, make_payloads(n), 100)
        drained = 0
        started = time.perf_counter()
        while segments := queue.peek(max_segments=max_segments):
            queue.ack([s.id for s in segments])
            drained += sum(len(s.records) for s in segments)
        elapsed = time.perf_counter() - started
    if drained != n:
        raise RuntimeError(f"drained {drained} of {n} records")
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    size = sum(map(len, make_payloads(1000))) / 1000
    print(f"queue: {args.records} records of {size:.0f} bytes, batches of {args.batch}")
    for durability in ("process", "power"):
        rate = bench_enqueue(args.records, args.batch, durability)
        print(f"  enqueue ({durability:7s}): {rate:10,.0f} records/s (goal >= 50,000)")
    print(f"  drain (peek 10 + ack): {bench_drain(args.records):10,.0f} records/s")


if __name__ == "__main__":
    main()
