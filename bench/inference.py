"""Benchmark: the inference service's overhead over a bare onnxruntime call.

A PointNet classifier (seeded weights, exported and statically quantised to INT8 with the
platform's own code) and a small fp32 MLP are registered in a throw-away registry
(SQLite + local artefact store in a temporary directory). For single samples and
batches of 32, the bench times:

* the peer: ``session.run`` of a bare onnxruntime session on one thread;
* ``InferenceService.predict`` (input checks, cached session, outputs to predictions and
  confidences, monitoring with drift counting) on the same file and thread count.

It prints medians and the ratio service / peer. The HTTP layer is not included (see
the API's own request histogram at ``/metrics``).

    python bench/inference.py [--repeats 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cadml.artefacts.local import LocalArtefactStore
from cadml.db.engine import make_engine, make_session_factory
from cadml.db.migrate import upgrade
from cadml.db.model_registry import ModelRegistryRepository
from cadml.ml.export.int8 import quantize_int8
from cadml.ml.export.measure import session
from cadml.ml.export.torch_onnx import export_torch
from cadml.ml.monitoring.drift import DriftReference
from cadml.ml.parts.models import FeatureMLP, PointNet
from cadml.services.inference import InferenceService
from cadml.services.model_registry import ModelRegistry, Registration


def _median_ms(fn: Any, repeats: int) -> float:
    for _ in range(20):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _models(tmp: Path) -> dict[str, tuple[Path, str, tuple[int, ...]]]:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    pointnet = tmp / "pointnet.onnx"
    export_torch(PointNet(10).eval(), torch.zeros(1, 1024, 3), pointnet, "points", "logits")
    int8 = tmp / "pointnet.int8.onnx"
    calibration = rng.uniform(-1, 1, (200, 1024, 3)).astype(np.float32)
    quantize_int8(pointnet, int8, "points", calibration)
    mlp = tmp / "mlp.onnx"
    export_torch(FeatureMLP(24, 10).eval(), torch.zeros(1, 24), mlp, "features", "logits")
    return {
        "pointnet-int8": (int8, "points", (1024, 3)),
        "mlp-fp32": (mlp, "features", (24,)),
    }


def run(repeats: int) -> dict[str, Any]:
    """Time the service against bare onnxruntime; figures in ms."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        registry = ModelRegistry(
            ModelRegistryRepository(make_session_factory(make_engine(url))),
            LocalArtefactStore(tmp / "artefacts"),
        )
        service = InferenceService(registry)
        rng = np.random.default_rng(1)
        results: dict[str, Any] = {}
        for name, (path, input_name, shape) in _models(tmp).items():
            training = rng.uniform(-1, 1, (256, *shape)).astype(np.float32)
            registry.register(
                name,
                path.read_bytes(),
                "onnx",
                Registration(
                    task="classification",
                    meta={
                        "classes": [f"c{i}" for i in range(10)],
                        "drift_reference": DriftReference.from_samples(training).to_dict(),
                    },
                ),
            )
            bare = session(path)
            for batch in (1, 32):
                x = rng.uniform(-1, 1, (batch, *shape)).astype(np.float32)
                as_list = x.tolist()
                feed = {input_name: x}
                peer = _median_ms(lambda s=bare, f=feed: s.run(None, f), repeats)
                ours = _median_ms(lambda v=as_list, n=name: service.predict(n, v), repeats)
                results[f"{name} batch {batch}"] = {
                    "onnxruntime_ms": round(peer, 4),
                    "service_ms": round(ours, 4),
                    "ratio": round(ours / peer, 2),
                }
        service.close()
        return results


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.repeats)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'case':<24} {'onnxruntime ms':>15} {'service ms':>11} {'ratio':>6}")
    for case, r in results.items():
        peer, ours = r["onnxruntime_ms"], r["service_ms"]
        print(f"{case:<24} {peer:>15.4f} {ours:>11.4f} {r['ratio']:>6.2f}")


if __name__ == "__main__":
    main()
