"""The ``spur_gear`` family: an external spur gear with true involute flanks.

**Frame.** The gear's axis is Z; its faces lie at ``z = 0`` and ``z = face_width``;
tooth 0 is symmetric about the +X axis and the teeth follow counter-clockwise every
``2π/z``. All lengths are millimetres, angles degrees.

**Parameters.** ``module`` m (mm), ``teeth`` z, ``pressure_angle`` α (14.5°–25°),
``face_width`` b, ``bore_diameter`` (0 = none; a through hole on the axis) and
``profile_shift`` x (the rack offset in modules, positive away from the centre).

**Profile** (the standard basic rack, ISO 53 proportions)::

    pitch radius    rp = m z / 2          base radius  rb = rp cos α
    tip radius      ra = rp + m (1 + x)   root radius  rf = rp - m (1.25 - x)
    tooth thickness on the pitch circle   s = m (π/2 + 2 x tan α)
    half angular thickness at radius r    ψ(r) = s / (2 rp) + inv α - inv α_r,
                                          cos α_r = rb / r, inv a = tan a - a

Each flank is the involute of the base circle from ``r_s = max(rb, rf)`` to ``ra``;
the tip is an arc of the tip circle. Below the base circle (when ``rf < rb``, i.e.
z ≲ 42 at 20°) the flank continues as a radial line down to the root circle — tangent
to the involute there — and the tooth spaces are closed by arcs of the root circle,
meeting the flanks at a sharp corner. This is not the trochoid a hob would cut: the
root has no fillet, which is the "simplest honest" option. A root circle less than
10 nm below the base circle is taken to be the base circle (no zero-length line).

**Rules.** Gears that a rack cutter would undercut (``z < 2 (1 - x) / sin² α``) are
refused (``VALIDATION_GEAR_UNDERCUT``), since the radial-flank root would then
interfere with a mating gear; a positive profile shift or a larger pressure angle
cures it. A tooth thinner on the pitch circle than ``material.min_wall_mm``
(``VALIDATION_GEAR_TOOTH_TOO_THIN``) and a tip land thinner than ``0.2 m``
(``VALIDATION_GEAR_POINTED_TIP``) are refused. A bore must leave a rim below the root circle of at
least ``max(material.min_wall_mm, 0.5 · 2.25 m)`` (ISO 6336-3 does not cover backup
ratios ``rim / tooth height`` below 0.5).

**Flanks as B-splines.** Each flank is a quintic C2 B-spline in the roll angle
(:mod:`cadml.geometry.generators.involute`) whose deviation from the exact involute is
below :data:`FIT_TOLERANCE_MM` (0.1 nm); :func:`flank_fit_error_mm` measures it.

**Volume** (closed form; the involute sweeps ``rb² t³ / 6`` of polar area)::

    t_s = sqrt((r_s/rb)² - 1),  t_a = sqrt((ra/rb)² - 1)
    area   = z [ ra² ψ(ra) + rb² (t_a³ - t_s³) / 3 + rf² (π/z - ψ(r_s)) ]
    volume = b (area - π (bore/2)²)

Examples:
    >>> from cadml.physics.materials import get_material
    >>> values = {"module": 2.0, "teeth": 12, "pressure_angle": 20.0, "face_width": 10.0,
    ...           "bore_diameter": 0.0, "profile_shift": 0.0}
    >>> try:
    ...     validate(values, get_material("steel_1045"))
    ... except ValidationError as err:
    ...     print(err.code, err.details["min_teeth"], err.details["min_profile_shift"])
    VALIDATION_GEAR_UNDERCUT 18 0.298
    >>> geometry = gear_geometry({**values, "teeth": 20})
    >>> round(2 * geometry.tip_radius, 9), round(2 * geometry.root_radius, 9)
    (44.0, 35.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues
from cadml.geometry.generators.involute import (
    flank_fit_error,
    flank_spans,
    involute_function,
    roll_angle,
)

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = [
    "FIT_TOLERANCE_MM",
    "MIN_BORE_MM",
    "MIN_RIM_BACKUP_RATIO",
    "MIN_TIP_LAND_MODULES",
    "NAME",
    "SPEC",
    "GearGeometry",
    "build",
    "flank_fit_error_mm",
    "gear_geometry",
    "validate",
]

NAME = "spur_gear"

FIT_TOLERANCE_MM = 1e-10
"""Largest deviation of a flank's B-spline from the exact involute (bound), mm."""

MIN_TIP_LAND_MODULES = 0.2
"""Thinnest tooth tip accepted, in modules (the usual design rule s_a >= 0.2 m)."""

MIN_RIM_BACKUP_RATIO = 0.5
"""Smallest rim thickness under the root circle, as a fraction of the tooth height."""

MIN_BORE_MM = 0.5
"""Smallest non-zero bore diameter."""

_ROOT_SNAP_MM = 1e-5
"""A root circle this little below the base circle is taken to be the base circle."""

_PARAMETERS = (
    ParamSpec("module", "mm", 0.5, 20.0, 2.0, "Module m: pitch diameter / teeth."),
    ParamSpec("teeth", "", 6, 200, 20, "Number of teeth z.", kind="integer"),
    ParamSpec(
        "pressure_angle",
        "deg",
        14.5,
        25.0,
        20.0,
        "Pressure angle α of the basic rack.",
        required=False,
    ),
    ParamSpec("face_width", "mm", 0.1, 1000.0, 10.0, "Face width b along Z."),
    ParamSpec(
        "bore_diameter",
        "mm",
        0.0,
        4000.0,
        0.0,
        "Diameter of the through bore on the axis; 0 for none.",
        required=False,
    ),
    ParamSpec(
        "profile_shift",
        "",
        -0.5,
        1.0,
        0.0,
        "Profile shift coefficient x (rack offset in modules, + away from the axis).",
        required=False,
    ),
)


@dataclass(frozen=True)
class GearGeometry:
    """The radii and angles of a gear's profile (see the module docstring).

    Args:
        teeth: number of teeth z.
        pitch_radius: rp = m z / 2, mm.
        base_radius: rb = rp cos α, mm.
        tip_radius: ra, mm.
        root_radius: rf (after snapping to the base circle, if within 10 nm), mm.
        flank_start_radius: r_s = max(rb, rf), where the involute starts, mm.
        start_roll: t_s, roll angle at ``flank_start_radius``, radians.
        tip_roll: t_a, roll angle at ``tip_radius``, radians.
        start_half_angle: ψ(r_s), radians.
        tip_half_angle: ψ(ra), radians.
        pitch_thickness: tooth thickness s on the pitch circle (arc), mm.
        area: the profile's area without bore, mm².
    """

    teeth: int
    pitch_radius: float
    base_radius: float
    tip_radius: float
    root_radius: float
    flank_start_radius: float
    start_roll: float
    tip_roll: float
    start_half_angle: float
    tip_half_angle: float
    pitch_thickness: float
    area: float

    @property
    def tip_land(self) -> float:
        """Tooth thickness on the tip circle (arc), mm."""
        return 2.0 * self.tip_radius * self.tip_half_angle


def gear_geometry(values: ParamValues) -> GearGeometry:
    """The profile's radii, angles and area from canonical values.

    Args:
        values: canonical values (``module``, ``teeth``, ``pressure_angle``,
            ``profile_shift``; others ignored).
    """
    m = float(values["module"])
    z = int(values["teeth"])
    alpha = math.radians(float(values["pressure_angle"]))
    x = float(values["profile_shift"])
    rp = m * z / 2.0
    rb = rp * math.cos(alpha)
    ra = rp + m * (1.0 + x)
    rf = rp - m * (1.25 - x)
    if 0.0 < rb - rf <= _ROOT_SNAP_MM:
        rf = rb
    rs = max(rb, rf)
    thickness = m * (math.pi / 2.0 + 2.0 * x * math.tan(alpha))
    offset = thickness / (2.0 * rp) + involute_function(alpha)
    t_s = roll_angle(rb, rs)
    t_a = roll_angle(rb, ra)
    # inv(α_r) = t - atan(t) at roll angle t.
    psi_s = offset - (t_s - math.atan(t_s))
    psi_a = offset - (t_a - math.atan(t_a))
    area = z * (
        ra * ra * psi_a + rb * rb * (t_a**3 - t_s**3) / 3.0 + rf * rf * (math.pi / z - psi_s)
    )
    return GearGeometry(z, rp, rb, ra, rf, rs, t_s, t_a, psi_s, psi_a, thickness, area)


def flank_fit_error_mm(values: ParamValues) -> float:
    """The measured largest deviation of a flank's B-spline from the involute, mm.

    Args:
        values: canonical values.
    """
    geometry = gear_geometry(values)
    spans = flank_spans(
        geometry.base_radius, geometry.start_roll, geometry.tip_roll, FIT_TOLERANCE_MM
    )
    return flank_fit_error(geometry.base_radius, spans)


def validate(values: ParamValues, material: Material) -> None:
    """Apply the family's rules to canonical values (ranges already checked).

    Args:
        values: canonical values (floats in mm and degrees, ``teeth`` an int).
        material: the resolved material of ``values["material"]``.

    Raises:
        ValidationError: ``VALIDATION_GEAR_UNDERCUT`` (field ``teeth``),
            ``VALIDATION_GEAR_TOOTH_TOO_THIN`` (``module``),
            ``VALIDATION_GEAR_POINTED_TIP`` (``profile_shift``),
            ``VALIDATION_INVALID_VALUE`` for a bore under :data:`MIN_BORE_MM`,
            ``VALIDATION_GEAR_BORE_TOO_LARGE`` or ``VALIDATION_GEAR_RIM_TOO_THIN``
            (``bore_diameter``).
    """
    m = float(values["module"])
    z = int(values["teeth"])
    alpha_deg = float(values["pressure_angle"])
    x = float(values["profile_shift"])
    sin2 = math.sin(math.radians(alpha_deg)) ** 2
    min_teeth = 2.0 * (1.0 - x) / sin2
    if z < min_teeth - 1e-9:
        raise ValidationError(
            "VALIDATION_GEAR_UNDERCUT",
            details={
                "field": "teeth",
                "teeth": z,
                "pressure_angle": alpha_deg,
                "profile_shift": x,
                "min_teeth": math.ceil(min_teeth - 1e-9),
                "min_profile_shift": round(1.0 - z * sin2 / 2.0, 3),
            },
        )
    geometry = gear_geometry(values)
    if geometry.pitch_thickness < material.min_wall_mm:
        raise ValidationError(
            "VALIDATION_GEAR_TOOTH_TOO_THIN",
            details={
                "field": "module",
                "thickness": round(geometry.pitch_thickness, 6),
                "min_wall": material.min_wall_mm,
                "material": material.id,
                "min_module": round(m * material.min_wall_mm / geometry.pitch_thickness, 3),
                "unit": "mm",
            },
        )
    min_land = MIN_TIP_LAND_MODULES * m
    if geometry.tip_land < min_land:
        raise ValidationError(
            "VALIDATION_GEAR_POINTED_TIP",
            details={
                "field": "profile_shift",
                "tip_land": round(geometry.tip_land, 6),
                "min_tip_land": round(min_land, 6),
                "profile_shift": x,
                "unit": "mm",
            },
        )
    bore = float(values["bore_diameter"])
    if bore == 0.0:
        return
    if bore < MIN_BORE_MM:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={
                "field": "bore_diameter",
                "reason": f"a bore is 0 (none) or at least {MIN_BORE_MM} mm",
                "value": bore,
            },
        )
    root_diameter = 2.0 * geometry.root_radius
    if bore >= root_diameter:
        raise ValidationError(
            "VALIDATION_GEAR_BORE_TOO_LARGE",
            details={
                "field": "bore_diameter",
                "bore_diameter": bore,
                "root_diameter": round(root_diameter, 6),
                "unit": "mm",
            },
        )
    rim = round(geometry.root_radius - bore / 2.0, 9)
    min_rim = max(material.min_wall_mm, MIN_RIM_BACKUP_RATIO * 2.25 * m)
    if rim < min_rim:
        raise ValidationError(
            "VALIDATION_GEAR_RIM_TOO_THIN",
            details={
                "field": "bore_diameter",
                "rim": rim,
                "min_rim": round(min_rim, 6),
                "material": material.id,
                "unit": "mm",
            },
        )


def _rotate(point: tuple[float, float], c: float, s: float) -> tuple[float, float]:
    return (c * point[0] - s * point[1], s * point[0] + c * point[1])


def build(values: ParamValues) -> Any:
    """Make the gear by extruding its exact 2D profile along +Z.

    The profile is one wire of ``z`` teeth (two B-spline flanks, a tip arc, a root arc
    and, below the base circle, two radial lines each) sharing its vertices, with the
    bore as a second wire; one prism makes the solid without booleans.

    Args:
        values: canonical values.

    Returns:
        The gear as an OCP ``TopoDS_Solid`` in millimetres.
    """
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeEdge,
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakeVertex,
        BRepBuilderAPI_MakeWire,
    )
    from OCP.BRepPrimAPI import BRepPrimAPI_MakePrism
    from OCP.collections import Array1_double, Array1_gp_Pnt, Array1_int
    from OCP.Geom import Geom_BSplineCurve, Geom_Circle
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pnt, gp_Vec
    from OCP.TopoDS import TopoDS

    geometry = gear_geometry(values)
    z = geometry.teeth
    rb, ra, rf = geometry.base_radius, geometry.tip_radius, geometry.root_radius
    spans = flank_spans(rb, geometry.start_roll, geometry.tip_roll, FIT_TOLERANCE_MM)
    # Flank poles in the involute's own frame (polar angle inv α_r from +X); the lower
    # flank of tooth 0 is that curve turned by -ψ0, the upper one its mirror image.
    offset = geometry.start_half_angle + (geometry.start_roll - math.atan(geometry.start_roll))
    raw_poles = [spans[0].poles[0]]
    for span in spans:
        raw_poles.extend(span.poles[1:])
    degree = 5
    knots = [spans[0].t0] + [span.t1 for span in spans]
    knot_array = Array1_double(1, len(knots))
    mult_array = Array1_int(1, len(knots))
    for i, knot in enumerate(knots, start=1):
        knot_array.SetValue(i, knot)
        mult_array.SetValue(i, degree + 1 if i in (1, len(knots)) else degree)

    def spline(poles: list[tuple[float, float]]) -> Any:
        array = Array1_gp_Pnt(1, len(poles))
        for i, (px, py) in enumerate(poles, start=1):
            array.SetValue(i, gp_Pnt(px, py, 0.0))
        curve = Geom_BSplineCurve(array, knot_array, mult_array, degree)
        # The spans join with C2 continuity, so two of each interior knot's five copies
        # go without changing the curve beyond rounding.
        for index in range(2, len(knots)):
            curve.RemoveKnot(index, degree - 2, 1e-10)
        return curve

    axis = gp_Ax2(gp_Pnt(0.0, 0.0, 0.0), gp_Dir(0.0, 0.0, 1.0))
    root_circle = Geom_Circle(gp_Circ(axis, rf))
    tip_circle = Geom_Circle(gp_Circ(axis, ra))
    t_s, t_a = geometry.start_roll, geometry.tip_roll
    psi_s, psi_a = geometry.start_half_angle, geometry.tip_half_angle
    radial = geometry.flank_start_radius > rf
    pitch = 2.0 * math.pi / z

    def vertex(radius: float, angle: float) -> Any:
        return BRepBuilderAPI_MakeVertex(
            gp_Pnt(radius * math.cos(angle), radius * math.sin(angle), 0.0)
        ).Vertex()

    rs = geometry.flank_start_radius
    # Tooth k is walked counter-clockwise: (radial line up,) lower flank, tip arc, upper
    # flank, (radial line down,) root arc to tooth k+1, whose first vertex it shares.
    root_vertices = [vertex(rf, k * pitch - psi_s) for k in range(z)] if radial else []
    low_vertices = [vertex(rs, k * pitch - psi_s) for k in range(z)]
    high_vertices = [vertex(rs, k * pitch + psi_s) for k in range(z)]
    tip_low = [vertex(ra, k * pitch - psi_a) for k in range(z)]
    tip_high = [vertex(ra, k * pitch + psi_a) for k in range(z)]
    wire = BRepBuilderAPI_MakeWire()
    for k in range(z):
        centre = k * pitch
        c_low, s_low = math.cos(centre - offset), math.sin(centre - offset)
        c_high, s_high = math.cos(centre + offset), math.sin(centre + offset)
        low = spline([_rotate(p, c_low, s_low) for p in raw_poles])
        high = spline([_rotate((p[0], -p[1]), c_high, s_high) for p in raw_poles])
        nxt = (k + 1) % z
        if radial:
            wire.Add(BRepBuilderAPI_MakeEdge(root_vertices[k], low_vertices[k]).Edge())
        wire.Add(BRepBuilderAPI_MakeEdge(low, low_vertices[k], tip_low[k], t_s, t_a).Edge())
        wire.Add(
            BRepBuilderAPI_MakeEdge(
                tip_circle, tip_low[k], tip_high[k], centre - psi_a, centre + psi_a
            ).Edge()
        )
        flank = BRepBuilderAPI_MakeEdge(high, high_vertices[k], tip_high[k], t_s, t_a).Edge()
        wire.Add(TopoDS.Edge(flank.Reversed()))
        end = root_vertices[nxt] if radial else low_vertices[nxt]
        start = vertex(rf, centre + psi_s) if radial else high_vertices[k]
        if radial:
            wire.Add(BRepBuilderAPI_MakeEdge(high_vertices[k], start).Edge())
        wire.Add(
            BRepBuilderAPI_MakeEdge(
                root_circle, start, end, centre + psi_s, centre + pitch - psi_s
            ).Edge()
        )
    face = BRepBuilderAPI_MakeFace(wire.Wire(), True)
    bore = float(values["bore_diameter"])
    if bore > 0.0:
        # Clockwise seen from +Z, so the circle bounds a hole.
        hole = gp_Circ(gp_Ax2(gp_Pnt(0.0, 0.0, 0.0), gp_Dir(0.0, 0.0, -1.0)), bore / 2.0)
        face.Add(BRepBuilderAPI_MakeWire(BRepBuilderAPI_MakeEdge(hole).Edge()).Wire())
    prism = BRepPrimAPI_MakePrism(face.Face(), gp_Vec(0.0, 0.0, float(values["face_width"])))
    return TopoDS.Solid(prism.Shape())


SPEC = FamilySpec(
    name=NAME,
    description=(
        "An external spur gear with involute flanks: axis Z, faces at z = 0 and "
        "z = face_width, tooth 0 centred on +X, optional bore on the axis."
    ),
    parameters=_PARAMETERS,
    validate=validate,
    build=build,
    example={
        "module": 2.0,
        "teeth": 20,
        "pressure_angle": 20.0,
        "face_width": 10.0,
        "bore_diameter": 10.0,
        "profile_shift": 0.0,
    },
)
"""The family's registration."""
