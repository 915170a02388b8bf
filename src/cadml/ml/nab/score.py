"""NAB scores: a file at a threshold, the corpus at every threshold, and normalisation.

A row is a detection when its anomaly score is ``>= threshold``. With the per-row values
of :mod:`cadml.ml.nab.sweep`, the raw score of a set of files at a threshold is

``tp_weight * Σ_detected windows best S(x)/S(-1)  +  fp_weight * Σ_false positives S(x)
- fn_weight * (missed windows)``

which is what NAB's ``Sweeper.calcScoreByThreshold`` sums. Since the three sums do not
depend on the profile, one pass over the rows sorted by score (:func:`threshold_curve`)
gives the raw score of every profile at every threshold; the best threshold of a profile
is the one with the highest corpus score (ties go to the higher threshold, as in NAB's
stable sort). The first candidate, 1.1, detects nothing.

Normalisation (NAB's ``Runner.normalize``): ``100 * (raw - null) / (perfect - null)``
with ``null = -fn_weight * W`` (a detector that never fires misses all ``W`` windows) and
``perfect = tp_weight * W`` (every window detected at its first row, no false positive).

Examples:
    >>> from cadml.ml.nab.profiles import get_profile
    >>> normalised_score(0.0, n_windows=2, profile=get_profile("standard"))
    50.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cadml.ml.nab.profiles import Profile
from cadml.ml.nab.sweep import FileSweep

__all__ = [
    "NO_DETECTION_THRESHOLD",
    "FileScore",
    "ThresholdCurve",
    "normalised_score",
    "null_score",
    "perfect_score",
    "score_file",
    "threshold_curve",
]

NO_DETECTION_THRESHOLD = 1.1
"""A threshold above every valid score: nothing is detected (NAB's starting point)."""


@dataclass(frozen=True)
class FileScore:
    """One file (or a sum of files) scored at one threshold under one profile.

    Attributes:
        key: the file's corpus key.
        threshold: rows with score ``>= threshold`` are detections.
        raw_score: NAB's raw score.
        tp: windows detected (at least one detection inside).
        fp: detections outside every window (probationary rows excluded).
        fn: windows with no detection.
    """

    key: str
    threshold: float
    raw_score: float
    tp: int
    fp: int
    fn: int


def score_file(sweep: FileSweep, threshold: float, profile: Profile) -> FileScore:
    """Score one file at a fixed threshold.

    Examples:
        >>> import numpy as np
        >>> from cadml.ml.nab.profiles import get_profile
        >>> from cadml.ml.nab.sweep import sweep_file
        >>> from cadml.ml.nab.windows import WindowRows
        >>> scores = np.zeros(20); scores[10] = 1.0   # detection at the window's first row
        >>> s = sweep_file("f.csv", scores, [WindowRows(10, 14)], probation_percent=0.0)
        >>> score_file(s, 0.5, get_profile("standard")).raw_score
        1.0
    """
    detected = sweep.scores >= threshold
    outside = sweep.window < 0
    false_positive = detected & outside
    in_window = detected & ~outside
    best = np.zeros(sweep.n_windows)
    np.maximum.at(best, sweep.window[in_window], sweep.tp_value[in_window])
    found = int(np.count_nonzero(best > 0.0))
    raw = (
        profile.tp_weight * float(best.sum())
        + profile.fp_weight * float(sweep.fp_value[false_positive].sum())
        - profile.fn_weight * (sweep.n_windows - found)
    )
    return FileScore(
        key=sweep.key,
        threshold=float(threshold),
        raw_score=raw,
        tp=found,
        fp=int(np.count_nonzero(false_positive)),
        fn=sweep.n_windows - found,
    )


@dataclass(frozen=True)
class ThresholdCurve:
    """Profile-free sums of a corpus at every candidate threshold.

    All arrays have shape ``(k,)``, candidates in descending order; candidate 0 is
    :data:`NO_DETECTION_THRESHOLD`, the others are the distinct scores of scorable rows.

    Attributes:
        thresholds: the candidate thresholds.
        tp_sum: sum over detected windows of the best ``S(x)/S(-1)``.
        fp_sum: sum of ``S(x)`` over false positives (``<= 0``).
        detected: number of windows detected.
        fp_count: number of false-positive detections.
        n_windows: number of scorable windows in the corpus.
    """

    thresholds: np.ndarray
    tp_sum: np.ndarray
    fp_sum: np.ndarray
    detected: np.ndarray
    fp_count: np.ndarray
    n_windows: int

    def raw_scores(self, profile: Profile) -> np.ndarray:
        """The corpus raw score at every candidate threshold; shape ``(k,)``."""
        missed = self.n_windows - self.detected
        return (
            profile.tp_weight * self.tp_sum
            + profile.fp_weight * self.fp_sum
            - profile.fn_weight * missed
        )

    def best(self, profile: Profile) -> int:
        """Index of the threshold with the highest raw score (the higher one on ties)."""
        return int(np.argmax(self.raw_scores(profile)))


def threshold_curve(sweeps: Sequence[FileSweep]) -> ThresholdCurve:
    """Sweep the threshold down over every scorable row of a corpus.

    NAB optimises one threshold for the whole corpus, so all files are swept together.
    """
    scores = np.concatenate([s.scores for s in sweeps]) if sweeps else np.zeros(0)
    offsets = np.cumsum([0, *(s.n_windows for s in sweeps)])
    window = (
        np.concatenate(
            [
                np.where(s.window >= 0, s.window + off, -1)
                for s, off in zip(sweeps, offsets[:-1], strict=True)
            ]
        )
        if sweeps
        else np.zeros(0, dtype=np.int64)
    )
    tp_value = np.concatenate([s.tp_value for s in sweeps]) if sweeps else np.zeros(0)
    fp_value = np.concatenate([s.fp_value for s in sweeps]) if sweeps else np.zeros(0)
    n_windows = int(offsets[-1])

    order = np.argsort(-scores, kind="stable")
    scores, window = scores[order], window[order]
    tp_value, fp_value = tp_value[order], fp_value[order]

    is_fp = window < 0
    fp_sum = np.cumsum(np.where(is_fp, fp_value, 0.0))
    fp_count = np.cumsum(is_fp)

    # A window's contribution rises each time a detection earlier in it (a larger
    # S(x)/S(-1)) joins as the threshold falls: accumulate those rises.
    rise = np.zeros(scores.shape[0])
    first = np.zeros(scores.shape[0], dtype=np.int64)
    positions = np.flatnonzero(~is_fp)
    by_window = positions[np.argsort(window[positions], kind="stable")]
    bounds = np.flatnonzero(np.diff(window[by_window])) + 1
    for group in np.split(by_window, bounds) if by_window.size else []:
        running = np.maximum.accumulate(tp_value[group])
        rise[group] = running - np.concatenate(([0.0], running[:-1]))
        first[group[0]] = 1
    tp_sum = np.cumsum(rise)
    detected = np.cumsum(first)

    # Candidate thresholds: the last row of each run of equal scores.
    ends = np.flatnonzero(np.diff(scores) != 0.0)
    ends = np.append(ends, scores.shape[0] - 1) if scores.size else ends

    def curve(values: np.ndarray, start: float | int) -> np.ndarray:
        return np.concatenate(([start], values[ends]))

    return ThresholdCurve(
        thresholds=curve(scores, NO_DETECTION_THRESHOLD),
        tp_sum=curve(tp_sum, 0.0),
        fp_sum=curve(fp_sum, 0.0),
        detected=curve(detected, 0).astype(np.int64),
        fp_count=curve(fp_count, 0).astype(np.int64),
        n_windows=n_windows,
    )


def null_score(n_windows: int, profile: Profile) -> float:
    """Raw score of a detector that never fires: every window is missed."""
    return -profile.fn_weight * n_windows


def perfect_score(n_windows: int, profile: Profile) -> float:
    """Raw score of the perfect detector: each window caught at its first row."""
    return profile.tp_weight * n_windows


def normalised_score(raw_score: float, n_windows: int, profile: Profile) -> float | None:
    """NAB's 0–100 score: null detector 0, perfect detector 100 (negative if worse than null).

    Returns ``None`` when the corpus has no scorable window (the scale is undefined).
    """
    if n_windows == 0:
        return None
    null = null_score(n_windows, profile)
    return 100.0 * (raw_score - null) / (perfect_score(n_windows, profile) - null)
