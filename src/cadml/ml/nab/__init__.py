"""Numenta Anomaly Benchmark (NAB) scoring and runner, written from NAB's specification.

Modules, each one concept: :mod:`~cadml.ml.nab.windows` (timestamps, window → rows),
:mod:`~cadml.ml.nab.corpus` (reading ``data/**/*.csv`` and the labels),
:mod:`~cadml.ml.nab.profiles` (cost matrices), :mod:`~cadml.ml.nab.sweep` (per-row
sigmoid weights, probation), :mod:`~cadml.ml.nab.score` (scores, threshold sweep,
normalisation), :mod:`~cadml.ml.nab.detectors` (built-in baselines) and
:mod:`~cadml.ml.nab.runner` (detect → optimise → score).
"""

from cadml.ml.nab.corpus import LABELS_PATH, Corpus, DataFile, load_corpus, read_labels
from cadml.ml.nab.detectors import DETECTORS, Detector, make_detector
from cadml.ml.nab.profiles import PROFILES, Profile, get_profile, select_profiles
from cadml.ml.nab.runner import NabReport, ProfileResult, run_nab, score_corpus
from cadml.ml.nab.score import (
    NO_DETECTION_THRESHOLD,
    FileScore,
    ThresholdCurve,
    normalised_score,
    score_file,
    threshold_curve,
)
from cadml.ml.nab.sweep import (
    DEFAULT_PROBATION_PERCENT,
    FileSweep,
    probationary_length,
    scaled_sigmoid,
    sweep_file,
)
from cadml.ml.nab.windows import Window, WindowRows, window_rows

__all__ = [
    "DEFAULT_PROBATION_PERCENT",
    "DETECTORS",
    "LABELS_PATH",
    "NO_DETECTION_THRESHOLD",
    "PROFILES",
    "Corpus",
    "DataFile",
    "Detector",
    "FileScore",
    "FileSweep",
    "NabReport",
    "Profile",
    "ProfileResult",
    "ThresholdCurve",
    "Window",
    "WindowRows",
    "get_profile",
    "load_corpus",
    "make_detector",
    "normalised_score",
    "probationary_length",
    "read_labels",
    "run_nab",
    "scaled_sigmoid",
    "score_corpus",
    "score_file",
    "select_profiles",
    "sweep_file",
    "threshold_curve",
    "window_rows",
]
