"""3D-printing rules (FDM, SLA): overhangs and bridges.

**Overhang angle** of a downward-facing sample is its surface's angle from the vertical:
``asin(-n·b)`` with ``b`` the build direction (a vertical wall is 0°, a flat ceiling
90°). Samples on the build plate (within ``δ + 1 µm`` of the lowest point along ``b``)
are left out. Samples steeper than ``overhang_limit_deg`` are flagged, except flat
ceilings (within 0.5° of horizontal), which are spans between walls and are judged by
the bridge rule.

**Bridge length** of a flat, downward-facing planar face off the plate is the diameter
of the largest circle inside it: twice the largest distance from a sample of the face
to the face's boundary (the boundary edges of its triangulation). It is the span the
printer must bridge when the face is held by walls along its edges; a flat ledge held
on one side only is a cantilever, which this measure does not distinguish.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from cadml.geometry.dfm.boundary import inscribed_width
from cadml.geometry.dfm.context import CheckContext, per_face
from cadml.geometry.dfm.report import Finding
from cadml.geometry.dfm.texts import make_finding

__all__ = ["check_bridges", "check_overhangs", "overhang_angles"]

_FLAT_DEG = 89.5


def overhang_angles(
    ctx: CheckContext,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per-sample overhang angle from vertical (deg; 0 for upward faces) and plate mask."""
    model = ctx.model
    build = np.array(ctx.options.build_direction, dtype=np.float64)
    build /= np.linalg.norm(build)
    heights = model.points @ build
    lowest = float((model.triangles.reshape(-1, 3) @ build).min())
    on_plate = heights <= lowest + model.deflection_mm + 1e-3
    down = np.clip(-(model.normals @ build), 0.0, 1.0)
    angle = np.degrees(np.arcsin(down))
    return angle, on_plate


def check_overhangs(ctx: CheckContext) -> list[Finding]:
    """Downward faces steeper than ``overhang_limit_deg`` from vertical (warnings)."""
    angle, on_plate = overhang_angles(ctx)
    limit = ctx.options.overhang_limit_deg
    off_plate = ~on_plate
    ctx.stats["max_overhang_deg"] = float(angle[off_plate].max()) if off_plate.any() else 0.0
    mask = off_plate & (angle > limit + 1e-9) & (angle < _FLAT_DEG)
    return [
        make_finding(
            ctx.prefix,
            "overhang",
            "warning",
            faces=[r.face],
            points=r.points,
            measured=r.value,
            limit=limit,
            unit="deg",
        )
        for r in per_face(ctx.model, mask, angle, extreme="max")
    ]


def check_bridges(ctx: CheckContext) -> list[Finding]:
    """Flat ceilings whose span exceeds ``max_bridge_mm`` (warnings)."""
    model = ctx.model
    _, on_plate = overhang_angles(ctx)
    limit = ctx.options.max_bridge_mm
    flat_cos = math.cos(math.radians(90.0 - _FLAT_DEG))
    build = np.array(ctx.options.build_direction, dtype=np.float64)
    build /= np.linalg.norm(build)
    span = np.zeros(model.points.shape[0])
    longest = 0.0
    for fid, info in enumerate(model.info):
        if info.normal is None or float(np.array(info.normal) @ build) > -flat_cos:
            continue
        rows = np.nonzero((model.sample_face == fid) & ~on_plate)[0]
        if rows.size == 0:
            continue
        width, _ = inscribed_width(model, fid, rows)
        span[rows] = width
        longest = max(longest, width)
    ctx.stats["max_bridge_mm"] = longest
    mask = span > limit + 1e-9
    return [
        make_finding(
            ctx.prefix,
            "bridge_length",
            "warning",
            faces=[r.face],
            points=r.points,
            measured=r.value,
            limit=limit,
            unit="mm",
        )
        for r in per_face(model, mask, span, extreme="max")
    ]
