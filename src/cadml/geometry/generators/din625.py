"""The ``din625`` family: a single-row deep-groove ball bearing (DIN 625-1 / ISO 15).

**This family returns several solids**: a compound of the inner ring, the outer ring and
``Z`` balls (``2 + Z`` solids, in that order), not one solid. A bearing is an assembly,
and fusing the balls to their races would make a meaningless part. The platform
accepts this: ``pipeline.check_shape`` checks the compound with ``BRepCheck_Analyzer``
and needs at least one solid, and ``metrics.compute_metrics`` sums volume and mass
solid by solid. The tests check that every solid is valid and that the count is
``2 + Z``. No other family may rely on this exception.

Frame: the bearing's axis is Z, its origin the bearing's centre; the rings span
``-B/2 <= z <= B/2`` and the balls' centres lie on the pitch circle in ``z = 0``, the
first ball on +X and the others every ``360°/Z``. Lengths in mm.

Parameter ``designation``: 6000-6010, 6200-6210 or 6300-6308. ``d``, ``D``, ``B`` (ISO 15)
and the ball complement ``Z × Dw`` come from
:data:`cadml.geometry.generators.standard_tables.BEARINGS`.

Simplified geometry (documented rules of thumb, not a manufacturer's drawing):

* pitch diameter ``Dpw = (d + D)/2``;
* each ring has a rectangular section, no corner radii (the ISO ``r`` is ignored);
* the groove (race) is a torus of cross-section radius ``rg = 0.52·Dw``, 4 % larger
  than the ball; its deepest point touches the ball, so each ball touches each ring in
  one point;
* the groove is ``0.2·Dw`` deep: the inner ring's shoulder is at ``d1 = Dpw − 0.6·Dw``
  and the outer ring's at ``D2 = Dpw + 0.6·Dw``;
* no cage, seals or shields.

Closed forms (Pappus; ``h`` is the distance from the groove circle's centre to the
shoulder line, ``φ = acos(h/rg)``)::

    segment area   A(h) = rg²·φ − h·√(rg² − h²)
    its centroid   y(h) = 4·rg·sin³φ / (3·(2φ − sin 2φ))  (from the circle's centre)
    inner ring = π/4·(d1² − d²)·B − 2π·(ci − y(hi))·A(hi),  ci = Dpw/2 − Dw/2 + rg
    outer ring = π/4·(D² − D2²)·B − 2π·(co + y(ho))·A(ho),  co = Dpw/2 + Dw/2 − rg
        hi = ci − d1/2,  ho = D2/2 − co
    balls      = Z·(π/6)·Dw³

Against SKF's catalogue masses (bearing steel, 7850 kg/m³) the model comes within
about −4 % to +7 %. The missing corner radii and the deeper real shoulders make it
heavier; the missing cage makes it lighter.

Examples:
    >>> round(ring_volumes("6204")[0] + ring_volumes("6204")[1] + balls_volume("6204"), 3)
    13452.108
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.standard_tables import BEARINGS, BearingSize

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = [
    "DESIGNATIONS",
    "GROOVE_DEPTH_RATIO",
    "GROOVE_RADIUS_RATIO",
    "NAME",
    "SPEC",
    "RingGeometry",
    "balls_volume",
    "build",
    "ring_geometry",
    "ring_volumes",
    "validate",
]

NAME = "din625"

DESIGNATIONS: tuple[str, ...] = tuple(BEARINGS)
"""The designations offered, in table order."""

GROOVE_RADIUS_RATIO = 0.52
"""Groove (race) radius as a fraction of the ball diameter."""

GROOVE_DEPTH_RATIO = 0.2
"""Groove depth below the ring's shoulder as a fraction of the ball diameter."""


class RingGeometry:
    """The derived dimensions of a bearing's simplified rings, mm.

    Attributes:
        pitch_radius: ``Dpw/2``, the radius of the balls' centres.
        groove_radius: ``rg``.
        inner_shoulder: ``d1/2``, the inner ring's outer radius.
        outer_shoulder: ``D2/2``, the outer ring's inner radius.
        inner_centre: ``ci``, the radius of the inner groove circle's centre.
        outer_centre: ``co``, the radius of the outer groove circle's centre.
        groove_half_width: half the groove's width at the shoulder (both rings).
    """

    def __init__(self, bearing: BearingSize) -> None:
        dw = bearing.ball_diameter
        self.pitch_radius = (bearing.d + bearing.D) / 4.0
        self.groove_radius = GROOVE_RADIUS_RATIO * dw
        depth = GROOVE_DEPTH_RATIO * dw
        self.inner_shoulder = self.pitch_radius - dw / 2.0 + depth
        self.outer_shoulder = self.pitch_radius + dw / 2.0 - depth
        self.inner_centre = self.pitch_radius - dw / 2.0 + self.groove_radius
        self.outer_centre = self.pitch_radius + dw / 2.0 - self.groove_radius
        h = self.groove_radius - depth
        self.groove_half_width = math.sqrt(self.groove_radius**2 - h * h)


def ring_geometry(designation: str) -> RingGeometry:
    """The derived ring dimensions of ``designation``."""
    return RingGeometry(BEARINGS[designation])


def _segment(radius: float, h: float) -> tuple[float, float]:
    """Area of a circular segment and its centroid's distance from the circle's centre."""
    phi = math.acos(h / radius)
    area = radius * radius * phi - h * math.sqrt(radius * radius - h * h)
    centroid = 4.0 * radius * math.sin(phi) ** 3 / (3.0 * (2.0 * phi - math.sin(2.0 * phi)))
    return area, centroid


def ring_volumes(designation: str) -> tuple[float, float]:
    """Closed-form volumes of the inner and the outer ring, mm³ (module docstring)."""
    bearing = BEARINGS[designation]
    g = RingGeometry(bearing)
    area_i, y_i = _segment(g.groove_radius, g.inner_centre - g.inner_shoulder)
    area_o, y_o = _segment(g.groove_radius, g.outer_shoulder - g.outer_centre)
    inner = math.pi * (g.inner_shoulder**2 - (bearing.d / 2.0) ** 2) * bearing.B
    inner -= 2.0 * math.pi * (g.inner_centre - y_i) * area_i
    outer = math.pi * ((bearing.D / 2.0) ** 2 - g.outer_shoulder**2) * bearing.B
    outer -= 2.0 * math.pi * (g.outer_centre + y_o) * area_o
    return inner, outer


def balls_volume(designation: str) -> float:
    """Total volume of the balls, ``Z·(π/6)·Dw³``, mm³."""
    bearing = BEARINGS[designation]
    return bearing.balls * math.pi / 6.0 * bearing.ball_diameter**3


def validate(values: ParamValues, material: Material) -> None:
    """No rule beyond the designation: every table entry builds.

    The table's consistency (balls clear each other, ring walls and lands positive,
    grooves narrower than the rings) is proven once per entry by the unit tests, not
    per request.
    """


def _ring(
    points: list[tuple[float, float]], arc: tuple[tuple[float, float], ...], arc_at: int
) -> Any:
    """A ring revolved from a polygon whose edge ``arc_at`` is replaced by a 3-point arc."""
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeRevol
    from OCP.GC import GC_MakeArcOfCircle
    from OCP.gp import gp_Ax1, gp_Dir, gp_Pnt

    def pnt(p: tuple[float, float]) -> gp_Pnt:
        return gp_Pnt(p[0], 0.0, p[1])

    wire = BRepBuilderAPI_MakeWire()
    for i, start in enumerate(points):
        end = points[(i + 1) % len(points)]
        if i == arc_at:
            curve = GC_MakeArcOfCircle(pnt(start), pnt(arc[0]), pnt(end)).Value()
            wire.Add(BRepBuilderAPI_MakeEdge(curve).Edge())
        else:
            wire.Add(BRepBuilderAPI_MakeEdge(pnt(start), pnt(end)).Edge())
    face = BRepBuilderAPI_MakeFace(wire.Wire(), True).Face()
    axis = gp_Ax1(gp_Pnt(0.0, 0.0, 0.0), gp_Dir(0.0, 0.0, 1.0))
    return BRepPrimAPI_MakeRevol(face, axis, 2.0 * math.pi, True).Shape()


def build(values: ParamValues) -> Any:
    """Make the bearing: a compound of inner ring, outer ring and balls (in that order).

    Imports the kernel on first call; call it in a geometry worker only.

    Args:
        values: canonical values (``designation``).

    Returns:
        An OCP ``TopoDS_Compound`` of ``2 + Z`` solids, in millimetres.
    """
    from OCP.BRep import BRep_Builder
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeSphere
    from OCP.gp import gp_Pnt
    from OCP.TopoDS import TopoDS_Compound

    bearing = BEARINGS[str(values["designation"])]
    g = RingGeometry(bearing)
    half, w = bearing.B / 2.0, g.groove_half_width
    bottom_i = g.pitch_radius - bearing.ball_diameter / 2.0
    bottom_o = g.pitch_radius + bearing.ball_diameter / 2.0
    inner = _ring(
        [
            (bearing.d / 2.0, -half),
            (g.inner_shoulder, -half),
            (g.inner_shoulder, -w),
            (g.inner_shoulder, w),
            (g.inner_shoulder, half),
            (bearing.d / 2.0, half),
        ],
        ((bottom_i, 0.0),),
        arc_at=2,
    )
    outer = _ring(
        [
            (g.outer_shoulder, -half),
            (bearing.D / 2.0, -half),
            (bearing.D / 2.0, half),
            (g.outer_shoulder, half),
            (g.outer_shoulder, w),
            (g.outer_shoulder, -w),
        ],
        ((bottom_o, 0.0),),
        arc_at=4,
    )
    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    builder.Add(compound, inner)
    builder.Add(compound, outer)
    for i in range(bearing.balls):
        angle = 2.0 * math.pi * i / bearing.balls
        centre = gp_Pnt(g.pitch_radius * math.cos(angle), g.pitch_radius * math.sin(angle), 0.0)
        builder.Add(compound, BRepPrimAPI_MakeSphere(centre, bearing.ball_diameter / 2.0).Shape())
    return compound


SPEC = FamilySpec(
    name=NAME,
    description=(
        "DIN 625 deep-groove ball bearing, simplified (rectangular rings with toroidal "
        "grooves, balls, no cage); a compound of 2 + Z solids; axis Z, centre at the "
        "origin."
    ),
    parameters=(
        ParamSpec(
            "designation",
            "",
            0.0,
            0.0,
            "6204",
            "Bearing designation (series 60, 62, 63).",
            kind="choice",
            choices=DESIGNATIONS,
        ),
    ),
    validate=validate,
    build=build,
    example={"designation": "6204"},
)
"""The family's registration."""
