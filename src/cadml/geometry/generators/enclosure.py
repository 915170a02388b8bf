"""The ``enclosure`` family: an open-topped shelled box with a lid rebate and corner bosses.

Frame: the box spans ``0..length`` in X, ``0..width`` in Y and ``0..height`` in Z, its
outside corner at the origin, its floor on the XY plane and its opening at the top.
The four vertical outside edges are rounded with ``R = corner_radius`` (0 = sharp).
The floor and the side walls are ``wall_thickness`` (``wt``) thick.

Outlines: the outline inset by ``d`` is the rectangle ``d..length-d x d..width-d`` with
corner radius ``max(R - d, 0)``. The outside is the outline at ``d = 0``, the cavity the
outline at ``d = wt`` (so the walls are uniform where ``R > wt``; with ``R <= wt`` the
cavity's corners are sharp).

Lid lip: an inside rebate at the opening for a lid to sit in. Over the top
``lip_height`` the walls are thinned from the inside by ``lip_width``, i.e. the opening
is the outline inset by ``wt - lip_width``; a lid of that outline rests on the ledge at
``z = height - lip_height``. Either value 0 means no lip.

Bosses: ``boss_count`` (0..4) screw bosses stand on the floor in the inside corners, in
the order (min X, min Y), (max X, max Y), (max X, min Y), (min X, max Y), so two bosses
sit diagonally. A boss is a cylinder of ``boss_diameter`` (``D``) touching both walls of
its corner, merged into the corner: its footprint is the square from the cavity's corner
to the cylinder's axis plus the cylinder, i.e. the cavity corner is replaced by a 270°
arc. It rises ``boss_height`` above the floor and has a blind pilot hole of
``boss_hole_diameter`` down to the floor (0 for none).

Rules (``m = material.min_wall_mm``): ``wt >= m``; ``R`` at most half the narrower
side; the cavity at least ``m`` in X, Y and depth (below the ledge); the wall beside the
lip at least ``m``; a boss covers the cavity's corner arc (``D >= 2*(R - wt)``) and
leaves at least ``m`` between neighbouring bosses (``2*D + m <= min(length, width) -
2*wt``); the boss wall beside its hole at least ``m``; bosses no taller than the ledge.

Closed form (the tests' oracle), with ``A(d)`` the area of the outline inset by ``d``,
``rc = max(R - wt, 0)``, ``k`` bosses of radius ``rB``, height ``hb`` and hole radius
``rh``, and a lip ``lh x lw``::

    A(d)   = (length - 2*d)*(width - 2*d) - (4 - pi)*max(R - d, 0)**2
    volume = height*A(0) - (height - wt)*A(wt) - lh*(A(wt - lw) - A(wt))
             + k*hb*(rB**2*(1 + 3*pi/4) - (1 - pi/4)*rc**2 - pi*rh**2)

Examples:
    >>> values = {"length": 100.0, "width": 60.0, "height": 30.0,
    ...           "wall_thickness": 2.0, "corner_radius": 0.0, "lip_height": 0.0,
    ...           "lip_width": 0.0, "boss_count": 0, "boss_diameter": 8.0,
    ...           "boss_hole_diameter": 3.0, "boss_height": 10.0}
    >>> round(volume_mm3(values), 6)
    29472.0
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cadml.errors import GeometryError, ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.rule_errors import section_too_thin

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = [
    "BOSS_CORNERS",
    "NAME",
    "SPEC",
    "boss_centres",
    "build",
    "outline_area_mm2",
    "validate",
    "volume_mm3",
]

NAME = "enclosure"

BOSS_CORNERS = (0, 2, 1, 3)
"""Corners that receive bosses, in order (0 = min X min Y, then counter-clockwise)."""

_MAX_MM = 2000.0

_SNAP_MM = 1e-7
"""Heights closer than this (OCCT's confusion tolerance) are the same height."""

_PARAMETERS = (
    ParamSpec("length", "mm", 5.0, _MAX_MM, 120.0, "Outside size of the box along X."),
    ParamSpec("width", "mm", 5.0, _MAX_MM, 80.0, "Outside size of the box along Y."),
    ParamSpec("height", "mm", 2.0, _MAX_MM, 40.0, "Outside height of the box along Z."),
    ParamSpec("wall_thickness", "mm", 0.1, 100.0, 2.5, "Thickness of the walls and floor."),
    ParamSpec(
        "corner_radius",
        "mm",
        0.0,
        1000.0,
        6.0,
        "Outside radius of the four vertical edges; 0 for sharp corners.",
        required=False,
    ),
    ParamSpec(
        "lip_height",
        "mm",
        0.0,
        200.0,
        2.0,
        "Depth of the lid rebate at the opening; 0 for none.",
        required=False,
    ),
    ParamSpec(
        "lip_width",
        "mm",
        0.0,
        100.0,
        1.2,
        "How far the rebate thins the walls from the inside; 0 for none.",
        required=False,
    ),
    ParamSpec(
        "boss_count",
        "",
        0,
        4,
        4,
        "Number of screw bosses in the inside corners.",
        required=False,
        kind="integer",
    ),
    ParamSpec("boss_diameter", "mm", 0.1, 500.0, 8.0, "Diameter of each boss.", required=False),
    ParamSpec(
        "boss_hole_diameter",
        "mm",
        0.0,
        250.0,
        2.5,
        "Diameter of the blind pilot hole in each boss (2.5 mm suits an M3 screw); 0 for none.",
        required=False,
    ),
    ParamSpec(
        "boss_height",
        "mm",
        0.1,
        _MAX_MM,
        20.0,
        "Height of the bosses above the floor.",
        required=False,
    ),
)


def _round9(value: float) -> float:
    return round(value, 9) + 0.0


def _lip(values: ParamValues) -> tuple[float, float]:
    """``(lip_height, lip_width)``, both 0 when either is."""
    height, width = float(values["lip_height"]), float(values["lip_width"])
    return (height, width) if height > 0 and width > 0 else (0.0, 0.0)


def outline_area_mm2(values: ParamValues, inset: float) -> float:
    """Area of the outline inset by ``inset`` mm (see the module docstring)."""
    length, width = float(values["length"]), float(values["width"])
    radius = max(float(values["corner_radius"]) - inset, 0.0)
    return (length - 2.0 * inset) * (width - 2.0 * inset) - (4.0 - math.pi) * radius**2


def boss_centres(values: ParamValues) -> list[tuple[float, float]]:
    """The axes ``(x, y)`` of the bosses, in :data:`BOSS_CORNERS` order, mm.

    Examples:
        >>> boss_centres({"length": 50.0, "width": 40.0, "wall_thickness": 2.0,
        ...               "boss_count": 2, "boss_diameter": 6.0})
        [(5.0, 5.0), (45.0, 35.0)]
    """
    near = float(values["wall_thickness"]) + float(values["boss_diameter"]) / 2.0
    xs = (near, float(values["length"]) - near)
    ys = (near, float(values["width"]) - near)
    corners = ((xs[0], ys[0]), (xs[1], ys[0]), (xs[1], ys[1]), (xs[0], ys[1]))
    return [corners[c] for c in BOSS_CORNERS[: int(values["boss_count"])]]


def volume_mm3(values: ParamValues) -> float:
    """The enclosure's volume from the closed form in the module docstring, mm³."""
    height, wt = float(values["height"]), float(values["wall_thickness"])
    lip_height, lip_width = _lip(values)
    area = outline_area_mm2
    volume = height * area(values, 0.0) - (height - wt) * area(values, wt)
    volume -= lip_height * (area(values, wt - lip_width) - area(values, wt))
    rc = max(float(values["corner_radius"]) - wt, 0.0)
    boss_radius = float(values["boss_diameter"]) / 2.0
    hole_radius = float(values["boss_hole_diameter"]) / 2.0
    boss = (
        boss_radius**2 * (1.0 + 0.75 * math.pi)
        - (1.0 - math.pi / 4.0) * rc**2
        - math.pi * hole_radius**2
    )
    return volume + int(values["boss_count"]) * float(values["boss_height"]) * boss


def _check_cavity(values: ParamValues, material: Material) -> None:
    m = material.min_wall_mm
    wt = float(values["wall_thickness"])
    lip_height, _ = _lip(values)
    spans = (
        ("length", "X", float(values["length"]) - 2.0 * wt),
        ("width", "Y", float(values["width"]) - 2.0 * wt),
        ("lip_height" if lip_height else "height", "Z", float(values["height"]) - wt - lip_height),
    )
    for field, axis, cavity in spans:
        if _round9(cavity) < m:
            raise ValidationError(
                "VALIDATION_ENCLOSURE_CAVITY_TOO_SMALL",
                details={"field": field, "axis": axis, "cavity": _round9(cavity), "min": m},
            )


def _check_bosses(values: ParamValues, material: Material) -> None:
    if int(values["boss_count"]) == 0:
        return
    m = material.min_wall_mm
    wt = float(values["wall_thickness"])
    diameter = float(values["boss_diameter"])
    inner = min(float(values["length"]), float(values["width"])) - 2.0 * wt
    smallest = _round9(2.0 * max(float(values["corner_radius"]) - wt, 0.0))
    largest = _round9((inner - m) / 2.0)
    if not smallest <= diameter <= largest:
        raise ValidationError(
            "VALIDATION_BOSS_MISFIT",
            details={
                "field": "boss_diameter",
                "value": diameter,
                "min": smallest,
                "max": largest,
                "unit": "mm",
            },
        )
    hole = float(values["boss_hole_diameter"])
    wall = _round9((diameter - hole) / 2.0)
    if wall < m:
        raise ValidationError(
            "VALIDATION_WALL_TOO_THIN",
            details={
                "field": "boss_hole_diameter",
                "wall": wall,
                "min_wall": m,
                "material": material.id,
                "unit": "mm",
            },
        )
    boss_height = float(values["boss_height"])
    tallest = _round9(float(values["height"]) - wt - _lip(values)[0])
    if boss_height > tallest:
        raise ValidationError(
            "VALIDATION_BOSS_TOO_TALL",
            details={"field": "boss_height", "value": boss_height, "max": tallest, "unit": "mm"},
        )


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (ranges already checked).

    Args:
        values: canonical values (floats in mm, the boss count as an int).
        material: the resolved material of ``values["material"]``.

    Raises:
        ValidationError: ``VALIDATION_SECTION_TOO_THIN`` (wall, or the wall beside the
            lip), ``VALIDATION_CORNER_RADIUS_TOO_LARGE``,
            ``VALIDATION_ENCLOSURE_CAVITY_TOO_SMALL``, ``VALIDATION_BOSS_MISFIT``,
            ``VALIDATION_WALL_TOO_THIN`` (boss wall beside its hole) or
            ``VALIDATION_BOSS_TOO_TALL``; ``details["field"]`` names the parameter.
    """
    wt = float(values["wall_thickness"])
    if wt < material.min_wall_mm:
        raise section_too_thin("wall_thickness", wt, material)
    radius = float(values["corner_radius"])
    max_radius = min(float(values["length"]), float(values["width"])) / 2.0
    if radius > max_radius:
        raise ValidationError(
            "VALIDATION_CORNER_RADIUS_TOO_LARGE",
            details={"field": "corner_radius", "value": radius, "max": max_radius, "unit": "mm"},
        )
    _check_cavity(values, material)
    lip_height, lip_width = _lip(values)
    if lip_height and _round9(wt - lip_width) < material.min_wall_mm:
        raise section_too_thin("lip_width", _round9(wt - lip_width), material)
    _check_bosses(values, material)


def _loop(values: ParamValues, inset: float, z: float, bosses: tuple[int, ...] = ()) -> Any:
    """A counter-clockwise wire (seen from +Z) of the outline inset by ``inset`` at ``z``.

    The corners listed in ``bosses`` are replaced by the 270° arc of a boss.
    """
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeEdge, BRepBuilderAPI_MakeWire
    from OCP.GC import GC_MakeArcOfCircle
    from OCP.gp import gp_Pnt

    x0, x1 = inset, float(values["length"]) - inset
    y0, y1 = inset, float(values["width"]) - inset
    fillet = max(float(values["corner_radius"]) - inset, 0.0)
    boss = float(values["boss_diameter"]) / 2.0
    # Corner vertex, direction of travel into it and out of it, counter-clockwise.
    corners = (
        ((x0, y0), (0.0, -1.0), (1.0, 0.0)),
        ((x1, y0), (1.0, 0.0), (0.0, 1.0)),
        ((x1, y1), (0.0, 1.0), (-1.0, 0.0)),
        ((x0, y1), (-1.0, 0.0), (0.0, -1.0)),
    )
    # Per corner: (entry point, arc midpoint or None, exit point).
    pieces: list[tuple[tuple[float, float], tuple[float, float] | None, tuple[float, float]]] = []
    for index, ((vx, vy), (ix, iy), (ox, oy)) in enumerate(corners):
        reach = boss if index in bosses else fillet
        entry = (vx - reach * ix, vy - reach * iy)
        leave = (vx + reach * ox, vy + reach * oy)
        centre = (vx + reach * (ox - ix), vy + reach * (oy - iy))
        # Towards the vertex for a fillet, away from it (the 270° side) for a boss.
        sign = -1.0 if index in bosses else 1.0
        half = sign * reach * math.sqrt(0.5)
        middle = (centre[0] + half * (ix - ox), centre[1] + half * (iy - oy))
        pieces.append((entry, middle if reach > 0 else None, leave))
    wire = BRepBuilderAPI_MakeWire()
    for index, (entry, through, leave) in enumerate(pieces):
        if through is not None:
            arc = GC_MakeArcOfCircle(gp_Pnt(*entry, z), gp_Pnt(*through, z), gp_Pnt(*leave, z))
            wire.Add(BRepBuilderAPI_MakeEdge(arc.Value()).Edge())
        following = pieces[(index + 1) % 4][0]
        if math.dist(leave, following) > 1e-9:
            edge = BRepBuilderAPI_MakeEdge(gp_Pnt(*leave, z), gp_Pnt(*following, z))
            wire.Add(edge.Edge())
    return wire.Wire()


def _band(values: ParamValues, z0: float, z1: float, holes: list[Any]) -> Any:
    """The outside outline with ``holes`` (counter-clockwise wires) extruded z0..z1."""
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.gp import gp_Vec
    from OCP.TopoDS import TopoDS

    face = BRepBuilderAPI_MakeFace(_loop(values, 0.0, z0), True)
    for hole in holes:
        face.Add(TopoDS.Wire(hole.Reversed()))
    return BRepPrimAPI_MakePrism(face.Face(), gp_Vec(0.0, 0.0, z1 - z0)).Shape()


def _bands(values: ParamValues) -> list[Any]:
    """Slabs stacked along Z: floor, boss band, plain walls, lip band (empty ones left out)."""
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeEdge, BRepBuilderAPI_MakeWire
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pnt

    height, wt = float(values["height"]), float(values["wall_thickness"])
    lip_height, lip_width = _lip(values)
    ledge = height - lip_height
    bands = [_band(values, 0.0, wt, [])]
    z = wt
    count = int(values["boss_count"])
    if count:
        top = wt + float(values["boss_height"])
        if abs(ledge - top) <= _SNAP_MM:
            top = ledge  # bosses up to the ledge: no sliver slab in between
        holes = [_loop(values, wt, z, BOSS_CORNERS[:count])]
        radius = float(values["boss_hole_diameter"]) / 2.0
        for x, y in boss_centres(values) if radius > 0 else []:
            circle = gp_Circ(gp_Ax2(gp_Pnt(x, y, z), gp_Dir(0.0, 0.0, 1.0)), radius)
            holes.append(BRepBuilderAPI_MakeWire(BRepBuilderAPI_MakeEdge(circle).Edge()).Wire())
        bands.append(_band(values, z, top, holes))
        z = top
    if ledge - z > _SNAP_MM:
        bands.append(_band(values, z, ledge, [_loop(values, wt, z)]))
    if lip_height:
        bands.append(_band(values, ledge, height, [_loop(values, wt - lip_width, ledge)]))
    return bands


def build(values: ParamValues) -> Any:
    """Make the enclosure from slabs stacked along Z, fused, their shared faces merged.

    Each slab is a holed outline extruded along Z, so the slabs touch only on planes
    and the fuse never meets tangent or partly coincident curved faces; OCCT's
    "shift" gluing mode, made for operands that only share faces, speeds it up.

    Args:
        values: canonical values (floats in mm, the boss count as an int).

    Returns:
        The part as an OCP ``TopoDS_Solid`` in millimetres.

    Raises:
        GeometryError: ``FC_BOOLEAN_FAILED`` if the kernel cannot fuse the slabs.
    """
    from OCP.BOPAlgo import BOPAlgo_GlueShift
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Fuse
    from OCP.collections import List_TopoDS_Shape
    from OCP.ShapeUpgrade import ShapeUpgrade_UnifySameDomain
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    bands = _bands(values)
    arguments, tools = List_TopoDS_Shape(), List_TopoDS_Shape()
    arguments.Append(bands[0])
    for band in bands[1:]:
        tools.Append(band)
    fuse = BRepAlgoAPI_Fuse()
    fuse.SetArguments(arguments)
    fuse.SetTools(tools)
    # The slabs only touch on shared planes, which is what the "shift" gluing mode
    # assumes; it skips the face/face intersections (21 ms instead of 33 ms here).
    fuse.SetGlue(BOPAlgo_GlueShift)
    fuse.Build()
    if not fuse.IsDone():
        raise GeometryError(
            "FC_BOOLEAN_FAILED",
            details={"operation": "enclosure.fuse", "reason": "OCCT reported an error"},
        )
    unify = ShapeUpgrade_UnifySameDomain(fuse.Shape(), True, True, False)
    unify.Build()
    return TopExp_Explorer(unify.Shape(), TopAbs_SOLID).Current()


SPEC = FamilySpec(
    name=NAME,
    description=(
        "An open-topped box length x width x height with its corner at the origin, "
        "walls and floor wall_thickness thick, rounded vertical edges, a lid rebate at "
        "the opening and screw bosses in the inside corners."
    ),
    parameters=_PARAMETERS,
    validate=validate,
    build=build,
    example={
        "length": 120.0,
        "width": 80.0,
        "height": 40.0,
        "wall_thickness": 2.5,
        "corner_radius": 6.0,
        "lip_height": 2.0,
        "lip_width": 1.2,
        "boss_count": 4,
        "boss_diameter": 8.0,
        "boss_hole_diameter": 2.5,
        "boss_height": 20.0,
    },
)
"""The family's registration."""
