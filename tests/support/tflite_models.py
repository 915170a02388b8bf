"""Small TFLite models built by hand with the TFLite schema's flatbuffer builders.

TensorFlow's converter is not installed here (it is gigabytes), so the registry's TFLite
tests build their models directly: one ``FULLY_CONNECTED`` op, ``y = x Wᵀ + b``, with a
float32 input of shape ``[1, n]`` (``shape_signature`` ``[-1, n]``: a free batch).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import flatbuffers
import numpy as np
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

__all__ = ["fully_connected_tflite"]


def _schema(name: str) -> Any:
    # ``tflite``'s package namespace re-exports the classes; the builders live in modules
    return importlib.import_module(f"tflite.{name}")


def fully_connected_tflite(weights: np.ndarray, bias: np.ndarray) -> bytes:
    """A TFLite model computing ``x @ weights.T + bias`` for ``x`` of shape ``[batch, n]``."""
    model, subgraph, tensor_m, buffer_m = (
        _schema(n) for n in ("Model", "SubGraph", "Tensor", "Buffer")
    )
    operator_m, code_m, options_m = (
        _schema(n) for n in ("Operator", "OperatorCode", "FullyConnectedOptions")
    )
    outputs, inputs = weights.shape
    b = flatbuffers.Builder(1024)

    def ints(start: Callable[[Any, int], None], values: list[int]) -> int:
        start(b, len(values))
        for value in reversed(values):
            b.PrependInt32(value)
        return int(b.EndVector())

    def buffer(data: bytes | None) -> int:
        vector = None
        if data:
            buffer_m.BufferStartDataVector(b, len(data))
            for byte in reversed(data):
                b.PrependUint8(byte)
            vector = b.EndVector()
        buffer_m.BufferStart(b)
        if vector is not None:
            buffer_m.BufferAddData(b, vector)
        return int(buffer_m.BufferEnd(b))

    buffers = [
        buffer(None),
        buffer(None),
        buffer(weights.astype("<f4").tobytes()),
        buffer(bias.astype("<f4").tobytes()),
        buffer(None),
    ]

    def tensor(name: str, shape: list[int], signature: list[int], index: int) -> int:
        label = b.CreateString(name)
        dims = ints(tensor_m.TensorStartShapeVector, shape)
        free = ints(tensor_m.TensorStartShapeSignatureVector, signature)
        tensor_m.TensorStart(b)
        tensor_m.TensorAddShape(b, dims)
        tensor_m.TensorAddShapeSignature(b, free)
        tensor_m.TensorAddType(b, TensorType.FLOAT32)
        tensor_m.TensorAddBuffer(b, index)
        tensor_m.TensorAddName(b, label)
        return int(tensor_m.TensorEnd(b))

    tensors = [
        tensor("input", [1, inputs], [-1, inputs], 1),
        tensor("weights", [outputs, inputs], [outputs, inputs], 2),
        tensor("bias", [outputs], [outputs], 3),
        tensor("output", [1, outputs], [-1, outputs], 4),
    ]
    options_m.FullyConnectedOptionsStart(b)
    options = options_m.FullyConnectedOptionsEnd(b)
    op_inputs = ints(operator_m.OperatorStartInputsVector, [0, 1, 2])
    op_outputs = ints(operator_m.OperatorStartOutputsVector, [3])
    operator_m.OperatorStart(b)
    operator_m.OperatorAddOpcodeIndex(b, 0)
    operator_m.OperatorAddInputs(b, op_inputs)
    operator_m.OperatorAddOutputs(b, op_outputs)
    operator_m.OperatorAddBuiltinOptionsType(b, BuiltinOptions.FullyConnectedOptions)
    operator_m.OperatorAddBuiltinOptions(b, options)
    operator = operator_m.OperatorEnd(b)
    subgraph.SubGraphStartTensorsVector(b, len(tensors))
    for item in reversed(tensors):
        b.PrependUOffsetTRelative(item)
    tensor_vector = b.EndVector()
    graph_inputs = ints(subgraph.SubGraphStartInputsVector, [0])
    graph_outputs = ints(subgraph.SubGraphStartOutputsVector, [3])
    subgraph.SubGraphStartOperatorsVector(b, 1)
    b.PrependUOffsetTRelative(operator)
    operators = b.EndVector()
    name = b.CreateString("main")
    subgraph.SubGraphStart(b)
    subgraph.SubGraphAddTensors(b, tensor_vector)
    subgraph.SubGraphAddInputs(b, graph_inputs)
    subgraph.SubGraphAddOutputs(b, graph_outputs)
    subgraph.SubGraphAddOperators(b, operators)
    subgraph.SubGraphAddName(b, name)
    graph = subgraph.SubGraphEnd(b)
    code_m.OperatorCodeStart(b)
    code_m.OperatorCodeAddDeprecatedBuiltinCode(b, BuiltinOperator.FULLY_CONNECTED)
    code_m.OperatorCodeAddBuiltinCode(b, BuiltinOperator.FULLY_CONNECTED)
    code_m.OperatorCodeAddVersion(b, 1)
    code = code_m.OperatorCodeEnd(b)
    model.ModelStartOperatorCodesVector(b, 1)
    b.PrependUOffsetTRelative(code)
    codes = b.EndVector()
    model.ModelStartSubgraphsVector(b, 1)
    b.PrependUOffsetTRelative(graph)
    graphs = b.EndVector()
    model.ModelStartBuffersVector(b, len(buffers))
    for item in reversed(buffers):
        b.PrependUOffsetTRelative(item)
    buffer_vector = b.EndVector()
    description = b.CreateString("cadml test model")
    model.ModelStart(b)
    model.ModelAddVersion(b, 3)
    model.ModelAddOperatorCodes(b, codes)
    model.ModelAddSubgraphs(b, graphs)
    model.ModelAddDescription(b, description)
    model.ModelAddBuffers(b, buffer_vector)
    root = model.ModelEnd(b)
    b.Finish(root, file_identifier=b"TFL3")
    return bytes(b.Output())
