"""``cadml ml nab`` end to end on a synthetic corpus in NAB's layout."""

from __future__ import annotations

import json
import math
import sys

import pytest
from click.testing import CliRunner

from cadml.cli.main import cli, main

# The corpus (conftest.write_nab_corpus) has 3 windows of 40 rows with a +12 sigma spike
# at row first + 19. The spike sits at x = -(last - spike + 1) / 40 = -21/40, so catching
# all three spikes and nothing else is worth 3 * S(-21/40) / S(-1) = 3 tanh(1.3125) / tanh(2.5).
SPIKES_RAW = 3 * math.tanh(2.5 * 21 / 40) / math.tanh(2.5)


def run(*args: str):
    result = CliRunner().invoke(cli, ["ml", "nab", *args])
    assert result.exit_code == 0, result.output
    return result


def test_zscore_finds_the_three_spikes(nab_corpus):
    result = run(str(nab_corpus.root), "--detector", "zscore", "--json")
    report = json.loads(result.stdout)
    assert (report["files"], report["rows"], report["windows"]) == (3, 1800, 3)
    for name, profile in report["profiles"].items():
        assert (profile["tp"], profile["fp"], profile["fn"]) == (3, 0, 0), name
        assert profile["optimised"] is True
        assert profile["raw_score"] == pytest.approx(SPIKES_RAW, abs=1e-9)
        null = profile["null_raw_score"]
        assert profile["score"] == pytest.approx(
            100 * (SPIKES_RAW - null) / (profile["perfect_raw_score"] - null), abs=1e-9
        )
    assert report["profiles"]["standard"]["score"] == pytest.approx(
        100 * (SPIKES_RAW + 3) / 6, abs=1e-9
    )
    assert "files" not in report["profiles"]["standard"]
    # Progress goes to stderr, so stdout stays valid JSON.
    assert "nab zscore" in result.stderr


def test_null_detector_scores_zero(nab_corpus):
    report = json.loads(run(str(nab_corpus.root), "-d", "null", "--json").stdout)
    for profile in report["profiles"].values():
        assert profile["score"] == 0.0
        assert profile["threshold"] == 1.1
        assert (profile["tp"], profile["fp"], profile["fn"]) == (0, 0, 3)


def test_text_report_with_per_file_scores(nab_corpus):
    out = run(str(nab_corpus.root), "-d", "iqr", "--profile", "reward_low_FN_rate", "-v").stdout
    assert "3 files, 1800 rows, 3 scored windows; detector iqr" in out
    assert "reward_low_FN_rate" in out and "standard " not in out
    assert "thresholds optimised" in out
    for key in nab_corpus.windows:
        assert key in out
    assert "artificialNoAnomaly/clean.csv" in out


def test_fixed_threshold_and_per_file_json(nab_corpus):
    args = (str(nab_corpus.root), "-d", "isolation-forest", "--threshold", "1.0", "-p")
    report = json.loads(run(*args, "standard", "--json", "--verbose").stdout)
    standard = report["profiles"]["standard"]
    assert (standard["threshold"], standard["optimised"]) == (1.0, False)
    assert set(standard["files"]) == set(nab_corpus.windows)
    # Nothing reaches 1.0 -> every window missed: the null score.
    assert standard["score"] == 0.0


def test_help_explains_layout_and_examples():
    out = CliRunner().invoke(cli, ["ml", "nab", "--help"]).output
    assert "labels/combined_windows.json" in out
    assert "cadml ml nab ~/NAB --detector zscore" in out


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["-d", "lstm"], "ML_UNKNOWN_DETECTOR"),
        (["-p", "strict"], "ML_UNKNOWN_PROFILE"),
        (["--threshold", "2"], "ML_INVALID_OPTION"),
    ],
)
def test_errors_print_code_both_languages_and_hints(nab_corpus, monkeypatch, capsys, args, code):
    monkeypatch.setattr(sys, "argv", ["cadml", "ml", "nab", str(nab_corpus.root), *args])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"error {code}:" in err
    assert "  tr: " in err and "  hint: " in err


def test_missing_data_directory_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["cadml", "ml", "nab", str(tmp_path)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "ML_NAB_DATA_DIR_MISSING" in err and str(tmp_path) in err
