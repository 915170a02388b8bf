"""torch models to ONNX: the torch.export-based exporter first, the legacy one if it fails.

The new exporter (``dynamo=True``, with onnxscript) writes opset 18+ graphs and folds
batch norm into the convolutions; it is what torch develops. It has failed on some models
here (PointNet++ with a dynamic batch: see PITFALLS) or, worse, fixed the batch axis to
the example's size without an error (an LSTM), so a failure or a fixed batch axis falls
back to the legacy TorchScript exporter, and the result says which one wrote the file.
Either way the batch axis stays dynamic, the model is exported in eval mode, and the file
is written under a temporary name and renamed, so a failed export leaves nothing behind.

Examples:
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 2)).eval()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "m.onnx"
    ...     used = export_torch(net, torch.zeros(1, 4), path, "x", "y")
    ...     used in ("dynamo", "legacy"), path.stat().st_size > 0
    (True, True)
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from cadml.errors import CadmlError

__all__ = ["OPSET", "export_torch"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
"""Terminal colour codes, which the exporters put in their messages."""

OPSET = 18
"""ONNX opset of the exported graphs (onnxruntime >= 1.14 runs it)."""


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporters' progress prints, warnings and log lines (they are noise
    to a user: e.g. "torchvision is not installed"); failures still raise."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _dynamo(model: torch.nn.Module, sample: torch.Tensor, path: Path, name: str, out: str) -> None:
    batch = torch.export.Dim("batch", min=1, max=65536)
    with _quiet():
        program = torch.onnx.export(
            model,
            (sample,),
            input_names=[name],
            output_names=[out],
            dynamic_shapes={_first_argument(model): {0: batch}},
            opset_version=OPSET,
            dynamo=True,
            verbose=False,
            external_data=False,
        )
        if program is None:
            raise RuntimeError("the exporter returned no program")
        program.save(str(path), external_data=False)
    _check_dynamic_batch(path)


def _check_dynamic_batch(path: Path) -> None:
    """Refuse a file whose first input has a fixed batch axis.

    The new exporter has been seen to specialise the batch to the example's size (an LSTM
    exported from one window kept batch 1) without an error; the legacy one is tried then.
    """
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    dims = graph.input[0].type.tensor_type.shape.dim
    if dims and dims[0].HasField("dim_value"):
        raise RuntimeError(f"the batch axis was fixed to {dims[0].dim_value}")


def _first_argument(model: torch.nn.Module) -> str:
    """Name of ``forward``'s first parameter (the dynamic shapes are keyed by it)."""
    return next(iter(inspect.signature(model.forward).parameters))


def _legacy(model: torch.nn.Module, sample: torch.Tensor, path: Path, name: str, out: str) -> None:
    with _quiet():
        torch.onnx.export(
            model,
            (sample,),
            str(path),
            input_names=[name],
            output_names=[out],
            dynamic_axes={name: {0: "batch"}, out: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


def export_torch(
    model: torch.nn.Module, sample: torch.Tensor, path: Path, input_name: str, output_name: str
) -> str:
    """Export ``model`` to an ONNX file with a dynamic batch axis.

    Args:
        model: the model (put in eval mode here).
        sample: an input of the right shape (batch of 1).
        path: the ``.onnx`` file to write.
        input_name: the graph input's name.
        output_name: the graph output's name.

    Returns:
        ``"dynamo"`` or ``"legacy"``: the exporter that wrote the file.

    Raises:
        CadmlError: ``ML_EXPORT_FAILED`` when both exporters fail.
    """
    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    errors = []
    for used, exporter in (("dynamo", _dynamo), ("legacy", _legacy)):
        try:
            exporter(model, sample, partial, input_name, output_name)
        except Exception as exc:  # any exporter failure: try the next one
            text = _ANSI.sub("", str(exc))[:300]
            errors.append(f"{used}: {type(exc).__name__}: {text}")
            partial.unlink(missing_ok=True)
            continue
        partial.replace(path)
        return used
    raise CadmlError(
        "ML_EXPORT_FAILED",
        details={"model": type(model).__name__, "format": "ONNX", "reason": "; ".join(errors)},
    )
