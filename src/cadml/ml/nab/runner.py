"""Run a detector over a NAB corpus and score it under NAB's profiles.

The three steps of NAB's runner: *detect* (the detector scores every file), *optimise*
(per profile, the one threshold that maximises the corpus score) and *score* (each file
at that threshold, summed, then normalised to 0–100). A fixed ``threshold`` skips the
optimisation.

Examples:
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from cadml.ml.nab.corpus import Corpus, DataFile
    >>> from cadml.ml.nab.windows import WindowRows
    >>> values = np.zeros(100); values[60] = 10.0
    >>> corpus = Corpus(Path("."), (DataFile("a/b.csv", np.zeros(100, "datetime64[us]"),
    ...                                       values, (WindowRows(60, 69),)),))
    >>> spikes = lambda timestamps, values: (values > 5).astype(float)
    >>> report = run_nab(corpus, spikes, "spikes")
    >>> [(p.profile, p.score, p.threshold) for p in report.profiles][0]
    ('standard', 100.0, 1.0)
    >>> [p.score for p in report.profiles]
    [100.0, 100.0, 100.0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.nab.corpus import Corpus, DataFile
from cadml.ml.nab.detectors import Detector
from cadml.ml.nab.profiles import PROFILES, Profile
from cadml.ml.nab.score import (
    FileScore,
    normalised_score,
    null_score,
    perfect_score,
    score_file,
    threshold_curve,
)
from cadml.ml.nab.sweep import DEFAULT_PROBATION_PERCENT, FileSweep, sweep_file

__all__ = ["NabReport", "ProfileResult", "detect_corpus", "run_nab", "score_corpus"]

Progress = Callable[[Sequence[DataFile]], Iterable[DataFile]]
"""Wraps the file list to show progress (e.g. ``tqdm``); the identity by default."""


@dataclass(frozen=True)
class ProfileResult:
    """The corpus score of one detector under one profile.

    Attributes:
        profile: the profile's name.
        threshold: the threshold used (optimised unless given).
        optimised: whether the threshold was chosen by the optimiser.
        score: normalised score (null detector 0, perfect 100); ``None`` without windows.
        raw_score: the sum of the files' raw scores.
        null_raw_score: raw score of a detector that never fires.
        perfect_raw_score: raw score of the perfect detector.
        tp: windows detected; fp: false-positive detections; fn: windows missed.
        files: each file's score at ``threshold``, in corpus order.
    """

    profile: str
    threshold: float
    optimised: bool
    score: float | None
    raw_score: float
    null_raw_score: float
    perfect_raw_score: float
    tp: int
    fp: int
    fn: int
    files: tuple[FileScore, ...]


@dataclass(frozen=True)
class NabReport:
    """Everything the runner found, ready for printing or JSON."""

    detector: str
    n_files: int
    n_rows: int
    n_windows: int
    probation_percent: float
    profiles: tuple[ProfileResult, ...]
    warnings: tuple[str, ...] = ()

    def to_dict(self, per_file: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; per-file scores only with ``per_file``."""
        profiles = {}
        for result in self.profiles:
            entry = asdict(result)
            entry.pop("profile")
            files = entry.pop("files")
            if per_file:
                entry["files"] = {f["key"]: _file_entry(f) for f in files}
            profiles[result.profile] = entry
        return {
            "detector": self.detector,
            "files": self.n_files,
            "rows": self.n_rows,
            "windows": self.n_windows,
            "probation_percent": self.probation_percent,
            "profiles": profiles,
            "warnings": list(self.warnings),
        }


def _file_entry(score: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in score.items() if k not in ("key", "threshold")}


def detect_corpus(
    corpus: Corpus, detector: Detector, progress: Progress | None = None
) -> list[np.ndarray]:
    """The detector's scores for every file, in corpus order (shape ``(n_rows,)`` each)."""
    files: Iterable[DataFile] = progress(corpus.files) if progress else corpus.files
    return [np.asarray(detector(f.timestamps, f.values)) for f in files]


def _check_threshold(threshold: float) -> None:
    if not (np.isfinite(threshold) and 0.0 <= threshold <= 1.1):
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={
                "field": "threshold",
                "value": threshold,
                "reason": "must be in [0, 1.1] (scores are in [0, 1]; 1.1 detects nothing)",
            },
        )


def score_corpus(
    sweeps: Sequence[FileSweep], profiles: Sequence[Profile], threshold: float | None = None
) -> tuple[ProfileResult, ...]:
    """Optimise (unless ``threshold`` is given) and score every profile.

    Raises:
        ValidationError: ``ML_INVALID_OPTION`` for a threshold outside ``[0, 1.1]``.
    """
    if threshold is not None:
        _check_threshold(threshold)
    curve = threshold_curve(sweeps) if threshold is None else None
    n_windows = sum(s.n_windows for s in sweeps)
    results = []
    for profile in profiles:
        chosen = threshold
        if curve is not None:
            chosen = float(curve.thresholds[curve.best(profile)])
        assert chosen is not None
        files = tuple(score_file(s, chosen, profile) for s in sweeps)
        raw = float(sum(f.raw_score for f in files))
        results.append(
            ProfileResult(
                profile=profile.name,
                threshold=chosen,
                optimised=threshold is None,
                score=normalised_score(raw, n_windows, profile),
                raw_score=raw,
                null_raw_score=null_score(n_windows, profile),
                perfect_raw_score=perfect_score(n_windows, profile),
                tp=sum(f.tp for f in files),
                fp=sum(f.fp for f in files),
                fn=sum(f.fn for f in files),
                files=files,
            )
        )
    return tuple(results)


def run_nab(
    corpus: Corpus,
    detector: Detector,
    detector_name: str,
    profiles: Sequence[Profile] | None = None,
    threshold: float | None = None,
    probation_percent: float = DEFAULT_PROBATION_PERCENT,
    progress: Progress | None = None,
) -> NabReport:
    """Detect, optimise and score.

    Args:
        corpus: the loaded corpus.
        detector: scores a series; see :class:`cadml.ml.nab.detectors.Detector`.
        detector_name: its name in the report.
        profiles: the profiles to score (default: NAB's three).
        threshold: a fixed threshold instead of the optimised one.
        probation_percent: NAB's probationary fraction.
        progress: wraps the file list while detecting, e.g. to show a progress bar.

    Raises:
        ValidationError: ``ML_NAB_SCORES_INVALID`` if the detector returns bad scores,
            ``ML_INVALID_OPTION`` for a bad threshold.
    """
    if threshold is not None:
        _check_threshold(threshold)
    chosen = tuple(profiles) if profiles is not None else tuple(PROFILES.values())
    scores = detect_corpus(corpus, detector, progress)
    sweeps = [
        sweep_file(f.key, s, f.windows, probation_percent, n_rows=len(f.values))
        for f, s in zip(corpus.files, scores, strict=True)
    ]
    unscored = [
        f"{f.key}: {len(f.windows) - s.n_windows} window(s) end in the probationary "
        f"period ({s.probation} rows); not scored"
        for f, s in zip(corpus.files, sweeps, strict=True)
        if len(f.windows) > s.n_windows
    ]
    return NabReport(
        detector=detector_name,
        n_files=len(corpus.files),
        n_rows=corpus.n_rows,
        n_windows=sum(s.n_windows for s in sweeps),
        probation_percent=probation_percent,
        profiles=score_corpus(sweeps, chosen, threshold),
        warnings=(*corpus.warnings, *unscored),
    )
