"""The ``flange`` family: a slip-on / weld-neck style pipe flange, revolved about Z.

Frame: the flange's axis is Z and the origin is the centre of its sealing face, the
lowest face of the part. From the bottom up, every ring running from the bore out:

* the raised face, ``raised_face_diameter`` wide, ``0..h`` with ``h =
  raised_face_height`` (``h = 0``: a flat-faced flange, the diameter is ignored);
* the flange disc, ``outer_diameter`` wide, ``h..h+thickness``;
* the hub, a plain cylinder ``hub_diameter`` wide, ``hub_length`` above the disc
  (``hub_length = 0``: no hub, a plate flange; the diameter is ignored). A real
  weld-neck hub tapers; this one is cylindrical.

A bore of ``bore_diameter`` runs through everything (0 gives a blind flange).
``bolt_count`` through holes of ``bolt_hole_diameter`` pierce the disc on a circle of
``bolt_circle_diameter``; the first is on +X, the others follow counter-clockwise seen
from +Z.

Rules: ``thickness`` and every ring's radial wall are at least ``material.min_wall_mm``;
``bore < hub < raised face < outer`` (of the features present); the bolt holes leave at
least ``min_wall_mm`` to the raised face, the hub (or the bore) and the outer edge, and
between neighbours.

Closed form (the tests' oracle), with radii ``ro, rb, rf, rh`` and ``n`` bolt holes of
radius ``r``::

    volume = pi*(ro**2 - rb**2)*thickness + pi*(rf**2 - rb**2)*h
             + pi*(rh**2 - rb**2)*hub_length - n*pi*r**2*thickness

The example is an ASME B16.5 class 150 NPS 4 flange: 229 mm across, 24 mm thick, a
157 mm x 1.6 mm raised face, 8 holes of 19 mm on a 190.5 mm circle (bore 102.3 mm of a
schedule 40 pipe; hub simplified to a 135 mm x 50 mm cylinder).

Examples:
    >>> values = {"outer_diameter": 100.0, "thickness": 10.0, "bore_diameter": 40.0,
    ...           "raised_face_diameter": 60.0, "raised_face_height": 0.0,
    ...           "hub_diameter": 50.0, "hub_length": 0.0, "bolt_count": 4,
    ...           "bolt_circle_diameter": 75.0, "bolt_hole_diameter": 10.0}
    >>> round(volume_mm3(values), 3)
    62831.853
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

from cadml.errors import GeometryError, ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.rule_errors import section_too_thin

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = ["NAME", "SPEC", "bolt_centres", "build", "validate", "volume_mm3"]

NAME = "flange"

_MAX_DIAMETER_MM = 3000.0

_PARAMETERS = (
    ParamSpec(
        "outer_diameter", "mm", 5.0, _MAX_DIAMETER_MM, 229.0, "Outside diameter of the disc."
    ),
    ParamSpec("thickness", "mm", 0.1, 500.0, 24.0, "Thickness of the disc along Z."),
    ParamSpec(
        "bore_diameter",
        "mm",
        0.0,
        _MAX_DIAMETER_MM,
        102.3,
        "Diameter of the through bore; 0 for a blind flange.",
    ),
    ParamSpec(
        "raised_face_diameter",
        "mm",
        0.1,
        _MAX_DIAMETER_MM,
        157.0,
        "Diameter of the raised sealing face below the disc.",
        required=False,
    ),
    ParamSpec(
        "raised_face_height",
        "mm",
        0.0,
        100.0,
        1.6,
        "Height of the raised face; 0 for a flat face.",
        required=False,
    ),
    ParamSpec(
        "hub_diameter",
        "mm",
        0.1,
        _MAX_DIAMETER_MM,
        135.0,
        "Diameter of the cylindrical hub above the disc.",
        required=False,
    ),
    ParamSpec(
        "hub_length",
        "mm",
        0.0,
        2000.0,
        50.0,
        "Length of the hub above the disc; 0 for no hub.",
        required=False,
    ),
    ParamSpec(
        "bolt_count",
        "",
        0,
        64,
        8,
        "Number of bolt holes; 0 for none.",
        required=False,
        kind="integer",
    ),
    ParamSpec(
        "bolt_circle_diameter",
        "mm",
        0.0,
        _MAX_DIAMETER_MM,
        190.5,
        "Diameter of the circle through the bolt hole centres.",
        required=False,
    ),
    ParamSpec(
        "bolt_hole_diameter",
        "mm",
        0.1,
        500.0,
        19.0,
        "Diameter of each bolt hole.",
        required=False,
    ),
)


def _round9(value: float) -> float:
    return round(value, 9) + 0.0


def _rings(values: ParamValues) -> tuple[float, float, float, float, float, float]:
    """``(ro, rb, rf, h, rh, hub_length)``; an absent feature gets a zero-height ring."""
    ro = float(values["outer_diameter"]) / 2.0
    rb = float(values["bore_diameter"]) / 2.0
    h = float(values["raised_face_height"])
    rf = float(values["raised_face_diameter"]) / 2.0 if h > 0 else ro
    hub_length = float(values["hub_length"])
    rh = float(values["hub_diameter"]) / 2.0 if hub_length > 0 else rb
    return ro, rb, rf, h, rh, hub_length


def bolt_centres(values: ParamValues) -> list[tuple[float, float]]:
    """The bolt hole centres ``(x, y)`` in mm, the first on +X, counter-clockwise.

    Examples:
        >>> bolt_centres({"bolt_count": 2, "bolt_circle_diameter": 10.0})
        [(5.0, 0.0), (-5.0, 0.0)]
    """
    count = int(values["bolt_count"])
    radius = float(values["bolt_circle_diameter"]) / 2.0
    centres = []
    for k in range(count):
        angle = 2.0 * math.pi * k / count
        centres.append((_round9(radius * math.cos(angle)), _round9(radius * math.sin(angle))))
    return centres


def volume_mm3(values: ParamValues) -> float:
    """The flange's volume from the closed form in the module docstring, mm³."""
    ro, rb, rf, h, rh, hub_length = _rings(values)
    thickness = float(values["thickness"])
    hole = math.pi * (float(values["bolt_hole_diameter"]) / 2.0) ** 2 * thickness
    return (
        math.pi * (ro**2 - rb**2) * thickness
        + math.pi * (rf**2 - rb**2) * h
        + math.pi * (rh**2 - rb**2) * hub_length
        - int(values["bolt_count"]) * hole
    )


def _check_diameters(values: ParamValues, material: Material) -> str:
    """Check the ring order and walls; return the field bounding the bolt holes inside."""
    chain = [("bore_diameter", float(values["bore_diameter"]))]
    if float(values["hub_length"]) > 0:
        chain.append(("hub_diameter", float(values["hub_diameter"])))
    if float(values["raised_face_height"]) > 0:
        chain.append(("raised_face_diameter", float(values["raised_face_diameter"])))
    chain.append(("outer_diameter", float(values["outer_diameter"])))
    for (inner_field, inner), (field, value) in itertools.pairwise(chain):
        if value <= inner:
            raise ValidationError(
                "VALIDATION_FLANGE_DIAMETER_ORDER",
                details={
                    "field": field,
                    "value": value,
                    "other_field": inner_field,
                    "other": inner,
                    "unit": "mm",
                },
            )
    # Without a bore the "wall" of a ring is its radius: a blind flange's hub is a pin.
    bore = chain[0][1]
    for field, value in chain[1:]:
        wall = _round9((value - bore) / 2.0)
        if wall < material.min_wall_mm:
            raise section_too_thin(field, wall, material)
    return chain[-2][0]


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (ranges already checked).

    Args:
        values: canonical values (floats in mm, the bolt count as an int).
        material: the resolved material of ``values["material"]``.

    Raises:
        ValidationError: ``VALIDATION_SECTION_TOO_THIN`` (disc thickness or a ring's
            wall), ``VALIDATION_FLANGE_DIAMETER_ORDER``,
            ``VALIDATION_HOLE_TOO_CLOSE_TO_EDGE`` (bolt holes against the inner feature
            or the outer edge) or ``VALIDATION_HOLES_OVERLAP``.
    """
    thickness = float(values["thickness"])
    if thickness < material.min_wall_mm:
        raise section_too_thin("thickness", thickness, material)
    inner_field = _check_diameters(values, material)
    count = int(values["bolt_count"])
    if count == 0:
        return
    pcd = float(values["bolt_circle_diameter"])
    diameter = float(values["bolt_hole_diameter"])
    min_wall = material.min_wall_mm
    gaps = (
        (inner_field, _round9((pcd - diameter - float(values[inner_field])) / 2.0)),
        ("outer_diameter", _round9((float(values["outer_diameter"]) - pcd - diameter) / 2.0)),
    )
    for edge, gap in gaps:
        if gap < min_wall:
            raise ValidationError(
                "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
                details={
                    "field": "bolt_circle_diameter",
                    "hole": 0,
                    "edge": edge,
                    "edge_distance": gap,
                    "min_distance": min_wall,
                    "material": material.id,
                    "unit": "mm",
                },
            )
    ligament = _round9(pcd * math.sin(math.pi / count) - diameter)
    if count > 1 and ligament < min_wall:
        raise ValidationError(
            "VALIDATION_HOLES_OVERLAP",
            details={
                "field": "bolt_count",
                "first": 0,
                "second": 1,
                "ligament": ligament,
                "min_ligament": min_wall,
                "material": material.id,
                "unit": "mm",
            },
        )


def _profile_face(values: ParamValues) -> Any:
    """The half cross-section in the XZ plane (X = radius), as a planar face."""
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace, BRepBuilderAPI_MakePolygon
    from OCP.gp import gp_Pnt

    ro, rb, rf, h, rh, hub_length = _rings(values)
    top = h + float(values["thickness"])
    corners = [
        (rb, 0.0),
        (rf, 0.0),
        (rf, h),
        (ro, h),
        (ro, top),
        (rh, top),
        (rh, top + hub_length),
        (rb, top + hub_length),
    ]
    polygon = BRepBuilderAPI_MakePolygon()
    previous = None
    for corner in corners:
        # An absent raised face or hub leaves repeated corners: skip them.
        if corner != previous:
            polygon.Add(gp_Pnt(corner[0], 0.0, corner[1]))
        previous = corner
    polygon.Close()
    return BRepBuilderAPI_MakeFace(polygon.Wire(), True).Face()


def build(values: ParamValues) -> Any:
    """Make the flange: revolve its profile about Z, then cut the bolt holes in one go.

    Args:
        values: canonical values (floats in mm).

    Returns:
        The part as an OCP ``TopoDS_Solid`` in millimetres.

    Raises:
        GeometryError: ``FC_BOOLEAN_FAILED`` if the kernel cannot cut the bolt holes.
    """
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeCylinder, BRepPrimAPI_MakeRevol
    from OCP.collections import List_TopoDS_Shape
    from OCP.gp import gp_Ax1, gp_Ax2, gp_Dir, gp_Pnt
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    axis = gp_Ax1(gp_Pnt(0.0, 0.0, 0.0), gp_Dir(0.0, 0.0, 1.0))
    body = BRepPrimAPI_MakeRevol(_profile_face(values), axis, 2.0 * math.pi).Shape()
    centres = bolt_centres(values)
    if not centres:
        return body
    h = float(values["raised_face_height"])
    thickness = float(values["thickness"])
    radius = float(values["bolt_hole_diameter"]) / 2.0
    # The tools overshoot the disc by 1 mm each side so that no face is coplanar; the
    # rules keep the overshoot clear of the raised face and the hub.
    tools = List_TopoDS_Shape()
    for x, y in centres:
        frame = gp_Ax2(gp_Pnt(x, y, h - 1.0), gp_Dir(0.0, 0.0, 1.0))
        tools.Append(BRepPrimAPI_MakeCylinder(frame, radius, thickness + 2.0).Shape())
    arguments = List_TopoDS_Shape()
    arguments.Append(body)
    cut = BRepAlgoAPI_Cut()
    cut.SetArguments(arguments)
    cut.SetTools(tools)
    cut.Build()
    explorer = TopExp_Explorer(cut.Shape(), TopAbs_SOLID) if cut.IsDone() else None
    if explorer is None or not explorer.More():
        raise GeometryError(
            "FC_BOOLEAN_FAILED",
            details={"operation": "flange.bolt_holes", "reason": "the cut gave no solid"},
        )
    return explorer.Current()


SPEC = FamilySpec(
    name=NAME,
    description=(
        "A pipe flange about Z with its sealing face at z = 0: optional raised face, disc, "
        "optional cylindrical hub, a through bore and a circle of bolt holes."
    ),
    parameters=_PARAMETERS,
    validate=validate,
    build=build,
    example={
        "outer_diameter": 229.0,
        "thickness": 24.0,
        "bore_diameter": 102.3,
        "raised_face_diameter": 157.0,
        "raised_face_height": 1.6,
        "hub_diameter": 135.0,
        "hub_length": 50.0,
        "bolt_count": 8,
        "bolt_circle_diameter": 190.5,
        "bolt_hole_diameter": 19.0,
    },
)
"""The family's registration."""
