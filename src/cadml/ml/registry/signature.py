"""What an ONNX model takes and gives, checked by running it once.

:func:`inspect_onnx` parses the file (``onnx.checker``), opens an onnxruntime session,
builds one input per graph input (symbolic or unknown dimensions become 1; values are
small seeded random numbers of the input's type) and runs it. The result is the input
and output schema the registry stores and the inference API checks requests against:
each tensor's name, element type and shape (``None`` for a free dimension).

Examples:
    >>> import onnx
    >>> from onnx import TensorProto, helper
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    >>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    >>> graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    >>> model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    >>> sig = inspect_onnx(model.SerializeToString())
    >>> sig.inputs
    [{'name': 'x', 'dtype': 'float32', 'shape': [None, 3]}]
    >>> sig.outputs[0]["shape"]
    [None, 3]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cadml.errors import ValidationError

__all__ = ["DTYPES", "Signature", "inspect_onnx", "sample_input"]

DTYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
    "tensor(bool)": np.bool_,
}
"""onnxruntime tensor types the registry accepts as inputs, and their numpy types."""


@dataclass(frozen=True)
class Signature:
    """A model's inputs and outputs, and its test inference.

    Args:
        inputs: ``[{"name", "dtype", "shape"}]``; ``None`` marks a free dimension.
        outputs: the same for the outputs (non-tensor outputs have ``shape`` None).
        test_ms: wall time of the test inference.
        extra: format-specific facts (opsets, producer).
    """

    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    test_ms: float
    extra: dict[str, Any] = field(default_factory=dict)


def _shape(dims: Any) -> list[int | None] | None:
    if dims is None:
        return None
    return [d if isinstance(d, int) and d > 0 else None for d in dims]


def _dtype_name(onnx_type: str) -> str:
    numpy_type = DTYPES.get(onnx_type)
    return np.dtype(numpy_type).name if numpy_type is not None else onnx_type


def sample_input(spec: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """A small random input of ``spec``'s dtype and shape (free dimensions = 1)."""
    shape = [d if d is not None else 1 for d in spec["shape"] or []]
    dtype = np.dtype(spec["dtype"])
    if dtype.kind == "f":
        return rng.normal(0.0, 0.1, shape).astype(dtype)
    if dtype.kind == "b":
        return np.zeros(shape, dtype=dtype)
    return rng.integers(0, 2, shape).astype(dtype)


def _fail(reason: str) -> ValidationError:
    return ValidationError("ML_MODEL_INVALID_FILE", details={"format": "onnx", "reason": reason})


def inspect_onnx(data: bytes) -> Signature:
    """Check and run an ONNX model once; its schema.

    Args:
        data: the ``.onnx`` file's bytes.

    Returns:
        The signature.

    Raises:
        ValidationError: ``ML_MODEL_INVALID_FILE`` when the file does not parse, fails the
            checker, has an input type the registry cannot feed, or fails to run.
    """
    import onnx
    import onnxruntime as ort

    try:
        model = onnx.load_from_string(data)
        onnx.checker.check_model(model)
    except Exception as exc:
        raise _fail(f"not a valid ONNX model ({type(exc).__name__}: {str(exc)[:200]})") from exc
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise _fail(f"onnxruntime cannot load it ({str(exc)[:200]})") from exc
    inputs = []
    for arg in session.get_inputs():
        if arg.type not in DTYPES:
            raise _fail(f"input '{arg.name}' has type {arg.type}, which cannot be fed")
        inputs.append(
            {"name": arg.name, "dtype": _dtype_name(arg.type), "shape": _shape(arg.shape)}
        )
    outputs = [
        {"name": arg.name, "dtype": _dtype_name(arg.type), "shape": _shape(arg.shape)}
        for arg in session.get_outputs()
    ]
    rng = np.random.default_rng(0)
    feed = {spec["name"]: sample_input(spec, rng) for spec in inputs}
    start = time.perf_counter()
    try:
        session.run(None, feed)
    except Exception as exc:
        raise _fail(f"the test inference failed ({str(exc)[:200]})") from exc
    test_ms = (time.perf_counter() - start) * 1e3
    extra = {
        "opsets": {o.domain or "ai.onnx": o.version for o in model.opset_import},
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
    }
    return Signature(inputs, outputs, round(test_ms, 3), extra)
