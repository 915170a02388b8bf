"""Wall rules: minimum wall, minimum printable feature and uniform wall (moulding).

All three read the ray wall thickness of :mod:`cadml.geometry.dfm.thickness`. The
minimum-wall rules count opposing readings only (the surface hit faces the sample), so
knife edges and acute corners are not reported as thin walls. One finding per face,
carrying the face's thinnest reading and where it was measured.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cadml.geometry.dfm.context import CheckContext, per_face
from cadml.geometry.dfm.options import min_feature_mm
from cadml.geometry.dfm.report import Finding
from cadml.geometry.dfm.texts import make_finding
from cadml.geometry.dfm.thickness import thickest_section

__all__ = ["check_min_feature", "check_min_wall", "check_wall_uniformity", "wall_stats"]


def _weighted_percentile(
    values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], q: float
) -> float:
    order = np.lexsort((np.arange(values.size), values))
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1]))
    return float(values[order][min(index, values.size - 1)])


def wall_stats(ctx: CheckContext) -> None:
    """Record the minimum wall and the area-weighted wall distribution in the stats."""
    wall = ctx.wall.wall_mm
    finite = np.isfinite(wall)
    if not finite.any():
        return
    values = wall[finite]
    weights = ctx.model.weights[finite]
    walls = finite & ctx.wall.opposing
    if walls.any():
        ctx.stats["min_wall_mm"] = float(wall[walls].min())
    ctx.stats["wall_distribution_mm"] = {
        f"p{int(q * 100):02d}": _weighted_percentile(values, weights, q)
        for q in (0.05, 0.25, 0.5, 0.75, 0.95)
    }


def _thin_findings(
    ctx: CheckContext,
    mask: npt.NDArray[np.bool_],
    text: str,
    severity: str,
    limit: float,
) -> list[Finding]:
    wall = ctx.wall.wall_mm
    return [
        make_finding(
            ctx.prefix,
            text,
            severity,
            faces=[r.face],
            points=r.points,
            measured=r.value,
            limit=limit,
            unit="mm",
            material=ctx.material_id,
        )
        for r in per_face(ctx.model, mask, wall)
    ]


def check_min_wall(ctx: CheckContext, severity: str = "error") -> list[Finding]:
    """Walls thinner than the minimum wall in force.

    For printing, readings already below the minimum feature are left to
    :func:`check_min_feature`, so one thin spot is reported once.
    """
    wall = ctx.wall.wall_mm
    mask = np.isfinite(wall) & ctx.wall.opposing & (wall < ctx.min_wall_mm)
    if ctx.process in ("fdm_printing", "sla_printing"):
        mask &= wall >= min_feature_mm(ctx.process, ctx.options)
    return _thin_findings(ctx, mask, "min_wall", severity, ctx.min_wall_mm)


def check_min_feature(ctx: CheckContext) -> list[Finding]:
    """Printing: walls and pins thinner than the nozzle/laser can make (errors)."""
    limit = min_feature_mm(ctx.process, ctx.options)
    wall = ctx.wall.wall_mm
    mask = np.isfinite(wall) & ctx.wall.opposing & (wall < limit)
    return _thin_findings(ctx, mask, "min_feature", "error", limit)


def check_wall_uniformity(ctx: CheckContext) -> list[Finding]:
    """Moulding: thickest section over nominal wall above ``max_wall_ratio`` (warning).

    The nominal wall is the area-weighted median of the ray wall thickness: robust to
    the short readings near acute edges and to the long ones across a part's ends.
    """
    model = ctx.model
    wall = ctx.wall
    finite = np.nonzero(np.isfinite(wall.wall_mm))[0]
    if finite.size == 0:
        return []
    thick, at = thickest_section(model, wall)
    nominal = _weighted_percentile(wall.wall_mm[finite], model.weights[finite], 0.5)
    ratio = thick / nominal if nominal > 0 else float("inf")
    ctx.stats["thickest_section_mm"] = thick
    ctx.stats["nominal_wall_mm"] = nominal
    ctx.stats["wall_ratio"] = ratio
    limit = ctx.options.max_wall_ratio
    if ratio <= limit:
        return []
    return [
        make_finding(
            ctx.prefix,
            "wall_uniformity",
            "warning",
            faces=[int(model.sample_face[at])],
            points=[model.points[at]],
            measured=ratio,
            limit=limit,
            unit="ratio",
            thick=thick,
            nominal=nominal,
        )
    ]
