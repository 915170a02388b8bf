"""``cadml ml train-classifier`` and ``cadml ml export``: the part classifier's lifecycle."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from cadml.settings import get_settings

__all__ = ["export", "train_classifier"]


def _bars() -> tuple[Callable[[str, int, int], None], Callable[[], None]]:
    """A progress callback drawing one tqdm bar per stage on stderr, and a closer."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def step(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            unit = {"parts": "part"}.get(stage, "epoch")
            bar = bars[stage] = tqdm(total=total, desc=stage, unit=unit, file=sys.stderr)
        bar.update(done - bar.n)

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return step, close


def _paths() -> Any:
    from cadml.services.ml_classifier import ClassifierPaths

    return ClassifierPaths(get_settings().data_dir / "ml")


@click.command("train-classifier")
@click.option(
    "--parts-per-family",
    type=click.IntRange(5, 5000),
    default=150,
    show_default=True,
    help="Random valid parts drawn per family (20 % of them are held out).",
)
@click.option(
    "--family",
    "families",
    multiple=True,
    help="Train on these families only (repeat the option); default: every family.",
)
@click.option(
    "--epochs", type=click.IntRange(1, 1000), default=25, show_default=True, help="PointNet epochs."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random draw.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processes that build the dataset's parts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the training summary as JSON.")
def train_classifier(
    parts_per_family: int,
    families: tuple[str, ...],
    epochs: int,
    seed: int,
    workers: int,
    as_json: bool,
) -> None:
    """Train the part classifiers (a feature MLP and a PointNet) on generated parts.

    Draws random valid parameters for every part family, builds each part, poses it
    at random, samples surface point clouds and computes a geometric feature vector
    (about 40 s for 1,500 parts on two cores; the dataset is cached under
    <data_dir>/ml/datasets and reused by a later run with the same options). Then it
    trains both models on the CPU and reports held-out accuracy with a confusion
    matrix. The weights go to <data_dir>/ml/classifier; `cadml ml export classifier
    --int8` exports them.

    \b
    Examples:
        cadml ml train-classifier
        cadml ml train-classifier --parts-per-family 40 --epochs 10   # a quick try
        cadml ml train-classifier --family plate --family flange --json
    """
    from cadml.geometry.generators import get_family
    from cadml.ml.parts.dataset import DatasetSpec
    from cadml.services.ml_classifier import train_classifier as train

    for name in families:
        get_family(name)  # an unknown family fails here, before any work
    spec = DatasetSpec(parts_per_family=parts_per_family, families=tuple(families), seed=seed)
    step, close = _bars()
    try:
        summary = train(_paths(), spec, epochs=epochs, workers=workers, step=step)
    finally:
        close()
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
        return
    data = summary["dataset"]
    cached = " (from cache)" if data["from_cache"] else f" in {data['build_seconds']:.1f} s"
    click.echo(
        f"dataset: {data['parts']} parts of {len(summary['classes'])} families{cached}, "
        f"{data['held_out_parts']} held out"
    )
    for name, entry in summary["models"].items():
        evaluation = entry["evaluation"]
        click.echo(
            f"{name}: held-out accuracy {100 * evaluation['accuracy']:.2f} % on "
            f"{evaluation['samples']} samples ({entry['epochs']} epochs, {entry['seconds']:.0f} s)"
        )
    click.echo(_confusion(summary["classes"], summary["models"]["pointnet"]["evaluation"]))


def _confusion(classes: list[str], evaluation: dict[str, Any]) -> str:
    """PointNet's confusion matrix as text (rows: true family, columns: predicted)."""
    width = max(len(c) for c in classes)
    header = " " * (width + 2) + " ".join(f"{i:>4}" for i in range(len(classes)))
    lines = ["confusion (pointnet; rows true, columns predicted):", header]
    for i, (name, row) in enumerate(zip(classes, evaluation["confusion"], strict=True)):
        lines.append(f"{name:>{width}} {i:>1} " + " ".join(f"{n:>4}" for n in row))
    return "\n".join(lines)


@click.command("export")
@click.argument("model", type=click.Choice(["classifier"]))
@click.option("--int8", is_flag=True, help="Also write and measure static INT8 (QDQ) models.")
@click.option(
    "--calibration",
    type=click.IntRange(1, 100000),
    default=256,
    show_default=True,
    help="Calibration samples for INT8 (fewer if the training set is smaller; at least "
    "200 must be available).",
)
@click.option(
    "--register/--no-register",
    default=True,
    show_default=True,
    help="Register the served files in the model registry (part-classifier, part-classifier-mlp).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def export(model: str, int8: bool, calibration: int, register: bool, as_json: bool) -> None:
    """Export a trained model to ONNX (and INT8) and print its report.

    For each model: fp32 and INT8 file sizes, held-out accuracy of both files in
    onnxruntime, and single-sample latency p50/p95 on one thread. Fails (exit status 2,
    ML_EXPORT_GOAL_MISSED) and registers nothing when a target is missed: INT8 at least
    70 % smaller, under 1 point of accuracy lost, PointNet INT8 p95 under 5 ms. Files go
    to <data_dir>/ml/classifier/export; the served files are registered as new versions
    of part-classifier (PointNet) and part-classifier-mlp (first version champion, later
    ones challenger).

    \b
    Examples:
        cadml ml export classifier --int8
        cadml ml export classifier --int8 --json > report.json
    """
    from cadml.errors import ValidationError
    from cadml.services.ml_classifier import (
        ExportOptions,
        export_and_register,
        export_classifier,
    )

    def step(stage: str, _done: int, _total: int) -> None:
        click.echo(f"{stage} ...", err=True)

    options = ExportOptions(int8=int8, calibration=calibration)
    if register:
        from cadml.runtime import build_runtime

        runtime = build_runtime(get_settings())
        report = export_and_register(_paths(), options, runtime.models, step)
    else:
        report = export_classifier(_paths(), options, step)
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
    else:
        click.echo(report["text"])
        for entry in report.get("registered", []):
            click.echo(f"registered {entry['name']} v{entry['version']} as {entry['alias']}")
    if not report["passed"]:
        raise ValidationError(
            "ML_EXPORT_GOAL_MISSED",
            details={"model": model, "missed": "; ".join(report["missed"])},
        )
