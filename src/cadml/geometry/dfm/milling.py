"""CNC milling rules: internal vertical corners and deep, narrow pockets.

**Internal corners.** A 3-axis end mill of diameter ``D`` moving along ±Z cannot cut an
internal vertical corner tighter than ``D/2``. Edges are classified convex/concave by
OCCT's ``BRepOffset_Analyse`` (the angle between the adjacent faces' normals); a
straight concave edge within 1° of Z is a sharp internal corner (error). A concave
cylindrical face (material outside it) with its axis within 1° of Z and a radius below
``D/2`` is an internal fillet too small for the tool (warning: a smaller tool can cut
it, slowly). Cylinders that close a full circle (the coaxial faces of one radius span
360°) are holes, which are drilled, and are left out.

**Deep pockets.** A pocket floor is a planar face facing +Z (or -Z, for the second
setup) below the stock top (the part's bounding box). From its samples (at most 64 per
face) horizontal rays go out along four axes 45° apart; the free width above a sample
is the smallest sum of an opposite pair in which both rays hit a wall, and the pocket's
width is the *largest* free width over the floor (near a corner every sample sees a
short chord across the corner). A floor with an open side at its widest point is a
step, not a pocket; a floor ringed by a hole's wall is a drilled hole's bottom. Depth
(floor to stock top) over width above ``pocket_depth_ratio`` is a warning.

Limits: the depth is measured to the stock top, so a narrow pocket at the bottom of a
wide one reads as deeper than its own walls (conservative); curved floors are not
checked; the width is up to 8 % too large for a slot running between two ray axes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.geometry.dfm.context import CheckContext
from cadml.geometry.dfm.report import Finding
from cadml.geometry.dfm.texts import make_finding

__all__ = ["check_deep_pockets", "check_internal_corners"]

_AXIS_COS = math.cos(math.radians(1.0))
_Z = np.array([0.0, 0.0, 1.0])
_FLOOR_SAMPLES = 64


def _indexed_map(shape: Any, kind: Any) -> Any:
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as IndexedMap
    from OCP.TopExp import TopExp

    mapping = IndexedMap()
    TopExp.MapShapes_s(shape, kind, mapping)
    return mapping


def _sharp_vertical_edges(ctx: CheckContext) -> list[Finding]:
    from OCP.BRepAdaptor import BRepAdaptor_Curve
    from OCP.BRepOffset import BRepOffset_Analyse
    from OCP.ChFiDS import ChFiDS_Concave
    from OCP.collections import (
        IndexedDataMap_TopoDS_Shape_List_TopoDS_Shape_TopTools_ShapeMapHasher as Ancestors,
    )
    from OCP.GeomAbs import GeomAbs_Line
    from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE
    from OCP.TopExp import TopExp
    from OCP.TopoDS import TopoDS

    shape = ctx.model.shape
    analyse = BRepOffset_Analyse(shape, 0.01)
    edges = _indexed_map(shape, TopAbs_EDGE)
    faces = _indexed_map(shape, TopAbs_FACE)
    ancestors = Ancestors()
    TopExp.MapShapesAndAncestors_s(shape, TopAbs_EDGE, TopAbs_FACE, ancestors)
    radius = 0.5 * ctx.options.tool_diameter_mm
    findings: list[Finding] = []
    for index in range(1, edges.Extent() + 1):
        edge = TopoDS.Edge(edges.FindKey(index))
        curve = BRepAdaptor_Curve(edge)
        if curve.GetType() != GeomAbs_Line:
            continue
        direction = np.array(curve.Line().Direction().Coord())
        if abs(float(direction @ _Z)) < _AXIS_COS:
            continue
        if not any(i.Type() == ChFiDS_Concave for i in analyse.Type(edge)):
            continue
        mid = curve.Value(0.5 * (curve.FirstParameter() + curve.LastParameter())).Coord()
        adjacent = [faces.FindIndex(f) - 1 for f in ancestors.FindFromKey(edge)]
        findings.append(
            make_finding(
                ctx.prefix,
                "internal_corner_sharp",
                "error",
                faces=adjacent,
                points=[mid],
                measured=0.0,
                limit=radius,
                unit="mm",
                tool=ctx.options.tool_diameter_mm,
            )
        )
    return findings


def _vertical_concave_cylinders(ctx: CheckContext) -> tuple[list[int], set[int]]:
    """Concave cylinders with a vertical axis, and those of them that form holes.

    Coaxial concave cylinders of one radius whose spans add up to 360° are a hole
    (drilled, not milled).
    """
    model = ctx.model
    spans: dict[tuple[float, float, float], float] = {}
    keys: dict[int, tuple[float, float, float]] = {}
    for fid, info in enumerate(model.info):
        if info.kind != "cylinder" or not info.concave or info.axis_dir is None:
            continue
        if abs(float(np.array(info.axis_dir) @ _Z)) < _AXIS_COS or info.radius_mm is None:
            continue
        assert info.axis_point is not None
        key = (
            round(float(info.axis_point[0]), 4),
            round(float(info.axis_point[1]), 4),
            round(float(info.radius_mm), 6),
        )
        keys[fid] = key
        spans[key] = spans.get(key, 0.0) + info.u_span
    holes = {fid for fid, key in keys.items() if spans[key] >= 2.0 * math.pi - 1e-6}
    return sorted(keys), holes


def _small_fillets(ctx: CheckContext) -> list[Finding]:
    model = ctx.model
    radius = 0.5 * ctx.options.tool_diameter_mm
    cylinders, holes = _vertical_concave_cylinders(ctx)
    findings: list[Finding] = []
    for fid in cylinders:
        info = model.info[fid]
        if fid in holes or info.radius_mm is None or info.radius_mm >= radius - 1e-9:
            continue
        rows = np.nonzero(model.sample_face == fid)[0][:1]
        findings.append(
            make_finding(
                ctx.prefix,
                "internal_corner_small",
                "warning",
                faces=[fid],
                points=model.points[rows].tolist(),
                measured=info.radius_mm,
                limit=radius,
                unit="mm",
                tool=ctx.options.tool_diameter_mm,
            )
        )
    return findings


def check_internal_corners(ctx: CheckContext) -> list[Finding]:
    """Sharp (error) and too-small (warning) internal vertical corners."""
    findings = _sharp_vertical_edges(ctx) + _small_fillets(ctx)
    ctx.stats["internal_corners_flagged"] = len(findings)
    return findings


def _free_widths(
    ctx: CheckContext, rows: npt.NDArray[np.int64], up: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Horizontal free width above each floor sample (``inf`` where a side is open).

    The width at a sample is the smallest sum of an opposite ray pair (four axes 45°
    apart, lifted just off the floor) in which both rays hit a wall. Also returns the
    ``(rows, 8)`` face ids the rays hit (-1 for a miss).
    """
    model = ctx.model
    lift = (2.0 * model.deflection_mm + 1e-3) * (1.0 if up > 0 else -1.0)
    origins = model.points[rows] + lift * _Z
    reach = []
    walls = []
    for k in range(8):
        angle = math.radians(45.0 * k)
        direction = np.array([math.cos(angle), math.sin(angle), 0.0])
        t, tri = model.ray_tree.cast(origins, np.broadcast_to(direction, origins.shape), 0.0)
        reach.append(t)
        walls.append(np.where(tri >= 0, model.ray_face[np.maximum(tri, 0)], -1))
    pairs = np.stack([reach[k] + reach[k + 4] for k in range(4)], axis=1)
    return pairs.min(axis=1), np.stack(walls, axis=1)


def check_deep_pockets(ctx: CheckContext) -> list[Finding]:
    """Pockets deeper than ``pocket_depth_ratio`` times their width (warnings)."""
    model = ctx.model
    limit = ctx.options.pocket_depth_ratio
    top = float(model.bbox_max[2])
    bottom = float(model.bbox_min[2])
    findings: list[Finding] = []
    worst = 0.0
    _, holes = _vertical_concave_cylinders(ctx)
    for fid, info in enumerate(model.info):
        if info.normal is None or abs(info.normal[2]) < _AXIS_COS:
            continue
        up = info.normal[2]
        rows = np.nonzero(model.sample_face == fid)[0]
        if rows.size == 0:
            continue
        z = float(model.points[rows[0], 2])
        depth = top - z if up > 0 else z - bottom
        if depth <= 1e-6 + 2.0 * model.deflection_mm:
            continue
        rows = rows[:: max(1, -(-rows.size // _FLOOR_SAMPLES))]
        widths, walls = _free_widths(ctx, rows, up)
        # Not the narrowest point (a corner reads as a short chord) but the widest.
        widest = int(np.lexsort((rows, -widths))[0])
        width = float(widths[widest])
        if not math.isfinite(width) or width <= 0.0:
            continue  # open to a side: a step, not a pocket
        if set(walls[widest].tolist()) <= holes:
            continue  # the bottom of a blind hole: drilled
        ratio = depth / width
        worst = max(worst, ratio)
        if ratio <= limit:
            continue
        findings.append(
            make_finding(
                ctx.prefix,
                "deep_pocket",
                "warning",
                faces=[fid],
                points=[model.points[rows[widest]]],
                measured=ratio,
                limit=limit,
                unit="ratio",
                depth=depth,
                width=width,
            )
        )
    ctx.stats["max_pocket_depth_ratio"] = worst
    return findings
