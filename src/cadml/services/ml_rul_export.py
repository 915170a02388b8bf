"""Exporting the remaining-useful-life models: ONNX files, checked, optionally registered.

``cadml ml rul --export DIR [--register NAME]`` calls :func:`export_rul` with the models
:func:`cadml.ml.rul.runner.run_rul` fitted. Each model is converted with skl2onnx
(:mod:`cadml.ml.export.sklearn_onnx`) and run in onnxruntime on the test units' last
rows; the export fails (``missed``) when the ONNX answers differ from scikit-learn's by
more than :data:`EXPORT_TOLERANCE`. Registered versions carry the run's metrics and what
they were trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["EXPORT_TOLERANCE", "export_rul"]


EXPORT_TOLERANCE = 1e-3
"""Largest difference (cycles, or probability) allowed between ONNX and scikit-learn."""


def export_rul(
    fitted: dict[str, Any],
    directory: Path,
    register_name: str | None,
    report: Any,
    within: int | None,
) -> dict[str, Any]:
    """Export the fitted RUL model(s) to ONNX, check them, register them if asked.

    Args:
        fitted: what ``run_rul(..., fitted=...)`` filled in.
        directory: where to write ``rul-regressor.onnx`` (and ``rul-classifier.onnx``).
        register_name: the registry name, or None not to register.
        report: the run's report (metrics for the registry).
        within: the classifier's horizon in cycles.

    Returns:
        ``{"models": {key: figures}, "missed": [...], "registered": [...]}``.
    """
    from cadml.ml.export.sklearn_onnx import check_sklearn_export, export_sklearn
    from cadml.ml.rul.metrics import rmse

    rows, features = fitted["rows"], fitted["features"]
    entries: dict[str, Any] = {}
    models = [("regressor", fitted["regressor"], "regression")]
    if "classifier" in fitted:
        models.append(("classifier", fitted["classifier"], "classification"))
    for key, model, task in models:
        path = directory / f"rul-{key}.onnx"
        export_sklearn(model, features, path)
        check = check_sklearn_export(model, path, rows)
        entry = {"file": str(path), "task": task, **check}
        if key == "regressor":
            import onnxruntime as ort

            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            onnx_rul = np.maximum(sess.run(None, {"input": rows})[0].reshape(-1), 0.0)
            entry["onnx_rmse"] = rmse(fitted["truth"], onnx_rul)
            entry["sklearn_rmse"] = report.rmse
        entries[key] = entry
    missed = [
        f"{key}: ONNX differs from scikit-learn by {e['max_abs_diff']:.3g}"
        for key, e in entries.items()
        if e["max_abs_diff"] > EXPORT_TOLERANCE or e.get("labels_equal") is False
    ]
    result: dict[str, Any] = {"models": entries, "missed": missed, "registered": []}
    if register_name is not None and not missed:
        result["registered"] = _register_rul(entries, register_name, report, within)
    return result


def _register_rul(
    entries: dict[str, Any], name: str, report: Any, within: int | None
) -> list[dict[str, Any]]:
    from cadml.runtime import build_runtime
    from cadml.services.model_registry import Registration
    from cadml.settings import get_settings

    registry = build_runtime(get_settings()).models
    registered = []
    for key, entry in entries.items():
        model_name = name if key == "regressor" else f"{name}-within-{within}"
        metrics = (
            {"rmse": report.rmse, "nasa_score": report.nasa_score}
            if key == "regressor"
            else dict(report.classification.__dict__)
            if report.classification
            else {}
        )
        record = registry.register(
            model_name,
            Path(entry["file"]).read_bytes(),
            "onnx",
            Registration(
                task=entry["task"],
                framework="sklearn",
                description="Remaining useful life in cycles (C-MAPSS features)"
                if key == "regressor"
                else f"Probability of failure within {within} cycles",
                metrics=metrics,
                training_data={
                    "train_units": report.train_units,
                    "train_rows": report.train_rows,
                    "sensors": list(report.sensors_used),
                    "config": report.config.__dict__,
                },
            ),
        )
        registered.append({"name": model_name, "version": record.version})
    return registered
