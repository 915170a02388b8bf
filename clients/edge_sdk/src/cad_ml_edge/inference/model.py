"""One ONNX model on the gateway: load it, check inputs against its schema, predict.

numpy and onnxruntime (the ``[inference]`` extra) are imported by :meth:`OnnxModel.load`,
never when this module is imported, so ``import cad_ml_edge.inference`` works on a
gateway that only buffers telemetry.

Input rules, checked before onnxruntime sees anything so that errors name the input:

- a numpy array must already have the input's dtype (no silent cast); a list, a scalar
  or anything else array-like is converted to that dtype;
- the rank must match and every fixed dim must match; ``None`` dims are free;
- a model with several inputs takes a dict keyed by input name, with no name missing
  and none unknown.

A model *has a batch dim* when every input's first dim is dynamic or 1.
:meth:`OnnxModel.predict` then takes one sample (without that dim), adds it, and removes
it again from every output whose declared first dim is dynamic or 1 and is 1 at run time.

Examples:
    >>> spec = TensorSpec("x", "float32", (None, 16))
    >>> spec.rank, spec.describe()
    (2, "'x' float32 [None, 16]")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cad_ml_edge.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FLOAT_DTYPES", "OnnxModel", "TensorSpec", "import_deps", "shape_matches"]

_DTYPES = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "str",
}

FLOAT_DTYPES = frozenset({"float16", "float32", "float64"})
"""The dtypes whose values can be NaN or infinite."""


def import_deps(model: str = "?") -> tuple[Any, Any]:
    """Import numpy and onnxruntime.

    Args:
        model: the model's name for the error message.

    Returns:
        The ``numpy`` and ``onnxruntime`` modules.

    Raises:
        ModelError: ``EDGE_MODEL_INVALID`` naming the ``[inference]`` extra when either is
            missing.
    """
    try:
        import numpy
        import onnxruntime
    except ImportError as exc:
        missing = exc.name or "onnxruntime"
        raise _invalid(
            model, f"{missing} is not installed; pip install 'cad-ml-edge[inference]'"
        ) from exc
    return numpy, onnxruntime


def _invalid(model: str, detail: str) -> ModelError:
    return ModelError("EDGE_MODEL_INVALID", model=model, detail=detail)


def _shape_text(shape: Sequence[int | None]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


@dataclass(frozen=True)
class TensorSpec:
    """The declared name, dtype and shape of one model input or output.

    Attributes:
        name: the tensor's name in the graph.
        dtype: a numpy dtype name (``"float32"``, ``"int64"``, ``"bool"``), ``"str"`` for
            string tensors, or onnxruntime's type text for anything else
            (``"seq(tensor(float))"``).
        shape: one entry per dim, ``None`` where the dim is dynamic; ``None`` as a whole
            when the model declares no shape (onnxruntime reports scalars the same way).
    """

    name: str
    dtype: str
    shape: tuple[int | None, ...] | None

    @property
    def rank(self) -> int | None:
        """The number of dims, or ``None`` when no shape is declared."""
        return None if self.shape is None else len(self.shape)

    def describe(self) -> str:
        """A one-line description for messages."""
        shape = "unknown shape" if self.shape is None else _shape_text(self.shape)
        return f"{self.name!r} {self.dtype} {shape}"


def _spec(arg: Any) -> TensorSpec:
    """A :class:`TensorSpec` from an onnxruntime ``NodeArg``."""
    dims = arg.shape
    shape = tuple(d if isinstance(d, int) and d >= 0 else None for d in dims) if dims else None
    return TensorSpec(arg.name, _DTYPES.get(arg.type, arg.type), shape)


def shape_matches(declared: Sequence[int | None], actual: Sequence[int]) -> bool:
    """Whether ``actual`` has the declared rank and every declared fixed dim.

    Examples:
        >>> shape_matches((None, 4), (7, 4)), shape_matches((None, 4), (7, 3))
        (True, False)
    """
    return len(declared) == len(actual) and all(
        d is None or d == a for d, a in zip(declared, actual, strict=True)
    )


class OnnxModel:
    """A loaded ONNX model with its input and output schemas.

    Build one with :meth:`load`. Inference is thread-safe (onnxruntime sessions are).

    Attributes:
        path: the model file.
        name: the model's name in messages (the file's stem unless given).
        threads: onnxruntime intra-op threads.
        inputs: the input schemas, in graph order.
        outputs: the output schemas, in graph order.
        has_batch_dim: every input's first dim is dynamic or 1 (a batch dim).
        dynamic_batch: the batch dim is dynamic, so a whole batch runs in one call.
    """

    def __init__(
        self, session: Any, np_module: Any, *, path: Path, name: str, threads: int
    ) -> None:
        self._session = session
        self._np = np_module
        self.path = path
        self.name = name
        self.threads = threads
        self.inputs: tuple[TensorSpec, ...] = tuple(_spec(a) for a in session.get_inputs())
        self.outputs: tuple[TensorSpec, ...] = tuple(_spec(a) for a in session.get_outputs())
        self._output_names = [spec.name for spec in self.outputs]
        self._input_names = [spec.name for spec in self.inputs]
        self._np_dtypes = {}
        for spec in self.inputs:
            if spec.dtype not in _DTYPES.values():
                raise _invalid(name, f"input {spec.name!r} has unsupported type {spec.dtype}")
            self._np_dtypes[spec.name] = (
                np_module.dtype(object) if spec.dtype == "str" else np_module.dtype(spec.dtype)
            )
        if not self.inputs:
            raise _invalid(name, "the model has no inputs")
        self.has_batch_dim = all(spec.shape and spec.shape[0] in (None, 1) for spec in self.inputs)
        self.dynamic_batch = self.has_batch_dim and all(
            spec.shape[0] is None  # type: ignore[index]
            for spec in self.inputs
        )
        self._sample_specs = (
            tuple(TensorSpec(s.name, s.dtype, s.shape[1:]) for s in self.inputs)  # type: ignore[index]
            if self.has_batch_dim
            else self.inputs
        )

    @classmethod
    def load(cls, path: str | Path, *, threads: int = 1, name: str | None = None) -> OnnxModel:
        """Load an ONNX model file on the CPU.

        Args:
            path: the ``.onnx`` file.
            threads: onnxruntime intra-op threads (1 keeps a gateway's other work responsive).
            name: the name used in messages; the file's stem by default.

        Returns:
            The loaded model.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` when the extra is missing, ``threads`` < 1,
                the file is missing or not a loadable ONNX model, or an input is not a
                tensor (sequences and maps are supported as outputs only).
        """
        path = Path(path)
        label = name or path.stem
        if threads < 1:
            raise _invalid(label, f"threads must be >= 1, got {threads}")
        np_module, ort = import_deps(label)
        if not path.is_file():
            raise _invalid(label, f"no model file at {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's errors subclass Exception directly
            raise _invalid(label, f"not a loadable ONNX model: {exc}") from exc
        return cls(session, np_module, path=path, name=label, threads=threads)

    def __repr__(self) -> str:
        specs = ", ".join(spec.describe() for spec in self.inputs)
        return f"OnnxModel({self.name!r}, inputs=[{specs}])"

    # -- input checks ---------------------------------------------------------------

    def _array(self, spec: TensorSpec, value: Any) -> np.ndarray:
        np_module = self._np
        want = self._np_dtypes[spec.name]
        if isinstance(value, np_module.ndarray):
            ok = value.dtype.kind in "OU" if spec.dtype == "str" else value.dtype == want
            if not ok:
                raise _invalid(
                    self.name, f"input {spec.name!r} must be {spec.dtype}, got {value.dtype}"
                )
            return value
        try:
            return np_module.asarray(value, dtype=want)
        except (TypeError, ValueError) as exc:
            raise _invalid(
                self.name,
                f"input {spec.name!r}: cannot convert {type(value).__name__} to "
                f"{spec.dtype} ({exc})",
            ) from exc

    def _convert(self, x: Any) -> dict[str, np.ndarray]:
        if isinstance(x, Mapping):
            missing = [n for n in self._input_names if n not in x]
            if missing:
                raise _invalid(
                    self.name,
                    f"missing input {', '.join(map(repr, missing))}; "
                    f"the model takes {self._input_names}",
                )
            unknown = [k for k in x if k not in self._np_dtypes]
            if unknown:
                raise _invalid(
                    self.name,
                    f"unknown input {', '.join(map(repr, unknown))}; "
                    f"the model takes {self._input_names}",
                )
            values = x
        elif len(self.inputs) == 1:
            values = {self.inputs[0].name: x}
        else:
            raise _invalid(
                self.name,
                f"the model takes {len(self.inputs)} inputs {self._input_names}; "
                "pass a dict of arrays keyed by input name",
            )
        return {spec.name: self._array(spec, values[spec.name]) for spec in self.inputs}

    def _check_shape(self, spec: TensorSpec, arr: np.ndarray, hint: str = "") -> None:
        if spec.shape is None:
            return
        if arr.ndim != len(spec.shape):
            raise _invalid(
                self.name,
                f"input {spec.name!r} must have rank {len(spec.shape)} "
                f"(shape {_shape_text(spec.shape)}), got rank {arr.ndim} "
                f"(shape {tuple(arr.shape)}){hint}",
            )
        for axis, (want, got) in enumerate(zip(spec.shape, arr.shape, strict=True)):
            if want is not None and want != got:
                raise _invalid(
                    self.name,
                    f"input {spec.name!r}: dim {axis} must be {want}, got {got} "
                    f"(shape {tuple(arr.shape)}, expected {_shape_text(spec.shape)}){hint}",
                )

    def validate_input(self, x: Any) -> dict[str, np.ndarray]:
        """Check a full (batched, if the model has a batch dim) input against the schema.

        Args:
            x: an array (single-input models) or a dict of arrays keyed by input name.

        Returns:
            The feed for onnxruntime: input name → array of the input's dtype.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` naming the input and what is wrong: wrong
                dtype, wrong rank, a wrong fixed dim, a missing or unknown input name.
        """
        feed = self._convert(x)
        for spec in self.inputs:
            self._check_shape(spec, feed[spec.name])
        return feed

    def sample_feed(self, x: Any) -> dict[str, np.ndarray]:
        """Check one sample and add the batch dim when the model has one.

        Args:
            x: one sample: an array without the batch dim, or a dict of them.

        Returns:
            The feed for onnxruntime, with a batch of one.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` as for :meth:`validate_input`, with shapes
                given per sample.
        """
        feed = self._convert(x)
        hint = "; predict() takes one sample, use predict_batch() for batches"
        for spec in self._sample_specs:
            self._check_shape(spec, feed[spec.name], hint if self.has_batch_dim else "")
        if self.has_batch_dim:
            feed = {key: value[self._np.newaxis] for key, value in feed.items()}
        return feed

    # -- inference ------------------------------------------------------------------

    def _run(self, feed: dict[str, np.ndarray]) -> list[Any]:
        try:
            return self._session.run(self._output_names, feed)
        except Exception as exc:  # onnxruntime's errors subclass Exception directly
            raise _invalid(self.name, f"inference failed: {exc}") from exc

    def _pack(self, outs: list[Any]) -> Any:
        if len(outs) == 1:
            return outs[0]
        return dict(zip(self._output_names, outs, strict=True))

    def _unbatch(self, spec: TensorSpec, out: Any) -> Any:
        if (
            isinstance(out, self._np.ndarray)
            and spec.shape
            and spec.shape[0] in (None, 1)
            and out.ndim >= 1
            and out.shape[0] == 1
        ):
            return out[0, ...]  # a 0-d array, not a numpy scalar
        return out

    def run(self, x: Any) -> dict[str, Any]:
        """Validate a full input and run the model.

        Args:
            x: as for :meth:`validate_input`.

        Returns:
            Output name → value (an array for tensor outputs), batch dims kept.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` for a bad input or a failed inference.
        """
        return dict(zip(self._output_names, self._run(self.validate_input(x)), strict=True))

    def predict(self, x: Any) -> Any:
        """Run one sample.

        Args:
            x: one sample: an array shaped like an input without its batch dim (e.g.
                ``(16,)`` for ``[None, 16]``), or a dict of them keyed by input name.

        Returns:
            The output array for single-output models, else a dict name → array; batch
            dims removed as described in the module docstring.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` for a bad input or a failed inference.
        """
        outs = self._run(self.sample_feed(x))
        if self.has_batch_dim:
            outs = [self._unbatch(spec, out) for spec, out in zip(self.outputs, outs, strict=True)]
        return self._pack(outs)

    def _stacked(self, xs: Any) -> dict[str, np.ndarray]:
        np_module = self._np
        if not isinstance(xs, (list, tuple)):
            return self._convert(xs)  # stacked: an array-like or a dict of them
        samples = [self._convert(sample) for sample in xs]
        if not samples:
            raise _invalid(self.name, "predict_batch() got an empty batch")
        feed = {}
        for name in self._input_names:
            try:
                feed[name] = np_module.stack([sample[name] for sample in samples])
            except ValueError as exc:
                raise _invalid(
                    self.name, f"input {name!r}: the samples' shapes differ ({exc})"
                ) from exc
        return feed

    def predict_batch(self, xs: Any) -> Any:
        """Run a batch.

        Models with a dynamic batch dim run the batch in one call; others (batch fixed
        to 1, or no batch dim) run sample by sample and the outputs are stacked.

        Args:
            xs: a list or tuple of samples (as for :meth:`predict`), a stacked array
                with the batch first (single-input models), or a dict of stacked arrays.

        Returns:
            The output array for single-output models, else a dict name → array; the
            batch is the first dim. Non-tensor outputs come back as lists.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` for an empty batch, inputs whose batch
                sizes differ, a bad input or a failed inference.
        """
        np_module = self._np
        feed = self._stacked(xs)
        sizes = {arr.shape[0] if arr.ndim else None for arr in feed.values()}
        if len(sizes) != 1 or None in sizes or 0 in sizes:
            shapes = {name: tuple(arr.shape) for name, arr in feed.items()}
            raise _invalid(
                self.name,
                f"predict_batch() needs the same non-zero batch size first in every input, "
                f"got shapes {shapes}",
            )
        if self.dynamic_batch:
            for spec in self.inputs:
                self._check_shape(spec, feed[spec.name])
            return self._pack(self._run(feed))
        size = int(next(iter(feed.values())).shape[0])
        results = [self.predict({name: arr[i] for name, arr in feed.items()}) for i in range(size)]
        if len(self.outputs) == 1:
            return _stack(np_module, results)
        return {name: _stack(np_module, [r[name] for r in results]) for name in self._output_names}


def _stack(np_module: Any, values: list[Any]) -> Any:
    if all(isinstance(v, np_module.ndarray) for v in values):
        return np_module.stack(values)
    return list(values)
