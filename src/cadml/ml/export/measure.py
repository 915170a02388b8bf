"""Figures of an ONNX model on this machine: size, accuracy, single-sample latency.

Latency is what one request costs on one core: a session with one intra-op and one
inter-op thread, one sample per call, after warm-up calls, as p50 and p95 over many
calls. Accuracy runs the held-out set in batches through the same file a client gets.

Examples:
    >>> summarise_ms([1.0, 2.0, 3.0, 4.0])
    {'p50_ms': 2.5, 'p95_ms': 3.85}
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["accuracy", "latency", "session", "summarise_ms"]


def session(path: Path, threads: int = 1) -> Any:
    """An onnxruntime CPU session of ``path`` with ``threads`` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def outputs(sess: Any, samples: npt.NDArray[np.float32], batch: int = 128) -> np.ndarray:
    """The first output of ``sess`` for every sample, batched."""
    name = sess.get_inputs()[0].name
    parts = [
        sess.run(None, {name: samples[i : i + batch]})[0] for i in range(0, len(samples), batch)
    ]
    return np.concatenate(parts)


def accuracy(sess: Any, samples: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]) -> float:
    """Share of ``samples`` whose largest output is their label."""
    return float((outputs(sess, samples).argmax(axis=1) == labels).mean())


def summarise_ms(times_ms: list[float]) -> dict[str, float]:
    """p50 and p95 of call times in ms, rounded to µs."""
    values = np.asarray(times_ms)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
    }


def latency(
    sess: Any, samples: npt.NDArray[np.float32], calls: int = 300, warm_up: int = 30
) -> dict[str, float]:
    """Single-sample latency of ``sess`` (p50/p95 ms), cycling through ``samples``."""
    name = sess.get_inputs()[0].name
    times = []
    for i in range(warm_up + calls):
        sample = samples[i % len(samples)][None]
        start = time.perf_counter()
        sess.run(None, {name: sample})
        if i >= warm_up:
            times.append((time.perf_counter() - start) * 1e3)
    return summarise_ms(times)
