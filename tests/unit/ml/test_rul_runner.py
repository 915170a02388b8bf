"""The RUL runner on synthetic run-to-failure data, and ``cadml ml rul`` end to end."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from cadml.cli.main import cli, main
from cadml.errors import ValidationError
from cadml.ml.rul.cmapss import load_cmapss, load_rul
from cadml.ml.rul.runner import RulConfig, run_rul


@pytest.fixture
def loaded(cmapss_files):
    return (
        load_cmapss(cmapss_files.train),
        load_cmapss(cmapss_files.test),
        load_rul(cmapss_files.rul),
    )


@pytest.mark.parametrize("model", ["rf", "gbr"])
def test_models_beat_the_constant_mean_predictor(loaded, cmapss_files, model):
    train, test, truth = loaded
    report = run_rul(train, test, truth, RulConfig(model=model))
    assert [u.true_rul for u in report.units] == cmapss_files.test_rul
    assert [u.unit for u in report.units] == list(range(1, 9))
    # The constant predictor's errors, recomputed here from the training targets.
    assert report.baseline_rmse > 20.0
    assert report.rmse < 0.5 * report.baseline_rmse
    assert report.nasa_score < report.baseline_nasa_score
    assert all(u.predicted_rul >= 0.0 for u in report.units)
    assert report.sensors_dropped == ("s1", "s5", "s10", "s16", "s18", "s19")
    assert report.n_features == 15 * 9 + 1
    assert report.classification is None


def test_failure_within_n_cycles_is_classified(loaded):
    train, test, truth = loaded
    report = run_rul(train, test, truth, RulConfig(model="rf", within=20))
    metrics = report.classification
    assert metrics is not None
    positives = int(np.sum(truth <= 20))
    assert report.test_positives == positives >= 1
    assert metrics.tp + metrics.fn == positives
    assert metrics.roc_auc is not None and metrics.roc_auc > 0.9
    assert metrics.recall > 0.5
    assert all(0.0 <= u.failure_probability <= 1.0 for u in report.units)


def test_the_seed_makes_runs_repeatable(cmapss_tools, tmp_path):
    files = cmapss_tools.write(tmp_path, n_train=4, n_test=3, seed=11)
    data = load_cmapss(files.train), load_cmapss(files.test), load_rul(files.rul)
    first = run_rul(*data, RulConfig(model="rf", seed=5))
    again = run_rul(*data, RulConfig(model="rf", seed=5))
    other = run_rul(*data, RulConfig(model="rf", seed=6))
    assert first.units == again.units
    assert first.units != other.units


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (RulConfig(within=10_000), "within"),
        (RulConfig(cap=0), "cap"),
        (RulConfig(jobs=0), "jobs"),
        (RulConfig(window=1), "window"),
    ],
)
def test_invalid_options(loaded, config, field):
    with pytest.raises(ValidationError) as info:
        run_rul(*loaded, config)
    assert info.value.code == "ML_INVALID_OPTION"
    assert info.value.details["field"] == field


def test_unknown_model(loaded):
    with pytest.raises(ValidationError) as info:
        run_rul(*loaded, RulConfig(model="lstm"))
    assert info.value.code == "ML_UNKNOWN_MODEL"


def cli_args(files, *extra: str) -> list[str]:
    return [
        "ml",
        "rul",
        "--train",
        str(files.train),
        "--test",
        str(files.test),
        "--rul",
        str(files.rul),
        *extra,
    ]


def test_cli_json_report(cmapss_files):
    result = CliRunner().invoke(
        cli, cli_args(cmapss_files, "--model", "gbr", "--within", "20", "--json")
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["config"]["model"] == "gbr" and report["config"]["cap"] == 125
    assert report["rmse"] < 0.5 * report["baseline_rmse"]
    assert set(report["classification"]) >= {"precision", "recall", "f1", "roc_auc"}
    assert [u["true_rul"] for u in report["units"]] == cmapss_files.test_rul


def test_cli_text_report(cmapss_files):
    result = CliRunner().invoke(cli, cli_args(cmapss_files, "--window", "20", "--no-cap", "-v"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "10 training units" in out and "8 test units" in out
    assert "constant ones dropped: s1, s5, s10, s16, s18, s19" in out
    assert "model rf, window 20, cap none" in out
    assert "RMSE" in out and "NASA score" in out and "constant mean" in out
    assert "failure within" not in out
    rows = [line.split() for line in out.splitlines() if line.split()[0].isdigit()]
    assert [int(r[0]) for r in rows] == list(range(1, 9))  # --verbose: one line per unit
    assert [int(r[2]) for r in rows] == cmapss_files.test_rul


def test_cli_reports_a_broken_file_with_its_line(cmapss_files, monkeypatch, capsys):
    lines = cmapss_files.test.read_text().splitlines()
    lines[4] = lines[4] + " 7.0"
    cmapss_files.test.write_text("\n".join(lines))
    monkeypatch.setattr(sys, "argv", ["cadml", *cli_args(cmapss_files)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "error ML_CMAPSS_COLUMN_COUNT" in err
    assert "test_FD001.txt" in err and "line 5" in err and "27 columns" in err
    assert "  tr: " in err and "  hint: " in err


def test_cli_rul_count_mismatch(cmapss_files, monkeypatch, capsys):
    cmapss_files.rul.write_text("10\n20\n")
    monkeypatch.setattr(sys, "argv", ["cadml", *cli_args(cmapss_files)])
    with pytest.raises(SystemExit):
        main()
    assert "ML_CMAPSS_RUL_MISMATCH" in capsys.readouterr().err
