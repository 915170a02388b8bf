"""Benchmark of the edge SDK: durable enqueue and drain, rules, alert decision, inference.

Prints medians (and p99 where it matters) on this machine, against the issue's goals:
>= 50k records/s durable enqueue, 100 rules < 10 us p50 per frame, an alert decided (and
durably buffered) < 1 ms after the frame arrives. Run with the SDK's own venv:

    .venv-edge/bin/python bench/edge.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cad_ml_edge.agent import EdgeAgent
from cad_ml_edge.config import parse_config
from cad_ml_edge.wire import TelemetryFrame
from edge_inference import bench_inference
from edge_queue import bench_drain, bench_enqueue
from edge_rules import bench_rules


class _NullUplink:
    """Keeps everything buffered: the alert path is measured without network."""

    def send(self, batch):  # never called: nothing drains in this benchmark
        raise RuntimeError("offline")

    def close(self):
        pass


def bench_alert_decision(frames: int = 4000) -> dict[str, float]:
    """Microseconds from ``ingest(frame)`` to the alert decision, and to the alert durable.

    The decision is the moment the rule engine hands the alert to its first action (a
    callback records the time); durable is when ``ingest`` returns, after the alert was
    committed to the critical stream of the SQLite buffer.
    """
    decided: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            {
                "device_id": "bench",
                "data_dir": tmp,
                "uplink": {"kind": "http", "url": "http://127.0.0.1:9"},
                "rules": [
                    {
                        "id": "hot",
                        "field": "sensors.t",
                        "op": ">",
                        "value": 50.0,
                        "hysteresis": 1.0,
                        "severity": "critical",
                        "actions": [{"type": "callback", "name": "mark"}, {"type": "alert"}],
                    }
                ],
            }
        )
        agent = EdgeAgent(
            config,
            uplink=_NullUplink(),
            callbacks={"mark": lambda event: decided.append(time.perf_counter())},
        )
        to_decision, to_durable = [], []
        for i in range(frames):
            # Alternate hot and cold so every other frame fires (hysteresis re-arms).
            value = 80.0 if i % 2 else 20.0
            start = time.perf_counter()
            before = len(decided)
            events = agent.ingest(TelemetryFrame(float(i), "bench", {"t": value}))
            end = time.perf_counter()
            if events:
                to_decision.append((decided[before] - start) * 1e6)
                to_durable.append((end - start) * 1e6)
        agent.close()

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[int(q * (len(ordered) - 1))]

    return {
        "alerts": len(to_decision),
        "decision_p50_us": statistics.median(to_decision),
        "decision_p99_us": pct(to_decision, 0.99),
        "durable_p50_us": statistics.median(to_durable),
        "durable_p99_us": pct(to_durable, 0.99),
    }


def main() -> None:
    """Run every edge benchmark and print the figures."""
    enqueue = bench_enqueue(200_000, 100)
    drain = bench_drain(200_000)
    rules = bench_rules(100, 20_000)
    alert = bench_alert_decision()
    inference = bench_inference(1000)
    print("cad-ml-edge on this machine")
    print(f"  durable enqueue, batches of 100 x ~200 B: {enqueue:10.0f} records/s (goal >= 50000)")
    print(f"  drain (peek + ack):                       {drain:10.0f} records/s")
    print(
        f"  100 rules per frame: p50 {rules['p50_us']:.2f} us, p99 {rules['p99_us']:.2f} us "
        "(goal p50 < 10 us)"
    )
    print(
        f"  alert decision, frame in -> rule fired: p50 {alert['decision_p50_us']:.1f} us, "
        f"p99 {alert['decision_p99_us']:.1f} us (goal < 1000 us; reference notes: 100 ms)"
    )
    print(
        f"  ... and the alert committed to the critical stream: p50 "
        f"{alert['durable_p50_us']:.0f} us, p99 {alert['durable_p99_us']:.0f} us"
    )
    print(
        f"  inference, small MLP, one thread: p50 {inference['p50_us']:.1f} us, "
        f"p99 {inference['p99_us']:.1f} us"
    )
    for key, value in inference.items():
        if key not in ("p50_us", "p99_us"):
            print(f"    {key}: {value}")


if __name__ == "__main__":
    main()
