"""The alert event an anomaly raises: a telemetry frame with ``status.alert``.

Alert events are ordinary frames (:mod:`cadml.twin.frame`): the store keys them by
``(device_id, timestamp, rule_id)``, so an alert never replaces the reading that raised
it, and they show up in history, live updates and the WebSocket like the edge SDK's
rule alerts. The ``alert`` mapping carries the edge SDK's keys (``rule_id``,
``severity``, ``kind``, ``value``, ``message``) plus the anomaly's own:

=================  ==========================================================
``rule_id``        ``anomaly:<model name>``
``severity``       ``critical`` when the score is above every training score,
                   otherwise ``warning``
``kind``           ``anomaly``
``value``          the score (same as ``score``)
``message``        an English sentence naming the model, score and fields
``score``          the row's score in ``[0, 1]``
``threshold``      the model's threshold (the score was above it)
``fields``         the row's values, by stored field name
``model``          the trained detector's name
``detector``       its kind (``zscore``, ``iqr``, ...)
``row_timestamp``  the row's time (a bucket's start when resampled)
=================  ==========================================================

Examples:
    >>> frame = anomaly_alert_frame(
    ...     "press-7", 1700000000.0, "press-temp", "zscore", 0.71, 0.55, 0.66,
    ...     {"sensors.temperature": 93.5})
    >>> alert = frame.status["alert"]
    >>> alert["rule_id"], alert["severity"], alert["kind"]
    ('anomaly:press-temp', 'critical', 'anomaly')
    >>> alert["message"]
    "press-7: anomaly score 0.710 above 0.550 (zscore model 'press-temp'); sensors.temperature=93.5"
"""

from __future__ import annotations

from collections.abc import Mapping

from cadml.twin.frame import TelemetryFrame

__all__ = ["ALERT_KIND", "RULE_PREFIX", "anomaly_alert_frame", "rule_id"]

RULE_PREFIX = "anomaly:"
"""Every anomaly alert's rule id starts with this, then the model's name."""

ALERT_KIND = "anomaly"
"""The ``kind`` of an anomaly alert."""


def rule_id(model: str) -> str:
    """The rule id of a model's alerts: ``anomaly:<model>``."""
    return f"{RULE_PREFIX}{model}"


def anomaly_alert_frame(
    device_id: str,
    timestamp: float,
    model: str,
    detector: str,
    score: float,
    threshold: float,
    training_max: float,
    fields: Mapping[str, float],
    row_timestamp: float | None = None,
) -> TelemetryFrame:
    """The alert event frame of one anomalous row (see the module docstring).

    Args:
        device_id: the device.
        timestamp: the reading that raised it (the frame's timestamp).
        model: the trained detector's name.
        detector: its kind.
        score: the row's score.
        threshold: the model's threshold.
        training_max: the highest training score (decides the severity).
        fields: the row's values by stored field name.
        row_timestamp: the row's own time when it differs (resampled buckets).
    """
    shown = ", ".join(f"{name}={value:.6g}" for name, value in fields.items())
    alert = {
        "rule_id": rule_id(model),
        "severity": "critical" if score > training_max else "warning",
        "kind": ALERT_KIND,
        "value": score,
        "message": (
            f"{device_id}: anomaly score {score:.3f} above {threshold:.3f} "
            f"({detector} model '{model}'); {shown}"
        ),
        "score": score,
        "threshold": threshold,
        "fields": dict(fields),
        "model": model,
        "detector": detector,
        "row_timestamp": timestamp if row_timestamp is None else row_timestamp,
    }
    return TelemetryFrame(timestamp, device_id, {}, {}, {"alert": alert})
