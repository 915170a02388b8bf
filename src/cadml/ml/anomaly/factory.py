"""The detectors by name, and building one from a name and options.

Each kind has one canonical name (``zscore``, ``iqr``, ``isolation_forest``,
``one_class_svm``, ``lstm_autoencoder``); the command line's spellings
(``isolation-forest``, ``one-class-svm``, ``lstm-ae``) are aliases.

Examples:
    >>> canonical_kind("lstm-ae"), canonical_kind("isolation-forest")
    ('lstm_autoencoder', 'isolation_forest')
    >>> make_detector("iqr", sensitivity=0.1).sensitivity
    0.1
    >>> make_detector("isolation-forest").sensitivity     # that detector's own default
    1.0
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from cadml.errors import ValidationError
from cadml.ml.anomaly.base import BaseDetector
from cadml.ml.anomaly.learned import IsolationForestDetector, OneClassSvmDetector
from cadml.ml.anomaly.lstm_autoencoder import LstmAutoencoderDetector
from cadml.ml.anomaly.statistical import IqrDetector, ZScoreDetector

__all__ = ["ALIASES", "CLI_NAMES", "DETECTOR_KINDS", "canonical_kind", "make_detector"]

DETECTOR_KINDS: Mapping[str, type[BaseDetector]] = MappingProxyType(
    {
        cls.kind: cls
        for cls in (
            ZScoreDetector,
            IqrDetector,
            IsolationForestDetector,
            OneClassSvmDetector,
            LstmAutoencoderDetector,
        )
    }
)
"""Detector classes by canonical kind."""

CLI_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "zscore": "zscore",
        "iqr": "iqr",
        "isolation-forest": "isolation_forest",
        "one-class-svm": "one_class_svm",
        "lstm-ae": "lstm_autoencoder",
    }
)
"""The command line's detector names and the kinds they mean."""

ALIASES: Mapping[str, str] = MappingProxyType(
    {**CLI_NAMES, "lstm-autoencoder": "lstm_autoencoder", "lstm_ae": "lstm_autoencoder"}
)
"""Every accepted spelling besides the canonical kinds."""


def canonical_kind(name: str) -> str:
    """The canonical kind of a detector name or alias.

    Raises:
        ValidationError: ``ML_UNKNOWN_DETECTOR``.
    """
    if name in DETECTOR_KINDS:
        return name
    kind = ALIASES.get(name)
    if kind is None:
        raise ValidationError(
            "ML_UNKNOWN_DETECTOR",
            details={"name": name, "allowed": ", ".join(CLI_NAMES)},
        )
    return kind


def make_detector(name: str, sensitivity: float | None = None, **options: Any) -> BaseDetector:
    """A fresh detector of kind ``name``; ``options`` go to its constructor.

    Raises:
        ValidationError: ``ML_UNKNOWN_DETECTOR``; ``ML_ANOMALY_INVALID_OPTION`` for an
            option the detector does not take or a bad value.
    """
    kind = canonical_kind(name)
    cls = DETECTOR_KINDS[kind]
    accepted = [p for p in inspect.signature(cls).parameters if p != "sensitivity"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValidationError(
            "ML_ANOMALY_INVALID_OPTION",
            details={
                "field": ", ".join(unknown),
                "value": ", ".join(str(options[k]) for k in unknown),
                "reason": f"{kind} takes only: {', '.join(accepted) or 'no options'}",
            },
        )
    return cls(sensitivity, **options)
