"""The health check a model version must pass before it becomes current.

On each sample input the model must run, every float output must be finite (no NaN, no
infinity) and every tensor output must have its declared rank and fixed dims. Then the
optional user check runs on the loaded model. Without samples, one synthetic sample is
made from the input schema: ones (empty strings for string inputs), dynamic dims set
to 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cad_ml_edge.errors import ModelError
from cad_ml_edge.inference.model import (
    FLOAT_DTYPES,
    OnnxModel,
    TensorSpec,
    import_deps,
    shape_matches,
)

__all__ = ["HealthCheck", "check_health", "synthetic_feed"]

HealthCheck = Callable[[OnnxModel], Any]
"""A user check: takes the loaded model, returns a true value to accept it."""


def synthetic_feed(model: OnnxModel) -> dict[str, Any]:
    """A feed of ones shaped by the input schema, dynamic dims set to 1.

    Args:
        model: the loaded model.

    Returns:
        Input name → array.

    Raises:
        ModelError: ``EDGE_MODEL_INVALID`` when an input declares no shape.
    """
    np, _ = import_deps(model.name)
    feed = {}
    for spec in model.inputs:
        if spec.shape is None:
            raise ModelError(
                "EDGE_MODEL_INVALID",
                model=model.name,
                detail=f"input {spec.name!r} declares no shape; pass samples",
            )
        shape = tuple(1 if d is None else d for d in spec.shape)
        if spec.dtype == "str":
            feed[spec.name] = np.full(shape, "", dtype=object)
        else:
            feed[spec.name] = np.ones(shape, dtype=spec.dtype)
    return feed


def _output_problems(np: Any, spec: TensorSpec, value: Any, sample: int) -> list[str]:
    if not isinstance(value, np.ndarray):
        return []  # sequences and maps: nothing declared to compare with
    problems = []
    if spec.dtype in FLOAT_DTYPES:
        bad = int(value.size - np.count_nonzero(np.isfinite(value)))
        if bad:
            problems.append(f"sample {sample}: output {spec.name!r} has {bad} non-finite value(s)")
    if spec.shape is not None and not shape_matches(spec.shape, value.shape):
        problems.append(
            f"sample {sample}: output {spec.name!r} has shape {tuple(value.shape)}, "
            f"the model declares {list(spec.shape)}"
        )
    return problems


def check_health(
    model: OnnxModel,
    samples: Sequence[Any] | None = None,
    check: HealthCheck | None = None,
) -> list[str]:
    """Run the health check.

    Args:
        model: the loaded model.
        samples: single samples as for :meth:`OnnxModel.predict`; ``None`` or empty for
            one synthetic sample.
        check: an optional user check, run when everything else passed; it fails when it
            returns a false value or raises.

    Returns:
        The problems found, one line each; empty when the model is healthy.
    """
    np, _ = import_deps(model.name)
    try:
        feeds = [model.sample_feed(s) for s in samples] if samples else [synthetic_feed(model)]
    except ModelError as exc:
        return [f"cannot use the samples: {exc.details['detail']}"]
    problems: list[str] = []
    for index, feed in enumerate(feeds):
        try:
            outs = model.run(feed)
        except ModelError as exc:
            problems.append(f"sample {index}: {exc.details['detail']}")
            continue
        for spec in model.outputs:
            problems.extend(_output_problems(np, spec, outs[spec.name], index))
    if check is not None and not problems:
        try:
            accepted = check(model)
        except Exception as exc:  # the user's check may raise anything: that is a failure
            problems.append(f"the user check raised {type(exc).__name__}: {exc}")
        else:
            if not accepted:
                problems.append(f"the user check returned {accepted!r}")
    return problems
