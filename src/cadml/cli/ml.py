"""``cadml ml``: the ML command group, with the NAB and C-MAPSS (RUL) benchmark runners.

Other ML commands (the part classifier's) are added to :data:`ml` by ``cadml.cli.main``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

__all__ = ["ml"]

_DETECTORS = ("iqr", "isolation-forest", "null", "zscore")
_PROFILE_CHOICES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate", "all")


@click.group()
def ml() -> None:
    """Machine learning: part classification, anomaly-detection benchmarks (NAB) and
    remaining useful life (C-MAPSS)."""


def _progress(label: str) -> Any:
    from tqdm import tqdm

    def wrap(items: Sequence[Any]) -> Iterable[Any]:
        return tqdm(items, desc=label, unit="file", file=sys.stderr, leave=False)

    return wrap


@ml.command("nab")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--detector",
    "-d",
    default="zscore",
    show_default=True,
    metavar="NAME",
    help=f"Detector to score: {', '.join(_DETECTORS)}",
)
@click.option(
    "--profile",
    "-p",
    "profile_name",
    default="all",
    show_default=True,
    metavar="NAME",
    help=f"NAB profile: {', '.join(_PROFILE_CHOICES)}",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Use this threshold (score >= it is a detection) instead of optimising one",
)
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Windows JSON (default DIRECTORY/labels/combined_windows.json)",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (forests)")
@click.option("--verbose", "-v", is_flag=True, help="Also show each file's raw score")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
def nab(
    directory: Path,
    detector: str,
    profile_name: str,
    threshold: float | None,
    labels_path: Path | None,
    seed: int,
    verbose: bool,
    as_json: bool,
) -> None:
    """Score an anomaly detector on a directory in the Numenta Anomaly Benchmark layout.

    \b
    DIRECTORY/
      data/<category>/<name>.csv         columns timestamp,value
      labels/combined_windows.json       {"<category>/<name>.csv": [[start, end], ...]}

    For each profile the threshold that maximises the corpus score is chosen (one
    threshold for all files, as NAB does), then the score is normalised: 0 is a detector
    that never fires, 100 one that catches every window at its first row with no false
    positive. TP/FN count windows caught/missed; FP counts detections outside windows.
    The first 15 % of each file (at most 750 rows) is probationary and never scored.

    Examples:

    \b
        cadml ml nab ~/NAB --detector zscore
        cadml ml nab ~/NAB -d isolation-forest --profile standard --json
        cadml ml nab ~/NAB -d iqr --threshold 0.8 --verbose
    """
    from cadml.ml.nab import load_corpus, make_detector, run_nab, select_profiles
    from cadml.ml.nab.sweep import DEFAULT_PROBATION_PERCENT

    profiles = select_profiles(profile_name)
    options: dict[str, Any] = {}
    if detector == "isolation-forest":
        options = {"seed": seed, "probation_percent": DEFAULT_PROBATION_PERCENT}
    scorer = make_detector(detector, **options)
    corpus = load_corpus(directory, labels_path)
    report = run_nab(
        corpus,
        scorer,
        detector,
        profiles,
        threshold=threshold,
        progress=_progress(f"nab {detector}"),
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(per_file=verbose), indent=2, sort_keys=True))
        return
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"NAB {directory}: {report.n_files} files, {report.n_rows} rows, "
        f"{report.n_windows} scored windows; detector {report.detector}"
    )
    kind = "fixed" if threshold is not None else "optimised"
    click.echo(
        f"  {'profile':<20} {'score':>8} {'threshold':>11} {'TP':>5} {'FP':>6} {'FN':>5} "
        f"{'raw':>10}"
    )
    for result in report.profiles:
        score = "n/a" if result.score is None else f"{result.score:.2f}"
        click.echo(
            f"  {result.profile:<20} {score:>8} {result.threshold:>11.6g} {result.tp:>5} "
            f"{result.fp:>6} {result.fn:>5} {result.raw_score:>10.4f}"
        )
    click.echo(f"  (thresholds {kind}; score 0 = null detector, 100 = perfect)")
    if verbose:
        for result in report.profiles:
            click.echo(f"{result.profile} at threshold {result.threshold:.6g}:")
            for f in result.files:
                click.echo(
                    f"  {f.key:<60} raw {f.raw_score:>9.4f}  TP {f.tp:>3}  FP {f.fp:>4}  "
                    f"FN {f.fn:>3}"
                )


@ml.command("rul")
@click.option(
    "--train",
    "train_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="train_FD00x.txt (run to failure)",
)
@click.option(
    "--test",
    "test_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="test_FD00x.txt",
)
@click.option(
    "--rul",
    "rul_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="RUL_FD00x.txt (true RUL of each test unit)",
)
@click.option(
    "--model",
    type=click.Choice(["rf", "gbr"]),
    default="rf",
    show_default=True,
    help="rf = random forest, gbr = histogram gradient boosting",
)
@click.option(
    "--cap", type=int, default=125, show_default=True, help="Cap of the training RUL target"
)
@click.option("--no-cap", is_flag=True, help="Train on the uncapped RUL")
@click.option("--window", type=int, default=30, show_default=True, help="Cycles per feature window")
@click.option("--bands", type=int, default=3, show_default=True, help="FFT bands per sensor")
@click.option(
    "--within",
    type=int,
    default=None,
    metavar="N",
    help="Also classify failure within N cycles",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed")
@click.option("--jobs", type=int, default=1, show_default=True, help="Threads to use")
@click.option("--verbose", "-v", is_flag=True, help="Also show each test unit's prediction")
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also export the fitted model(s) to ONNX in this folder and check them",
)
@click.option(
    "--register",
    "register_name",
    default=None,
    metavar="NAME",
    help="With --export: register the ONNX file(s) in the model registry as NAME "
    "(and NAME-within-N for the classifier)",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
def rul(
    train_path: Path,
    test_path: Path,
    rul_path: Path,
    model: str,
    cap: int,
    no_cap: bool,
    window: int,
    bands: int,
    within: int | None,
    seed: int,
    jobs: int,
    verbose: bool,
    export_dir: Path | None,
    register_name: str | None,
    as_json: bool,
) -> None:
    """Predict the remaining useful life of C-MAPSS test units and score it.

    Trains on every row of the training units (target min(RUL, cap)) with rolling
    statistics and FFT band energies of the non-constant sensors, predicts each test
    unit's RUL at its last cycle and compares it with the RUL file: RMSE in cycles and
    the NASA score (late predictions cost more; lower is better), next to a constant
    predictor's for scale.

    Examples:

    \b
        cadml ml rul --train train_FD001.txt --test test_FD001.txt --rul RUL_FD001.txt
        cadml ml rul --train train_FD001.txt --test test_FD001.txt --rul RUL_FD001.txt \\
            --model gbr --within 30 --json
        cadml ml rul ... --within 30 --export models/ --register fd001-rul
    """
    from cadml.ml.rul import RulConfig, load_cmapss, load_rul, run_rul

    config = RulConfig(
        model=model,
        cap=None if no_cap else cap,
        window=window,
        bands=bands,
        within=within,
        seed=seed,
        jobs=jobs,
    )
    train = load_cmapss(train_path)
    test = load_cmapss(test_path)
    truth = load_rul(rul_path)
    if register_name is not None and export_dir is None:
        raise click.UsageError("--register needs --export DIR")
    fitted: dict[str, Any] = {}
    report = run_rul(train, test, truth, config, rul_source=rul_path.name, fitted=fitted)
    exported = None
    if export_dir is not None:
        from cadml.services.ml_rul_export import export_rul

        exported = export_rul(fitted, export_dir, register_name, report, within)
    if as_json:
        body = report.to_dict()
        if exported is not None:
            body["export"] = exported
        click.echo(json.dumps(body, indent=2, sort_keys=True))
        _fail_if_missed(exported)
        return
    click.echo(
        f"C-MAPSS {train_path.name} -> {test_path.name}: {report.train_units} training units "
        f"({report.train_rows} rows), {report.test_units} test units"
    )
    dropped = ", ".join(report.sensors_dropped) or "none"
    click.echo(
        f"  sensors: {len(report.sensors_used)} used, constant ones dropped: {dropped}; "
        f"{report.n_features} features"
    )
    cap_text = "none" if config.cap is None else str(config.cap)
    click.echo(f"  model {model}, window {window}, cap {cap_text}, seed {seed}")
    click.echo(
        f"  RMSE         {report.rmse:10.2f} cycles   (constant mean: {report.baseline_rmse:.2f})"
    )
    click.echo(
        f"  NASA score   {report.nasa_score:10.2f}          "
        f"(constant mean: {report.baseline_nasa_score:.2f})"
    )
    metrics = report.classification
    if metrics is not None:
        auc = "n/a" if metrics.roc_auc is None else f"{metrics.roc_auc:.3f}"
        click.echo(
            f"  failure within {within} cycles ({report.test_positives} of "
            f"{report.test_units} test units): precision {metrics.precision:.3f}, "
            f"recall {metrics.recall:.3f}, F1 {metrics.f1:.3f}, ROC-AUC {auc}"
        )
    if verbose:
        click.echo("  unit  last cycle  true RUL  predicted" + ("  P(fail)" if metrics else ""))
        for unit in report.units:
            probability = (
                f"  {unit.failure_probability:7.3f}" if unit.failure_probability is not None else ""
            )
            click.echo(
                f"  {unit.unit:>4}  {unit.last_cycle:>10}  {unit.true_rul:>8}  "
                f"{unit.predicted_rul:>9.1f}{probability}"
            )

    if exported is not None:
        _print_export(exported)
        _fail_if_missed(exported)


def _print_export(exported: dict[str, Any]) -> None:
    click.echo("  ONNX export (INT8 does not apply to tree ensembles):")
    for key, e in exported["models"].items():
        extra = (
            f", RMSE {e['onnx_rmse']:.4f} (scikit-learn {e['sklearn_rmse']:.4f})"
            if "onnx_rmse" in e
            else f", labels equal {e['labels_equal']}"
        )
        click.echo(
            f"    {key:<10} {e['bytes'] / 1024:8.1f} KiB, max |ONNX - sklearn| "
            f"{e['max_abs_diff']:.2e}{extra}, 1-thread p50/p95 {e['p50_ms']:.3f}/"
            f"{e['p95_ms']:.3f} ms"
        )
    for entry in exported["registered"]:
        click.echo(f"  registered {entry['name']} v{entry['version']}")


def _fail_if_missed(exported: dict[str, Any] | None) -> None:
    if exported and exported["missed"]:
        from cadml.errors import ValidationError

        raise ValidationError(
            "ML_EXPORT_GOAL_MISSED",
            details={"model": "rul", "missed": "; ".join(exported["missed"])},
        )
