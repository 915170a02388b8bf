"""NAB scoring of one file on hand-made cases whose scores are derived in the comments.

Notation: S(x) = 2 / (1 + exp(5x)) - 1 is NAB's scaled sigmoid. Since
2 / (1 + exp(-a)) - 1 = tanh(a / 2), S(x) = tanh(-5x / 2) = -tanh(2.5 x) for x < 3.
Inside a window of w rows ending at row R, row i sits at x = -(R - i + 1) / w.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.ml.nab.profiles import get_profile
from cadml.ml.nab.score import FileScore, score_file
from cadml.ml.nab.sweep import probationary_length, scaled_sigmoid, sweep_file
from cadml.ml.nab.windows import WindowRows

STANDARD = get_profile("standard")  # tp 1.0, fp 0.11, fn 1.0
LOW_FP = get_profile("reward_low_FP_rate")  # tp 1.0, fp 0.22, fn 1.0
LOW_FN = get_profile("reward_low_FN_rate")  # tp 1.0, fp 0.11, fn 2.0


def score(
    n: int,
    windows: list[tuple[int, int]],
    detections: list[int],
    profile=STANDARD,
    probation_percent: float = 0.0,
) -> FileScore:
    """Score a file of n rows whose detector fires (score 1) exactly at ``detections``."""
    scores = np.zeros(n)
    scores[detections] = 1.0
    rows = [WindowRows(a, b) for a, b in windows]
    sweep = sweep_file("f.csv", scores, rows, probation_percent)
    return score_file(sweep, 0.5, profile)


def test_scaled_sigmoid_matches_its_closed_form():
    # S(-1) = tanh(2.5), S(-0.5) = tanh(1.25), S(0) = 0, S(1) = -tanh(2.5); -1 from 3 on.
    assert scaled_sigmoid(-1.0) == pytest.approx(math.tanh(2.5), abs=1e-15)
    assert scaled_sigmoid(-0.5) == pytest.approx(0.8482836399575129, abs=1e-15)
    assert scaled_sigmoid(0.0) == 0.0
    assert scaled_sigmoid(1.0) == pytest.approx(-math.tanh(2.5), abs=1e-15)
    assert scaled_sigmoid(2.999) > -1.0
    assert scaled_sigmoid(3.0) == -1.0
    assert scaled_sigmoid(50.0) == -1.0


def test_detection_at_the_window_start_scores_exactly_tp_weight():
    # x = -(14 - 10 + 1) / 5 = -1, so the reward is tp_weight * S(-1) / S(-1) = 1.
    result = score(30, [(10, 14)], [10])
    assert result.raw_score == 1.0
    assert (result.tp, result.fp, result.fn) == (1, 0, 0)


def test_detection_at_the_window_end_scores_the_sigmoid_of_minus_one_over_width():
    # Last row: x = -(14 - 14 + 1) / 5 = -0.2; reward S(-0.2) / S(-1) = tanh(0.5) / tanh(2.5)
    # = 0.46211715726 / 0.98661429815 = 0.46838684...
    expected = math.tanh(0.5) / math.tanh(2.5)
    assert expected == pytest.approx(0.468386844, abs=1e-9)
    assert score(30, [(10, 14)], [14]).raw_score == pytest.approx(expected, abs=1e-12)
    # The miss weight plays no part once the window is detected.
    assert score(30, [(10, 14)], [14], LOW_FN).raw_score == pytest.approx(expected, abs=1e-12)


def test_middle_of_the_window_uses_the_relative_position():
    # Row 12 of rows 10..14: x = -(14 - 12 + 1) / 5 = -0.6 -> tanh(1.5) / tanh(2.5).
    expected = math.tanh(1.5) / math.tanh(2.5)
    assert score(30, [(10, 14)], [12]).raw_score == pytest.approx(expected, abs=1e-12)


def test_only_the_first_detection_in_a_window_counts():
    # Five detections in one window: still one true positive worth the earliest (1.0).
    result = score(30, [(10, 14)], [10, 11, 12, 13, 14])
    assert result.raw_score == 1.0
    assert (result.tp, result.fp, result.fn) == (1, 0, 0)
    # Detections at rows 12 and 14: the earlier, row 12, counts: tanh(1.5) / tanh(2.5).
    later = score(30, [(10, 14)], [12, 14])
    assert later.raw_score == pytest.approx(math.tanh(1.5) / math.tanh(2.5), abs=1e-12)


def test_false_positive_before_any_window_costs_fp_weight():
    # No window at all: a detection at row 5 is a false positive worth -fp_weight.
    assert score(30, [], [5]).raw_score == pytest.approx(-0.11, abs=1e-15)
    assert score(30, [], [5], LOW_FP).raw_score == pytest.approx(-0.22, abs=1e-15)
    # Before the first window of a file that has one: -fp_weight - fn_weight (missed).
    result = score(30, [(20, 24)], [5])
    assert result.raw_score == pytest.approx(-0.11 - 1.0, abs=1e-15)
    assert (result.tp, result.fp, result.fn) == (0, 1, 1)


def test_one_missed_window_costs_fn_weight():
    assert score(30, [(10, 14)], []).raw_score == -1.0
    assert score(30, [(10, 14)], [], LOW_FN).raw_score == -2.0
    assert score(60, [(10, 14), (30, 39)], [], LOW_FN).raw_score == -4.0


def test_false_positive_after_a_window_is_weighted_by_its_distance():
    # Window rows 10..14 (w = 5). Row 16: x = (16 - 14) / (5 - 1) = 0.5,
    # S(0.5) = -tanh(1.25); the window is missed: -1 - 0.11 * tanh(1.25).
    near = score(40, [(10, 14)], [16])
    assert near.raw_score == pytest.approx(-1.0 - 0.11 * math.tanh(1.25), abs=1e-12)
    # Row 15, right after the window: x = 1/4 -> -0.11 * tanh(0.625), a small cost.
    right_after = score(40, [(10, 14)], [10, 15])
    assert right_after.raw_score == pytest.approx(1.0 - 0.11 * math.tanh(0.625), abs=1e-12)
    # Three window lengths on (row 14 + 12 = 26, x = 3): the full -fp_weight.
    far = score(40, [(10, 14)], [26])
    assert far.raw_score == pytest.approx(-1.0 - 0.11, abs=1e-15)


def test_false_positive_after_a_one_row_window_does_not_divide_by_zero():
    # Deliberate difference from NAB (which divides by w - 1 = 0): the divisor is 1, so row
    # 12 after a window at row 10 sits at x = 2 -> S(2) = -tanh(5).
    result = score(30, [(10, 10)], [10, 12])
    assert result.raw_score == pytest.approx(1.0 - 0.11 * math.tanh(5.0), abs=1e-12)


def test_probationary_period_length_follows_nab():
    # min(floor(0.15 n), 0.15 * 5000 = 750) rows.
    assert probationary_length(100) == 15
    assert probationary_length(4999) == 749
    assert probationary_length(5000) == 750
    assert probationary_length(22_000) == 750
    assert probationary_length(6) == 0
    assert probationary_length(100, 0.1) == 10


def test_detections_in_the_probationary_period_are_ignored():
    # n = 100 -> rows 0..14 are probationary. A detection at row 3 neither costs nor counts.
    result = score(100, [], [3], probation_percent=0.15)
    assert result.raw_score == 0.0
    assert result.fp == 0
    # The same detection after the probationary period (row 15) costs -fp_weight.
    assert score(100, [], [15], probation_percent=0.15).raw_score == pytest.approx(-0.11)


def test_a_window_that_ends_in_probation_is_not_scored_but_later_fps_are_weighted_by_it():
    # Window rows 5..9 lies in the probationary period (15 rows): not a possible miss.
    result = score(100, [(5, 9)], [], probation_percent=0.15)
    assert (result.raw_score, result.fn) == (0.0, 0)
    # A detection at row 17 is a false positive after that window: x = (17 - 9) / 4 = 2.
    late = score(100, [(5, 9)], [17], probation_percent=0.15)
    assert late.raw_score == pytest.approx(-0.11 * math.tanh(5.0), abs=1e-12)


def test_a_window_straddling_probation_counts_with_its_full_width():
    # Window rows 10..19 (w = 10), probation 15 rows: rows 15..19 are scorable. The first
    # scorable row, 15, sits at x = -(19 - 15 + 1) / 10 = -0.5 -> tanh(1.25) / tanh(2.5).
    result = score(100, [(10, 19)], [12, 15], probation_percent=0.15)
    assert result.raw_score == pytest.approx(math.tanh(1.25) / math.tanh(2.5), abs=1e-12)
    assert (result.tp, result.fn) == (1, 0)


@pytest.mark.parametrize(
    ("scores", "reason"),
    [
        (np.array([0.1, 1.5, 0.0]), "[0, 1]"),
        (np.array([0.1, np.nan, 0.0]), "NaN"),
        (np.zeros((3, 1)), "1-D"),
        (np.zeros(4), "expected 3 scores"),
        (np.array(["a", "b", "c"]), "real numbers"),
    ],
)
def test_invalid_scores_are_rejected_with_the_reason(scores, reason):
    with pytest.raises(ValidationError) as info:
        sweep_file("x/y.csv", scores, [], n_rows=3)
    assert info.value.code == "ML_NAB_SCORES_INVALID"
    assert info.value.details["file"] == "x/y.csv"
    assert reason in info.value.details["reason"]
