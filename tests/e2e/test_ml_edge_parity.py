"""A model registered on the platform, downloaded by the edge SDK, gives the same outputs.

The real server runs on loopback. A PointNet classifier (seeded weights: the parity does
not depend on training) is exported and statically quantised to INT8 with the
platform's own export code, uploaded through the registry API, then fetched by the edge
SDK's ``download_model`` (sha256 from the registry) into a ``ModelStore``. The same
clouds go through the platform's ``POST /inference/{model}`` (``raw``) and the edge
model; the largest absolute difference of the logits is printed and must be tiny (both
sides run the same file in onnxruntime on one thread).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from live_server import api_key, live_server

pytestmark = pytest.mark.slow
download = pytest.importorskip("cad_ml_edge.inference.download")
registry = pytest.importorskip("cad_ml_edge.inference.registry")
torch = pytest.importorskip("torch")

CLASSES = ["bracket", "flange", "gear", "plate"]


def _classifier_onnx(tmp_path: Path) -> bytes:
    from cadml.ml.export.int8 import quantize_int8
    from cadml.ml.export.torch_onnx import export_torch
    from cadml.ml.parts.models import PointNet

    torch.manual_seed(3)
    net = PointNet(classes=len(CLASSES)).eval()
    fp32, int8 = tmp_path / "pn.onnx", tmp_path / "pn.int8.onnx"
    export_torch(net, torch.zeros(1, 1024, 3), fp32, "points", "logits")
    calibration = np.random.default_rng(1).uniform(-1, 1, (200, 1024, 3)).astype(np.float32)
    quantize_int8(fp32, int8, "points", calibration)
    return int8.read_bytes()


@pytest.fixture
def platform(tmp_path: Path, free_tcp_port):
    port = free_tcp_port()
    env = {
        **os.environ,
        "CADML_DATA_DIR": str(tmp_path / "var"),
        "CADML_PORT": str(port),
        "CADML_WORKERS": "1",
    }
    key = api_key(env, "models:read,models:write")
    with live_server(env, tmp_path / "server.log", port, key) as client:
        yield client, key, port


def test_edge_sdk_runs_the_registered_model_with_the_platforms_outputs(
    platform, tmp_path: Path
) -> None:
    client, key, port = platform
    uploaded = client.post(
        "/api/v1/model/part-classifier/versions",
        files={"file": ("pn.int8.onnx", _classifier_onnx(tmp_path))},
        data={
            "format": "onnx",
            "task": "classification",
            "meta": json.dumps({"classes": CLASSES}),
        },
    )
    assert uploaded.status_code == 201, uploaded.text
    version = uploaded.json()
    assert version["inputs"] == [{"name": "points", "dtype": "float32", "shape": [None, 1024, 3]}]

    store = registry.ModelStore(tmp_path / "edge-models")
    edge_model = download.download_model(
        f"http://127.0.0.1:{port}",
        store,
        "part-classifier",
        str(version["version"]),
        version["sha256"],
        api_key=key,
    )
    clouds = np.random.default_rng(7).uniform(-1, 1, (8, 1024, 3)).astype(np.float32)
    answer = client.post(
        "/api/v1/inference/part-classifier",
        json={"inputs": clouds.tolist(), "raw": True},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    platform_logits = np.asarray(body["outputs"]["logits"], dtype=np.float32)
    edge_logits = np.stack([np.asarray(edge_model.predict(cloud)) for cloud in clouds])
    assert platform_logits.shape == edge_logits.shape == (8, len(CLASSES))
    max_abs = float(np.abs(platform_logits - edge_logits).max())
    print(
        f"edge vs platform logits: max abs difference {max_abs:.3g} over {clouds.shape[0]} clouds"
    )
    assert max_abs <= 1e-5
    assert body["predictions"] == [CLASSES[i] for i in edge_logits.argmax(axis=1)]
    info = client.get("/api/v1/model/part-classifier/info").json()
    assert info["versions"][0]["download_count"] == 1
