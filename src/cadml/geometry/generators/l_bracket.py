"""The ``l_bracket`` family: an L angle bracket with optional bend, gussets and holes.

Frame: the outside corner of the L is at the origin. The base leg lies on the XY plane
and runs along +X (``0..base_length`` in X, ``0..thickness`` in Z); the upright leg runs
up +Z (``0..thickness`` in X, ``0..upright_length`` in Z); the bracket spans
``0..width`` in Y. Leg lengths are outside dimensions.

The bend: ``bend_radius = 0`` gives a machined L, sharp inside and outside. With
``ri = bend_radius > 0`` the corner is a sheet-metal bend: the inside is a quarter
circle of radius ``ri`` and the outside a concentric one of radius ``ri + t``, both
centred at ``(t + ri, t + ri)`` in XZ.

Gussets: ``gusset_count`` triangular ribs, ``gusset_thickness`` along Y, fill the
inside corner up to the line from ``(t + s, t)`` to ``(t, t + s)`` in XZ (``s =
gusset_size``, the triangle's leg measured from the inside faces); on a bent bracket
a gusset also fills the space under the inside arc. One gusset sits in the middle of
the width; two or more are spread from edge to edge, the outer ones flush with the
sides.

Holes: ``base_hole_count`` holes of ``base_hole_diameter`` through the base (along Z)
and ``upright_hole_count`` of ``upright_hole_diameter`` through the upright (along X),
each set in one row across the width, hole ``k`` at ``y = (k + 1/2) * width / n``, and
centred on the leg's flat part: at ``x = (t + ri + base_length) / 2`` on the base and
``z = (t + ri + upright_length) / 2`` on the upright.

Rules (``m = material.min_wall_mm``): ``thickness`` and ``gusset_thickness`` are at
least ``m`` (and, made as sheet metal, ``thickness`` is at most
``SHEET_METAL_MAX_THICKNESS_MM``); each leg is at least ``t + ri + m`` long;
``ri + m <= gusset_size <= min(legs) - t``; neighbouring gussets are at least ``m``
apart; every hole leaves at least ``m`` to the bend, the leg's end, the bracket's sides
and each gusset's footprint (the ligament between neighbouring holes is then at least
``2 m``).

Closed form (the tests' oracle), with ``a, b, w, t, ri``, ``g`` gussets of thickness
``gt`` and size ``s``, and ``nb, nu`` holes of radius ``rb, ru``::

    section = a*t + (b - t)*t                                    if ri == 0
    section = (a - t - ri)*t + (b - t - ri)*t + pi/4*((ri + t)**2 - ri**2)
    gusset  = s**2/2 - (1 - pi/4)*ri**2
    volume  = section*w + g*gt*gusset - (nb*pi*rb**2 + nu*pi*ru**2)*t

Examples:
    >>> values = {"base_length": 50.0, "upright_length": 40.0, "width": 30.0,
    ...           "thickness": 5.0, "bend_radius": 0.0, "gusset_count": 0,
    ...           "gusset_thickness": 3.0, "gusset_size": 10.0, "base_hole_count": 0,
    ...           "base_hole_diameter": 5.0, "upright_hole_count": 0,
    ...           "upright_hole_diameter": 5.0}
    >>> volume_mm3(values)
    12750.0
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

from cadml.errors import GeometryError, ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.rule_errors import check_sheet_metal_thickness, section_too_thin

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = [
    "NAME",
    "SPEC",
    "build",
    "gusset_spans",
    "hole_rows",
    "validate",
    "volume_mm3",
]

NAME = "l_bracket"

_MAX_MM = 2000.0

_SNAP_MM = 1e-7
"""Positions closer than this (OCCT's confusion tolerance) are the same position."""

_PARAMETERS = (
    ParamSpec(
        "base_length", "mm", 1.0, _MAX_MM, 60.0, "Outside length of the base leg along X (a)."
    ),
    ParamSpec(
        "upright_length",
        "mm",
        1.0,
        _MAX_MM,
        50.0,
        "Outside length of the upright leg along Z (b).",
    ),
    ParamSpec("width", "mm", 1.0, _MAX_MM, 40.0, "Size of the bracket along Y."),
    ParamSpec("thickness", "mm", 0.1, 100.0, 4.0, "Thickness of both legs."),
    ParamSpec(
        "bend_radius",
        "mm",
        0.0,
        200.0,
        4.0,
        "Inside bend radius; 0 for a sharp (machined) corner.",
        required=False,
    ),
    ParamSpec(
        "gusset_count",
        "",
        0,
        20,
        2,
        "Number of triangular gussets in the inside corner; 0 for none.",
        required=False,
        kind="integer",
    ),
    ParamSpec(
        "gusset_thickness",
        "mm",
        0.1,
        100.0,
        3.0,
        "Thickness of each gusset along Y.",
        required=False,
    ),
    ParamSpec(
        "gusset_size",
        "mm",
        0.1,
        _MAX_MM,
        20.0,
        "Leg of the gusset triangle, measured from the inside faces.",
        required=False,
    ),
    ParamSpec(
        "base_hole_count",
        "",
        0,
        20,
        2,
        "Number of holes through the base, in a row across the width.",
        required=False,
        kind="integer",
    ),
    ParamSpec(
        "base_hole_diameter",
        "mm",
        0.1,
        500.0,
        6.6,
        "Diameter of the base holes.",
        required=False,
    ),
    ParamSpec(
        "upright_hole_count",
        "",
        0,
        20,
        2,
        "Number of holes through the upright, in a row across the width.",
        required=False,
        kind="integer",
    ),
    ParamSpec(
        "upright_hole_diameter",
        "mm",
        0.1,
        500.0,
        6.6,
        "Diameter of the upright holes.",
        required=False,
    ),
)

_LEGS = (("base", "base_length"), ("upright", "upright_length"))


def _round9(value: float) -> float:
    return round(value, 9) + 0.0


def gusset_spans(values: ParamValues) -> list[tuple[float, float]]:
    """The Y extent ``(y0, y1)`` of each gusset, from the lowest Y.

    Examples:
        >>> gusset_spans({"gusset_count": 3, "gusset_thickness": 2.0, "width": 42.0})
        [(0.0, 2.0), (20.0, 22.0), (40.0, 42.0)]
    """
    count = int(values["gusset_count"])
    thickness = float(values["gusset_thickness"])
    width = float(values["width"])
    if count == 1:
        starts = [(width - thickness) / 2.0]
    else:
        starts = [k * (width - thickness) / (count - 1) for k in range(count)]
    return [(_round9(y), _round9(y + thickness)) for y in starts]


def hole_rows(values: ParamValues) -> dict[str, tuple[float, list[float]]]:
    """Where the holes of each leg are.

    Returns:
        ``{"base": (x, [y, ...]), "upright": (z, [y, ...])}``: the row's position along
        its leg and the holes' Y, in mm.

    Examples:
        >>> values = {"thickness": 4.0, "bend_radius": 2.0, "width": 30.0,
        ...           "base_length": 50.0, "upright_length": 30.0,
        ...           "base_hole_count": 2, "upright_hole_count": 1}
        >>> hole_rows(values)
        {'base': (28.0, [7.5, 22.5]), 'upright': (18.0, [15.0])}
    """
    flat_start = float(values["thickness"]) + float(values["bend_radius"])
    width = float(values["width"])
    rows = {}
    for leg, length_field in _LEGS:
        count = int(values[f"{leg}_hole_count"])
        along = _round9((flat_start + float(values[length_field])) / 2.0)
        rows[leg] = (along, [_round9((k + 0.5) * width / count) for k in range(count)])
    return rows


def volume_mm3(values: ParamValues) -> float:
    """The bracket's volume from the closed form in the module docstring, mm³."""
    a, b = float(values["base_length"]), float(values["upright_length"])
    t, ri = float(values["thickness"]), float(values["bend_radius"])
    if ri == 0:
        section = a * t + (b - t) * t
    else:
        section = (a - t - ri) * t + (b - t - ri) * t + math.pi / 4.0 * ((ri + t) ** 2 - ri**2)
    s = float(values["gusset_size"])
    gusset = s**2 / 2.0 - (1.0 - math.pi / 4.0) * ri**2
    volume = section * float(values["width"])
    volume += int(values["gusset_count"]) * float(values["gusset_thickness"]) * gusset
    for leg, _ in _LEGS:
        radius = float(values[f"{leg}_hole_diameter"]) / 2.0
        volume -= int(values[f"{leg}_hole_count"]) * math.pi * radius**2 * t
    return volume


def _check_gussets(values: ParamValues, material: Material) -> None:
    count = int(values["gusset_count"])
    if count == 0:
        return
    m = material.min_wall_mm
    thickness = float(values["gusset_thickness"])
    if thickness < m:
        raise section_too_thin("gusset_thickness", thickness, material)
    size = float(values["gusset_size"])
    smallest = _round9(float(values["bend_radius"]) + m)
    if size < smallest:
        raise ValidationError(
            "VALIDATION_GUSSET_TOO_SMALL",
            details={"field": "gusset_size", "value": size, "min": smallest, "unit": "mm"},
        )
    t = float(values["thickness"])
    largest = _round9(min(float(values["base_length"]), float(values["upright_length"])) - t)
    if size > largest:
        raise ValidationError(
            "VALIDATION_GUSSET_TOO_LARGE",
            details={"field": "gusset_size", "value": size, "max": largest, "unit": "mm"},
        )
    width = float(values["width"])
    free = _round9(width - count * thickness)
    if (count == 1 and free < 0) or (count > 1 and _round9(free / (count - 1)) < m):
        raise ValidationError(
            "VALIDATION_GUSSETS_CROWDED",
            details={
                "field": "gusset_count",
                "count": count,
                "gusset_thickness": thickness,
                "width": width,
                "min_gap": m,
                "unit": "mm",
            },
        )


def _hole_error(
    field: str, hole: int, edge: str, gap: float, material: Material
) -> ValidationError:
    return ValidationError(
        "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
        details={
            "field": field,
            "hole": hole,
            "edge": edge,
            "edge_distance": gap,
            "min_distance": material.min_wall_mm,
            "material": material.id,
            "unit": "mm",
        },
    )


def _check_holes(values: ParamValues, material: Material) -> None:
    m = material.min_wall_mm
    t, ri = float(values["thickness"]), float(values["bend_radius"])
    width = float(values["width"])
    size = float(values["gusset_size"])
    spans = gusset_spans(values) if int(values["gusset_count"]) else []
    for leg, length_field in _LEGS:
        along, ys = hole_rows(values)[leg]
        if not ys:
            continue
        field = f"{leg}_hole_diameter"
        radius = float(values[field]) / 2.0
        flat = float(values[length_field]) - t - ri
        end_gap = _round9((flat - 2.0 * radius) / 2.0)
        if end_gap < m:
            raise _hole_error(field, 0, "bend", end_gap, material)
        side_gap = _round9(width / len(ys) / 2.0 - radius)
        if side_gap < m:
            raise _hole_error(f"{leg}_hole_count", 0, "side", side_gap, material)
        for index, y in enumerate(ys):
            for j, (y0, y1) in enumerate(spans):
                # The gusset's footprint on the leg: t..t+s along the leg, y0..y1 across.
                dx = max(t - along, 0.0, along - (t + size))
                dy = max(y0 - y, 0.0, y - y1)
                gap = _round9(math.hypot(dx, dy) - radius)
                if gap < m:
                    raise _hole_error(field, index, f"gusset[{j}]", gap, material)


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (ranges already checked).

    Args:
        values: canonical values (floats in mm, counts as ints).
        material: the resolved material of ``values["material"]``.

    Raises:
        ValidationError: ``VALIDATION_SECTION_TOO_THIN`` (thickness, gusset thickness),
            ``VALIDATION_PROCESS_LIMIT`` (sheet metal thicker than
            :data:`~cadml.geometry.generators.prism_with_hole.SHEET_METAL_MAX_THICKNESS_MM`),
            ``VALIDATION_BRACKET_LEG_TOO_SHORT``, ``VALIDATION_GUSSET_TOO_SMALL``,
            ``VALIDATION_GUSSET_TOO_LARGE``, ``VALIDATION_GUSSETS_CROWDED`` or
            ``VALIDATION_HOLE_TOO_CLOSE_TO_EDGE``; ``details["field"]`` names the
            parameter.
    """
    t = float(values["thickness"])
    if t < material.min_wall_mm:
        raise section_too_thin("thickness", t, material)
    check_sheet_metal_thickness(values, t)
    shortest = _round9(t + float(values["bend_radius"]) + material.min_wall_mm)
    for _, field in _LEGS:
        if float(values[field]) < shortest:
            raise ValidationError(
                "VALIDATION_BRACKET_LEG_TOO_SHORT",
                details={"field": field, "value": float(values[field]), "min": shortest},
            )
    _check_gussets(values, material)
    _check_holes(values, material)


def _section_face(values: ParamValues, y: float, gusset: bool) -> Any:
    """The bracket's cross-section in the plane ``Y = y``, with or without a gusset."""
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.GC import GC_MakeArcOfCircle
    from OCP.gp import gp_Pnt

    a, b = float(values["base_length"]), float(values["upright_length"])
    t, ri = float(values["thickness"]), float(values["bend_radius"])
    s = float(values["gusset_size"])
    centre = t + ri
    diagonal = math.sqrt(0.5)
    # (x, z) corners; a third item is the midpoint of an arc to the next corner.
    path: list[tuple[float, ...]]
    if ri > 0:
        outer_mid = centre - (ri + t) * diagonal
        path = [(0.0, b), (0.0, centre, outer_mid), (centre, 0.0), (a, 0.0), (a, t)]
    else:
        path = [(0.0, b), (0.0, 0.0), (a, 0.0), (a, t)]
    if gusset:
        path += [(t + s, t), (t, t + s)]
    elif ri > 0:
        inner_mid = centre - ri * diagonal
        path += [(centre, t, inner_mid), (t, centre)]
    else:
        path += [(t, t)]
    path += [(t, b)]
    wire = BRepBuilderAPI_MakeWire()
    for here, there in zip(path, path[1:] + path[:1], strict=True):
        if (here[0], here[1]) == (there[0], there[1]):
            continue  # a gusset flush with a leg's end
        start, end = gp_Pnt(here[0], y, here[1]), gp_Pnt(there[0], y, there[1])
        if len(here) == 3:
            arc = GC_MakeArcOfCircle(start, gp_Pnt(here[2], y, here[2]), end).Value()
            wire.Add(BRepBuilderAPI_MakeEdge(arc).Edge())
        else:
            wire.Add(BRepBuilderAPI_MakeEdge(start, end).Edge())
    return BRepBuilderAPI_MakeFace(wire.Wire(), True).Face()


def _bands(values: ParamValues) -> list[tuple[float, float, bool]]:
    """Slices of the width ``(y0, y1, has_gusset)``, from y = 0 to the width.

    Cuts closer than :data:`_SNAP_MM` are merged, so a gusset flush with a side (or two
    touching gussets) never leaves a sliver band the kernel cannot extrude.
    """
    width = float(values["width"])
    spans = gusset_spans(values) if int(values["gusset_count"]) else []
    cuts = [(0.0, False)]  # (where a band starts, whether it has a gusset)
    for y0, y1 in spans:
        for y, gusset in ((y0, True), (y1, False)):
            if y - cuts[-1][0] <= _SNAP_MM:
                cuts[-1] = (cuts[-1][0], gusset)  # same place: the later band wins
            else:
                cuts.append((y, gusset))
    if width - cuts[-1][0] <= _SNAP_MM:
        cuts.pop()  # the band before runs to the side
    return [
        (y0, y1, gusset) for (y0, gusset), (y1, _) in itertools.pairwise([*cuts, (width, False)])
    ]


def _boolean(operation: Any, arguments: list[Any], tools: list[Any], step: str) -> Any:
    """Run an OCCT boolean with lists of operands; raise ``FC_BOOLEAN_FAILED`` on failure."""
    from OCP.collections import List_TopoDS_Shape

    def shape_list(shapes: list[Any]) -> Any:
        result = List_TopoDS_Shape()
        for shape in shapes:
            result.Append(shape)
        return result

    operation.SetArguments(shape_list(arguments))
    operation.SetTools(shape_list(tools))
    operation.Build()
    if not operation.IsDone():
        raise GeometryError(
            "FC_BOOLEAN_FAILED",
            details={"operation": f"l_bracket.{step}", "reason": "OCCT reported an error"},
        )
    return operation.Shape()


def build(values: ParamValues) -> Any:
    """Make the bracket.

    The width is cut into bands at the gussets' faces; each band is its cross-section
    (with the gusset or without) extruded along +Y, so the bands touch only on planes.
    They are fused and their shared faces merged, then all holes are cut at once.

    Args:
        values: canonical values (floats in mm, counts as ints).

    Returns:
        The part as an OCP ``TopoDS_Solid`` in millimetres.

    Raises:
        GeometryError: ``FC_BOOLEAN_FAILED`` if the kernel cannot fuse or cut.
    """
    from OCP.BOPAlgo import BOPAlgo_GlueShift
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut, BRepAlgoAPI_Fuse
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeCylinder, BRepPrimAPI_MakePrism
    from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt, gp_Vec
    from OCP.ShapeUpgrade import ShapeUpgrade_UnifySameDomain
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    prisms = [
        BRepPrimAPI_MakePrism(_section_face(values, y0, gusset), gp_Vec(0.0, y1 - y0, 0.0)).Shape()
        for y0, y1, gusset in _bands(values)
    ]
    body = prisms[0]
    if len(prisms) > 1:
        fuse = BRepAlgoAPI_Fuse()
        # The bands only touch on shared planes, which is what the "shift" gluing mode
        # assumes; it skips the face/face intersections.
        fuse.SetGlue(BOPAlgo_GlueShift)
        fused = _boolean(fuse, prisms[:1], prisms[1:], "fuse")
        unify = ShapeUpgrade_UnifySameDomain(fused, True, True, False)
        unify.Build()
        body = unify.Shape()
    t = float(values["thickness"])
    tools = []
    # Hole tools overshoot the leg by 1 mm each side, into space the rules keep empty.
    for leg, (along, ys) in hole_rows(values).items():
        radius = float(values[f"{leg}_hole_diameter"]) / 2.0
        for y in ys:
            if leg == "base":
                frame = gp_Ax2(gp_Pnt(along, y, -1.0), gp_Dir(0.0, 0.0, 1.0))
            else:
                frame = gp_Ax2(gp_Pnt(-1.0, y, along), gp_Dir(1.0, 0.0, 0.0))
            tools.append(BRepPrimAPI_MakeCylinder(frame, radius, t + 2.0).Shape())
    if tools:
        body = _boolean(BRepAlgoAPI_Cut(), [body], tools, "holes")
    explorer = TopExp_Explorer(body, TopAbs_SOLID)
    return explorer.Current()


SPEC = FamilySpec(
    name=NAME,
    description=(
        "An L angle bracket with its outside corner at the origin, base along X, upright "
        "along Z, width along Y; optional inside bend radius, corner gussets and a row of "
        "holes in each leg."
    ),
    parameters=_PARAMETERS,
    validate=validate,
    build=build,
    example={
        "base_length": 60.0,
        "upright_length": 50.0,
        "width": 40.0,
        "thickness": 4.0,
        "bend_radius": 4.0,
        "gusset_count": 2,
        "gusset_thickness": 3.0,
        "gusset_size": 20.0,
        "base_hole_count": 2,
        "base_hole_diameter": 6.6,
        "upright_hole_count": 2,
        "upright_hole_diameter": 6.6,
    },
)
"""The family's registration."""
