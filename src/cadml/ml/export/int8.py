"""Static INT8 post-training quantisation of ONNX models (QDQ, per channel).

onnxruntime's ``quantize_static`` inserts QuantizeLinear/DequantizeLinear pairs around
the weights (int8, one scale per output channel) and the activations (uint8, one scale
per tensor, from min/max ranges observed on calibration samples); onnxruntime then runs
``Conv``/``Gemm`` in integer kernels. Dynamic quantisation is deliberately not offered:
it turns ``Conv`` into ``ConvInteger``, which made PointNet 4x *slower* here (PITFALLS).

At least :data:`MIN_CALIBRATION` samples are required: with 80, static INT8 lost 2.5
accuracy points on the part classifier; with 200 it lost none. The model is first run
through onnxruntime's pre-processing (graph optimisation and shape inference), as its
documentation recommends. The output is written under a temporary name and renamed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cadml.errors import CadmlError, ValidationError

__all__ = ["MIN_CALIBRATION", "quantize_int8"]

MIN_CALIBRATION = 200
"""Fewest calibration samples accepted."""


class _Samples:
    """Feeds calibration samples one at a time (a ``CalibrationDataReader``)."""

    def __init__(self, name: str, samples: npt.NDArray[np.float32]) -> None:
        self._name = name
        self._items: Iterator[npt.NDArray[np.float32]] = iter(samples)

    def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
        item = next(self._items, None)
        return None if item is None else {self._name: item[None].astype(np.float32)}

    def __iter__(self) -> Iterator[dict[str, npt.NDArray[np.float32]]]:
        while (item := self.get_next()) is not None:
            yield item


def quantize_int8(
    fp32_path: Path,
    int8_path: Path,
    input_name: str,
    calibration: npt.NDArray[np.float32],
    minimum: int = MIN_CALIBRATION,
) -> None:
    """Write the static QDQ per-channel INT8 version of an ONNX model.

    Args:
        fp32_path: the float model.
        int8_path: the file to write.
        input_name: the graph input the samples feed.
        calibration: ``(n, ...)`` samples (without the batch axis each), ideally drawn
            from the training data.
        minimum: fewest samples accepted.

    Raises:
        ValidationError: ``ML_CALIBRATION_TOO_SMALL`` for fewer than ``minimum`` samples.
    """
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if len(calibration) < minimum:
        raise ValidationError(
            "ML_CALIBRATION_TOO_SMALL", details={"minimum": minimum, "count": len(calibration)}
        )
    int8_path.parent.mkdir(parents=True, exist_ok=True)
    partial = int8_path.with_name(int8_path.name + ".partial")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prepared = Path(tmp) / "prepared.onnx"
            quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
            quantize_static(
                str(prepared),
                str(partial),
                _Samples(input_name, calibration),  # type: ignore[arg-type]
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
            )
    except Exception as exc:  # onnxruntime's errors: report them as the export's
        partial.unlink(missing_ok=True)
        raise CadmlError(
            "ML_EXPORT_FAILED",
            details={"model": fp32_path.name, "format": "INT8 ONNX", "reason": str(exc)[:300]},
        ) from exc
    partial.replace(int8_path)
