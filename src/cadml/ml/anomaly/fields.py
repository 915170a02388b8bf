"""Which of a device's fields a detector may learn from, checked on its frames.

A chosen field is ``sensors.<name>`` (a bare name), ``metrics.<name>`` or
``status.<name>``; sensors and metrics are numbers by the frame's contract, a status
value counts only when every reading's value is a number. These checks run on the
frames the service read, before any row is built, so a refusal names the problem
(``ML_ANOMALY_FIELD_NOT_PRESENT`` with the fields that do exist,
``ML_ANOMALY_FIELD_NOT_NUMERIC`` with an example value).

Examples:
    >>> from cadml.twin.frame import TelemetryFrame as F
    >>> stored_fields(["temperature", "metrics.rpm"])
    ('sensors.temperature', 'metrics.rpm')
    >>> frames = [F(1.0, "d", {"t": 1.0}, {}, {"mode": "run"})]
    >>> check_fields(frames, ["sensors.t"], "d", lambda: frames) is None
    True
    >>> check_fields(frames, ["status.mode"], "d", lambda: frames)
    Traceback (most recent call last):
    ...
    cadml.errors.ValidationError: ML_ANOMALY_FIELD_NOT_NUMERIC: The field 'status.mode' of \
device 'd' is not numeric (for example "run"); detectors need numbers.
    >>> numeric_query(["sensors.t"]), numeric_query(["sensors.t", "status.load"])
    (['sensors.t'], None)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from cadml.errors import ValidationError
from cadml.ml.anomaly.base import check_option
from cadml.ml.anomaly.rows import split_field
from cadml.twin.frame import TelemetryFrame, event_key

__all__ = ["check_fields", "numeric_query", "stored_fields"]


def stored_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """The stored names of chosen fields (a bare name is a sensor), checked.

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_OPTION`` for none, a malformed name or a
            field named twice.
    """
    out = []
    for name in fields:
        group, base = split_field(name)
        out.append(f"{group}.{base}")
    if not out:
        check_option("fields", [], False, "choose at least one field")
    check_option("fields", list(fields), len(set(out)) == len(out), "a field is named twice")
    return tuple(out)


def _example(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def check_fields(
    frames: Sequence[TelemetryFrame],
    fields: Sequence[str],
    device: str,
    everything: Callable[[], Sequence[TelemetryFrame]],
) -> None:
    """Refuse a field no reading carries, or one that carries non-numbers.

    Args:
        frames: the history read for training (maybe with only the chosen fields).
        fields: stored field names.
        device: the device (for the messages).
        everything: reads some frames with all their fields, to name the fields that
            do exist when one is missing (called only then).

    Raises:
        ValidationError: ``ML_ANOMALY_FIELD_NOT_NUMERIC`` (a status value that is text,
            a boolean or null; also for a bare name whose sensor is absent while the
            status value of that name is not a number), ``ML_ANOMALY_FIELD_NOT_PRESENT``
            (with ``available``: the fields seen).
    """
    readings = [f for f in frames if not event_key(f)]
    for name in fields:
        group, base = split_field(name)
        if group == "status":
            values = [f.status[base] for f in readings if base in f.status]
            bad = [v for v in values if not _is_number(v)]
            if bad:
                raise ValidationError(
                    "ML_ANOMALY_FIELD_NOT_NUMERIC",
                    details={"field": name, "device": device, "example": _example(bad[0])},
                )
            if values:
                continue
        elif group == "sensors":
            if any(base in f.sensors for f in readings):
                continue
        elif any(base in f.metrics for f in readings):
            continue
        _refuse_missing(name, base, device, everything())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _refuse_missing(name: str, base: str, device: str, frames: Sequence[TelemetryFrame]) -> None:
    """Raise FIELD_NOT_NUMERIC when the name is a non-numeric status value, else
    FIELD_NOT_PRESENT with the fields that are there."""
    seen: set[str] = set()
    for frame in frames:
        if event_key(frame):
            continue
        seen.update(f"sensors.{k}" for k in frame.sensors)
        seen.update(f"metrics.{k}" for k in frame.metrics)
        seen.update(f"status.{k}" for k in frame.status)
        if base in frame.status and not _is_number(frame.status[base]):
            raise ValidationError(
                "ML_ANOMALY_FIELD_NOT_NUMERIC",
                details={
                    "field": f"status.{base}",
                    "device": device,
                    "example": _example(frame.status[base]),
                    "asked": name,
                },
            )
    raise ValidationError(
        "ML_ANOMALY_FIELD_NOT_PRESENT",
        details={"field": name, "device": device, "available": ", ".join(sorted(seen)) or "-"},
    )


def numeric_query(fields: Sequence[str]) -> list[str] | None:
    """The ``fields`` filter for ``TimeSeriesStore.history`` (which keeps numeric fields
    only): the names, or None when a status field is needed (status is always kept)."""
    return None if any(f.startswith("status.") for f in fields) else list(fields)
