"""DXF reader: closed 2D profiles in model space, extruded into plates.

DXF is a 2D drawing exchange format (AutoCAD). What it carries that we use:

* the header variable ``$INSUNITS`` (the drawing unit: 1 inch, 2 foot, 4 mm, 5 cm,
  6 m, ...; 0 means unitless, and the unit is then requested or inferred);
* closed curves in **model space** (paper-space layouts are ignored):
  closed ``LWPOLYLINE`` and 2D ``POLYLINE`` (straight segments and bulge arcs,
  rebuilt as exact circular arcs), ``CIRCLE`` and full ``ELLIPSE`` (exact), and
  closed ``SPLINE`` (through ezdxf's path: a chain of cubic Béziers, which reproduces
  a non-rational cubic spline and approximates other splines closely but not exactly;
  an ellipse through that path was 3e-4 off in area, which is why ellipses are built
  exactly), and loops chained from ``LINE`` and ``ARC`` entities whose
  ends meet (within :data:`CHAIN_TOLERANCE` of the drawing's size). Block references
  (``INSERT``) are exploded into their entities, transformed, first.

Every closed loop becomes a wire in the XY plane (z is dropped: a DXF profile is
taken as flat). Loops are nested by containment: a loop inside an odd number of
others is a hole of the smallest loop around it; the others are outer boundaries,
each a face with its holes. Each face is extruded along +Z by the requested thickness
(``UPLOAD_DXF_THICKNESS_REQUIRED`` without it). Profiles must not cross each other;
crossing outlines give overlapping solids. Everything else (text, dimensions,
hatches, points, open curves) is ignored and counted in a warning; a
drawing without any closed profile is ``UPLOAD_DXF_NO_CLOSED_PROFILE``.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.errors import ValidationError

__all__ = [
    "CHAIN_TOLERANCE",
    "INSUNITS",
    "DxfProfiles",
    "Loop",
    "extrude_profiles",
    "read_dxf_profiles",
]

INSUNITS: dict[int, str] = {
    1: "in",
    2: "ft",
    4: "mm",
    5: "cm",
    6: "m",
    8: "uin",
    9: "mil",
    10: "yd",
    13: "um",
}
"""``$INSUNITS`` codes we convert, and their unit."""

CHAIN_TOLERANCE = 1e-6
"""LINE/ARC ends closer than this fraction of the drawing's size are joined."""

_SAMPLES_PER_CURVE = 16
_MAX_BLOCK_DEPTH = 8

Point = tuple[float, float]
# A segment: ("line", p0, p1), ("arc", p0, mid, p1), ("circle", centre, (r, 0)),
# ("ellipse", centre, major_axis, (ratio, 0)), ("bezier", p0, c1, ..., pn).
Segment = tuple[Any, ...]


@dataclass
class Loop:
    """One closed profile curve, in drawing units.

    Args:
        segments: its pieces, end to end.
        polygon: ``(k, 2)`` points along it (for areas and containment).
        source: the DXF entity type(s) it came from.
    """

    segments: list[Segment]
    polygon: npt.NDArray[np.float64]
    source: str

    @property
    def area(self) -> float:
        """Signed area of the polygon (counter-clockwise positive)."""
        x, y = self.polygon[:, 0], self.polygon[:, 1]
        return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


@dataclass
class DxfProfiles:
    """The closed profiles of a drawing and what was left out.

    Args:
        loops: every closed loop.
        units: the unit ``$INSUNITS`` names, or ``None`` (unitless).
        insunits: the raw ``$INSUNITS`` value.
        ignored: entity type → count of entities not used.
    """

    loops: list[Loop]
    units: str | None
    insunits: int
    ignored: dict[str, int] = field(default_factory=dict)

    @property
    def extent(self) -> float:
        """The largest side of the profiles' bounding box, in drawing units."""
        points = np.concatenate([loop.polygon for loop in self.loops])
        return float((points.max(axis=0) - points.min(axis=0)).max())


def _corrupt(reason: str) -> ValidationError:
    return ValidationError("UPLOAD_CORRUPT_FILE", details={"format": "dxf", "reason": reason})


def _bulge_mid(p0: Point, p1: Point, bulge: float) -> Point:
    # The arc's middle lies off the chord's midpoint by the sagitta, to the right of
    # p0→p1 for a counter-clockwise (positive) bulge.
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    return ((p0[0] + p1[0]) / 2 + bulge * dy / 2, (p0[1] + p1[1]) / 2 - bulge * dx / 2)


def _sample(segment: Segment) -> list[Point]:
    kind = segment[0]
    if kind == "line":
        return [segment[1]]
    if kind == "circle":
        (cx, cy), (r, _) = segment[1], segment[2]
        angles = np.linspace(0, 2 * math.pi, 4 * _SAMPLES_PER_CURVE, endpoint=False)
        return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]
    if kind == "ellipse":
        (cx, cy), (ux, uy), ratio = segment[1], segment[2], segment[3][0]
        angles = np.linspace(0, 2 * math.pi, 4 * _SAMPLES_PER_CURVE, endpoint=False)
        return [
            (
                cx + ux * math.cos(t) - ratio * uy * math.sin(t),
                cy + uy * math.cos(t) + ratio * ux * math.sin(t),
            )
            for t in angles
        ]
    if kind == "arc":
        p0, mid, p1 = (np.array(p) for p in segment[1:4])
        centre, radius = _circle_through(p0, mid, p1)
        a0 = math.atan2(*(p0 - centre)[::-1])
        am = math.atan2(*(mid - centre)[::-1])
        a1 = math.atan2(*(p1 - centre)[::-1])
        sweep_ccw = (a1 - a0) % (2 * math.pi)
        ccw = (am - a0) % (2 * math.pi) < sweep_ccw
        sweep = sweep_ccw if ccw else sweep_ccw - 2 * math.pi
        angles = a0 + sweep * np.arange(_SAMPLES_PER_CURVE) / _SAMPLES_PER_CURVE
        return [
            (centre[0] + radius * math.cos(a), centre[1] + radius * math.sin(a)) for a in angles
        ]
    controls = np.array(segment[1:], dtype=np.float64)
    n = len(controls) - 1
    ts = np.arange(_SAMPLES_PER_CURVE) / _SAMPLES_PER_CURVE
    weights = np.array(
        [[math.comb(n, k) * t**k * (1 - t) ** (n - k) for k in range(n + 1)] for t in ts]
    )
    return [tuple(p) for p in (weights @ controls).tolist()]


def _circle_through(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, float]:
    d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
    if abs(d) < 1e-300:
        raise _corrupt("an arc's three points are collinear")
    sa, sb, sc = a @ a, b @ b, c @ c
    ux = (sa * (b[1] - c[1]) + sb * (c[1] - a[1]) + sc * (a[1] - b[1])) / d
    uy = (sa * (c[0] - b[0]) + sb * (a[0] - c[0]) + sc * (b[0] - a[0])) / d
    centre = np.array([ux, uy])
    return centre, float(np.linalg.norm(a - centre))


def _loop(segments: list[Segment], source: str) -> Loop:
    points: list[Point] = []
    for segment in segments:
        points.extend(_sample(segment))
    return Loop(segments, np.array(points, dtype=np.float64).reshape(-1, 2), source)


def _polyline_loop(points: list[tuple[float, float, float]], source: str) -> Loop | None:
    if len(points) > 1 and math.dist(points[0][:2], points[-1][:2]) == 0.0:
        points = points[:-1]
    if len(points) < 2:
        return None
    segments: list[Segment] = []
    for i, (x, y, bulge) in enumerate(points):
        nx, ny, _ = points[(i + 1) % len(points)]
        p0, p1 = (x, y), (nx, ny)
        if p0 == p1:
            continue
        if abs(bulge) > 1e-12:
            segments.append(("arc", p0, _bulge_mid(p0, p1, bulge), p1))
        else:
            segments.append(("line", p0, p1))
    if len(segments) < 2 and not (segments and segments[0][0] == "arc"):
        return None
    return _loop(segments, source)


def _path_loop(entity: Any, source: str) -> Loop | None:
    from ezdxf import path as ezpath
    from ezdxf.path.commands import Curve3To, Curve4To, LineTo

    path = ezpath.make_path(entity)
    if not path.is_closed or len(path) == 0:
        return None
    segments: list[Segment] = []
    start = (path.start.x, path.start.y)
    for command in path.commands():
        end = (command.end.x, command.end.y)
        if isinstance(command, LineTo):
            segments.append(("line", start, end))
        elif isinstance(command, Curve3To):
            segments.append(("bezier", start, (command.ctrl.x, command.ctrl.y), end))
        elif isinstance(command, Curve4To):
            c1, c2 = command.ctrl1, command.ctrl2
            segments.append(("bezier", start, (c1.x, c1.y), (c2.x, c2.y), end))
        else:  # MoveTo: a second sub-path; not one closed loop
            return None
        start = end
    segments = [s for s in segments if s[1] != s[-1] or s[0] == "bezier"]
    return _loop(segments, source) if segments else None


def _is_plain_ocs(entity: Any) -> bool:
    extrusion = entity.dxf.get("extrusion", (0.0, 0.0, 1.0))
    return abs(extrusion[2] - 1.0) < 1e-12


def _is_full(ellipse: Any) -> bool:
    sweep = (float(ellipse.dxf.end_param) - float(ellipse.dxf.start_param)) % (2 * math.pi)
    return abs(sweep) < 1e-12 or abs(sweep - 2 * math.pi) < 1e-12


def _entity_loop(entity: Any) -> Loop | None:
    kind = entity.dxftype()
    if kind == "LWPOLYLINE":
        if not _is_plain_ocs(entity):
            return _path_loop(entity, kind) if entity.closed else None
        points = [(float(x), float(y), float(b)) for x, y, b in entity.get_points("xyb")]
        closed = entity.closed or (len(points) > 2 and points[0][:2] == points[-1][:2])
        return _polyline_loop(points, kind) if closed else None
    if kind == "POLYLINE":
        if entity.is_poly_face_mesh or entity.is_polygon_mesh:
            return None
        points = [
            (float(v.dxf.location.x), float(v.dxf.location.y), float(v.dxf.get("bulge", 0.0)))
            for v in entity.vertices
        ]
        closed = entity.is_closed or (len(points) > 2 and points[0][:2] == points[-1][:2])
        if not closed:
            return None
        return _polyline_loop(points, kind) if _is_plain_ocs(entity) else _path_loop(entity, kind)
    if kind == "CIRCLE":
        if not _is_plain_ocs(entity):
            return _path_loop(entity, kind)
        centre = (float(entity.dxf.center.x), float(entity.dxf.center.y))
        radius = float(entity.dxf.radius)
        if radius <= 0:
            return None
        return _loop([("circle", centre, (radius, 0.0))], kind)
    if kind == "ELLIPSE" and _is_plain_ocs(entity) and _is_full(entity):
        centre = (float(entity.dxf.center.x), float(entity.dxf.center.y))
        major = (float(entity.dxf.major_axis.x), float(entity.dxf.major_axis.y))
        return _loop([("ellipse", centre, major, (float(entity.dxf.ratio), 0.0))], kind)
    if kind in ("ELLIPSE", "SPLINE"):
        return _path_loop(entity, kind)
    return None


def _chain(pieces: list[tuple[Segment, str]], size: float) -> tuple[list[Loop], int]:
    """Join LINE/ARC pieces whose ends meet into closed loops; count the rest."""
    tolerance = max(size, 1.0) * CHAIN_TOLERANCE

    def key(p: Point) -> tuple[int, int]:
        return (round(p[0] / tolerance), round(p[1] / tolerance))

    ends: dict[tuple[int, int], list[int]] = {}
    for index, (segment, _) in enumerate(pieces):
        for point in (segment[1], segment[-1]):
            ends.setdefault(key(point), []).append(index)
    used = [False] * len(pieces)
    loops: list[Loop] = []
    for start in range(len(pieces)):
        if used[start]:
            continue
        chain = [pieces[start][0]]
        used[start] = True
        first, current = key(chain[0][1]), key(chain[0][-1])
        while current != first:
            candidates = [i for i in ends.get(current, []) if not used[i]]
            if len(candidates) != 1:
                break
            nxt = pieces[candidates[0]][0]
            used[candidates[0]] = True
            if key(nxt[1]) != current:
                nxt = (nxt[0], *reversed(nxt[1:]))
            chain.append(nxt)
            current = key(nxt[-1])
        if current == first:
            loops.append(_loop(chain, "LINE/ARC"))
    chained = sum(len(loop.segments) for loop in loops)
    return loops, len(pieces) - chained


def _line_arc_piece(entity: Any) -> Segment | None:
    kind = entity.dxftype()
    if kind == "LINE":
        p0 = (float(entity.dxf.start.x), float(entity.dxf.start.y))
        p1 = (float(entity.dxf.end.x), float(entity.dxf.end.y))
        return ("line", p0, p1) if p0 != p1 else None
    if kind == "ARC" and _is_plain_ocs(entity):
        c, r = entity.dxf.center, float(entity.dxf.radius)
        a0, a1 = math.radians(entity.dxf.start_angle), math.radians(entity.dxf.end_angle)
        if (a1 - a0) % (2 * math.pi) == 0:
            return ("circle", (float(c.x), float(c.y)), (r, 0.0))
        am = a0 + ((a1 - a0) % (2 * math.pi)) / 2
        return (
            "arc",
            (c.x + r * math.cos(a0), c.y + r * math.sin(a0)),
            (c.x + r * math.cos(am), c.y + r * math.sin(am)),
            (c.x + r * math.cos(a1), c.y + r * math.sin(a1)),
        )
    return None


def _flatten(entities: Any, depth: int) -> Any:
    """Model-space entities with block references (INSERT) replaced by their content."""
    for entity in entities:
        if entity.dxftype() == "INSERT" and depth < _MAX_BLOCK_DEPTH:
            try:
                inner = list(entity.virtual_entities())
            except Exception:  # an unexplodable block is ignored, and counted
                yield entity
                continue
            yield from _flatten(inner, depth + 1)
        else:
            yield entity


def read_dxf_profiles(data: bytes) -> DxfProfiles:
    """Read the closed profiles of a DXF drawing's model space.

    Raises:
        ValidationError: ``UPLOAD_TRUNCATED_FILE``, ``UPLOAD_CORRUPT_FILE``,
            ``UPLOAD_UNITS_UNKNOWN`` or ``UPLOAD_DXF_NO_CLOSED_PROFILE``.
    """
    from ezdxf import recover
    from ezdxf.lldxf.const import DXFError

    if not data.startswith(b"AutoCAD Binary DXF"):
        tail = data.rstrip()[-16:].split()
        if not tail or tail[-1] != b"EOF":
            raise ValidationError(
                "UPLOAD_TRUNCATED_FILE",
                details={"format": "dxf", "reason": "the EOF marker is missing at the end"},
            )
    try:
        doc, _auditor = recover.read(io.BytesIO(data))
    except (DXFError, ValueError, UnicodeError, IndexError, KeyError, TypeError) as exc:
        raise _corrupt(f"{type(exc).__name__}: {exc}") from exc
    insunits = int(doc.header.get("$INSUNITS", 0) or 0)
    units = INSUNITS.get(insunits)
    if insunits and units is None:
        raise ValidationError(
            "UPLOAD_UNITS_UNKNOWN", details={"format": "dxf", "unit": f"$INSUNITS={insunits}"}
        )
    loops: list[Loop] = []
    pieces: list[tuple[Segment, str]] = []
    ignored: dict[str, int] = {}
    open_count = 0
    for entity in _flatten(doc.modelspace(), 0):
        kind = entity.dxftype()
        try:
            piece = _line_arc_piece(entity) if kind in ("LINE", "ARC") else None
            loop = None if piece else _entity_loop(entity)
        except (ValueError, ZeroDivisionError, AttributeError) as exc:
            raise _corrupt(f"{kind}: {exc}") from exc
        if piece is not None:
            if piece[0] == "circle":
                loops.append(_loop([piece], "ARC"))
            else:
                pieces.append((piece, kind))
        elif loop is not None:
            loops.append(loop)
        else:
            ignored[kind] = ignored.get(kind, 0) + 1
            if kind in ("LWPOLYLINE", "POLYLINE", "SPLINE", "ELLIPSE"):
                open_count += 1
    if pieces:
        coords = np.array([p for seg, _ in pieces for p in (seg[1], seg[-1])])
        chained, left = _chain(pieces, float((coords.max(axis=0) - coords.min(axis=0)).max()))
        loops.extend(chained)
        if left:
            ignored["LINE/ARC (open chain)"] = left
            open_count += left
    loops = [loop for loop in loops if abs(loop.area) > 0.0]
    if not loops:
        raise ValidationError("UPLOAD_DXF_NO_CLOSED_PROFILE", details={"open_count": open_count})
    return DxfProfiles(loops, units, insunits, dict(sorted(ignored.items())))


def _inside(point: np.ndarray, polygon: np.ndarray) -> bool:
    x, y = point
    xs, ys = polygon[:, 0], polygon[:, 1]
    xn, yn = np.roll(xs, -1), np.roll(ys, -1)
    crosses = (ys > y) != (yn > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = xs + (y - ys) * (xn - xs) / (yn - ys)
    return bool((crosses & (x < at)).sum() % 2)


def _nest(loops: list[Loop]) -> list[int]:
    areas = [abs(loop.area) for loop in loops]
    parent = []
    for i, loop in enumerate(loops):
        point = loop.polygon[0]
        around = [
            j
            for j, other in enumerate(loops)
            if j != i and areas[j] > areas[i] and _inside(point, other.polygon)
        ]
        parent.append(-1 if len(around) % 2 == 0 else min(around, key=lambda j: areas[j]))
    return parent


def _edge(segment: Segment, factor: float) -> Any:
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeEdge
    from OCP.collections import Array1_gp_Pnt as TColgp_Array1OfPnt
    from OCP.GC import GC_MakeArcOfCircle
    from OCP.Geom import Geom_BezierCurve
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Elips, gp_Pnt

    def pnt(p: Point) -> gp_Pnt:
        return gp_Pnt(p[0] * factor, p[1] * factor, 0.0)

    kind = segment[0]
    if kind == "line":
        return BRepBuilderAPI_MakeEdge(pnt(segment[1]), pnt(segment[2])).Edge()
    if kind == "arc":
        arc = GC_MakeArcOfCircle(pnt(segment[1]), pnt(segment[2]), pnt(segment[3])).Value()
        return BRepBuilderAPI_MakeEdge(arc).Edge()
    if kind == "circle":
        axis = gp_Ax2(pnt(segment[1]), gp_Dir(0, 0, 1))
        return BRepBuilderAPI_MakeEdge(gp_Circ(axis, segment[2][0] * factor)).Edge()
    if kind == "ellipse":
        (ux, uy), ratio = segment[2], segment[3][0]
        major = math.hypot(ux, uy)
        axis = gp_Ax2(pnt(segment[1]), gp_Dir(0, 0, 1), gp_Dir(ux / major, uy / major, 0))
        ellipse = gp_Elips(axis, major * factor, major * ratio * factor)
        return BRepBuilderAPI_MakeEdge(ellipse).Edge()
    poles = TColgp_Array1OfPnt(1, len(segment) - 1)
    for index, point in enumerate(segment[1:], start=1):
        poles.SetValue(index, pnt(point))
    return BRepBuilderAPI_MakeEdge(Geom_BezierCurve(poles)).Edge()


def _wire(loop: Loop, factor: float, counter_clockwise: bool) -> Any:
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeWire
    from OCP.TopoDS import TopoDS

    maker = BRepBuilderAPI_MakeWire()
    for segment in loop.segments:
        maker.Add(_edge(segment, factor))
        if not maker.IsDone():
            raise _corrupt(f"the pieces of a {loop.source} profile do not join end to end")
    wire = maker.Wire()
    if (loop.area > 0) != counter_clockwise:
        wire = TopoDS.Wire(wire.Reversed())
    return wire


def extrude_profiles(profiles: DxfProfiles, factor: float, thickness_mm: float) -> Any:
    """Make plates: every outer profile with its holes, extruded along +Z.

    Args:
        profiles: from :func:`read_dxf_profiles`.
        factor: millimetres per drawing unit.
        thickness_mm: the extrusion length.

    Returns:
        A solid, or a compound of solids, in millimetres.
    """
    from OCP.BRep import BRep_Builder
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.gp import gp_Dir, gp_Pln, gp_Pnt, gp_Vec
    from OCP.TopoDS import TopoDS_Compound

    parent = _nest(profiles.loops)
    plane = gp_Pln(gp_Pnt(0, 0, 0), gp_Dir(0, 0, 1))
    solids = []
    for index, loop in enumerate(profiles.loops):
        if parent[index] >= 0:
            continue
        maker = BRepBuilderAPI_MakeFace(plane, _wire(loop, factor, True), True)
        for hole, owner in enumerate(parent):
            if owner == index:
                maker.Add(_wire(profiles.loops[hole], factor, False))
        if not maker.IsDone():
            raise _corrupt(f"a face could not be made from a {loop.source} profile")
        prism = BRepPrimAPI_MakePrism(maker.Face(), gp_Vec(0, 0, thickness_mm))
        solids.append(prism.Shape())
    if len(solids) == 1:
        return solids[0]
    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    for solid in solids:
        builder.Add(compound, solid)
    return compound
