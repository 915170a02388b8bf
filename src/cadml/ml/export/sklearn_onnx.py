"""scikit-learn models to ONNX (skl2onnx), checked against the model they came from.

A regressor becomes a graph with one ``[batch, n]`` float input ``input`` and one
``variable`` output; a classifier gets ``label`` and ``probabilities`` outputs (no
ZipMap, so the probabilities are a plain tensor). The tree-ensemble operators live in
the ``ai.onnx.ml`` domain at opset 3 (skl2onnx's IsolationForest needs it; PITFALLS).
:func:`check_sklearn_export` runs the file in onnxruntime on the evaluation rows and
reports the largest difference from scikit-learn's own answers, plus the file size and
the single-sample latency on one thread.

INT8 does not apply: onnxruntime's quantiser has no integer kernels for tree ensembles
(``TreeEnsembleRegressor``/``Classifier``), and they are not matrix products anyway.

Workaround: skl2onnx 1.20 writes the ``nodes_missing_value_tracks_true`` flags of
scikit-learn's histogram gradient boosting as booleans, and onnx 1.2x refuses booleans in
an ``ints`` attribute ("Expected an int, got a boolean"). :func:`convert` turns the flags
into 0/1 while it converts (a patch of skl2onnx's ``tree_ensemble.add_node``, in place only
during the call and under a lock); the exported trees are checked against scikit-learn by
:func:`check_sklearn_export` like any other.

Examples:
    >>> import numpy as np, tempfile
    >>> from pathlib import Path
    >>> from sklearn.linear_model import Ridge
    >>> x = np.random.default_rng(0).normal(size=(50, 3))
    >>> model = Ridge().fit(x, x @ [1.0, 2.0, 3.0])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "ridge.onnx"
    ...     export_sklearn(model, 3, path)
    ...     check = check_sklearn_export(model, path, x.astype(np.float32))
    >>> check["max_abs_diff"] < 1e-4
    True
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.errors import CadmlError

__all__ = ["ML_OPSETS", "check_sklearn_export", "convert", "export_sklearn"]

ML_OPSETS = {"": 17, "ai.onnx.ml": 3}
"""Opsets of the exported graphs."""


_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _integer_missing_value_flags() -> Iterator[None]:
    """skl2onnx's tree builder with its missing-value flags passed as 0/1 integers."""
    import skl2onnx.common.tree_ensemble as tree_ensemble

    original = tree_ensemble.add_node

    def add_node(*args: Any, **kwargs: Any) -> Any:
        if "nodes_missing_value_tracks_true" in kwargs:
            kwargs["nodes_missing_value_tracks_true"] = int(
                kwargs["nodes_missing_value_tracks_true"]
            )
        return original(*args, **kwargs)

    with _PATCH_LOCK:
        tree_ensemble.add_node = add_node
        try:
            yield
        finally:
            tree_ensemble.add_node = original


def convert(model: Any, features: int) -> Any:
    """The ONNX ``ModelProto`` of a fitted estimator with ``features`` float inputs (input
    ``input``; a classifier's probabilities as a plain tensor)."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.base import is_classifier

    options = {id(model): {"zipmap": False}} if is_classifier(model) else None
    with _integer_missing_value_flags():
        return convert_sklearn(
            model,
            initial_types=[("input", FloatTensorType([None, features]))],
            target_opset=ML_OPSETS,
            options=options,
        )


def export_sklearn(model: Any, features: int, path: Path) -> None:
    """Write ``model`` (fitted, ``features`` inputs) as an ONNX file.

    Raises:
        CadmlError: ``ML_EXPORT_FAILED`` when skl2onnx cannot convert it.
    """
    try:
        graph = convert(model, features)
    except Exception as exc:
        raise CadmlError(
            "ML_EXPORT_FAILED",
            details={"model": type(model).__name__, "format": "ONNX", "reason": str(exc)[:300]},
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(graph.SerializeToString())
    partial.replace(path)


def check_sklearn_export(
    model: Any, path: Path, rows: npt.NDArray[np.float32], calls: int = 300
) -> dict[str, Any]:
    """Compare an exported file with its model on ``rows``; size and 1-thread latency.

    Returns:
        ``{"bytes", "max_abs_diff", "p50_ms", "p95_ms"}``; for a classifier the difference
        is between the probabilities and ``labels_equal`` is added.
    """
    from sklearn.base import is_classifier

    from cadml.ml.export.measure import latency, session

    sess = session(path)
    got = sess.run(None, {"input": rows})
    result: dict[str, Any] = {"bytes": path.stat().st_size}
    if is_classifier(model):
        expected = model.predict_proba(rows)
        result["labels_equal"] = bool(np.array_equal(got[0].reshape(-1), model.predict(rows)))
        result["max_abs_diff"] = float(np.abs(np.asarray(got[1]) - expected).max())
    else:
        expected = model.predict(rows)
        result["max_abs_diff"] = float(np.abs(np.asarray(got[0]).reshape(-1) - expected).max())
    result.update(latency(sess, rows, calls=calls))
    return result
