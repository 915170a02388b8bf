"""``cadml ml anomaly``: train anomaly detectors on device telemetry, score, monitor, export.

Runs against the configured time-series store directly (``CADML_TWIN_STORE``; the
embedded SQLite file by default), so use it on the server or with the same CADML_*
settings. Trained detectors live under ``<data_dir>/ml/anomaly/<name>/``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from cadml.settings import get_settings

__all__ = ["anomaly"]

_DETECTOR_NAMES = ("zscore", "iqr", "isolation-forest", "one-class-svm", "lstm-ae")
_TIME_HELP = "Unix s, ISO 8601 (2025-01-31T08:00Z) or relative to now (-2h, -7d)"


@contextmanager
def _store() -> Iterator[Any]:
    from cadml.timeseries.factory import build_timeseries_store

    store = build_timeseries_store(get_settings())
    try:
        yield store
    finally:
        store.close()


def _models() -> Any:
    from cadml.services.ml_anomaly import AnomalyModels

    return AnomalyModels(get_settings().data_dir / "ml" / "anomaly")


def _when(value: str | None, field: str, now: float) -> float | None:
    """A time from unix seconds, ISO 8601 or ``-<duration>`` (before now)."""
    from cadml.twin.query import parse_time, parse_window

    if value is not None and value.startswith("-"):
        return now - parse_window(value[1:])
    return parse_time(value, field)


def _iso(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _echo_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


def _progress(stage: str, done: int, total: int | None) -> None:
    """Progress lines on stderr (stdout stays clean for --json)."""
    if stage == "read" and done and done % 10_000 == 0:
        click.echo(f"  read {done:,} frames ...", err=True)
    elif stage == "fit" and done == 0:
        click.echo(f"  fitting on {total:,} rows ...", err=True)


@click.group("anomaly")
def anomaly() -> None:
    """Anomaly detection on device telemetry: train, score, monitor, export.

    A detector learns a device's normal behaviour from its stored history (chosen
    fields and time range) and flags rows whose score is above its threshold. The
    threshold comes from the sensitivity: the percent of training rows allowed above
    it (0.05 = one in 2,000; the isolation forest defaults to 1). Trained detectors are
    saved under <data_dir>/ml/anomaly/<name>/.

    \b
    Examples:
      cadml ml anomaly train --device press-7 --field temperature --field vibration \\
          --since -7d --detector zscore
      cadml ml anomaly train --device press-7 --field temperature --detector lstm-ae \\
          --name press-7-seq --resample 10s
      cadml ml anomaly score --name press-7-zscore --since -1d
      cadml ml anomaly monitor --name press-7-zscore --follow
      cadml ml anomaly export --name press-7-seq
      cadml ml anomaly list
    """


@anomaly.command("train")
@click.option("--device", "-d", required=True, help="The device whose history trains it")
@click.option(
    "--field",
    "-f",
    "fields",
    multiple=True,
    required=True,
    help="A field (repeat): temperature = sensors.temperature, metrics.rpm, status.x",
)
@click.option(
    "--detector",
    "-k",
    type=click.Choice(_DETECTOR_NAMES),
    required=True,
    help="The kind of detector",
)
@click.option("--since", default=None, help=f"Start of the training range. {_TIME_HELP}")
@click.option("--until", default=None, help="End of the training range (exclusive)")
@click.option(
    "--sensitivity",
    "-s",
    type=float,
    default=None,
    help="Percent of training rows allowed above the threshold, (0, 50] "
    "[default: 0.05; isolation-forest: 1]",
)
@click.option("--name", "-n", default=None, help="Save as NAME [default: DEVICE-DETECTOR]")
@click.option(
    "--resample", default=None, help="One row per time bucket (10s, 1m) [default: per reading]"
)
@click.option("--window", type=int, default=None, help="lstm-ae: rows per window [16]")
@click.option("--epochs", type=int, default=None, help="lstm-ae: training epochs [8]")
@click.option("--seed", type=int, default=None, help="Seed (isolation-forest, lstm-ae) [0]")
@click.option("--replace", is_flag=True, help="Overwrite a detector of the same name")
@click.option("--json", "as_json", is_flag=True, help="Print the saved metadata as JSON")
def train(
    device: str,
    fields: tuple[str, ...],
    detector: str,
    since: str | None,
    until: str | None,
    sensitivity: float | None,
    name: str | None,
    resample: str | None,
    window: int | None,
    epochs: int | None,
    seed: int | None,
    replace: bool,
    as_json: bool,
) -> None:
    """Train a detector on one device's stored history and save it.

    The frames in [--since, --until) are aligned into rows of the chosen fields (one
    row per reading, a missing field keeps its last value; or one row per --resample
    bucket, the mean of each field) and at least 50 rows are needed. Prints the
    threshold and the training-score quantiles.

    \b
    Examples:
      cadml ml anomaly train -d press-7 -f temperature -f vibration -k zscore
      cadml ml anomaly train -d press-7 -f temperature -k iqr --since 2025-01-01 \\
          --until 2025-02-01 --sensitivity 0.1 --name press-7-jan
      cadml ml anomaly train -d press-7 -f temperature -f metrics.rpm -k lstm-ae \\
          --resample 5s --window 24 --epochs 10
    """
    from cadml.services.ml_anomaly import TrainingRequest, train_detector
    from cadml.twin.query import parse_window

    now = time.time()
    options: dict[str, Any] = {}
    if window is not None:
        options["window"] = window
    if epochs is not None:
        options["epochs"] = epochs
    if seed is not None:
        options["seed"] = seed
    request = TrainingRequest(
        device=device,
        fields=fields,
        detector=detector,
        name=name,
        since=_when(since, "since", now),
        until=_when(until, "until", now),
        resample_s=None if resample is None else parse_window(resample),
        sensitivity=sensitivity,
        options=options,
        replace=replace,
    )
    click.echo(f"reading the history of {device} ...", err=True)
    models = _models()
    started = time.perf_counter()
    with _store() as store:
        trained = train_detector(store, models, request, progress=_progress)
    meta = trained.metadata
    click.echo(f"  done in {time.perf_counter() - started:.1f} s", err=True)
    if as_json:
        _echo_json({**meta.to_dict(), "path": str(models.path(meta.name))})
        return
    q = meta.train_quantiles
    click.echo(
        f"trained '{meta.name}' ({meta.kind}) on {meta.device}: {meta.rows:,} rows of "
        f"{', '.join(meta.fields)} ({meta.frames:,} frames)"
    )
    click.echo(f"  range      {_iso(meta.first_timestamp)} .. {_iso(meta.last_timestamp)}")
    click.echo(
        f"  threshold  {meta.threshold:.4f}  (sensitivity {meta.sensitivity:g} % of "
        f"training rows above it)"
    )
    click.echo(
        f"  training scores  p50 {q.get('0.5', 0):.4f}  p99 {q.get('0.99', 0):.4f}  "
        f"p99.9 {q.get('0.999', 0):.4f}  max {q.get('max', 0):.4f}"
    )
    click.echo(f"  fit {meta.fit_seconds:.2f} s; saved in {models.path(meta.name)}")


@anomaly.command("score")
@click.option("--name", "-n", required=True, help="The trained detector")
@click.option("--since", default=None, help=f"Start of the range to score. {_TIME_HELP}")
@click.option("--until", default=None, help="End of the range (exclusive)")
@click.option("--device", "-d", default=None, help="Score another device [default: its own]")
@click.option(
    "--clear-rows",
    type=click.IntRange(1, 10_000),
    default=3,
    show_default=True,
    help="Normal rows in a row that end an anomalous interval",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
def score(
    name: str,
    since: str | None,
    until: str | None,
    device: str | None,
    clear_rows: int,
    as_json: bool,
) -> None:
    """Score the stored history with a trained detector and list anomalous intervals.

    An interval starts at a row above the threshold and ends after --clear-rows rows
    at or below it (the rule the live monitor alerts by: one alert per interval).

    \b
    Examples:
      cadml ml anomaly score --name press-7-zscore
      cadml ml anomaly score --name press-7-zscore --since -1d --json
      cadml ml anomaly score --name press-7-zscore --device press-8
    """
    from cadml.services.ml_anomaly import score_history

    now = time.time()
    trained = _models().load(name)
    with _store() as store:
        report = score_history(
            store,
            trained,
            since=_when(since, "since", now),
            until=_when(until, "until", now),
            device=device,
            clear_rows=clear_rows,
            progress=_progress,
        )
    if as_json:
        _echo_json(report.to_dict())
        return
    click.echo(
        f"{report.name} on {report.device}: {report.rows:,} rows, {report.anomalous_rows:,} "
        f"anomalous in {len(report.intervals)} interval(s) (threshold {report.threshold:.4f}, "
        f"max score {report.max_score:.4f})"
    )
    if report.intervals:
        click.echo(f"  {'start':<21} {'end':<21} {'rows':>6} {'peak':>7}")
    for interval in report.intervals:
        click.echo(
            f"  {_iso(interval.start):<21} {_iso(interval.end):<21} "
            f"{interval.anomalous_rows:>6} {interval.peak_score:>7.4f}"
        )


@anomaly.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print every detector's metadata as JSON")
def list_detectors(as_json: bool) -> None:
    """List the trained detectors.

    \b
    Examples:
      cadml ml anomaly list
      cadml ml anomaly list --json
    """
    rows = _models().all_metadata()
    if as_json:
        _echo_json([meta.to_dict() for meta in rows])
        return
    for meta in rows:
        click.echo(
            f"{meta.name:<28} {meta.kind:<17} {meta.device:<20} {meta.rows:>8,} rows  "
            f"s={meta.sensitivity:<5g} threshold {meta.threshold:.4f}  {','.join(meta.fields)}"
        )
    click.echo(f"{len(rows)} detector(s)", err=True)


@anomaly.command("monitor")
@click.option("--name", "-n", required=True, help="The trained detector")
@click.option("--device", "-d", default=None, help="Watch another device [default: its own]")
@click.option("--since", default=None, help=f"Replay from here. {_TIME_HELP}")
@click.option("--until", default=None, help="Replay up to here (without --follow)")
@click.option("--follow", is_flag=True, help="Keep polling the store for new frames")
@click.option("--interval", default="2s", show_default=True, help="--follow: time between polls")
@click.option("--duration", default=None, help="--follow: stop after this long (e.g. 1h)")
@click.option("--cooldown", default="60s", show_default=True, help="Least time between two alerts")
@click.option(
    "--clear-rows",
    type=click.IntRange(1, 10_000),
    default=3,
    show_default=True,
    help="Normal rows in a row that end an excursion",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "python", "onnx"]),
    default="auto",
    show_default=True,
    help="What scores rows: onnxruntime (auto: when the detector was exported) or Python",
)
@click.option("--dry-run", is_flag=True, help="Print alerts without writing them to the store")
def monitor(
    name: str,
    device: str | None,
    since: str | None,
    until: str | None,
    follow: bool,
    interval: str,
    duration: str | None,
    cooldown: str,
    clear_rows: int,
    engine: str,
    dry_run: bool,
) -> None:
    """Run a trained detector over telemetry and raise alert events.

    Prints each alert as a JSON line (a telemetry frame whose status.alert has
    rule_id "anomaly:NAME") and writes it to the store unless --dry-run. One alert per
    excursion: an excursion ends after --clear-rows normal rows, and a new one within
    --cooldown of the previous alert is not alerted. Without --follow it replays
    [--since, --until) once; with --follow it starts at --since (default: now) and
    polls the store. After `cadml ml anomaly export` the learned detectors score
    through onnxruntime (much faster per row). Inside the server, attach the monitor
    to the ingest pipeline instead (see docs/ml_anomaly.md).

    \b
    Examples:
      cadml ml anomaly monitor --name press-7-zscore --since -1d --dry-run
      cadml ml anomaly monitor --name press-7-zscore --follow --interval 5s
    """
    from cadml.services.ml_anomaly import AnomalyMonitor, replay
    from cadml.services.ml_anomaly import follow as follow_store
    from cadml.twin.query import parse_window

    now = time.time()
    trained = _models().load(name)
    watch = None if device is None else [device]
    runner = AnomalyMonitor(
        trained,
        clear_rows=clear_rows,
        cooldown_s=0.0 if cooldown in ("0", "0s") else parse_window(cooldown),
        devices=watch,
        engine=engine,
    )

    def show(alert: Any) -> None:
        click.echo(json.dumps(alert.to_dict(), ensure_ascii=False, sort_keys=True))

    with _store() as store:
        if follow:
            raised = follow_store(
                store,
                runner,
                device=device,
                since=_when(since, "since", now),
                interval_s=parse_window(interval),
                duration_s=None if duration is None else parse_window(duration),
                write=not dry_run,
                on_alert=show,
            )
        else:
            alerts = replay(
                store,
                runner,
                device=device,
                since=_when(since, "since", now),
                until=_when(until, "until", now),
                write=not dry_run,
            )
            for alert in alerts:
                show(alert)
            raised = len(alerts)
    written = "printed only" if dry_run else "written to the store"
    click.echo(
        f"{raised} alert(s) from '{name}' ({written}; scored with {runner.engine})", err=True
    )


@anomaly.command("export")
@click.option("--name", "-n", required=True, help="The trained detector")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The .onnx file [default: the detector's directory/detector.onnx]",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON")
def export(name: str, out: Path | None, as_json: bool) -> None:
    """Export a learned detector (isolation-forest, one-class-svm, lstm-ae) to ONNX.

    The graph outputs the anomaly score itself (compare it with the threshold in
    detector.json); the command checks onnxruntime against Python on the saved training
    sample, prints the max abs difference, the share of rows flagged alike (at least
    99.9 % or the export fails) and the one-row latency on one thread. Without --out the
    model is saved with the detector and `monitor` then scores with it. z-score and IQR
    detectors need no ONNX: their state.json is the whole model.

    \b
    Examples:
      cadml ml anomaly export --name press-7-seq
      cadml ml anomaly export --name press-7-forest --out press-7.onnx --json
    """
    click.echo(f"exporting {name} ...", err=True)
    result = _models().export_onnx(name, out)
    if as_json:
        _echo_json(result.to_dict())
        return
    shape = "x".join(str(d) for d in result.input_shape)
    click.echo(
        f"{result.path}: {result.bytes:,} bytes ({result.exporter}), input "
        f"'{result.input_name}' {shape} float32, output 'score'; max abs diff vs Python "
        f"{result.max_abs_diff:.2e} over {result.rows_checked} rows, same anomaly flags on "
        f"{100 * result.flag_agreement:.2f} % of them"
    )
    if result.latency_ms:
        click.echo(
            f"  one row on one thread: p50 {result.latency_ms['p50_ms']:.3f} ms, "
            f"p95 {result.latency_ms['p95_ms']:.3f} ms; INT8 not applied (trees, the SVM's "
            "kernel sums and the LSTM have no static INT8 kernels in onnxruntime)"
        )
