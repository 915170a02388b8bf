"""The result of a DFM check: findings and the report that holds them.

Plain dataclasses, no kernel. :meth:`DfmReport.to_dict` is the JSON form the API and
the job report use; its ordering is deterministic (findings sorted by severity, rule,
first face, first point; keys in a fixed order; floats rounded to
:data:`cadml.tolerances.METRIC_DECIMALS`).

Examples:
    >>> f = Finding("fdm.overhang", "warning", "Overhang", "Çıkıntı", "Add support",
    ...             "Destek ekleyin", faces=(3,), points=((0.0, 1.0, 2.0),),
    ...             measured=60.0, limit=45.0, unit="deg")
    >>> r = DfmReport("fdm_printing", "pla", findings=(f,), stats={"faces_checked": 6})
    >>> r.ok, r.to_dict()["counts"]
    (True, {'error': 0, 'warning': 1, 'info': 0})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cadml.tolerances import METRIC_DECIMALS

__all__ = ["SEVERITIES", "DfmReport", "Finding"]

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
"""Finding severities, most severe first. Any ``error`` makes a report not ``ok``."""


def _num(value: float) -> float:
    # + 0.0 turns -0.0 into 0.0 so that JSON is stable.
    return round(float(value), METRIC_DECIMALS) + 0.0


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return _num(float(value))  # numpy scalars


@dataclass(frozen=True)
class Finding:
    """One manufacturability problem (or remark) on a part.

    Args:
        rule: stable rule id, ``<process prefix>.<rule>``, e.g. ``cnc.internal_corner_radius``.
        severity: ``error`` (cannot be made as drawn), ``warning`` (costly or risky) or
            ``info``.
        message_en: what is wrong, in English.
        message_tr: the same in Turkish.
        suggestion_en: how to fix it, in English.
        suggestion_tr: the same in Turkish.
        faces: B-rep face ids (0-based index in ``TopExp.MapShapes(shape, TopAbs_FACE)``
            order), sorted.
        points: locations in mm (at most a few per finding).
        measured: the measured value, if any.
        limit: the limit it was compared with, if any.
        unit: the unit of ``measured`` and ``limit`` (``mm``, ``deg``, ``mm3``, ``ratio``).
    """

    rule: str
    severity: str
    message_en: str
    message_tr: str
    suggestion_en: str
    suggestion_tr: str
    faces: tuple[int, ...] = ()
    points: tuple[tuple[float, float, float], ...] = ()
    measured: float | None = None
    limit: float | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: severity, rule, faces, points."""
        return (SEVERITIES.index(self.severity), self.rule, self.faces, self.points)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with a fixed key order and rounded numbers."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message_en": self.message_en,
            "message_tr": self.message_tr,
            "suggestion_en": self.suggestion_en,
            "suggestion_tr": self.suggestion_tr,
            "faces": list(self.faces),
            "points": [[_num(c) for c in p] for p in self.points],
            "measured": None if self.measured is None else _num(self.measured),
            "limit": None if self.limit is None else _num(self.limit),
            "unit": self.unit,
        }


@dataclass(frozen=True)
class DfmReport:
    """The manufacturability report of one part for one process and material.

    Args:
        process: the process id (from :data:`cadml.physics.materials.PROCESSES`).
        material: the material id.
        findings: the findings, in :meth:`Finding.sort_key` order.
        stats: measured figures (minimum wall, thickest section, maximum overhang,
            counts, sampling); values are numbers, strings or nested dicts of them.
        timings_s: wall-clock durations of the check's stages in seconds. They differ
            from run to run, so :meth:`to_dict` leaves them out unless asked.
    """

    process: str
    material: str
    findings: tuple[Finding, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        """Whether no finding is an ``error``."""
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self, *, include_timings: bool = False) -> dict[str, Any]:
        """JSON-able form; deterministic (sorted findings, sorted stats keys).

        Args:
            include_timings: add ``timings_s`` (not reproducible byte for byte).
        """
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}
        out: dict[str, Any] = {
            "process": self.process,
            "material": self.material,
            "ok": self.ok,
            "counts": counts,
            "findings": [f.to_dict() for f in sorted(self.findings, key=Finding.sort_key)],
            "stats": _jsonable(self.stats),
        }
        if include_timings:
            out["timings_s"] = _jsonable(self.timings_s)
        return out
