"""Features for remaining-useful-life models: rolling statistics and FFT band energies.

For each row (unit ``u`` at cycle ``c``) the features describe the last ``window`` rows
of that unit up to and including ``c`` (fewer at the start of a unit's life):

* per sensor: ``mean``, ``std`` (population), ``min``, ``max``, ``slope`` (least-squares
  change per row) and ``rms`` (root mean square);
* per sensor: the energy of the de-meaned window in ``bands`` equal bands of the FFT's
  non-zero frequencies (``|X_k|² / window``; a short window is zero-padded);
* ``cycle``: the row's cycle, the unit's age.

Sensors are first standardised with the training set's mean and standard deviation, so
the RMS measures the distance from the fleet's average and every sensor weighs alike.
Sensors that are constant on the training set carry no information and are dropped.

Examples:
    >>> import numpy as np
    >>> from cadml.ml.rul.cmapss import CmapssData
    >>> sensors = np.zeros((4, 21)); sensors[:, 1] = [1.0, 2.0, 3.0, 4.0]
    >>> data = CmapssData(np.ones(4, np.int64), np.arange(1, 5), np.zeros((4, 3)), sensors)
    >>> scaler = fit_scaler(data)
    >>> scaler.sensors
    (1,)
    >>> features = window_features(data, scaler, window=3, bands=1)
    >>> features.names[:7]
    ('s2_mean', 's2_std', 's2_min', 's2_max', 's2_slope', 's2_rms', 's2_fft_band1')
    >>> round(float(features.column("s2_slope")[-1] * scaler.std[0]), 6)  # 1 per cycle
    1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cadml.errors import ValidationError
from cadml.ml.rul.cmapss import SENSOR_NAMES, CmapssData

__all__ = [
    "STATISTICS",
    "FeatureMatrix",
    "SensorScaler",
    "fit_scaler",
    "informative_sensors",
    "window_features",
]

STATISTICS = ("mean", "std", "min", "max", "slope", "rms")
"""The rolling statistics computed for each sensor, in column order."""

_CONSTANT_STD = 1e-8
"""A sensor whose training standard deviation is at most this is constant."""


@dataclass(frozen=True)
class SensorScaler:
    """The informative sensors and the training mean and std used to standardise them.

    Attributes:
        sensors: 0-based indices into the 21 sensors.
        mean: shape ``(k,)``; std: shape ``(k,)``, both from the training set.
    """

    sensors: tuple[int, ...]
    mean: np.ndarray
    std: np.ndarray

    @property
    def names(self) -> tuple[str, ...]:
        """The kept sensors' names (``s2``, ``s3``, ...)."""
        return tuple(SENSOR_NAMES[i] for i in self.sensors)

    def transform(self, data: CmapssData) -> np.ndarray:
        """The kept sensors of ``data``, standardised; shape ``(n, k)``."""
        return (data.sensors[:, list(self.sensors)] - self.mean) / self.std


@dataclass(frozen=True)
class FeatureMatrix:
    """Feature values, shape ``(n_rows, n_features)``, and their column names."""

    values: np.ndarray
    names: tuple[str, ...]

    def column(self, name: str) -> np.ndarray:
        """One feature's values; shape ``(n_rows,)``."""
        return self.values[:, self.names.index(name)]


def informative_sensors(data: CmapssData) -> tuple[int, ...]:
    """0-based indices of the sensors that vary over ``data`` (the others are constant)."""
    std = data.sensors.std(axis=0)
    return tuple(int(i) for i in np.flatnonzero(std > _CONSTANT_STD))


def fit_scaler(train: CmapssData) -> SensorScaler:
    """Choose the informative sensors of the training set and their mean and std.

    Raises:
        ValidationError: ``ML_CMAPSS_INVALID_DATA`` if every sensor is constant.
    """
    sensors = informative_sensors(train)
    if not sensors:
        raise ValidationError(
            "ML_CMAPSS_INVALID_DATA",
            details={"file": train.source, "reason": "every sensor is constant"},
        )
    values = train.sensors[:, list(sensors)]
    return SensorScaler(sensors, values.mean(axis=0), values.std(axis=0))


def _unit_features(x: np.ndarray, window: int, bands: int) -> np.ndarray:
    """Features of one unit's standardised sensors ``x`` (shape ``(t, k)``)."""
    t, k = x.shape
    padded = np.concatenate([np.zeros((window - 1, k)), x])
    frames = sliding_window_view(padded, window, axis=0)  # (t, k, window)
    # Rows before the unit's first cycle are padding: mask them out.
    valid = (np.arange(window)[None, :] >= (window - 1 - np.arange(t))[:, None])[:, None, :]
    count = np.minimum(np.arange(1, t + 1), window).astype(np.float64)[:, None]
    values = np.where(valid, frames, 0.0)
    mean = values.sum(axis=2) / count
    centred = np.where(valid, frames - mean[:, :, None], 0.0)
    std = np.sqrt((centred**2).sum(axis=2) / count)
    low = np.where(valid, frames, np.inf).min(axis=2)
    high = np.where(valid, frames, -np.inf).max(axis=2)
    rms = np.sqrt((values**2).sum(axis=2) / count)

    position = np.arange(window, dtype=np.float64)[None, None, :]
    position_mean = (np.where(valid, position, 0.0)).sum(axis=2) / count
    dt = np.where(valid, position - position_mean[:, :, None], 0.0)
    denominator = (dt**2).sum(axis=2)
    numerator = (dt * centred).sum(axis=2)
    slope = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=slope, where=denominator > 0.0)

    power = np.abs(np.fft.rfft(centred, axis=2)) ** 2 / window
    band_edges = np.array_split(np.arange(1, power.shape[2]), bands)
    energy = [power[:, :, edges].sum(axis=2) for edges in band_edges]

    per_sensor = np.stack([mean, std, low, high, slope, rms, *energy], axis=2)  # (t, k, f)
    return per_sensor.reshape(t, -1)


def window_features(
    data: CmapssData, scaler: SensorScaler, window: int = 30, bands: int = 3
) -> FeatureMatrix:
    """Rolling features of every row of ``data`` (see the module docstring).

    Args:
        data: a train or test file.
        scaler: from :func:`fit_scaler` on the training file.
        window: rows per window (at least 2).
        bands: FFT bands (at least 1, at most ``window // 2``).

    Raises:
        ValidationError: ``ML_INVALID_OPTION`` for a window or band count out of range.
    """
    if window < 2:
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={"field": "window", "value": window, "reason": "must be at least 2 cycles"},
        )
    if not 1 <= bands <= window // 2:
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={
                "field": "bands",
                "value": bands,
                "reason": f"must be between 1 and window // 2 ({window // 2})",
            },
        )
    x = scaler.transform(data)
    blocks = [_unit_features(x[s], window, bands) for s in data.unit_slices()]
    per_sensor = (*STATISTICS, *(f"fft_band{b}" for b in range(1, bands + 1)))
    names = tuple(f"{sensor}_{feature}" for sensor in scaler.names for feature in per_sensor)
    values = np.column_stack([np.concatenate(blocks), data.cycles.astype(np.float64)])
    return FeatureMatrix(values, (*names, "cycle"))
