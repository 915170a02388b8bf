"""Rolling-window features and RUL targets, against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.ml.rul.cmapss import CmapssData, load_cmapss
from cadml.ml.rul.features import (
    SensorScaler,
    fit_scaler,
    informative_sensors,
    window_features,
)
from cadml.ml.rul.targets import failure_within, rul_from_end, rul_targets

IDENTITY = SensorScaler((1,), np.array([0.0]), np.array([1.0]))  # s2 as is


def data_of(units: list[int], s2: list[float]) -> CmapssData:
    n = len(units)
    sensors = np.zeros((n, 21))
    sensors[:, 1] = s2
    cycles = np.concatenate([np.arange(1, units.count(u) + 1) for u in dict.fromkeys(units)])
    return CmapssData(np.array(units), cycles, np.zeros((n, 3)), sensors)


def test_window_statistics_by_hand():
    data = data_of([1, 1, 1, 2, 2], [1.0, 2.0, 4.0, 10.0, 10.0])
    f = window_features(data, IDENTITY, window=3, bands=1)
    assert f.names == (
        "s2_mean",
        "s2_std",
        "s2_min",
        "s2_max",
        "s2_slope",
        "s2_rms",
        "s2_fft_band1",
        "cycle",
    )
    # Row 3 of unit 1, window [1, 2, 4]: mean 7/3; deviations -4/3, -1/3, 5/3 so the
    # population variance is (16 + 1 + 25) / 27 = 14/9; slope over positions 0, 1, 2 is
    # ((-1)(-4/3) + (1)(5/3)) / 2 = 1.5; RMS sqrt((1 + 4 + 16) / 3) = sqrt(7).
    # FFT of the centred window: X1 = -2 + i sqrt(3), |X1|^2 / 3 = 7/3 (Parseval: 14/3 =
    # (0 + 2 * 7) / 3).
    expected = [7 / 3, math.sqrt(14) / 3, 1.0, 4.0, 1.5, math.sqrt(7), 7 / 3, 3.0]
    assert f.values[2] == pytest.approx(expected, abs=1e-12)
    # Row 2, a partial window [1, 2]: mean 1.5, std 0.5, slope 1, RMS sqrt(2.5); the FFT of
    # the zero-padded centred window [0, -0.5, 0.5] is X1 = i sqrt(3)/2 -> 3/4 / 3 = 1/4.
    assert f.values[1] == pytest.approx([1.5, 0.5, 1.0, 2.0, 1.0, math.sqrt(2.5), 0.25, 2.0])
    # Row 1: a single value; nothing varies.
    assert f.values[0] == pytest.approx([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0], abs=1e-12)
    # Unit 2 starts afresh: unit 1's rows never enter its windows.
    assert f.values[3] == pytest.approx([10.0, 0.0, 10.0, 10.0, 0.0, 10.0, 0.0, 1.0])


def test_fft_band_energy_of_a_pure_tone():
    # cos(2 pi 3 n / 8) over 8 rows: all energy at bin 3, |X3|^2 / 8 = 4^2 / 8 = 2. With
    # two bands (bins 1-2 and 3-4) it all lands in band 2.
    tone = np.cos(2 * np.pi * 3 * np.arange(8) / 8)
    f = window_features(data_of([1] * 8, tone.tolist()), IDENTITY, window=8, bands=2)
    assert f.column("s2_fft_band1")[-1] == pytest.approx(0.0, abs=1e-12)
    assert f.column("s2_fft_band2")[-1] == pytest.approx(2.0, abs=1e-12)


def test_sensors_are_standardised_with_the_training_statistics():
    train = data_of([1, 1, 1, 1], [1.0, 3.0, 1.0, 3.0])  # mean 2, std 1
    scaler = fit_scaler(train)
    assert scaler.sensors == (1,) and scaler.names == ("s2",)
    test = data_of([1], [5.0])
    assert window_features(test, scaler, 3, 1).column("s2_mean")[0] == pytest.approx(3.0)


def test_constant_sensors_are_dropped(cmapss_files):
    train = load_cmapss(cmapss_files.train)
    kept = informative_sensors(train)
    assert set(range(21)) - set(kept) == {0, 4, 9, 15, 17, 18}
    scaler = fit_scaler(train)
    features = window_features(train, scaler, window=30, bands=3)
    assert features.values.shape == (train.n_rows, 15 * 9 + 1)
    assert np.all(np.isfinite(features.values))


def test_all_constant_sensors_and_bad_options_are_errors():
    with pytest.raises(ValidationError) as info:
        fit_scaler(data_of([1, 1], [5.0, 5.0]))
    assert info.value.code == "ML_CMAPSS_INVALID_DATA"
    data = data_of([1, 1], [1.0, 2.0])
    for window, bands in [(1, 1), (10, 0), (10, 6)]:
        with pytest.raises(ValidationError) as info:
            window_features(data, IDENTITY, window, bands)
        assert info.value.code == "ML_INVALID_OPTION"


def test_rul_targets_are_capped_piecewise_linear():
    data = data_of([1] * 5 + [2] * 3, [0.0] * 8)
    assert rul_targets(data, None).tolist() == [4, 3, 2, 1, 0, 2, 1, 0]
    assert rul_targets(data, 2).tolist() == [2, 2, 2, 1, 0, 2, 1, 0]
    assert rul_targets(data).tolist() == [4, 3, 2, 1, 0, 2, 1, 0]  # cap 125 changes nothing
    with pytest.raises(ValidationError):
        rul_targets(data, 0)


def test_test_rul_counts_back_from_the_rul_file():
    data = data_of([1] * 3 + [2] * 2, [0.0] * 5)
    assert rul_from_end(data, np.array([7, 0])).tolist() == [9, 8, 7, 1, 0]
    with pytest.raises(ValidationError) as info:
        rul_from_end(data, np.array([7]), source="RUL_FD001.txt")
    assert info.value.code == "ML_CMAPSS_RUL_MISMATCH"
    assert (info.value.details["found"], info.value.details["expected"]) == (1, 2)


def test_failure_within_n_cycles():
    assert failure_within(np.array([0, 29, 30, 31]), 30).tolist() == [True, True, True, False]
    with pytest.raises(ValidationError):
        failure_within(np.array([1]), -1)
