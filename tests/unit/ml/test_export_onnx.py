"""torch to ONNX export and static INT8 quantisation of the two part classifiers.

The models are trained briefly on a small real dataset (plate and prism_with_hole, 125
parts each: 200 training parts, so 200 calibration samples of each input kind drawn from
the training split, as the service does). Oracles: onnxruntime reproduces torch to 1e-4
at batch sizes 1 and 5 (a dynamic batch axis); the INT8 graph holds an int8 copy of every
weight with one scale per output channel; the INT8 file of PointNet is at most 30 % of
the fp32 one (int8 weights are a quarter of float32's bytes, plus per-channel scales);
INT8 logits stay within 2 % of the fp32 logits' range on the held-out parts (an 8-bit
step is 1/255 = 0.4 % of a tensor's range; a few layers add up to a few steps) and the
predicted classes agree. Failures leave no file behind.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from cadml.errors import CadmlError, ValidationError
from cadml.ml.export.int8 import MIN_CALIBRATION, quantize_int8
from cadml.ml.export.measure import accuracy, latency, outputs, session
from cadml.ml.export.torch_onnx import OPSET, export_torch
from cadml.ml.parts.dataset import DatasetSpec, PartDataset, build_dataset
from cadml.ml.parts.models import FeatureMLP, PointNet
from cadml.ml.parts.training import held_out_clouds, train_mlp, train_pointnet

POINTS = 128


@dataclasses.dataclass(frozen=True)
class Trained:
    data: PartDataset
    models: dict[str, torch.nn.Module]
    calibration: dict[str, np.ndarray]
    held_out: dict[str, tuple[np.ndarray, np.ndarray]]


@pytest.fixture(scope="module")
def trained() -> Iterator[Trained]:
    spec = DatasetSpec(
        parts_per_family=125,
        families=("plate", "prism_with_hole"),
        clouds_per_part=1,
        points=POINTS,
    )
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = build_dataset(spec, workers=1)
        models = {
            "mlp": train_mlp(data, epochs=150, seed=0).model,
            "pointnet": train_pointnet(data, epochs=5, seed=0).model,
        }
    finally:
        torch.set_num_threads(before)
    (train,) = data.split(held_out=False)
    (test,) = data.split(held_out=True)
    assert train.size == MIN_CALIBRATION
    yield Trained(
        data,
        models,
        {
            "mlp": np.ascontiguousarray(data.features[train]),
            "pointnet": np.ascontiguousarray(data.clouds[train, 0]),
        },
        {"mlp": (data.features[test], data.labels[test]), "pointnet": held_out_clouds(data)},
    )


INPUT = {"mlp": "features", "pointnet": "points"}


def random_inputs(name: str, batch: int, seed: int, trained: Trained) -> np.ndarray:
    """Inputs like the model's: features around the training mean, points in the unit ball."""
    rng = np.random.default_rng(seed)
    if name == "mlp":
        pool = trained.calibration["mlp"].astype(np.float64)
        x = pool.mean(axis=0) + pool.std(axis=0) * rng.normal(size=(batch, pool.shape[1]))
    else:
        x = rng.uniform(-1.0, 1.0, size=(batch, POINTS, 3)) / np.sqrt(3)
    return x.astype(np.float32)


def torch_logits(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model(torch.from_numpy(x)).numpy()


@pytest.fixture(scope="module")
def exported(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both models exported once into one directory: ``{name: (path, exporter)}``."""
    directory = tmp_path_factory.mktemp("fp32")
    result: dict[str, Any] = {"directory": directory}
    for name in ("mlp", "pointnet"):
        path = directory / f"{name}.fp32.onnx"
        sample = torch.from_numpy(trained.calibration[name][:1].copy())
        result[name] = path, export_torch(trained.models[name], sample, path, INPUT[name], "logits")
    return result


@pytest.mark.parametrize("name", ["mlp", "pointnet"])
def test_onnx_matches_torch_with_a_dynamic_batch(
    trained: Trained, exported: dict[str, Any], name: str
) -> None:
    path, used = exported[name]
    assert used in ("dynamo", "legacy")
    names = sorted(p.name for p in exported["directory"].iterdir())
    assert names == ["mlp.fp32.onnx", "pointnet.fp32.onnx"]  # no partial file
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == [INPUT[name]]
    assert [o.name for o in graph.output] == ["logits"]
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param  # symbolic batch axis
    sess = session(path)
    for batch in (1, 5):
        x = random_inputs(name, batch, seed=batch, trained=trained)
        got = sess.run(None, {INPUT[name]: x})[0]
        assert got.shape == (batch, 2)
        np.testing.assert_allclose(got, torch_logits(trained.models[name], x), rtol=0, atol=1e-4)


def test_pointnet_graph_is_convolutions_with_batch_norm_folded(exported: dict[str, Any]) -> None:
    path, _ = exported["pointnet"]
    model = onnx.load(str(path))
    ops = Counter(n.op_type for n in model.graph.node)
    assert ops["Conv"] == 3 and ops["BatchNormalization"] == 0
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= OPSET


def test_export_puts_the_model_in_eval_mode(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = FeatureMLP(24, 3, dropout=0.5).train()
    export_torch(model, torch.zeros(1, 24), tmp_path / "m.onnx", "features", "logits")
    assert not model.training
    x = np.random.default_rng(0).normal(size=(4, 24)).astype(np.float32)
    got = session(tmp_path / "m.onnx").run(None, {"features": x})[0]
    np.testing.assert_allclose(got, torch_logits(model, x), rtol=0, atol=1e-5)


class Branchy(torch.nn.Module):
    """Python control flow on a tensor's value: torch.export refuses it, tracing does not."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if float(x.sum()) > 0:
            return self.linear(x)
        return -self.linear(x)


class Broken(torch.nn.Module):
    """Fails in every exporter."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise ValueError("broken on purpose")


def test_a_model_torch_export_refuses_falls_back_to_the_legacy_exporter(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Branchy()
    path = tmp_path / "b.onnx"
    assert export_torch(model, torch.ones(1, 4), path, "x", "y") == "legacy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.onnx"]
    x = np.abs(np.random.default_rng(1).normal(size=(5, 4))).astype(np.float32)
    np.testing.assert_allclose(
        session(path).run(None, {"x": x})[0], torch_logits(model, x), rtol=0, atol=1e-5
    )


def test_when_both_exporters_fail_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")
    with pytest.raises(CadmlError) as info:
        export_torch(Broken(), torch.ones(1, 4), path, "x", "y")
    assert info.value.code == "ML_EXPORT_FAILED"
    reason = info.value.details["reason"]
    assert "dynamo:" in reason and "legacy: ValueError: broken on purpose" in reason
    assert path.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


@pytest.mark.parametrize("name", ["mlp", "pointnet"])
def test_calibration_below_the_minimum_is_refused_and_writes_nothing(
    trained: Trained, exported: dict[str, Any], name: str, tmp_path: Path
) -> None:
    fp32, _ = exported[name]
    int8 = tmp_path / "out" / f"{name}.int8.onnx"
    samples = trained.calibration[name][: MIN_CALIBRATION - 1]
    with pytest.raises(ValidationError) as info:
        quantize_int8(fp32, int8, INPUT[name], samples)
    assert isinstance(info.value, ValueError)
    assert info.value.code == "ML_CALIBRATION_TOO_SMALL"
    assert info.value.details == {"minimum": 200, "count": 199}
    assert not int8.parent.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_failing_quantisation_leaves_no_file(exported: dict[str, Any], tmp_path: Path) -> None:
    fp32, _ = exported["mlp"]
    int8 = tmp_path / "mlp.int8.onnx"
    wrong_width = np.zeros((MIN_CALIBRATION, 7), np.float32)  # the model takes 24 features
    # onnxruntime's own error comes through untranslated (see the report); any error will do
    with pytest.raises(Exception, match="features"):
        quantize_int8(fp32, int8, "features", wrong_width)
    assert list(tmp_path.iterdir()) == []


def weight_initialisers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """The weight of every Conv and Gemm node, by name."""
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    names = [n.input[1] for n in model.graph.node if n.op_type in ("Conv", "Gemm")]
    return {name: arrays[name] for name in names}


def int8_structure(path: Path) -> tuple[Counter[str], dict[str, Any]]:
    model = onnx.load(str(path))
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    dequantised = {}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in arrays:
            axis = next((a.i for a in node.attribute if a.name == "axis"), None)
            dequantised[node.output[0]] = (arrays[node.input[0]], arrays[node.input[1]], axis)
    weights = {}
    for node in model.graph.node:
        if node.op_type in ("Conv", "Gemm"):
            weights[node.name or node.output[0]] = dequantised[node.input[1]]
    return Counter(n.op_type for n in model.graph.node), weights


@pytest.mark.parametrize(("name", "max_ratio"), [("mlp", 1.0), ("pointnet", 0.30)])
def test_int8_is_per_channel_qdq_smaller_and_agrees_with_fp32(
    trained: Trained, exported: dict[str, Any], name: str, max_ratio: float, tmp_path: Path
) -> None:
    fp32, _ = exported[name]
    int8 = tmp_path / f"{name}.int8.onnx"
    quantize_int8(fp32, int8, INPUT[name], trained.calibration[name])
    assert sorted(p.name for p in tmp_path.iterdir()) == [int8.name]  # no partial file
    assert int8.stat().st_size < max_ratio * fp32.stat().st_size
    ops, weights = int8_structure(int8)
    assert ops["QuantizeLinear"] >= 1 and ops["DequantizeLinear"] >= 1
    fp32_weights = weight_initialisers(onnx.load(str(fp32)))
    assert ops["Conv"] + ops["Gemm"] == len(fp32_weights) == len(weights)
    if name == "pointnet":
        assert ops["Conv"] == 3
    by_shape = sorted(w.shape for w in fp32_weights.values())
    assert sorted(q.shape for q, _, _ in weights.values()) == by_shape
    for quantised, scale, axis in weights.values():
        assert quantised.dtype == np.int8
        assert axis == 0 and scale.shape == (quantised.shape[0],)  # one scale per channel
    samples, labels = trained.held_out[name]
    reference = outputs(session(fp32), samples)
    got = outputs(session(int8), samples)
    spread = float(reference.max() - reference.min())
    assert np.abs(got - reference).max() <= 0.02 * spread
    assert np.array_equal(got.argmax(axis=1), reference.argmax(axis=1))
    assert accuracy(session(int8), samples, labels) == accuracy(session(fp32), samples, labels)


def test_measure_helpers_batch_and_time_consistently(
    trained: Trained, exported: dict[str, Any]
) -> None:
    fp32, _ = exported["mlp"]
    sess = session(fp32)
    samples, labels = trained.held_out["mlp"]
    one_batch = sess.run(None, {"features": samples})[0]
    np.testing.assert_allclose(outputs(sess, samples, batch=7), one_batch, rtol=0, atol=1e-6)
    expected = float((one_batch.argmax(axis=1) == labels).mean())
    assert accuracy(sess, samples, labels) == expected
    timing = latency(sess, samples, calls=20, warm_up=2)
    assert set(timing) == {"p50_ms", "p95_ms"}
    assert 0.0 <= timing["p50_ms"] <= timing["p95_ms"]


def test_untrained_pointnet_round_trips_with_non_trivial_batch_norm(tmp_path: Path) -> None:
    """Running statistics far from (0, 1): the folded convolutions must carry them."""
    torch.manual_seed(3)
    model = PointNet(4)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.uniform_(-1.0, 1.0)
            module.running_var.uniform_(0.2, 3.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    path = tmp_path / "pn.onnx"
    export_torch(model, torch.zeros(1, 64, 3), path, "points", "logits")
    x = np.random.default_rng(0).uniform(-0.5, 0.5, size=(5, 64, 3)).astype(np.float32)
    got = session(path).run(None, {"points": x})[0]
    np.testing.assert_allclose(got, torch_logits(model, x), rtol=0, atol=1e-4)
