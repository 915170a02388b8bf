"""The ``plate`` family: a rectangular plate with optional rounded corners and a hole pattern.

Frame: the plate spans ``0..length`` in X, ``0..width`` in Y and ``0..thickness`` in Z,
its corner at the origin (as ``prism_with_hole``). The four vertical edges are rounded
with ``corner_radius`` (0 = sharp). Every hole is a through hole along Z of
``hole_diameter``; where the holes are depends on ``pattern``:

* ``none``: no holes;
* ``grid``: ``rows`` x ``columns`` holes, ``pitch_x`` apart along X and ``pitch_y``
  along Y; centred on the plate when ``centred`` is true, otherwise the first hole
  (lowest X and Y) sits at ``(grid_origin_x, grid_origin_y)``;
* ``circular``: ``hole_count`` holes on a circle of diameter ``pcd`` (pitch circle
  diameter) centred on the plate, the first at ``start_angle`` degrees from +X,
  counter-clockwise seen from +Z;
* ``custom``: one hole at each ``[x, y]`` of ``holes``, in the plate frame.

Parameters of the patterns not chosen are ignored (and keep their defaults).

Rules: the plate is at least ``material.min_wall_mm`` thick (and, made as sheet metal,
at most ``SHEET_METAL_MAX_THICKNESS_MM``); ``corner_radius`` is at most half the
narrower side; every hole leaves at least ``min_wall_mm`` of material to the outline
(the rounded corners included), and at least ``min_wall_mm`` between any two holes.

Closed form (the tests' oracle), with ``n`` holes of radius ``r`` and corner radius
``R``::

    volume = (L*W - (4 - pi)*R**2 - n*pi*r**2) * t

Examples:
    >>> values = {"length": 100.0, "width": 60.0, "thickness": 5.0, "corner_radius": 0.0,
    ...           "pattern": "circular", "hole_diameter": 8.0, "hole_count": 4,
    ...           "pcd": 40.0, "start_angle": 0.0}
    >>> [(round(x, 6), round(y, 6)) for x, y in hole_centres(values)]
    [(70.0, 30.0), (50.0, 50.0), (30.0, 30.0), (50.0, 10.0)]
    >>> round(volume_mm3(values), 3)
    28994.69
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.rule_errors import check_sheet_metal_thickness, section_too_thin

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = [
    "NAME",
    "PATTERNS",
    "SPEC",
    "build",
    "edge_distance_mm",
    "hole_centres",
    "validate",
    "volume_mm3",
]

NAME = "plate"

PATTERNS = ("none", "grid", "circular", "custom")
"""The hole patterns a plate can have."""

_MAX_SIDE_MM = 2000.0

_PARAMETERS = (
    ParamSpec("length", "mm", 1.0, _MAX_SIDE_MM, 120.0, "Size of the plate along X."),
    ParamSpec("width", "mm", 1.0, _MAX_SIDE_MM, 80.0, "Size of the plate along Y."),
    ParamSpec("thickness", "mm", 0.1, 200.0, 6.0, "Size of the plate along Z."),
    ParamSpec(
        "corner_radius",
        "mm",
        0.0,
        1000.0,
        5.0,
        "Radius of the four vertical corner edges; 0 for sharp corners.",
        required=False,
    ),
    ParamSpec(
        "pattern",
        "",
        0,
        0,
        "grid",
        "Hole pattern: none, grid, circular or custom.",
        required=False,
        kind="choice",
        choices=PATTERNS,
    ),
    ParamSpec(
        "hole_diameter",
        "mm",
        0.1,
        500.0,
        6.6,
        "Diameter of every through hole (6.6 mm is an M6 clearance hole).",
        required=False,
    ),
    ParamSpec(
        "rows", "", 1, 20, 2, "Grid: number of rows (along Y).", required=False, kind="integer"
    ),
    ParamSpec(
        "columns",
        "",
        1,
        20,
        3,
        "Grid: number of columns (along X).",
        required=False,
        kind="integer",
    ),
    ParamSpec(
        "pitch_x", "mm", 0.0, _MAX_SIDE_MM, 40.0, "Grid: spacing of the columns.", required=False
    ),
    ParamSpec(
        "pitch_y", "mm", 0.0, _MAX_SIDE_MM, 40.0, "Grid: spacing of the rows.", required=False
    ),
    ParamSpec(
        "centred",
        "",
        0,
        0,
        True,
        "Grid: centre the grid on the plate (otherwise start at grid_origin_x/y).",
        required=False,
        kind="boolean",
    ),
    ParamSpec(
        "grid_origin_x",
        "mm",
        0.0,
        _MAX_SIDE_MM,
        20.0,
        "Grid, not centred: X of the first hole.",
        required=False,
    ),
    ParamSpec(
        "grid_origin_y",
        "mm",
        0.0,
        _MAX_SIDE_MM,
        20.0,
        "Grid, not centred: Y of the first hole.",
        required=False,
    ),
    ParamSpec(
        "hole_count",
        "",
        1,
        72,
        6,
        "Circular: number of holes on the pitch circle.",
        required=False,
        kind="integer",
    ),
    ParamSpec(
        "pcd",
        "mm",
        0.0,
        _MAX_SIDE_MM,
        50.0,
        "Circular: pitch circle diameter, centred on the plate.",
        required=False,
    ),
    ParamSpec(
        "start_angle",
        "deg",
        -360.0,
        360.0,
        0.0,
        "Circular: angle of the first hole from +X, counter-clockwise.",
        required=False,
    ),
    ParamSpec(
        "holes",
        "mm",
        0.0,
        _MAX_SIDE_MM,
        [[20.0, 20.0], [100.0, 20.0], [100.0, 60.0], [20.0, 60.0]],
        "Custom: hole centres [[x, y], ...] in the plate frame.",
        required=False,
        kind="points",
        min_items=0,
        max_items=200,
    ),
)


def _round9(value: float) -> float:
    # Distances are compared after rounding to 1e-9 mm, so 20 - 19.2 reads as 0.8.
    return round(value, 9) + 0.0


def hole_centres(values: ParamValues) -> list[tuple[float, float]]:
    """The centres of the plate's holes, in the plate frame, in a fixed order.

    Grid holes run row by row from the lowest Y, each row from the lowest X; circular
    holes run counter-clockwise from ``start_angle``; custom holes keep their order.

    Args:
        values: canonical values of the family.

    Returns:
        ``(x, y)`` pairs in mm; empty for ``pattern == "none"``.
    """
    pattern = values["pattern"]
    if pattern == "grid":
        rows, columns = int(values["rows"]), int(values["columns"])
        pitch_x, pitch_y = float(values["pitch_x"]), float(values["pitch_y"])
        if values["centred"]:
            x0 = float(values["length"]) / 2.0 - (columns - 1) * pitch_x / 2.0
            y0 = float(values["width"]) / 2.0 - (rows - 1) * pitch_y / 2.0
        else:
            x0, y0 = float(values["grid_origin_x"]), float(values["grid_origin_y"])
        return [(x0 + j * pitch_x, y0 + i * pitch_y) for i in range(rows) for j in range(columns)]
    if pattern == "circular":
        count = int(values["hole_count"])
        radius = float(values["pcd"]) / 2.0
        cx, cy = float(values["length"]) / 2.0, float(values["width"]) / 2.0
        start = math.radians(float(values["start_angle"]))
        angles = [start + 2.0 * math.pi * k / count for k in range(count)]
        return [(cx + radius * math.cos(a), cy + radius * math.sin(a)) for a in angles]
    if pattern == "custom":
        return [(float(x), float(y)) for x, y in values["holes"]]
    return []


def edge_distance_mm(x: float, y: float, length: float, width: float, radius: float) -> float:
    """Distance from a point to the outline of the rounded rectangle.

    Args:
        x: the point's X in the plate frame, mm.
        y: the point's Y in the plate frame, mm.
        length: the rectangle's size along X (it spans ``0..length``).
        width: the rectangle's size along Y.
        radius: the corner radius (0 for sharp corners).

    Returns:
        The distance in mm: positive inside, negative outside.

    Examples:
        >>> edge_distance_mm(10.0, 20.0, 100.0, 50.0, 0.0)
        10.0
        >>> round(edge_distance_mm(0.0, 0.0, 100.0, 50.0, 10.0), 6)
        -4.142136
    """
    qx = abs(x - length / 2.0) - (length / 2.0 - radius)
    qy = abs(y - width / 2.0) - (width / 2.0 - radius)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    inside = min(max(qx, qy), 0.0)
    return radius - outside - inside


def volume_mm3(values: ParamValues) -> float:
    """The plate's volume from the closed form in the module docstring, mm³."""
    length, width = float(values["length"]), float(values["width"])
    radius = float(values["corner_radius"])
    hole_radius = float(values["hole_diameter"]) / 2.0
    area = length * width - (4.0 - math.pi) * radius**2
    area -= len(hole_centres(values)) * math.pi * hole_radius**2
    return area * float(values["thickness"])


def _grid_field(values: ParamValues, index: int, x: float, y: float) -> str:
    """The grid parameter to change when hole ``index`` is too close to the outline."""
    length, width = float(values["length"]), float(values["width"])
    axis = "x" if min(x, length - x) <= min(y, width - y) else "y"
    if values["centred"]:
        return f"pitch_{axis}"
    first = index % int(values["columns"]) == 0 if axis == "x" else index < int(values["columns"])
    near_origin = (x if axis == "x" else y) <= (length / 2.0 if axis == "x" else width / 2.0)
    return f"grid_origin_{axis}" if first and near_origin else f"pitch_{axis}"


def _check_overlaps(values: ParamValues, material: Material) -> None:
    pattern = values["pattern"]
    diameter = float(values["hole_diameter"])
    min_wall = material.min_wall_mm

    def overlap(field: str, first: int, second: int, ligament: float) -> ValidationError:
        return ValidationError(
            "VALIDATION_HOLES_OVERLAP",
            details={
                "field": field,
                "first": first,
                "second": second,
                "ligament": ligament,
                "min_ligament": min_wall,
                "material": material.id,
                "unit": "mm",
            },
        )

    if pattern == "grid":
        # Neighbours in a row (or a column) are the closest pairs of a grid.
        for count, pitch_name, step in (
            (int(values["columns"]), "pitch_x", 1),
            (int(values["rows"]), "pitch_y", int(values["columns"])),
        ):
            ligament = _round9(float(values[pitch_name]) - diameter)
            if count > 1 and ligament < min_wall:
                raise overlap(pitch_name, 0, step, ligament)
    elif pattern == "circular":
        count = int(values["hole_count"])
        chord = float(values["pcd"]) * math.sin(math.pi / count)
        ligament = _round9(chord - diameter)
        if count > 1 and ligament < min_wall:
            raise overlap("pcd", 0, 1, ligament)
    elif pattern == "custom":
        centres = hole_centres(values)
        for j, (xj, yj) in enumerate(centres):
            for i in range(j):
                xi, yi = centres[i]
                ligament = _round9(math.hypot(xj - xi, yj - yi) - diameter)
                if ligament < min_wall:
                    raise overlap(f"holes[{j}]", i, j, ligament)


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (ranges already checked).

    Args:
        values: canonical values (floats in mm, ints, the pattern choice).
        material: the resolved material of ``values["material"]``.

    Raises:
        ValidationError: ``VALIDATION_SECTION_TOO_THIN`` (thickness),
            ``VALIDATION_PROCESS_LIMIT`` (sheet metal thicker than
            :data:`~cadml.geometry.generators.prism_with_hole.SHEET_METAL_MAX_THICKNESS_MM`),
            ``VALIDATION_CORNER_RADIUS_TOO_LARGE``, ``VALIDATION_INVALID_VALUE`` (a custom
            pattern without holes), ``VALIDATION_HOLE_TOO_CLOSE_TO_EDGE`` or
            ``VALIDATION_HOLES_OVERLAP``; ``details["field"]`` names the parameter.
    """
    length, width = float(values["length"]), float(values["width"])
    thickness = float(values["thickness"])
    if thickness < material.min_wall_mm:
        raise section_too_thin("thickness", thickness, material)
    check_sheet_metal_thickness(values, thickness)
    radius = float(values["corner_radius"])
    max_radius = min(length, width) / 2.0
    if radius > max_radius:
        raise ValidationError(
            "VALIDATION_CORNER_RADIUS_TOO_LARGE",
            details={"field": "corner_radius", "value": radius, "max": max_radius, "unit": "mm"},
        )
    if values["pattern"] == "custom" and not values["holes"]:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "holes", "reason": "a custom pattern needs at least one hole"},
        )
    hole_radius = float(values["hole_diameter"]) / 2.0
    for index, (x, y) in enumerate(hole_centres(values)):
        distance = _round9(edge_distance_mm(x, y, length, width, radius) - hole_radius)
        if distance < material.min_wall_mm:
            if values["pattern"] == "custom":
                field = f"holes[{index}]"
            elif values["pattern"] == "circular":
                field = "pcd"
            else:
                field = _grid_field(values, index, x, y)
            raise ValidationError(
                "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
                details={
                    "field": field,
                    "hole": index,
                    "x": _round9(x),
                    "y": _round9(y),
                    "edge": "outline",
                    "edge_distance": distance,
                    "min_distance": material.min_wall_mm,
                    "material": material.id,
                    "unit": "mm",
                },
            )
    _check_overlaps(values, material)


def _rounded_rectangle_wire(length: float, width: float, radius: float) -> Any:
    """A counter-clockwise wire (seen from +Z) around ``0..length x 0..width`` at z = 0."""
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeEdge, BRepBuilderAPI_MakeWire
    from OCP.GC import GC_MakeArcOfCircle
    from OCP.gp import gp_Pnt

    r = radius
    s = r * (1.0 - math.sqrt(0.5))  # inset of an arc's midpoint from the sharp corner
    # (start, end, arc midpoint or None), counter-clockwise from the bottom edge.
    pieces = (
        ((r, 0.0), (length - r, 0.0), None),
        ((length - r, 0.0), (length, r), (length - s, s)),
        ((length, r), (length, width - r), None),
        ((length, width - r), (length - r, width), (length - s, width - s)),
        ((length - r, width), (r, width), None),
        ((r, width), (0.0, width - r), (s, width - s)),
        ((0.0, width - r), (0.0, r), None),
        ((0.0, r), (r, 0.0), (s, s)),
    )
    wire = BRepBuilderAPI_MakeWire()
    for start, end, middle in pieces:
        if math.dist(start, end) <= 1e-9:
            continue  # a side fully taken by two corner arcs, or a sharp corner
        a, b = gp_Pnt(*start, 0.0), gp_Pnt(*end, 0.0)
        if middle is None:
            wire.Add(BRepBuilderAPI_MakeEdge(a, b).Edge())
        else:
            arc = GC_MakeArcOfCircle(a, gp_Pnt(*middle, 0.0), b).Value()
            wire.Add(BRepBuilderAPI_MakeEdge(arc).Edge())
    return wire.Wire()


def build(values: ParamValues) -> Any:
    """Make the plate by extruding its holed outline along +Z (no boolean operation).

    Args:
        values: canonical values (floats in mm).

    Returns:
        The part as an OCP ``TopoDS_Solid`` in millimetres.
    """
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pnt, gp_Vec

    outline = _rounded_rectangle_wire(
        float(values["length"]), float(values["width"]), float(values["corner_radius"])
    )
    face = BRepBuilderAPI_MakeFace(outline, True)
    radius = float(values["hole_diameter"]) / 2.0
    for x, y in hole_centres(values):
        # Clockwise seen from +Z (axis -Z), so the circle bounds a hole.
        circle = gp_Circ(gp_Ax2(gp_Pnt(x, y, 0.0), gp_Dir(0.0, 0.0, -1.0)), radius)
        face.Add(BRepBuilderAPI_MakeWire(BRepBuilderAPI_MakeEdge(circle).Edge()).Wire())
    return BRepPrimAPI_MakePrism(face.Face(), gp_Vec(0.0, 0.0, float(values["thickness"]))).Shape()


SPEC = FamilySpec(
    name=NAME,
    description=(
        "A plate length x width x thickness with its corner at the origin, optional "
        "rounded corners and a none/grid/circular/custom pattern of through holes along Z."
    ),
    parameters=_PARAMETERS,
    validate=validate,
    build=build,
    example={
        "length": 120.0,
        "width": 80.0,
        "thickness": 6.0,
        "corner_radius": 5.0,
        "pattern": "grid",
        "hole_diameter": 6.6,
        "rows": 2,
        "columns": 3,
        "pitch_x": 40.0,
        "pitch_y": 40.0,
        "centred": True,
    },
)
"""The family's registration."""
