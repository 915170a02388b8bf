"""The built-in NAB detectors: range, causality, known values and spike detection."""

from __future__ import annotations

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.ml.nab.detectors import DETECTORS, make_detector

NO_TIME = np.zeros(0, dtype="datetime64[us]")


def series_with_spike(n: int = 400, spike_at: int = 300, seed: int = 1) -> np.ndarray:
    values = 5.0 + np.random.default_rng(seed).normal(0.0, 1.0, n)
    values[spike_at] += 10.0
    return values


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_scores_are_one_per_row_and_in_the_unit_interval(name):
    values = series_with_spike()
    scores = make_detector(name)(np.zeros(400, dtype="datetime64[us]"), values)
    assert scores.shape == (400,)
    assert np.all(np.isfinite(scores))
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert make_detector(name)(NO_TIME, np.zeros(0)).shape == (0,)


@pytest.mark.parametrize("name", ["zscore", "iqr"])
def test_a_spike_after_the_probationary_period_scores_highest(name):
    values = series_with_spike()
    scores = make_detector(name)(np.zeros(400), values)
    assert int(np.argmax(scores)) == 300
    assert scores[300] > 0.5


def test_isolation_forest_ranks_a_spike_among_the_top_scores():
    # The forest saturates beyond the range it was fitted on (anything past the extremes
    # scores like the extremes), so with 300 probationary rows the spike ties with at
    # most a couple of rows (e.g. the drop right after it), never below the top 0.2 %.
    values = series_with_spike(n=2000, spike_at=1500, seed=0)
    scores = make_detector("isolation-forest")(np.zeros(2000), values)
    after = scores[300:]
    assert np.count_nonzero(after >= scores[1500]) <= 3
    assert scores[1500] > np.quantile(after, 0.99)


def test_null_never_scores_above_zero():
    assert not make_detector("null")(np.zeros(400), series_with_spike()).any()


def test_zscore_is_one_half_at_three_standard_deviations():
    # History -1, 1, -1, 1, ... has mean 0 and (population) std 1, so 3 gives z = 3 and
    # z / (z + 3) = 0.5; 6 gives z = 6 -> 2/3.
    history = np.tile([-1.0, 1.0], 10)
    scores = make_detector("zscore", window=20, min_periods=20)(
        np.zeros(22), np.concatenate([history, [3.0, 0.0]])
    )
    assert scores[20] == pytest.approx(0.5, abs=1e-12)
    assert not scores[:20].any()  # fewer than min_periods rows of history
    six = make_detector("zscore", window=20, min_periods=20)(
        np.zeros(21), np.concatenate([history, [6.0]])
    )
    assert six[20] == pytest.approx(2.0 / 3.0, abs=1e-12)


def test_iqr_is_one_half_at_tukeys_fence():
    # History 0,0,0,0,1,1,1,1: q1 = 0, q3 = 1 (linear interpolation), IQR 1. Tukey's fence
    # 1 + 1.5 = 2.5 is 1.5 IQR out -> 1.5 / (1.5 + 1.5) = 0.5; inside the box scores 0.
    history = np.array([0.0, 1.0] * 4)
    detector = make_detector("iqr", window=8, min_periods=8)
    scores = detector(np.zeros(11), np.concatenate([history, [2.5, 0.5, -3.0]]))
    assert scores[8] == pytest.approx(0.5, abs=1e-12)
    # Row 9's history is rows 1..8 (0,1,0,1,0,1,0,1 shifted, plus 2.5): q1 0, q3 1.
    assert scores[9] == 0.0
    # Row 10: rows 2..9 = 0,1,0,1,0,1,2.5,0.5 -> q1 0, q3 1; -3 is 3 IQR out -> 3 / 4.5.
    assert scores[10] == pytest.approx(3.0 / 4.5, abs=1e-12)


@pytest.mark.parametrize("name", ["zscore", "iqr"])
def test_rolling_detectors_are_causal(name):
    # Changing the future never changes the past scores.
    values = series_with_spike(n=1200, spike_at=900)
    changed = values.copy()
    changed[700:] += 50.0
    detector = make_detector(name, window=200)
    assert np.array_equal(detector(np.zeros(1200), values)[:700], detector(None, changed)[:700])


def test_isolation_forest_is_seeded():
    values = series_with_spike()
    a = make_detector("isolation-forest", seed=3)(np.zeros(400), values)
    b = make_detector("isolation-forest", seed=3)(np.zeros(400), values)
    c = make_detector("isolation-forest", seed=4)(np.zeros(400), values)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_unknown_detector_lists_the_available_ones():
    with pytest.raises(ValidationError) as info:
        make_detector("lstm")
    assert info.value.code == "ML_UNKNOWN_DETECTOR"
    assert info.value.details["allowed"] == "iqr, isolation-forest, null, zscore"


@pytest.mark.parametrize(("window", "min_periods"), [(1, 1), (10, 1), (10, 11)])
def test_invalid_windows_are_rejected(window, min_periods):
    with pytest.raises(ValidationError) as info:
        make_detector("zscore", window=window, min_periods=min_periods)
    assert info.value.code == "ML_INVALID_OPTION"
