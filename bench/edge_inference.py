"""Benchmark: local ONNX inference through the edge SDK on one thread.

A small MLP (16 -> 64 -> 64 -> 4, Relu, float32, dynamic batch) built with ``onnx.helper``
and loaded with :class:`cad_ml_edge.inference.OnnxModel` (``threads=1``). Prints, per
call: single-sample latency of ``predict`` (schema checks included) and of the bare
onnxruntime session underneath, p50 and p99 in microseconds; and batch-of-64
``predict_batch`` latency and throughput. Run with the SDK's venv (needs the
``[inference]`` extra and ``onnx``):

    .venv-edge/bin/python bench/edge_inference.py [--repeats 1000]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from cad_ml_edge.inference import OnnxModel

SIZES = (16, 64, 64, 4)
BATCH = 64


def mlp_bytes(seed: int = 0) -> bytes:
    """The MLP as ``.onnx`` bytes (Gemm + Relu layers, input ``x`` [N, 16])."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    prev = "x"
    for i, (n_in, n_out) in enumerate(itertools.pairwise(SIZES)):
        w = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)).astype(np.float32)
        b = np.zeros(n_out, dtype=np.float32)
        inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"B{i}")]
        out = f"h{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"W{i}", f"B{i}"], [out]))
        if i < len(SIZES) - 2:
            nodes.append(helper.make_node("Relu", [out], [f"r{i}"]))
            out = f"r{i}"
        prev = out
    nodes.append(helper.make_node("Identity", [prev], ["y"]))
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", SIZES[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", SIZES[-1]])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _percentiles(samples_s: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_s)
    p50 = statistics.median(ordered) * 1e6
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1e6
    return p50, p99


def _time(fn, repeats: int) -> list[float]:
    for _ in range(min(100, repeats)):  # warm-up: allocations, caches
        fn()
    timings = []
    clock = time.perf_counter
    for _ in range(repeats):
        start = clock()
        fn()
        timings.append(clock() - start)
    return timings


def bench_inference(repeats: int = 1000) -> dict[str, float]:
    """Time the MLP on one thread.

    Args:
        repeats: calls timed for each figure (after a warm-up).

    Returns:
        ``p50_us``/``p99_us`` of ``predict`` on one sample, ``raw_p50_us``/``raw_p99_us``
        of the bare onnxruntime session, ``batch64_p50_us`` of ``predict_batch`` on 64
        samples and ``batch64_samples_per_s`` derived from it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mlp.onnx"
        path.write_bytes(mlp_bytes())
        model = OnnxModel.load(path, threads=1)
    rng = np.random.default_rng(1)
    sample = rng.normal(size=SIZES[0]).astype(np.float32)
    batch = rng.normal(size=(BATCH, SIZES[0])).astype(np.float32)
    assert model.predict(sample).shape == (SIZES[-1],)
    np.testing.assert_allclose(model.predict_batch(batch)[0], model.predict(batch[0]), rtol=1e-5)

    p50, p99 = _percentiles(_time(lambda: model.predict(sample), repeats))
    session = model._session  # the bare onnxruntime session, to show the SDK's overhead
    feed = {"x": sample[np.newaxis]}
    raw_p50, raw_p99 = _percentiles(_time(lambda: session.run(["y"], feed), repeats))
    batch_p50, _ = _percentiles(_time(lambda: model.predict_batch(batch), max(100, repeats // 4)))
    return {
        "p50_us": p50,
        "p99_us": p99,
        "raw_p50_us": raw_p50,
        "raw_p99_us": raw_p99,
        "batch64_p50_us": batch_p50,
        "batch64_samples_per_s": BATCH / (batch_p50 / 1e6),
    }


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1000)
    args = parser.parse_args()
    r = bench_inference(args.repeats)
    print("cad-ml-edge inference, MLP 16-64-64-4 (Relu), float32, one thread")
    print(f"  predict(1 sample):      p50 {r['p50_us']:7.1f} us   p99 {r['p99_us']:7.1f} us")
    print(
        f"  bare onnxruntime run:   p50 {r['raw_p50_us']:7.1f} us   p99 {r['raw_p99_us']:7.1f} us"
    )
    print(
        f"  predict_batch(64):      p50 {r['batch64_p50_us']:7.1f} us   "
        f"{r['batch64_samples_per_s']:,.0f} samples/s"
    )


if __name__ == "__main__":
    main()
