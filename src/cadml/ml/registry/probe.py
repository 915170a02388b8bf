"""The test inference of an uploaded pickle, TorchScript or TFLite file, in a sandbox process.

Unpickling runs arbitrary code, and so can a TorchScript archive, so the registry never
loads these uploads in the server: :mod:`.sandbox` starts ``python -I -m
cadml.ml.registry.probe DIR`` with resource limits, and this module, in that process,
loads ``DIR/model.bin``, runs it once on a seeded random input, converts it to ONNX
(``DIR/serving.onnx``: skl2onnx for scikit-learn, torch's legacy exporter for a
ScriptModule) and checks that the ONNX file gives the same answer, writing everything it
learnt to ``DIR/result.json``. A TFLite file is run by the LiteRT interpreter
(``ai-edge-litert``) and not converted: the platform stores it for edge runtimes but does
not serve it. A failure is written to ``result.json`` too, as ``{"error": "..."}``. The
request is ``DIR/request.json``:
``{"format": "sklearn" | "torchscript" | "tflite", "input_shape": [...] | null}``.
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
    from cadml.ml.export.sklearn_onnx import convert

    with model_path.open("rb") as handle:
        model = pickle.load(handle)  # unpickling runs code: this is the sandbox
    if not hasattr(model, "predict") or not hasattr(model, "n_features_in_"):
        raise ValueError(f"{type(model).__name__} is not a fitted scikit-learn estimator")
    n = int(model.n_features_in_)
    x = np.random.default_rng(0).normal(size=(4, n)).astype(np.float32)
    predicted = np.asarray(model.predict(x))
    out.write_bytes(convert(model, n).SerializeToString())
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


def _tflite(model_path: Path) -> dict[str, Any]:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:
        raise ValueError("TFLite needs the LiteRT runtime: pip install 'cadml[tflite]'") from exc

    interpreter = Interpreter(model_path=str(model_path))
    interpreter.allocate_tensors()
    rng = np.random.default_rng(0)
    inputs = []
    for detail in interpreter.get_input_details():
        signature = [int(d) for d in detail.get("shape_signature", detail["shape"])]
        dtype = np.dtype(detail["dtype"])
        shape = [d if d > 0 else 1 for d in signature]
        value = (
            rng.normal(0.0, 0.1, shape) if dtype.kind == "f" else rng.integers(0, 2, shape)
        ).astype(dtype)
        interpreter.set_tensor(detail["index"], value)
        inputs.append(
            {
                "name": detail["name"],
                "dtype": dtype.name,
                "shape": [d if d > 0 else None for d in signature],
            }
        )
    interpreter.invoke()
    outputs = []
    for detail in interpreter.get_output_details():
        value = np.asarray(interpreter.get_tensor(detail["index"]))
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ValueError(f"output {detail['name']} is not finite on the test input")
        signature = [int(d) for d in detail.get("shape_signature", detail["shape"])]
        outputs.append(
            {
                "name": detail["name"],
                "dtype": value.dtype.name,
                "shape": [d if d > 0 else None for d in signature],
            }
        )
    return {"framework": "tflite", "inputs": inputs, "outputs": outputs, "parity": {}}


def _apply_limits(limits: dict[str, int]) -> None:
    """Put this process under the sandbox's limits (before the upload is read)."""
    import resource

    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    memory = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = int(limits["file_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def probe(directory: Path) -> dict[str, Any]:
    """Run the request in ``directory`` and return what it learnt."""
    request = json.loads((directory / "request.json").read_text())
    if "limits" in request:
        _apply_limits(request["limits"])
    model_path, out = directory / "model.bin", directory / "serving.onnx"
    if request["format"] == "sklearn":
        return _sklearn(model_path, out)
    if request["format"] == "torchscript":
        shape = request.get("input_shape")
        if not shape:
            raise ValueError("a TorchScript upload needs input_shape for its test inference")
        return _torchscript(model_path, out, [int(d) for d in shape])
    if request["format"] == "tflite":
        return _tflite(model_path)
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
