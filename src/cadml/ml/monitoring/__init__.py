"""Serving statistics of models: drift against the training inputs and per-model monitors."""

from cadml.ml.monitoring.drift import DriftCounts, DriftReference
from cadml.ml.monitoring.model_stats import ModelMonitor, Thresholds

__all__ = ["DriftCounts", "DriftReference", "ModelMonitor", "Thresholds"]
