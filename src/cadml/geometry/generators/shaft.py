"""The ``shaft`` family: a stepped shaft with end chamfers, shoulder fillets and a keyway.

**Frame.** The shaft's axis is Z. Step 0 starts at ``z = 0``; step ``i`` spans
``z_i .. z_i + lengths[i]`` with ``z_i = lengths[0] + ... + lengths[i-1]`` and has
diameter ``diameters[i]``. The keyway, if any, lies on the +X side: its flat bottom is
the plane ``x = r - keyway_depth`` (``r`` the step's radius), it is symmetric about
the XZ plane and centred along Z on the straight (cylindrical) land of its step. All
lengths are millimetres.

**Parameters.**

* ``diameters``, ``lengths``: one entry per step (1 to 8 steps, equal counts).
* ``chamfer``: a 45° chamfer of this size (axial = radial leg) on both end edges;
  0 = none.
* ``fillet_radius``: a fillet of this radius in the concave corner of every shoulder
  (on the smaller step, tangent to its cylinder and to the shoulder face); 0 = none.
  It must be less than half the shoulder's height.
* ``keyway_step``: the index of the keyed step, -1 for no keyway; ``keyway_width``
  (b), ``keyway_depth`` (the shaft groove depth t1 of DIN 6885, measured on the line
  of symmetry from the cylinder to the flat bottom) and ``keyway_length`` (overall).
* ``keyway_ends``: ``round`` (DIN 6885 form A, end-milled: a slot with semicircular
  ends of radius b/2) or ``flat`` (form B style: square ends).

Every step keeps a straight land of at least :data:`MIN_FEATURE_MM` between its
chamfer/fillets, the keyway sits on that land at least :data:`MIN_FEATURE_MM` from
either end, and non-zero chamfers/fillets are at least that size, so the solid has no
sliver faces. Adjacent diameters must differ by at least ``2 * MIN_FEATURE_MM``.

**Volume** (exact; r_i = diameters[i] / 2, c = chamfer, f = fillet_radius)::

    V = Σ π r_i² l_i
        - π c² (r_end - c/3)                  for each end (cylinder - frustum)
        + 2π (r_s + f (10 - 3π)/(12 - 3π)) · f² (1 - π/4)   per shoulder (Pappus:
                                              fillet spandrel area × its centroid
                                              circle; r_s = smaller radius)
        - V_keyway

    keyway section (a = b/2, t = depth, r = step radius):
        A = a sqrt(r² - a²) + r² asin(a/r) - 2 a (r - t)
    flat ends:  V_keyway = A L
    round ends: V_keyway = A (L - b) + 2 I - π a² (r - t),
        I = ∫_{-a}^{a} sqrt(a² - y²) sqrt(r² - y²) dy
          = (2r/3) [(r² + a²) E(m) - (r² - a²) K(m)],  m = (a/r)²
        (K, E complete elliptic integrals of the first and second kind).

Examples:
    >>> from cadml.physics.materials import get_material
    >>> values = {"diameters": [20.0, 30.0], "lengths": [40.0], "chamfer": 0.0,
    ...           "fillet_radius": 0.0, "keyway_step": -1, "keyway_width": 6.0,
    ...           "keyway_depth": 3.5, "keyway_length": 20.0, "keyway_ends": "round"}
    >>> try:
    ...     validate(values, get_material("steel_1045"))
    ... except ValidationError as err:
    ...     print(err.code, err.details["field"])
    VALIDATION_SHAFT_COUNT_MISMATCH lengths
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = ["KEYWAY_ENDS", "MAX_STEPS", "MIN_FEATURE_MM", "NAME", "SPEC", "build", "validate"]

NAME = "shaft"

MAX_STEPS = 8
"""Most steps a shaft may have."""

MIN_FEATURE_MM = 0.05
"""Smallest non-zero chamfer or fillet, straight land, keyway margin and half step."""

KEYWAY_ENDS = ("round", "flat")
"""Keyway end shapes: DIN 6885 form A (round, end-milled) and form B style (flat)."""

_PARAMETERS = (
    ParamSpec(
        "diameters",
        "mm",
        1.0,
        1000.0,
        [20.0, 30.0, 25.0],
        "Diameter of each step, from z = 0 upwards.",
        kind="numbers",
        min_items=1,
        max_items=MAX_STEPS,
    ),
    ParamSpec(
        "lengths",
        "mm",
        0.5,
        5000.0,
        [40.0, 20.0, 50.0],
        "Length along Z of each step (as many as diameters).",
        kind="numbers",
        min_items=1,
        max_items=MAX_STEPS,
    ),
    ParamSpec(
        "chamfer", "mm", 0.0, 50.0, 0.5, "45° chamfer on both end edges; 0 = none.", required=False
    ),
    ParamSpec(
        "fillet_radius",
        "mm",
        0.0,
        50.0,
        0.0,
        "Fillet radius in every shoulder's inner corner; 0 = none.",
        required=False,
    ),
    ParamSpec(
        "keyway_step",
        "",
        -1,
        MAX_STEPS - 1,
        -1,
        "Index of the step carrying the keyway; -1 = no keyway.",
        required=False,
        kind="integer",
    ),
    ParamSpec("keyway_width", "mm", 0.5, 200.0, 6.0, "Keyway width b.", required=False),
    ParamSpec(
        "keyway_depth",
        "mm",
        0.1,
        200.0,
        3.5,
        "Keyway depth t1 in the shaft (DIN 6885), on its line of symmetry.",
        required=False,
    ),
    ParamSpec("keyway_length", "mm", 1.0, 5000.0, 20.0, "Overall keyway length.", required=False),
    ParamSpec(
        "keyway_ends",
        "",
        0,
        0,
        "round",
        "Keyway ends: round (DIN 6885 form A) or flat (form B).",
        required=False,
        kind="choice",
        choices=KEYWAY_ENDS,
    ),
)


def _radii(values: ParamValues) -> list[float]:
    return [float(d) / 2.0 for d in values["diameters"]]


def _lengths(values: ParamValues) -> list[float]:
    return [float(length) for length in values["lengths"]]


def _fillet_on(values: ParamValues, step: int) -> int:
    """How many shoulder fillets lie on ``step`` (those where it is the smaller step)."""
    radii = _radii(values)
    if float(values["fillet_radius"]) == 0.0:
        return 0
    count = 0
    if step > 0 and radii[step] < radii[step - 1]:
        count += 1
    if step < len(radii) - 1 and radii[step] < radii[step + 1]:
        count += 1
    return count


def _land(values: ParamValues, step: int) -> tuple[float, float]:
    """The straight cylindrical stretch of ``step``: its ``(z_start, z_end)``, mm."""
    radii = _radii(values)
    lengths = _lengths(values)
    chamfer = float(values["chamfer"])
    fillet = float(values["fillet_radius"])
    start = sum(lengths[:step])
    end = start + lengths[step]
    if step == 0:
        start += chamfer
    elif radii[step] < radii[step - 1]:
        start += fillet
    if step == len(radii) - 1:
        end -= chamfer
    elif radii[step] < radii[step + 1]:
        end -= fillet
    return start, end


def _tiny(field: str, value: float) -> ValidationError:
    return ValidationError(
        "VALIDATION_INVALID_VALUE",
        details={
            "field": field,
            "reason": f"use 0 (none) or at least {MIN_FEATURE_MM} mm",
            "value": value,
        },
    )


def _check_steps(values: ParamValues) -> None:
    diameters = [float(d) for d in values["diameters"]]
    lengths = _lengths(values)
    if len(diameters) != len(lengths):
        raise ValidationError(
            "VALIDATION_SHAFT_COUNT_MISMATCH",
            details={"field": "lengths", "diameters": len(diameters), "lengths": len(lengths)},
        )
    for i in range(len(diameters) - 1):
        height = round(abs(diameters[i + 1] - diameters[i]) / 2.0, 9)
        if height < MIN_FEATURE_MM:
            raise ValidationError(
                "VALIDATION_SHAFT_STEP_TOO_LOW",
                details={
                    "field": f"diameters[{i + 1}]",
                    "step": i,
                    "next_step": i + 1,
                    "height": height,
                    "min_height": MIN_FEATURE_MM,
                    "unit": "mm",
                },
            )


def _check_edges(values: ParamValues) -> None:
    radii = _radii(values)
    chamfer = float(values["chamfer"])
    fillet = float(values["fillet_radius"])
    if 0.0 < chamfer < MIN_FEATURE_MM:
        raise _tiny("chamfer", chamfer)
    if 0.0 < fillet < MIN_FEATURE_MM:
        raise _tiny("fillet_radius", fillet)
    for step in sorted({0, len(radii) - 1}):
        room = round(radii[step] - MIN_FEATURE_MM, 9)
        if chamfer > room:
            raise ValidationError(
                "VALIDATION_SHAFT_CHAMFER_TOO_LARGE",
                details={
                    "field": "chamfer",
                    "chamfer": chamfer,
                    "step": step,
                    "diameter": 2.0 * radii[step],
                    "max_chamfer": room,
                    "unit": "mm",
                },
            )
    for i in range(len(radii) - 1):
        half_height = round(abs(radii[i + 1] - radii[i]) / 2.0, 9)
        if fillet >= half_height and fillet > 0.0:
            raise ValidationError(
                "VALIDATION_SHAFT_FILLET_TOO_LARGE",
                details={
                    "field": "fillet_radius",
                    "fillet_radius": fillet,
                    "shoulder": i,
                    "max_fillet": half_height,
                    "unit": "mm",
                },
            )
    lengths = _lengths(values)
    for step in range(len(radii)):
        start, end = _land(values, step)
        land = round(end - start, 9)
        if land < MIN_FEATURE_MM:
            raise ValidationError(
                "VALIDATION_SHAFT_STEP_TOO_SHORT",
                details={
                    "field": f"lengths[{step}]",
                    "step": step,
                    "length": lengths[step],
                    "used": round(lengths[step] - land, 9),
                    "min_land": MIN_FEATURE_MM,
                    "unit": "mm",
                },
            )


def _check_keyway(values: ParamValues) -> None:
    step = int(values["keyway_step"])
    if step < 0:
        return
    radii = _radii(values)
    if step >= len(radii):
        raise ValidationError(
            "VALIDATION_SHAFT_KEYWAY_STEP",
            details={"field": "keyway_step", "keyway_step": step, "steps": len(radii)},
        )
    radius = radii[step]
    depth = float(values["keyway_depth"])
    width = float(values["keyway_width"])
    length = float(values["keyway_length"])
    max_depth = round(radius - MIN_FEATURE_MM, 9)
    if depth > max_depth:
        raise ValidationError(
            "VALIDATION_SHAFT_KEYWAY_TOO_DEEP",
            details={
                "field": "keyway_depth",
                "keyway_depth": depth,
                "max_depth": max_depth,
                "diameter": 2.0 * radius,
                "unit": "mm",
            },
        )
    # The side walls exist only while the keyway is narrower than the chord at its bottom.
    max_width = round(2.0 * (math.sqrt(depth * (2.0 * radius - depth)) - MIN_FEATURE_MM), 6)
    if width > max_width:
        raise ValidationError(
            "VALIDATION_SHAFT_KEYWAY_TOO_WIDE",
            details={
                "field": "keyway_width",
                "keyway_width": width,
                "max_width": max_width,
                "keyway_depth": depth,
                "diameter": 2.0 * radius,
                "unit": "mm",
            },
        )
    if values["keyway_ends"] == "round" and length < width + MIN_FEATURE_MM:
        raise ValidationError(
            "VALIDATION_SHAFT_KEYWAY_TOO_SHORT",
            details={
                "field": "keyway_length",
                "keyway_length": length,
                "min_length": round(width + MIN_FEATURE_MM, 9),
                "unit": "mm",
            },
        )
    start, end = _land(values, step)
    max_length = round(end - start - 2.0 * MIN_FEATURE_MM, 9)
    if length > max_length:
        raise ValidationError(
            "VALIDATION_SHAFT_KEYWAY_TOO_LONG",
            details={
                "field": "keyway_length",
                "keyway_length": length,
                "max_length": max_length,
                "step": step,
                "unit": "mm",
            },
        )


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (ranges already checked).

    Checks, in order: step counts, shoulder heights, chamfer and fillet sizes, the
    straight land left on every step, then the keyway.

    Args:
        values: canonical values (lists of floats in mm, ints, the ends choice).
        material: the resolved material (not used: the rules here are geometric).

    Raises:
        ValidationError: ``VALIDATION_SHAFT_COUNT_MISMATCH`` (``lengths``),
            ``VALIDATION_SHAFT_STEP_TOO_LOW`` (``diameters[i]``),
            ``VALIDATION_INVALID_VALUE`` (a chamfer or fillet under
            :data:`MIN_FEATURE_MM`), ``VALIDATION_SHAFT_CHAMFER_TOO_LARGE``,
            ``VALIDATION_SHAFT_FILLET_TOO_LARGE``, ``VALIDATION_SHAFT_STEP_TOO_SHORT``
            (``lengths[i]``), ``VALIDATION_SHAFT_KEYWAY_STEP``,
            ``VALIDATION_SHAFT_KEYWAY_TOO_DEEP``, ``VALIDATION_SHAFT_KEYWAY_TOO_WIDE``,
            ``VALIDATION_SHAFT_KEYWAY_TOO_SHORT`` or ``VALIDATION_SHAFT_KEYWAY_TOO_LONG``.
    """
    del material
    _check_steps(values)
    _check_edges(values)
    _check_keyway(values)


def _profile(values: ParamValues) -> list[tuple[str, list[tuple[float, float]]]]:
    """The half-section as ``(kind, points)`` segments in ``(r, z)``.

    ``("line", [p, q])`` or ``("arc", [p, mid, q])``; the path starts and ends on the
    axis.
    """
    radii = _radii(values)
    lengths = _lengths(values)
    chamfer = float(values["chamfer"])
    fillet = float(values["fillet_radius"])
    total = sum(lengths)
    points: list[tuple[str, list[tuple[float, float]]]] = []
    cursor = (0.0, 0.0)

    def line(to: tuple[float, float]) -> None:
        nonlocal cursor
        points.append(("line", [cursor, to]))
        cursor = to

    def arc(centre: tuple[float, float], to: tuple[float, float]) -> None:
        nonlocal cursor
        # The midpoint of a quarter arc lies on the bisector of its two radii.
        mx = (cursor[0] + to[0]) / 2.0 - centre[0]
        mz = (cursor[1] + to[1]) / 2.0 - centre[1]
        scale = fillet / math.hypot(mx, mz)
        points.append(("arc", [cursor, (centre[0] + mx * scale, centre[1] + mz * scale), to]))
        cursor = to

    line((radii[0] - chamfer, 0.0))
    if chamfer > 0.0:
        line((radii[0], chamfer))
    z = 0.0
    for i in range(len(radii) - 1):
        z += lengths[i]
        a, b = radii[i], radii[i + 1]
        if fillet > 0.0 and b > a:
            line((a, z - fillet))
            arc((a + fillet, z - fillet), (a + fillet, z))
            line((b, z))
        elif fillet > 0.0:
            line((a, z))
            line((b + fillet, z))
            arc((b + fillet, z + fillet), (b, z + fillet))
        else:
            line((a, z))
            line((b, z))
    line((radii[-1], total - chamfer))
    if chamfer > 0.0:
        line((radii[-1] - chamfer, total))
    line((0.0, total))
    line((0.0, 0.0))
    return points


def build(values: ParamValues) -> Any:
    """Make the shaft: revolve the half-section about Z, then cut the keyway.

    The half-section is drawn in the XZ plane on the -X side, so the revolution's seam
    lies opposite the keyway. Revolving is exact and needs no fillet or chamfer
    operation; the keyway is the only boolean.

    Args:
        values: canonical values.

    Returns:
        The shaft as an OCP ``TopoDS_Solid`` in millimetres.

    Raises:
        GeometryError: ``FC_BOOLEAN_FAILED`` if the keyway cut fails.
    """
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox, BRepPrimAPI_MakePrism, BRepPrimAPI_MakeRevol
    from OCP.GC import GC_MakeArcOfCircle
    from OCP.gp import gp_Ax1, gp_Dir, gp_Pnt, gp_Vec
    from OCP.TopoDS import TopoDS

    from cadml.errors import GeometryError
    from cadml.geometry.metrics import solids_of

    def xz(point: tuple[float, float]) -> gp_Pnt:
        return gp_Pnt(-point[0], 0.0, point[1])

    wire = BRepBuilderAPI_MakeWire()
    for kind, pts in _profile(values):
        if kind == "line":
            edge = BRepBuilderAPI_MakeEdge(xz(pts[0]), xz(pts[1])).Edge()
        else:
            curve = GC_MakeArcOfCircle(xz(pts[0]), xz(pts[1]), xz(pts[2])).Value()
            edge = BRepBuilderAPI_MakeEdge(curve).Edge()
        wire.Add(edge)
    face = BRepBuilderAPI_MakeFace(wire.Wire(), True).Face()
    axis = gp_Ax1(gp_Pnt(0.0, 0.0, 0.0), gp_Dir(0.0, 0.0, 1.0))
    shaft = BRepPrimAPI_MakeRevol(face, axis, 2.0 * math.pi).Shape()
    step = int(values["keyway_step"])
    if step < 0:
        return solids_of(shaft)[0]

    radius = _radii(values)[step]
    depth = float(values["keyway_depth"])
    width = float(values["keyway_width"])
    length = float(values["keyway_length"])
    start, end = _land(values, step)
    centre = (start + end) / 2.0
    bottom = radius - depth
    # The cutter reaches past the surface by the depth again; it stays inside the land
    # along Z, so it cannot touch a neighbouring step.
    reach = 2.0 * depth
    if values["keyway_ends"] == "flat":
        tool = BRepPrimAPI_MakeBox(
            gp_Pnt(bottom, -width / 2.0, centre - length / 2.0), reach, width, length
        ).Shape()
    else:
        a = width / 2.0
        half = (length - width) / 2.0
        # A stadium in the plane x = bottom: straight sides at y = ±a, ends round.
        corners = [
            gp_Pnt(bottom, -a, centre - half),
            gp_Pnt(bottom, -a, centre + half),
            gp_Pnt(bottom, a, centre + half),
            gp_Pnt(bottom, a, centre - half),
        ]
        tips = [gp_Pnt(bottom, 0.0, centre + half + a), gp_Pnt(bottom, 0.0, centre - half - a)]
        slot = BRepBuilderAPI_MakeWire()
        slot.Add(BRepBuilderAPI_MakeEdge(corners[0], corners[1]).Edge())
        slot.Add(
            BRepBuilderAPI_MakeEdge(
                GC_MakeArcOfCircle(corners[1], tips[0], corners[2]).Value()
            ).Edge()
        )
        slot.Add(BRepBuilderAPI_MakeEdge(corners[2], corners[3]).Edge())
        slot.Add(
            BRepBuilderAPI_MakeEdge(
                GC_MakeArcOfCircle(corners[3], tips[1], corners[0]).Value()
            ).Edge()
        )
        slot_face = BRepBuilderAPI_MakeFace(slot.Wire(), True).Face()
        tool = BRepPrimAPI_MakePrism(slot_face, gp_Vec(reach, 0.0, 0.0)).Shape()
    cut = BRepAlgoAPI_Cut(shaft, tool)
    solids = solids_of(cut.Shape()) if cut.IsDone() else []
    if len(solids) != 1:
        raise GeometryError(
            "FC_BOOLEAN_FAILED",
            details={"operation": "keyway cut", "reason": f"{len(solids)} solids"},
        )
    return TopoDS.Solid(solids[0])


SPEC = FamilySpec(
    name=NAME,
    description=(
        "A stepped shaft along +Z from z = 0 with end chamfers, shoulder fillets and an "
        "optional keyway on the +X side of one step."
    ),
    parameters=_PARAMETERS,
    validate=validate,
    build=build,
    example={
        "diameters": [20.0, 25.0, 30.0, 25.0],
        "lengths": [30.0, 40.0, 15.0, 35.0],
        "chamfer": 1.0,
        "fillet_radius": 0.8,
        "keyway_step": 1,
        "keyway_width": 8.0,
        "keyway_depth": 4.0,
        "keyway_length": 28.0,
        "keyway_ends": "round",
    },
)
"""The family's registration."""
