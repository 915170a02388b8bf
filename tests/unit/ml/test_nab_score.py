"""Corpus scoring: the threshold sweep, the optimiser and the 0-100 normalisation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.ml.nab.corpus import Corpus, DataFile
from cadml.ml.nab.profiles import PROFILES, get_profile
from cadml.ml.nab.runner import run_nab, score_corpus
from cadml.ml.nab.score import (
    NO_DETECTION_THRESHOLD,
    normalised_score,
    score_file,
    threshold_curve,
)
from cadml.ml.nab.sweep import probationary_length, sweep_file
from cadml.ml.nab.windows import WindowRows

STANDARD = get_profile("standard")


def naive_raw(n, windows, scores, threshold, profile, probation_percent):
    """NAB's rules applied row by row, independently of the vectorised code."""

    def s(x):
        return -1.0 if x >= 3.0 else 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0

    start = probationary_length(n, probation_percent)
    total = 0.0
    best: dict[int, float] = {}
    for i in range(start, n):
        if scores[i] < threshold:
            continue
        inside = [k for k, (a, b) in enumerate(windows) if a <= i <= b]
        if inside:
            a, b = windows[inside[0]]
            reward = profile.tp_weight * s(-(b - i + 1) / (b - a + 1)) / s(-1.0)
            best[inside[0]] = max(best.get(inside[0], -math.inf), reward)
            continue
        before = [(a, b) for a, b in windows if b < i]
        if not before:
            total -= profile.fp_weight
        else:
            a, b = before[-1]
            total += profile.fp_weight * s((i - b) / max(b - a, 1))
    for k, (_, b) in enumerate(windows):
        if b >= start:
            total += best.get(k, -profile.fn_weight)
    return total


def random_file(rng: np.random.Generator):
    n = int(rng.integers(30, 160))
    windows = []
    row = int(rng.integers(0, 20))
    while row < n - 3:
        width = int(rng.integers(1, 12))
        if row + width > n:
            break
        windows.append((row, row + width - 1))
        row += width + int(rng.integers(1, 40))
    scores = np.round(rng.random(n) ** 3, 1)  # few distinct values: many ties
    return n, windows, scores


@pytest.mark.parametrize("seed", range(12))
def test_threshold_curve_equals_scoring_each_threshold_row_by_row(seed):
    rng = np.random.default_rng(seed)
    files = [random_file(rng) for _ in range(3)]
    sweeps = [
        sweep_file(f"f{i}.csv", scores, [WindowRows(a, b) for a, b in windows], 0.15)
        for i, (n, windows, scores) in enumerate(files)
    ]
    curve = threshold_curve(sweeps)
    scorable = np.concatenate([s.scores for s in sweeps])
    assert curve.thresholds[0] == NO_DETECTION_THRESHOLD
    assert curve.thresholds[1:].tolist() == sorted(set(scorable.tolist()), reverse=True)
    for profile in PROFILES.values():
        raws = curve.raw_scores(profile)
        for threshold, raw in zip(curve.thresholds, raws, strict=True):
            oracle = sum(naive_raw(n, w, s, threshold, profile, 0.15) for n, w, s in files)
            direct = sum(score_file(sw, threshold, profile).raw_score for sw in sweeps)
            assert raw == pytest.approx(oracle, abs=1e-9)
            assert direct == pytest.approx(oracle, abs=1e-9)
        best = curve.best(profile)
        assert raws[best] == pytest.approx(raws.max(), abs=0)


def test_counts_along_the_curve():
    # Window rows 20..29; scores 0.8 at row 20, 0.6 at row 25, 0.3 at row 50 (an FP).
    scores = np.zeros(60)
    scores[[20, 25, 50]] = [0.8, 0.6, 0.3]
    sweep = sweep_file("f.csv", scores, [WindowRows(20, 29)], 0.0)
    curve = threshold_curve([sweep])
    assert curve.thresholds.tolist() == [1.1, 0.8, 0.6, 0.3, 0.0]
    assert curve.detected.tolist() == [0, 1, 1, 1, 1]
    assert curve.fp_count.tolist() == [0, 0, 0, 1, 50]  # at 0: all 60 - 10 rows outside
    # Raw scores: -1 (missed), 1 (first row), 1 (row 25 is later: no change), then FPs.
    raws = curve.raw_scores(STANDARD)
    assert raws[:3].tolist() == [-1.0, 1.0, 1.0]
    # Ties go to the higher threshold, as in NAB's stable sort by score.
    assert curve.best(STANDARD) == 1


def test_normalisation_puts_null_at_0_and_perfect_at_100():
    # W = 3 windows: null = -fn * 3, perfect = tp * 3.
    for profile in PROFILES.values():
        assert normalised_score(-profile.fn_weight * 3, 3, profile) == 0.0
        assert normalised_score(profile.tp_weight * 3, 3, profile) == 100.0
    # Standard: raw 0 lies halfway between -3 and 3.
    assert normalised_score(0.0, 3, STANDARD) == 50.0
    # Low-FN: null -6, perfect 3 -> raw 0 is 100 * 6 / 9.
    assert normalised_score(0.0, 3, get_profile("reward_low_FN_rate")) == pytest.approx(200.0 / 3.0)
    assert normalised_score(5.0, 0, STANDARD) is None


def corpus_of(*files: tuple[str, int, list[tuple[int, int]]]) -> Corpus:
    return Corpus(
        Path("."),
        tuple(
            DataFile(
                key,
                np.arange(n).astype("datetime64[m]").astype("datetime64[us]"),
                np.zeros(n),
                tuple(WindowRows(a, b) for a, b in windows),
            )
            for key, n, windows in files
        ),
    )


def fixed_scores(table: dict[str, dict[int, float]]):
    """A detector that returns preset scores for each file (keyed by its length)."""

    def detect(timestamps, values):
        out = np.zeros(len(values))
        for row, value in table[len(values)].items():
            out[row] = value
        return out

    return detect


def test_null_and_perfect_detectors_score_0_and_100():
    corpus = corpus_of(("a.csv", 200, [(50, 59), (120, 139)]), ("b.csv", 300, [(100, 119)]))
    first_rows = {200: {50: 1.0, 120: 1.0}, 300: {100: 1.0}}
    perfect = run_nab(corpus, fixed_scores(first_rows), "perfect-from-labels")
    null = run_nab(corpus, fixed_scores({200: {}, 300: {}}), "null")
    for result in perfect.profiles:
        assert result.score == 100.0
        assert (result.tp, result.fp, result.fn) == (3, 0, 0)
    for result in null.profiles:
        assert result.score == 0.0
        assert result.threshold == NO_DETECTION_THRESHOLD
        assert (result.tp, result.fp, result.fn) == (0, 0, 3)


def test_one_threshold_is_optimised_for_the_whole_corpus():
    # File A (n=200): window 50..59 found with score 0.9 at row 50, and 20 far FPs at 0.7.
    # File B (n=300): window 50..59 found only with score 0.6 at row 50.
    # Corpus raw scores (standard): 1.1 -> -2; 0.9 -> 0; 0.7 -> -2.2; 0.6 -> -0.2.
    # Alone, B's best threshold would be 0.6 (raw +1), but the corpus keeps 0.9.
    a = {50: 0.9, **{row: 0.7 for row in range(150, 170)}}
    corpus = corpus_of(("a.csv", 200, [(50, 59)]), ("b.csv", 300, [(50, 59)]))
    report = run_nab(corpus, fixed_scores({200: a, 300: {50: 0.6}}), "x", [STANDARD])
    result = report.profiles[0]
    assert result.threshold == 0.9
    assert result.raw_score == pytest.approx(0.0, abs=1e-12)
    assert (result.tp, result.fp, result.fn) == (1, 0, 1)
    assert result.score == pytest.approx(50.0)
    assert [f.raw_score for f in result.files] == pytest.approx([1.0, -1.0])


def test_a_fixed_threshold_skips_the_optimisation():
    corpus = corpus_of(("b.csv", 300, [(50, 59)]))
    report = run_nab(corpus, fixed_scores({300: {50: 0.6}}), "x", [STANDARD], threshold=0.7)
    result = report.profiles[0]
    assert (result.threshold, result.optimised, result.raw_score) == (0.7, False, -1.0)
    assert result.score == 0.0


@pytest.mark.parametrize("threshold", [-0.1, 1.2, math.nan])
def test_a_threshold_outside_the_score_range_is_rejected(threshold):
    with pytest.raises(ValidationError) as info:
        score_corpus([], [STANDARD], threshold)
    assert info.value.code == "ML_INVALID_OPTION"
    assert info.value.details["field"] == "threshold"


def test_windows_inside_the_probationary_period_are_reported_and_not_scored():
    # n = 200 -> 30 probationary rows; the window at rows 5..9 cannot be scored.
    corpus = corpus_of(("a.csv", 200, [(5, 9), (100, 109)]))
    report = run_nab(corpus, fixed_scores({200: {100: 1.0}}), "x", [STANDARD])
    assert report.n_windows == 1
    assert report.warnings == (
        "a.csv: 1 window(s) end in the probationary period (30 rows); not scored",
    )
    assert report.profiles[0].score == 100.0
