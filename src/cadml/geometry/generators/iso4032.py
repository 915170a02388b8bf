"""The ``iso4032`` family: an ISO 4032 hexagon regular nut (style 1), coarse thread.

Frame: the nut's axis is Z, its bearing face lies in ``z = 0`` and its top face in
``z = m``; the hexagon's corners point along ±X (a corner at ``(e/2, 0)``). Lengths in
mm.

Parameters:

* ``size``: thread size ``M3`` … ``M24`` (coarse pitch). Width across flats ``s``,
  height ``m`` and bearing-face diameter ``dw`` come from the ISO 4032 table in
  :mod:`cadml.geometry.generators.standard_tables`.
* ``chamfer``: whether both faces carry the 30° chamfer that breaks the corners. The
  chamfer cone starts on the face at the bearing-face circle ``dw`` and rises at 30° to
  the face until it leaves the hexagon at the corners.

The threaded hole is a plain bore at the basic **pitch diameter** ``D2 = d − 0.649519·P``
(ISO 68-1). It is chosen so that a ``din933`` bolt (shank at ``d2 = D2``) fits the nut
exactly, with neither gap nor overlap in an assembly. A bore at the minor diameter
``D1``, the other common choice, would overlap that shank by the thread depth. The mass
costs little: the same construction on DIN 934 dimensions comes out 0.3-6.3 % lighter
than the DIN 934 catalogue masses with the ``D2`` bore, and −2.0 to +5.5 % off with a
``D1`` bore (see ``tests/unit/geometry/test_iso4032.py``). The ISO 68-1 basic internal
thread itself (the complement of the bolt's basic profile) removes a little more than
the ``D2`` bore, as much as a 7.26 mm bore for M8 (``D2`` = 7.19 mm). The catalogue's
masses therefore seem to assume less removed material than the basic profile. The
thread countersink ``da`` is not modelled.

The hexagon is sharp-cornered (``e = 2·s/√3``, slightly above the standard's ``e min``).

Closed forms (``a = s/2`` the apothem, ``Rc = s/√3`` the corner radius, ``ρ0 = dw/2``,
``α = 30°``)::

    A_hex = (√3/2)·s²
    volume (no chamfer) = (A_hex − π·D2²/4)·m
    volume (chamfer)    = (A_hex − π·D2²/4)·m − 2·C(s, ρ0, α)

    C(s, ρ0, α) = tan α · ∫[ρ0..Rc] (A_hex − A∩(ρ)) dρ
        where A∩(ρ) = πρ² (ρ ≤ a)
                    = πρ² − 6·(ρ²·acos(a/ρ) − a·√(ρ² − a²))   (a ≤ ρ ≤ Rc)

``C`` is the volume one chamfer cone cuts off the prism: at depth ``z`` below the face
the cone leaves the disk of radius ``ρ0 + z/tan α``, so the material removed is the
hexagon minus that disk. The integral has the closed antiderivative used by
:func:`hex_chamfer_cut_volume`.

Examples:
    >>> round(hex_chamfer_cut_volume(13.0, 6.5), 6) > 0.0
    True
    >>> round(nut_volume(13.0, 6.8, 7.188101, 11.6, chamfer=False), 3)
    719.288
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.standard_tables import NUTS, SIZES, pitch_diameter

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = [
    "CHAMFER_ANGLE_DEG",
    "NAME",
    "SPEC",
    "build",
    "chamfer_depth",
    "chamfer_tool",
    "hex_chamfer_cut_volume",
    "hexagon_area",
    "make_hex_nut",
    "make_hex_prism",
    "nut_volume",
    "revolve_profile",
    "single_solid",
    "validate",
]

NAME = "iso4032"

CHAMFER_ANGLE_DEG = 30.0
"""Angle between a chamfer cone and the face it breaks (ISO 4032: 15°-30°; 30° used)."""

_CLEARANCE = 0.02
"""How far (fraction of ``s``) the chamfer tool's rim lies outside the hexagon's corners,
so that no face of the tool is tangent to a corner edge."""


def hexagon_area(s: float) -> float:
    """Area ``(√3/2)·s²`` of a regular hexagon ``s`` across flats, mm².

    Examples:
        >>> round(hexagon_area(10.0), 6)
        86.60254
    """
    return math.sqrt(3.0) / 2.0 * s * s


def _segment_integral(rho: float, a: float) -> float:
    """An antiderivative of the circular segment ``ρ²·acos(a/ρ) − a·√(ρ² − a²)`` in ρ."""
    q = math.sqrt(max(rho * rho - a * a, 0.0))
    return (
        rho**3 / 3.0 * math.acos(min(a / rho, 1.0))
        - 2.0 / 3.0 * a * rho * q
        + a**3 / 3.0 * math.log(rho + q)
    )


def _disk_in_hexagon_integral(rho: float, a: float) -> float:
    """``∫[0..ρ] A∩(t) dt``: the area of hexagon ∩ disk(t) integrated over the radius."""
    if rho <= a:
        return math.pi * rho**3 / 3.0
    return math.pi * rho**3 / 3.0 - 6.0 * (_segment_integral(rho, a) - _segment_integral(a, a))


def hex_chamfer_cut_volume(s: float, rho0: float, angle_deg: float = CHAMFER_ANGLE_DEG) -> float:
    """Volume one chamfer cone cuts off a hexagonal prism, mm³ (closed form).

    The cone meets the face in the circle of radius ``rho0`` and rises away from the face
    at ``angle_deg`` to it; the prism must be taller than the chamfer's depth
    ``(s/√3 − rho0)·tan(angle)``.

    Args:
        s: width across flats.
        rho0: radius where the chamfer starts on the face (``0 < rho0 <= s/√3``).
        angle_deg: angle between the cone and the face.

    Examples:
        >>> hex_chamfer_cut_volume(10.0, 10.0 / math.sqrt(3.0))
        0.0
    """
    a = s / 2.0
    corner = s / math.sqrt(3.0)
    if rho0 >= corner:
        return 0.0
    integral = hexagon_area(s) * (corner - rho0) - (
        _disk_in_hexagon_integral(corner, a) - _disk_in_hexagon_integral(rho0, a)
    )
    return math.tan(math.radians(angle_deg)) * integral


def chamfer_depth(s: float, rho0: float, angle_deg: float = CHAMFER_ANGLE_DEG) -> float:
    """Depth below the face where the chamfer cone leaves the hexagon's corners, mm."""
    return max(s / math.sqrt(3.0) - rho0, 0.0) * math.tan(math.radians(angle_deg))


def nut_volume(s: float, m: float, bore: float, dw: float, *, chamfer: bool) -> float:
    """Closed-form volume of the modelled nut, mm³ (see the module docstring)."""
    volume = (hexagon_area(s) - math.pi * bore * bore / 4.0) * m
    if chamfer:
        volume -= 2.0 * hex_chamfer_cut_volume(s, dw / 2.0)
    return volume


def _values(values: ParamValues) -> tuple[float, float, float, float]:
    size = NUTS[str(values["size"])]
    return size.s, size.m, pitch_diameter(size.d, size.pitch), size.dw_min


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (the size is already a table entry).

    Raises:
        ValidationError: ``VALIDATION_WALL_TOO_THIN`` if the wall between the bore and a
            flat, ``(s − D2)/2``, is thinner than the material allows.
    """
    s, _m, bore, _dw = _values(values)
    wall = round((s - bore) / 2.0, 9)
    if wall < material.min_wall_mm:
        raise ValidationError(
            "VALIDATION_WALL_TOO_THIN",
            details={
                "field": "size",
                "wall": wall,
                "min_wall": material.min_wall_mm,
                "material": material.id,
                "unit": "mm",
            },
        )


def make_hex_prism(s: float, z0: float, z1: float, bore: float = 0.0) -> Any:
    """A hexagonal prism ``s`` across flats from ``z0`` to ``z1``, corners on ±X.

    Args:
        s: width across flats.
        z0: bottom face height.
        z1: top face height (``> z0``).
        bore: diameter of a coaxial through hole, or 0 for none.

    Returns:
        An OCP ``TopoDS_Shape`` (a solid).
    """
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakePolygon,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pnt, gp_Vec

    corner = s / math.sqrt(3.0)
    polygon = BRepBuilderAPI_MakePolygon()
    for i in range(6):
        angle = math.pi / 3.0 * i
        polygon.Add(gp_Pnt(corner * math.cos(angle), corner * math.sin(angle), z0))
    polygon.Close()
    face = BRepBuilderAPI_MakeFace(polygon.Wire(), True)
    if bore > 0.0:
        # Clockwise seen from +Z (axis -Z), so the circle bounds a hole.
        circle = gp_Circ(gp_Ax2(gp_Pnt(0.0, 0.0, z0), gp_Dir(0.0, 0.0, -1.0)), bore / 2.0)
        face.Add(BRepBuilderAPI_MakeWire(BRepBuilderAPI_MakeEdge(circle).Edge()).Wire())
    return BRepPrimAPI_MakePrism(face.Face(), gp_Vec(0.0, 0.0, z1 - z0)).Shape()


def revolve_profile(points: list[tuple[float, float]]) -> Any:
    """The solid swept by a closed polygon ``[(r, z), ...]`` turned once about Z.

    Args:
        points: the polygon's vertices in the XZ half-plane (``r >= 0``), in order; the
            last joins the first.

    Returns:
        An OCP ``TopoDS_Shape`` (a solid).
    """
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace, BRepBuilderAPI_MakePolygon
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeRevol
    from OCP.gp import gp_Ax1, gp_Dir, gp_Pnt

    polygon = BRepBuilderAPI_MakePolygon()
    for r, z in points:
        polygon.Add(gp_Pnt(r, 0.0, z))
    polygon.Close()
    face = BRepBuilderAPI_MakeFace(polygon.Wire(), True).Face()
    axis = gp_Ax1(gp_Pnt(0.0, 0.0, 0.0), gp_Dir(0.0, 0.0, 1.0))
    return BRepPrimAPI_MakeRevol(face, axis, 2.0 * math.pi, True).Shape()


def chamfer_tool(
    s: float, z0: float, z1: float, rho0: float, *, bottom: bool, top: bool, bore: float = 0.0
) -> Any:
    """A solid of revolution whose common with the prism chamfers its faces.

    Its rim lies just outside the hexagon's corners; at a chamfered face it narrows at
    :data:`CHAMFER_ANGLE_DEG` to the circle ``rho0`` in the face's plane.
    """
    rim = s / math.sqrt(3.0) * (1.0 + _CLEARANCE)
    rise = (rim - rho0) * math.tan(math.radians(CHAMFER_ANGLE_DEG))
    inner = bore / 2.0
    points = [(inner, z0)]
    points += [(rho0, z0), (rim, z0 + rise)] if bottom else [(rim, z0)]
    points += [(rim, z1 - rise), (rho0, z1)] if top else [(rim, z1)]
    points.append((inner, z1))
    return revolve_profile(points)


def make_hex_nut(s: float, m: float, bore: float, dw: float, *, chamfer: bool) -> Any:
    """The nut solid (see the module docstring for its frame and shape).

    Without chamfers the holed hexagon is extruded (no boolean); with them the plain
    prism is intersected with a revolved tool that carries the bore and both cones.
    """
    if not chamfer:
        return make_hex_prism(s, 0.0, m, bore)
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Common

    tool = chamfer_tool(s, 0.0, m, dw / 2.0, bottom=True, top=True, bore=bore)
    common = BRepAlgoAPI_Common(make_hex_prism(s, 0.0, m), tool)
    if not common.IsDone():
        raise RuntimeError("chamfering the nut failed")
    return single_solid(common.Shape())


def single_solid(shape: Any) -> Any:
    """The one solid of a boolean's result (a compound of one solid), else the shape."""
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    explorer = TopExp_Explorer(shape, TopAbs_SOLID)
    solids = []
    while explorer.More():
        solids.append(explorer.Current())
        explorer.Next()
    return solids[0] if len(solids) == 1 else shape


def build(values: ParamValues) -> Any:
    """Make the nut. Imports the kernel on first call; call it in a geometry worker only.

    Args:
        values: canonical values (``size``, ``chamfer``).

    Returns:
        The nut as an OCP ``TopoDS_Shape`` (one solid) in millimetres.
    """
    s, m, bore, dw = _values(values)
    return make_hex_nut(s, m, bore, dw, chamfer=bool(values["chamfer"]))


SPEC = FamilySpec(
    name=NAME,
    description=(
        "ISO 4032 hexagon nut, style 1, coarse thread M3-M24: axis Z, bearing face at "
        "z = 0, corners along ±X; the thread is a bore at the pitch diameter."
    ),
    parameters=(
        ParamSpec(
            "size",
            "",
            0.0,
            0.0,
            "M8",
            "Thread size (coarse pitch).",
            kind="choice",
            choices=SIZES,
        ),
        ParamSpec(
            "chamfer",
            "",
            0.0,
            0.0,
            True,
            "30° chamfers on both faces, starting at the bearing-face diameter dw.",
            required=False,
            kind="boolean",
        ),
    ),
    validate=validate,
    build=build,
    example={"size": "M8", "chamfer": True},
)
"""The family's registration."""
