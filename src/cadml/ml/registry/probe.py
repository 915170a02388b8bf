"""The test inference of an uploaded pickle or TorchScript file, run in a sandbox process.

Unpickling runs arbitrary code, and so can a TorchScript archive, so the registry never
loads these uploads in the server: :mod:`.sandbox` starts ``python -I -m
cadml.ml.registry.probe DIR`` with resource limits, and this module, in that process,
loads ``DIR/model.bin``, runs it once on a seeded random input, converts it to ONNX
(``DIR/serving.onnx``: skl2onnx for scikit-learn, torch's legacy exporter for a
ScriptModule) and checks that the ONNX file gives the same answer, writing everything it
learnt to ``DIR/result.json``. A failure is written there too, as
``{"error": "..."}``. The request is ``DIR/request.json``:
``{"format": "sklearn" | "torchscript", "input_shape": [...] | null}``.
"""

from __future__ import annotations

import json
import pickle
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "probe"]


def _ort_outputs(path: Path, name: str, x: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return [np.asarray(o) for o in session.run(None, {name: x})]


def _sklearn(model_path: Path, out: Path) -> dict[str, Any]:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.base import is_classifier

    with model_path.open("rb") as handle:
        model = pickle.load(handle)  # unpickling runs code: this is the sandbox
    if not hasattr(model, "predict") or not hasattr(model, "n_features_in_"):
        raise ValueError(f"{type(model).__name__} is not a fitted scikit-learn estimator")
    n = int(model.n_features_in_)
    x = np.random.default_rng(0).normal(size=(4, n)).astype(np.float32)
    predicted = np.asarray(model.predict(x))
    options = {id(model): {"zipmap": False}} if is_classifier(model) else None
    onnx_model = convert_sklearn(
        model,
        initial_types=[("input", FloatTensorType([None, n]))],
        target_opset={"": 17, "ai.onnx.ml": 3},
        options=options,
    )
    out.write_bytes(onnx_model.SerializeToString())
    onnx_first = _ort_outputs(out, "input", x)[0].reshape(predicted.shape)
    parity: dict[str, float | bool]
    if predicted.dtype.kind in "iubOU":
        same = np.array_equal(onnx_first.astype(str), predicted.astype(str))
        parity = {"labels_equal": bool(same)}
    else:
        parity = {"max_abs_diff": float(np.abs(onnx_first - predicted).max())}
    return {
        "framework": "sklearn",
        "estimator": type(model).__name__,
        "inputs": [{"name": "input", "dtype": "float32", "shape": [None, n]}],
        "outputs": [{"name": "prediction", "dtype": str(predicted.dtype), "shape": [None]}],
        "parity": parity,
    }


def _torchscript(model_path: Path, out: Path, input_shape: list[int]) -> dict[str, Any]:
    import warnings

    import torch

    module = torch.jit.load(str(model_path), map_location="cpu").eval()
    x = torch.from_numpy(np.random.default_rng(0).normal(size=input_shape).astype(np.float32))
    with torch.inference_mode():
        expected = module(x)
    if not isinstance(expected, torch.Tensor):
        raise ValueError("the module must return one tensor")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (x,),
            str(out),
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            opset_version=18,
            dynamo=False,
        )
    got = _ort_outputs(out, "input", x.numpy())[0]
    return {
        "framework": "torch",
        "inputs": [{"name": "input", "dtype": "float32", "shape": [None, *input_shape[1:]]}],
        "outputs": [
            {"name": "output", "dtype": "float32", "shape": [None, *list(expected.shape)[1:]]}
        ],
        "parity": {"max_abs_diff": float(np.abs(got - expected.numpy()).max())},
    }


def probe(directory: Path) -> dict[str, Any]:
    """Run the request in ``directory`` and return what it learnt."""
    request = json.loads((directory / "request.json").read_text())
    model_path, out = directory / "model.bin", directory / "serving.onnx"
    if request["format"] == "sklearn":
        return _sklearn(model_path, out)
    if request["format"] == "torchscript":
        shape = request.get("input_shape")
        if not shape:
            raise ValueError("a TorchScript upload needs input_shape for its test inference")
        return _torchscript(model_path, out, [int(d) for d in shape])
    raise ValueError(f"unknown format {request['format']!r}")


def main() -> None:
    """Entry point of the sandbox process: ``python -I -m cadml.ml.registry.probe DIR``."""
    directory = Path(sys.argv[1])
    try:
        result = probe(directory)
    except Exception as exc:  # every failure is the upload's: report it, do not crash
        result = {
            "error": f"{type(exc).__name__}: {str(exc)[:400]}",
            "trace": traceback.format_exc(limit=3)[-1500:],
        }
    (directory / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
