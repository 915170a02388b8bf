"""inspect_onnx on hand-built graphs: schemas, dtypes, free dimensions and failures."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from cadml.errors import ValidationError
from cadml.ml.registry.signature import inspect_onnx, sample_input

OPSET = 17


def _model(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: list[onnx.TensorProto] | None = None,
) -> bytes:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=initializers or [])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hand"
    )
    return model.SerializeToString()


def _invalid(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        inspect_onnx(data)
    assert caught.value.code == "ML_MODEL_INVALID_FILE"
    assert caught.value.details["format"] == "onnx"
    return str(caught.value.details["reason"])


def test_symbolic_unknown_and_fixed_dimensions() -> None:
    value = helper.make_tensor_value_info
    data = _model(
        [
            helper.make_node("Relu", ["x"], ["y"]),
            helper.make_node("Relu", ["f"], ["g"]),
            helper.make_node("Relu", ["u"], ["v"]),
        ],
        [
            value("x", TensorProto.FLOAT, ["batch", 3]),
            value("f", TensorProto.FLOAT, [2, 5, 4]),
            value("u", TensorProto.FLOAT, [None, 2]),  # a dimension without value or name
        ],
        [
            value("y", TensorProto.FLOAT, ["batch", 3]),
            value("g", TensorProto.FLOAT, [2, 5, 4]),
            value("v", TensorProto.FLOAT, [None, 2]),
        ],
    )

    sig = inspect_onnx(data)

    assert sig.inputs == [
        {"name": "x", "dtype": "float32", "shape": [None, 3]},
        {"name": "f", "dtype": "float32", "shape": [2, 5, 4]},
        {"name": "u", "dtype": "float32", "shape": [None, 2]},
    ]
    assert sig.outputs == [
        {"name": "y", "dtype": "float32", "shape": [None, 3]},
        {"name": "g", "dtype": "float32", "shape": [2, 5, 4]},
        {"name": "v", "dtype": "float32", "shape": [None, 2]},
    ]
    assert sig.test_ms >= 0.0
    assert sig.extra == {"opsets": {"ai.onnx": OPSET}, "producer": "hand"}


def test_int64_and_double_inputs_keep_their_types() -> None:
    value = helper.make_tensor_value_info
    data = _model(
        [
            helper.make_node("Cast", ["ids"], ["ids_f"], to=TensorProto.DOUBLE),
            helper.make_node("Add", ["ids_f", "w"], ["y"]),
        ],
        [value("ids", TensorProto.INT64, ["n", 4]), value("w", TensorProto.DOUBLE, ["n", 4])],
        [value("y", TensorProto.DOUBLE, ["n", 4])],
    )

    sig = inspect_onnx(data)

    assert [(s["name"], s["dtype"], s["shape"]) for s in sig.inputs] == [
        ("ids", "int64", [None, 4]),
        ("w", "float64", [None, 4]),
    ]
    assert sig.outputs == [{"name": "y", "dtype": "float64", "shape": [None, 4]}]


def test_several_inputs_and_outputs_in_graph_order() -> None:
    value = helper.make_tensor_value_info
    data = _model(
        [
            helper.make_node("Add", ["a", "b"], ["total"]),
            helper.make_node("Mul", ["a", "b"], ["product"]),
            helper.make_node("ArgMax", ["total"], ["best"], axis=1, keepdims=0),
        ],
        [value("a", TensorProto.FLOAT, ["b", 2]), value("b", TensorProto.FLOAT, ["b", 2])],
        [
            value("total", TensorProto.FLOAT, ["b", 2]),
            value("product", TensorProto.FLOAT, ["b", 2]),
            value("best", TensorProto.INT64, ["b"]),
        ],
    )

    sig = inspect_onnx(data)

    assert [s["name"] for s in sig.inputs] == ["a", "b"]
    assert [(s["name"], s["dtype"], s["shape"]) for s in sig.outputs] == [
        ("total", "float32", [None, 2]),
        ("product", "float32", [None, 2]),
        ("best", "int64", [None]),
    ]


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01garbage that is not protobuf \xff" * 8, b"ir_version: 8"],
    ids=["empty", "binary-garbage", "text"],
)
def test_garbage_bytes_are_an_invalid_file(data: bytes) -> None:
    reason = _invalid(data)
    assert reason.startswith("not a valid ONNX model")


def test_a_graph_the_checker_rejects_is_an_invalid_file() -> None:
    value = helper.make_tensor_value_info
    data = _model(
        [helper.make_node("Add", ["x", "undefined"], ["y"])],
        [value("x", TensorProto.FLOAT, ["n", 2])],
        [value("y", TensorProto.FLOAT, ["n", 2])],
    )
    assert _invalid(data).startswith("not a valid ONNX model")


def test_a_graph_whose_test_inference_fails_is_an_invalid_file() -> None:
    # The batch is free, so nothing can tell before running that 3 values never make 4.
    value = helper.make_tensor_value_info
    target = helper.make_tensor("target", TensorProto.INT64, [2], [2, 2])
    data = _model(
        [helper.make_node("Reshape", ["x", "target"], ["y"])],
        [value("x", TensorProto.FLOAT, ["n", 3])],
        [value("y", TensorProto.FLOAT, [2, 2])],
        [target],
    )
    assert _invalid(data).startswith("the test inference failed")


def test_an_input_type_that_cannot_be_fed_is_an_invalid_file() -> None:
    value = helper.make_tensor_value_info
    data = _model(
        [helper.make_node("Identity", ["s"], ["t"])],
        [value("s", TensorProto.STRING, ["n"])],
        [value("t", TensorProto.STRING, ["n"])],
    )
    reason = _invalid(data)
    assert "'s'" in reason and "tensor(string)" in reason


def test_the_error_is_a_value_error_with_both_languages() -> None:
    with pytest.raises(ValueError) as caught:
        inspect_onnx(b"nope")
    assert isinstance(caught.value, ValidationError)
    assert caught.value.message("en").startswith("The uploaded onnx model failed")
    assert caught.value.message("tr").startswith("Yüklenen onnx modeli")


@pytest.mark.parametrize(
    ("spec", "shape", "check"),
    [
        (
            {"dtype": "float32", "shape": [None, 3]},
            (1, 3),
            lambda a: a.dtype == np.float32 and np.abs(a).max() < 1.0,
        ),
        ({"dtype": "int64", "shape": [2, None]}, (2, 1), lambda a: set(a.ravel()) <= {0, 1}),
        ({"dtype": "bool", "shape": [None]}, (1,), lambda a: a.dtype == np.bool_ and not a.any()),
        ({"dtype": "float64", "shape": None}, (), lambda a: a.dtype == np.float64),
    ],
    ids=["float", "int", "bool", "scalar"],
)
def test_sample_input_fills_free_dimensions_with_one(
    spec: dict[str, Any], shape: tuple[int, ...], check: Any
) -> None:
    array = sample_input({"name": "x", **spec}, np.random.default_rng(0))
    assert array.shape == shape
    assert check(array)
