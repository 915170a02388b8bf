"""Sheet-metal rules: inner bend radius against thickness, and one constant gauge.

**Bends.** A bend is a concave cylindrical face (the inside of the bend) with a coaxial
convex cylindrical face of larger radius (the outside); the sheet thickness at the bend
is the difference of the radii. An inner radius below ``min_bend_radius_ratio`` times
that thickness is a warning (the outside fibres stretch and may crack; Protolabs'
sheet-metal guide asks for an inner radius of at least the thickness). Not detected:
bends modelled with no radius at all (a sharp concave edge cannot be told from a step
in thickness without unfolding the part).

**Gauge.** The nominal thickness is the area-weighted median of the opposing ray wall
readings (:mod:`~cadml.geometry.dfm.thickness`); readings more than 10 % away from it
are flagged, except those above 3x the nominal, which cross the part (from one cut edge
to the opposite one) rather than the sheet.
"""

from __future__ import annotations

import numpy as np

from cadml.geometry.dfm.context import CheckContext, per_face
from cadml.geometry.dfm.report import Finding
from cadml.geometry.dfm.texts import make_finding

__all__ = ["GAUGE_TOLERANCE", "check_bends", "check_gauge", "nominal_thickness"]

GAUGE_TOLERANCE = 0.10
"""Relative deviation from the nominal thickness accepted before a finding."""

_ACROSS_FACTOR = 3.0


def nominal_thickness(ctx: CheckContext) -> float:
    """Area-weighted median of the opposing wall readings, mm (0 if there are none)."""
    wall = ctx.wall
    rows = np.nonzero(np.isfinite(wall.wall_mm) & wall.opposing)[0]
    if rows.size == 0:
        return 0.0
    values = wall.wall_mm[rows]
    order = np.lexsort((rows, values))
    cumulative = np.cumsum(ctx.model.weights[rows][order])
    index = int(np.searchsorted(cumulative, 0.5 * cumulative[-1]))
    return float(values[order][min(index, rows.size - 1)])


def _coaxial(
    a_point: np.ndarray, a_dir: np.ndarray, b_point: np.ndarray, b_dir: np.ndarray, tol: float
) -> bool:
    if abs(abs(float(a_dir @ b_dir)) - 1.0) > 1e-9:
        return False
    offset = b_point - a_point
    off_axis = offset - float(offset @ a_dir) * a_dir
    return float(np.linalg.norm(off_axis)) <= tol


def check_bends(ctx: CheckContext) -> list[Finding]:
    """Bends whose inner radius is below ``min_bend_radius_ratio`` x thickness (warnings)."""
    model = ctx.model
    ratio = ctx.options.min_bend_radius_ratio
    tol = 1e-6 * max(model.scale_mm, 1.0)
    cylinders = [
        (fid, info)
        for fid, info in enumerate(model.info)
        if info.kind == "cylinder" and info.axis_dir is not None and info.radius_mm
    ]
    findings: list[Finding] = []
    bends = 0
    for fid, inner in cylinders:
        if not inner.concave:
            continue
        assert inner.axis_point is not None and inner.axis_dir is not None
        assert inner.radius_mm is not None
        partners = [
            (float(outer.radius_mm or 0.0), oid)
            for oid, outer in cylinders
            if not outer.concave
            and float(outer.radius_mm or 0.0) > inner.radius_mm
            and outer.axis_point is not None
            and outer.axis_dir is not None
            and _coaxial(
                np.array(inner.axis_point),
                np.array(inner.axis_dir),
                np.array(outer.axis_point),
                np.array(outer.axis_dir),
                tol,
            )
        ]
        if not partners:
            continue
        r_out, oid = min(partners)
        bends += 1
        thickness = r_out - inner.radius_mm
        limit = ratio * thickness
        if inner.radius_mm >= limit - 1e-9:
            continue
        rows = np.nonzero(model.sample_face == fid)[0][:1]
        findings.append(
            make_finding(
                ctx.prefix,
                "bend_radius",
                "warning",
                faces=[fid, oid],
                points=model.points[rows].tolist(),
                measured=inner.radius_mm,
                limit=limit,
                unit="mm",
                ratio=ratio,
                thickness=thickness,
            )
        )
    ctx.stats["bends"] = bends
    return findings


def check_gauge(ctx: CheckContext) -> list[Finding]:
    """Readings off the nominal sheet thickness by more than 10 % (warnings)."""
    nominal = nominal_thickness(ctx)
    ctx.stats["sheet_thickness_mm"] = nominal
    if nominal <= 0.0:
        return []
    wall = ctx.wall
    off = np.abs(wall.wall_mm - nominal) > GAUGE_TOLERANCE * nominal
    mask = np.isfinite(wall.wall_mm) & wall.opposing & off
    mask &= wall.wall_mm <= _ACROSS_FACTOR * nominal
    deviation = np.where(np.isfinite(wall.wall_mm), np.abs(wall.wall_mm - nominal), 0.0)
    findings = []
    for record in per_face(ctx.model, mask, deviation, extreme="max"):
        rows = np.nonzero(mask & (ctx.model.sample_face == record.face))[0]
        worst = rows[np.lexsort((rows, -deviation[rows]))[0]]
        findings.append(
            make_finding(
                ctx.prefix,
                "uniform_thickness",
                "warning",
                faces=[record.face],
                points=record.points,
                measured=float(wall.wall_mm[worst]),
                limit=nominal,
                unit="mm",
            )
        )
    return findings
