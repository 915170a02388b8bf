"""Use cases of the part classifier: train it, then export it to ONNX and INT8.

Files live under ``<data_dir>/ml``:

* ``datasets/parts-<key>.npz``: built datasets, keyed by their spec (a second training
  run with the same spec reuses the parts instead of building them again);
* ``classifier/``: the trained checkpoint (:mod:`cadml.ml.parts.checkpoint`);
* ``classifier/export/``: ``pointnet.fp32.onnx``, ``pointnet.int8.onnx``,
  ``mlp.fp32.onnx``, ``mlp.int8.onnx`` and ``report.json``.

Training uses two threads and the dataset build two worker processes (the machine class
has two cores); latency is measured on one thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.parts.dataset import DatasetSpec, PartDataset, build_dataset

__all__ = [
    "CLASSIFIER_MODELS",
    "ClassifierPaths",
    "ExportOptions",
    "export_and_register",
    "export_classifier",
    "load_or_build_dataset",
    "train_classifier",
]

CLASSIFIER_MODELS = {"part-classifier": "pointnet", "part-classifier-mlp": "mlp"}
"""Registry names of the part classifiers, and the trained model each one serves."""

Step = Callable[[str, int, int], None]
"""Progress callback: ``(stage, done, total)``."""


@dataclass(frozen=True)
class ClassifierPaths:
    """Where the classifier's files live.

    Args:
        root: ``<data_dir>/ml``.
    """

    root: Path

    @property
    def datasets(self) -> Path:
        """Directory of built datasets."""
        return self.root / "datasets"

    @property
    def checkpoint(self) -> Path:
        """Directory of the trained checkpoint."""
        return self.root / "classifier"

    @property
    def export(self) -> Path:
        """Directory of the exported ONNX files and the report."""
        return self.root / "classifier" / "export"

    def dataset(self, spec: DatasetSpec) -> Path:
        """The cache file of the dataset ``spec``."""
        return self.datasets / f"parts-{spec.key()[:16]}.npz"


def load_or_build_dataset(
    paths: ClassifierPaths, spec: DatasetSpec, workers: int, step: Step | None = None
) -> tuple[PartDataset, bool]:
    """The dataset of ``spec``, from the cache when it was built before.

    Returns:
        ``(dataset, from_cache)``.
    """
    cached = paths.dataset(spec)
    if cached.is_file():
        return PartDataset.load(cached), True
    progress = None if step is None else (lambda done, total: step("parts", done, total))
    data = build_dataset(spec, workers=workers, progress=progress)
    data.save(cached)
    return data, False


def train_classifier(
    paths: ClassifierPaths,
    spec: DatasetSpec,
    epochs: int = 25,
    mlp_epochs: int = 150,
    workers: int = 2,
    threads: int = 2,
    step: Step | None = None,
) -> dict[str, Any]:
    """Build (or reuse) the dataset, train the MLP and PointNet, save the checkpoint.

    Args:
        paths: where files live.
        spec: the dataset to train on.
        epochs: PointNet epochs.
        mlp_epochs: MLP epochs.
        workers: dataset build processes.
        threads: torch threads.
        step: progress callback (stages ``parts``, ``mlp``, ``pointnet``).

    Returns:
        The training summary (``training.json``'s content plus dataset figures).
    """
    import torch

    from cadml.ml.parts.checkpoint import read_training, save_checkpoint
    from cadml.ml.parts.training import train_mlp, train_pointnet

    torch.set_num_threads(threads)
    data, from_cache = load_or_build_dataset(paths, spec, workers, step)

    def stage(name: str) -> Callable[[int, int, float], None] | None:
        if step is None:
            return None
        report = step
        return lambda epoch, total, _loss: report(name, epoch, total)

    runs = {
        "mlp": train_mlp(data, epochs=mlp_epochs, seed=spec.seed, progress=stage("mlp")),
        "pointnet": train_pointnet(data, epochs=epochs, seed=spec.seed, progress=stage("pointnet")),
    }
    save_checkpoint(paths.checkpoint, data, runs)
    summary = read_training(paths.checkpoint)
    summary["dataset"].update(
        {
            "parts": int(data.labels.size),
            "held_out_parts": int(data.held_out.sum()),
            "build_seconds": round(data.build_seconds, 3),
            "from_cache": from_cache,
            "failed_builds": data.failures,
            "file": str(paths.dataset(spec)),
        }
    )
    return summary


@dataclass(frozen=True)
class ExportOptions:
    """How to export.

    Args:
        int8: also write and measure the static INT8 models.
        calibration: calibration samples (training clouds / feature vectors).
        latency_calls: timed single-sample calls per file.
    """

    int8: bool = True
    calibration: int = 256
    latency_calls: int = 300


def _calibration_pool(data: PartDataset, name: str) -> np.ndarray:
    (train,) = data.split(held_out=False)
    if name == "pointnet":
        return np.asarray(data.clouds[train].reshape(-1, *data.clouds.shape[2:]))
    return np.asarray(data.features[train])


def _calibration(data: PartDataset, name: str, wanted: int) -> np.ndarray:
    """Up to ``wanted`` training samples (all of them when there are fewer), seeded."""
    pool = _calibration_pool(data, name)
    rng = np.random.default_rng([data.spec.seed, 101])
    count = min(wanted, len(pool))
    return np.ascontiguousarray(pool[rng.choice(len(pool), size=count, replace=False)])


def export_classifier(
    paths: ClassifierPaths, options: ExportOptions, step: Step | None = None
) -> dict[str, Any]:
    """Export the trained classifiers to ONNX (and INT8), measure them, write the report.

    Args:
        paths: where files live.
        options: what to export.
        step: progress callback (stage per model and file).

    Returns:
        The report's JSON form (also written to ``export/report.json``); its ``passed``
        says whether every target held.

    Raises:
        NotFoundError: ``ML_NO_TRAINED_MODEL`` without a checkpoint.
        ValidationError: ``ML_CALIBRATION_TOO_SMALL``.
    """
    import torch

    from cadml.ml.export.int8 import MIN_CALIBRATION, quantize_int8
    from cadml.ml.export.measure import accuracy, latency, session
    from cadml.ml.export.report import ExportReport, ModelFigures, Targets, format_report
    from cadml.ml.export.torch_onnx import export_torch
    from cadml.ml.parts.checkpoint import load_models, read_training
    from cadml.ml.parts.training import held_out_clouds

    header = read_training(paths.checkpoint)
    spec_fields = dict(header["dataset"]["spec"])
    spec_fields["families"] = tuple(spec_fields["families"])
    spec = DatasetSpec(**spec_fields)
    if options.int8 and options.calibration < MIN_CALIBRATION:
        raise ValidationError(
            "ML_CALIBRATION_TOO_SMALL",
            details={"minimum": MIN_CALIBRATION, "count": options.calibration},
        )
    data, _ = load_or_build_dataset(paths, spec, workers=2)
    if options.int8:
        # every model's calibration set is checked before any file is written
        for name in ("pointnet", "mlp"):
            available = min(options.calibration, len(_calibration_pool(data, name)))
            if available < MIN_CALIBRATION:
                raise ValidationError(
                    "ML_CALIBRATION_TOO_SMALL",
                    details={"minimum": MIN_CALIBRATION, "count": available},
                )
    models = load_models(paths.checkpoint)
    (test,) = data.split(held_out=True)
    inputs = {
        "pointnet": held_out_clouds(data),
        "mlp": (data.features[test], data.labels[test]),
    }
    report = ExportReport([], Targets(), target_models=("pointnet",))
    for name in ("pointnet", "mlp"):
        samples, labels = inputs[name]
        input_name = "points" if name == "pointnet" else "features"
        fp32 = paths.export / f"{name}.fp32.onnx"
        if step is not None:
            step(f"{name}: exporting to ONNX and measuring fp32", 0, 1)
        used = export_torch(
            models[name], torch.from_numpy(samples[:1].copy()), fp32, input_name, "logits"
        )
        fp32_session = session(fp32)
        figures: dict[str, Any] = {
            "fp32_accuracy": accuracy(fp32_session, samples, labels),
            "fp32_latency": latency(fp32_session, samples, calls=options.latency_calls),
            "int8_bytes": 0,
            "int8_accuracy": 0.0,
            "int8_latency": {"p50_ms": 0.0, "p95_ms": 0.0},
        }
        report.files[f"{name}.fp32"] = str(fp32)
        if options.int8:
            if step is not None:
                step(f"{name}: quantising to INT8 and measuring it", 0, 1)
            int8 = paths.export / f"{name}.int8.onnx"
            samples_used = _calibration(data, name, options.calibration)
            quantize_int8(fp32, int8, input_name, samples_used)
            report.calibration_samples = max(report.calibration_samples, len(samples_used))
            int8_session = session(int8)
            figures.update(
                int8_bytes=int8.stat().st_size,
                int8_accuracy=accuracy(int8_session, samples, labels),
                int8_latency=latency(int8_session, samples, calls=options.latency_calls),
            )
            report.files[f"{name}.int8"] = str(int8)
        report.models.append(
            ModelFigures(name=name, exporter=used, fp32_bytes=fp32.stat().st_size, **figures)
        )
        report.evaluation_samples[name] = len(samples)
    result = report.to_dict()
    result["classes"] = header["classes"]
    result["text"] = format_report(report)
    (paths.export / "report.json").write_text(json.dumps(result, indent=2, sort_keys=True))
    return result


def _reference(data: PartDataset, name: str) -> dict[str, Any]:
    from cadml.ml.monitoring.drift import DriftReference

    (train,) = data.split(held_out=False)
    samples = data.clouds[train] if name == "pointnet" else data.features[train]
    return DriftReference.from_samples(samples).to_dict()


def export_and_register(
    paths: ClassifierPaths,
    options: ExportOptions,
    registry: Any,
    step: Step | None = None,
) -> dict[str, Any]:
    """Export the classifiers (:func:`export_classifier`) and register the served files.

    ``part-classifier`` gets PointNet (its INT8 file when ``options.int8``: it met the
    targets and is faster), ``part-classifier-mlp`` the MLP's fp32 file (INT8 makes a
    model this small slower). Each version carries the class names, the export figures,
    the dataset it was trained on and the drift reference of its training inputs. A
    model's first version becomes ``champion``; later ones ``challenger``, to be promoted
    after an A/B comparison (``PUT /model/{name}/aliases/champion``). Nothing is registered
    when the export missed a target.

    Returns:
        The export report with ``registered``: name, version and alias per model.
    """
    from cadml.services.model_registry import Registration

    report = export_classifier(paths, options, step)
    if not report["passed"]:
        return {**report, "registered": []}  # a model that misses its targets is not served
    header = json.loads((paths.checkpoint / "training.json").read_text())
    spec_fields = dict(header["dataset"]["spec"])
    spec_fields["families"] = tuple(spec_fields["families"])
    data, _ = load_or_build_dataset(paths, DatasetSpec(**spec_fields), workers=2)
    figures = {m["name"]: m for m in report["models"]}
    registered = []
    for model_name, trained in CLASSIFIER_MODELS.items():
        quantised = options.int8 and trained == "pointnet"
        key = f"{trained}.{'int8' if quantised else 'fp32'}"
        fig = figures[trained]
        info = Registration(
            task="classification",
            description=(
                "Part family from the canonical surface point cloud (PointNet)"
                if trained == "pointnet"
                else "Part family from the 24 pose-invariant geometric features (MLP)"
            ),
            framework="torch",
            metrics={
                "accuracy": fig["int8_accuracy"] if quantised else fig["fp32_accuracy"],
                "fp32_accuracy": fig["fp32_accuracy"],
                "int8_accuracy": fig["int8_accuracy"],
                "latency_ms": fig["int8_latency"] if quantised else fig["fp32_latency"],
                "evaluation_samples": report["evaluation_samples"][trained],
            },
            training_data={
                "dataset": header["dataset"],
                "parts": int(data.labels.size),
                "held_out_parts": int(data.held_out.sum()),
            },
            meta={
                "classes": header["classes"],
                "quantisation": "static QDQ per-channel INT8" if quantised else "none (fp32)",
                "exporter": fig["exporter"],
                "export_passed": report["passed"],
                "drift_reference": _reference(data, trained),
                **({"feature_names": header["feature_names"]} if trained == "mlp" else {}),
            },
            tags=(trained, "int8" if quantised else "fp32"),
        )
        record = registry.register(
            model_name, Path(report["files"][key]).read_bytes(), "onnx", info
        )
        aliases = {a.alias for a in registry.repository.aliases(model_name)}
        alias = "challenger" if "champion" in aliases else "champion"
        registry.set_alias(model_name, alias, record.version)
        registered.append({"name": model_name, "version": record.version, "alias": alias})
    return {**report, "registered": registered}
