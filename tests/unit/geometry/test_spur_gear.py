"""The spur_gear family against closed forms and the involute's defining properties.

Volume oracle: the exact area of the profile (closed form below, derived from the polar
area ``(1/2)∮ r² dθ``; the involute contributes ``rb² t³ / 6``; checked against a dense
polygon) times the face width, minus the bore. The B-rep's flanks are B-splines within
``ε`` (measured, about 1e-10 mm) of the involute, so its area may differ by at most
``2 z L ε`` (``L`` the flank length); OCCT's Gauss quadrature over the B-spline faces
adds up to about 6e-11 relative (measured on 60 random gears), so 1e-10 is allowed on
top of the fit bound.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from OCP.BRep import BRep_Tool
from OCP.BRepAdaptor import BRepAdaptor_Curve
from OCP.BRepAlgoAPI import BRepAlgoAPI_Section
from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeEdge
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as ShapeMap
from OCP.GeomAbs import GeomAbs_BSplineCurve
from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pnt, gp_Vec
from OCP.GProp import GProp_GProps
from OCP.TopAbs import TopAbs_EDGE, TopAbs_VERTEX
from OCP.TopExp import TopExp, TopExp_Explorer
from OCP.TopoDS import TopoDS

from cadml.designs.params import canonical_values
from cadml.errors import ValidationError
from cadml.geometry.generators.spur_gear import (
    FIT_TOLERANCE_MM,
    SPEC,
    flank_fit_error_mm,
    gear_geometry,
)
from cadml.geometry.io.brep import encode_brep
from cadml.geometry.metrics import solids_of
from cadml.physics.materials import get_material

MATERIAL = "steel"


def inv(angle: float) -> float:
    return math.tan(angle) - angle


def oracle(values: dict[str, Any]) -> tuple[float, float]:
    """Closed-form volume and its allowance for the spline fit, mm³ (independent of the
    module's own geometry code)."""
    m, z, b = values["module"], values["teeth"], values["face_width"]
    alpha, x = math.radians(values["pressure_angle"]), values["profile_shift"]
    rp = m * z / 2
    rb, ra, rf = rp * math.cos(alpha), rp + m * (1 + x), rp - m * (1.25 - x)
    if 0 < rb - rf <= 1e-5:  # the module's documented snap of the root to the base
        rf = rb
    rs = max(rb, rf)
    s = m * (math.pi / 2 + 2 * x * math.tan(alpha))

    def psi(r: float) -> float:
        return s / (2 * rp) + inv(alpha) - inv(math.acos(rb / r))

    t_s, t_a = math.sqrt((rs / rb) ** 2 - 1), math.sqrt((ra / rb) ** 2 - 1)
    area = z * (ra**2 * psi(ra) + rb**2 * (t_a**3 - t_s**3) / 3 + rf**2 * (math.pi / z - psi(rs)))
    volume = b * (area - math.pi * (values["bore_diameter"] / 2) ** 2)
    flank_length = rb * (t_a**2 - t_s**2) / 2  # arc length of an involute: rb t² / 2
    allowance = b * 2 * z * flank_length * flank_fit_error_mm(values) + 1e-10 * volume
    return volume, allowance


def exact_volume(shape: Any) -> float:
    total = 0.0
    for solid in solids_of(shape):
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props)
        total += props.Mass()
    return total


def canonical(**params: Any) -> dict[str, Any]:
    values = canonical_values(SPEC, {**params, "material": MATERIAL})
    SPEC.check(values, get_material(MATERIAL))
    return values


def vertex_radii(shape: Any) -> list[float]:
    radii = []
    explorer = TopExp_Explorer(shape, TopAbs_VERTEX)
    while explorer.More():
        p = BRep_Tool.Pnt_s(TopoDS.Vertex(explorer.Current()))
        radii.append(math.hypot(p.X(), p.Y()))
        explorer.Next()
    return radii


def flank_curves(shape: Any) -> list[Any]:
    """The B-spline edges of ``shape``, each once (two per tooth on each face)."""
    edges = ShapeMap()
    TopExp.MapShapes_s(shape, TopAbs_EDGE, edges)
    curves = []
    for i in range(1, edges.Extent() + 1):
        curve = BRepAdaptor_Curve(TopoDS.Edge(edges.FindKey(i)))
        if curve.GetType() == GeomAbs_BSplineCurve:
            curves.append(curve)
    return curves


def pitch_crossings(shape: Any, radius: float, height: float) -> list[float]:
    """Polar angles where the circle of ``radius`` at ``z = height`` crosses the solid."""
    circle = gp_Circ(gp_Ax2(gp_Pnt(0, 0, height), gp_Dir(0, 0, 1)), radius)
    section = BRepAlgoAPI_Section(shape, BRepBuilderAPI_MakeEdge(circle).Edge())
    section.Build()
    angles = set()
    explorer = TopExp_Explorer(section.Shape(), TopAbs_VERTEX)
    while explorer.More():
        p = BRep_Tool.Pnt_s(TopoDS.Vertex(explorer.Current()))
        angles.add(round(math.atan2(p.Y(), p.X()), 12))
        explorer.Next()
    return sorted(angles)


EXAMPLES = [
    # The documented example: 20 teeth, root circle inside the base circle.
    dict(SPEC.example),
    # Root circle outside the base circle (z >= 42 at 20°): no radial flank.
    {"module": 1.5, "teeth": 60, "face_width": 8.0},
    # Profile shift and 25°: 10 teeth without undercut.
    {"module": 3.0, "teeth": 10, "pressure_angle": 25.0, "face_width": 12.0,
     "profile_shift": 0.2, "bore_diameter": 6.0},
]  # fmt: skip


@pytest.fixture(scope="module", params=range(len(EXAMPLES)))
def built(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Any]:
    values = canonical(**EXAMPLES[request.param])
    return values, SPEC.build(values)


def test_closed_form_area_matches_a_dense_polygon_of_the_exact_profile() -> None:
    # Sample the exact profile (involutes, arcs, radial lines) and take the shoelace
    # area: an independent check of the closed form's derivation.
    values = canonical(**EXAMPLES[0])
    g = gear_geometry(values)
    n = 20_000
    ts = np.linspace(g.start_roll, g.tip_roll, n)
    r_flank = g.base_radius * np.sqrt(1 + ts**2)
    psi_flank = g.start_half_angle + (g.start_roll - math.atan(g.start_roll)) - (ts - np.arctan(ts))
    pitch = 2 * math.pi / g.teeth
    pieces_r, pieces_a = [], []
    for k in range(g.teeth):
        c = k * pitch
        tip = np.linspace(-g.tip_half_angle, g.tip_half_angle, n)
        root = np.linspace(g.start_half_angle, pitch - g.start_half_angle, n)
        pieces_r += [r_flank, np.full(n, g.tip_radius), r_flank[::-1], np.full(n, g.root_radius)]
        pieces_a += [c - psi_flank, c + tip, c + psi_flank[::-1], c + root]
    r, a = np.concatenate(pieces_r), np.concatenate(pieces_a)
    x, y = r * np.cos(a), r * np.sin(a)
    shoelace = 0.5 * abs(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    assert shoelace == pytest.approx(g.area, rel=1e-8)
    assert oracle(values)[0] == pytest.approx(g.area * 10.0 - math.pi * 25.0 * 10.0, rel=1e-14)


def test_valid_single_solid_with_the_closed_form_volume(built: tuple[dict[str, Any], Any]) -> None:
    values, shape = built
    assert BRepCheck_Analyzer(shape).IsValid()
    assert len(solids_of(shape)) == 1
    volume, allowance = oracle(values)
    assert abs(exact_volume(shape) - volume) <= allowance
    assert allowance < 1e-9 * volume


def test_tip_root_and_base_circles(built: tuple[dict[str, Any], Any]) -> None:
    values, shape = built
    m, z, x = values["module"], values["teeth"], values["profile_shift"]
    alpha = math.radians(values["pressure_angle"])
    radii = vertex_radii(shape)
    bore = values["bore_diameter"] / 2
    outer = [r for r in radii if r > bore + 1e-6]
    assert 2 * max(outer) == pytest.approx(m * (z + 2 + 2 * x), abs=1e-9)
    assert 2 * min(outer) == pytest.approx(m * (z - 2.5 + 2 * x), abs=1e-9)
    if x == 0:
        assert 2 * max(outer) == pytest.approx(m * (z + 2), abs=1e-9)
        assert 2 * min(outer) == pytest.approx(m * (z - 2.5), abs=1e-9)
    # Every flank's normal touches the base circle: distance from the axis to the
    # normal line at a point P with unit tangent T is |P . T| = m z cos(α) / 2.
    base = m * z * math.cos(alpha) / 2
    curves = flank_curves(shape)
    assert len(curves) == 2 * 2 * z  # two flanks per tooth, on both faces
    for curve in curves[:8]:
        first, last = curve.FirstParameter(), curve.LastParameter()
        for u in np.linspace(first, last, 9)[1:]:
            p, d = gp_Pnt(), gp_Vec()
            curve.D1(float(u), p, d)
            along = abs(p.X() * d.X() + p.Y() * d.Y()) / math.hypot(d.X(), d.Y())
            assert along == pytest.approx(base, abs=1e-6)


def test_flanks_on_the_solid_lie_on_the_exact_involute(
    built: tuple[dict[str, Any], Any],
) -> None:
    # A point at radius r of an exact flank lies at polar angle ±ψ(r) from its tooth's
    # centre; the distance r·|θ - θ_exact| measures the fit on the built edges.
    values, shape = built
    g = gear_geometry(values)
    pitch = 2 * math.pi / g.teeth
    offset = g.start_half_angle + (g.start_roll - math.atan(g.start_roll))
    worst = 0.0
    for curve in flank_curves(shape):
        first, last = curve.FirstParameter(), curve.LastParameter()
        for u in np.linspace(first, last, 33):
            p = curve.Value(float(u))
            r, theta = math.hypot(p.X(), p.Y()), math.atan2(p.Y(), p.X())
            t = math.sqrt(max((r / g.base_radius) ** 2 - 1, 0.0))
            psi = offset - (t - math.atan(t))
            local = (theta + pitch / 2) % pitch - pitch / 2
            worst = max(worst, r * abs(abs(local) - psi))
    assert worst < 1e-6  # the brief's 1 µm
    assert worst < 10 * FIT_TOLERANCE_MM + 1e-12 * g.tip_radius


def test_tooth_thickness_on_the_pitch_circle(built: tuple[dict[str, Any], Any]) -> None:
    values, shape = built
    m, z, x = values["module"], values["teeth"], values["profile_shift"]
    alpha = math.radians(values["pressure_angle"])
    rp = m * z / 2
    crossings = pitch_crossings(shape, rp, values["face_width"] / 2)
    assert len(crossings) == 2 * z
    near = [a for a in crossings if abs(a) < math.pi / z]
    assert len(near) == 2 and near[0] == pytest.approx(-near[1], abs=1e-12)
    thickness = rp * (near[1] - near[0])
    assert thickness == pytest.approx(m * (math.pi / 2 + 2 * x * math.tan(alpha)), abs=1e-6)
    if x == 0:
        assert thickness == pytest.approx(math.pi * m / 2, abs=1e-6)


def test_fit_error_is_reported_below_a_micrometre() -> None:
    for example in EXAMPLES:
        error = flank_fit_error_mm(canonical(**example))
        assert 0 < error < FIT_TOLERANCE_MM < 1e-6


def test_builds_are_byte_identical() -> None:
    values = canonical(**EXAMPLES[0])
    assert encode_brep(SPEC.build(values)) == encode_brep(SPEC.build(values))


# ------------------------------------------------------------------ meshing


def profile_radius(values: dict[str, Any], angles: np.ndarray) -> np.ndarray:
    """The exact profile's radius at each polar angle (the profile is star-shaped)."""
    g = gear_geometry(values)
    pitch = 2 * math.pi / g.teeth
    offset = g.start_half_angle + (g.start_roll - math.atan(g.start_roll))
    local = np.abs((angles + pitch / 2) % pitch - pitch / 2)
    # On a flank, inv(α_r) = t - atan(t) = offset - |θ|; solve for t by bisection.
    target = offset - local
    lo, hi = np.full_like(local, g.start_roll), np.full_like(local, g.tip_roll)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = mid - np.arctan(mid) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    flank = g.base_radius * np.sqrt(1 + lo**2)
    radius = np.where(local <= g.tip_half_angle, g.tip_radius, flank)
    return np.where(local >= g.start_half_angle, g.root_radius, radius)


def profile_points(values: dict[str, Any], n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Dense points on the exact flanks and tips of every tooth, ``(x, y)``."""
    g = gear_geometry(values)
    ts = np.linspace(g.start_roll, g.tip_roll, n)
    offset = g.start_half_angle + (g.start_roll - math.atan(g.start_roll))
    r_flank = g.base_radius * np.sqrt(1 + ts**2)
    psi = offset - (ts - np.arctan(ts))
    tip = np.linspace(-g.tip_half_angle, g.tip_half_angle, n)
    r = np.concatenate([r_flank, r_flank, np.full(n, g.tip_radius)])
    a = np.concatenate([psi, -psi, tip])
    centres = np.arange(g.teeth) * 2 * math.pi / g.teeth
    angles = (a[None, :] + centres[:, None]).ravel()
    radii = np.tile(r, g.teeth)
    return radii * np.cos(angles), radii * np.sin(angles)


def deepest_penetration(first: dict[str, Any], second: dict[str, Any], centre: float) -> float:
    """How far the second gear's teeth reach into the first, over a pitch of rotation."""
    z1, z2 = first["teeth"], second["teeth"]
    x2, y2 = profile_points(second)
    worst = -math.inf
    for phi1 in np.linspace(0, 2 * math.pi / z1, 61):
        # Gear 2 turns the other way at z1/z2; a tooth space of it faces gear 1's tooth 0.
        phi2 = math.pi + math.pi / z2 - phi1 * z1 / z2
        c, s = math.cos(phi2), math.sin(phi2)
        px, py = centre + c * x2 - s * y2, s * x2 + c * y2
        r, theta = np.hypot(px, py), np.arctan2(py, px) - phi1
        worst = max(worst, float(np.max(profile_radius(first, theta) - r)))
    return worst


def test_two_gears_mesh_without_interference_at_the_standard_centre_distance() -> None:
    first = canonical(module=2.0, teeth=20, face_width=10.0)
    second = canonical(module=2.0, teeth=31, face_width=10.0)
    centre = 2.0 * (20 + 31) / 2
    # Zero backlash: the flanks touch (penetration ~ 0) but never overlap, either way.
    assert abs(deepest_penetration(first, second, centre)) < 1e-7
    assert abs(deepest_penetration(second, first, centre)) < 1e-7
    # The check is sharp: 10 µm closer, the teeth overlap.
    assert deepest_penetration(first, second, centre - 0.01) > 1e-3


# --------------------------------------------------------------- hypothesis


@st.composite
def valid_params(draw: st.DrawFn) -> dict[str, Any]:
    teeth = draw(st.integers(min_value=12, max_value=120))
    alpha = draw(st.floats(min_value=14.5, max_value=25.0).map(lambda v: round(v, 2)))
    module = draw(st.sampled_from([0.5, 0.8, 1.0, 1.25, 2.0, 3.0, 5.0, 8.0, 20.0]))
    sin2 = math.sin(math.radians(alpha)) ** 2
    # No undercut: x >= 1 - z sin²α / 2 (with a margin that survives rounding).
    low = max(-0.5, 1.0 - teeth * sin2 / 2.0) + 1e-3
    shift = round(draw(st.floats(min_value=low, max_value=min(low + 0.4, 1.0))), 3)
    params = {
        "module": module,
        "teeth": teeth,
        "pressure_angle": alpha,
        "face_width": draw(st.floats(min_value=0.1, max_value=200.0).map(lambda v: round(v, 3))),
        "profile_shift": shift,
    }
    g = gear_geometry(canonical_values(SPEC, params))
    assume(g.tip_land >= 0.2 * module + 1e-6)
    # Rim >= max(0.5 mm steel wall, 1.125 m) under the root circle.
    room = g.root_radius - max(0.5, 1.125 * module) - 1e-3
    if draw(st.booleans()) and room > 0.3:
        params["bore_diameter"] = round(2 * draw(st.floats(min_value=0.25, max_value=room)), 3)
    return params


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(params=valid_params())
def test_random_valid_gears_build_the_closed_form_solid(params: dict[str, Any]) -> None:
    values = canonical(**params)
    shape = SPEC.build(values)
    assert BRepCheck_Analyzer(shape).IsValid()
    assert len(solids_of(shape)) == 1
    volume, allowance = oracle(values)
    assert abs(exact_volume(shape) - volume) <= allowance


BROKEN_RULES = {
    "undercut": "VALIDATION_GEAR_UNDERCUT",
    "pointed": "VALIDATION_GEAR_POINTED_TIP",
    "tiny_bore": "VALIDATION_INVALID_VALUE",
    "bore_too_large": "VALIDATION_GEAR_BORE_TOO_LARGE",
    "thin_rim": "VALIDATION_GEAR_RIM_TOO_THIN",
    "thin_tooth": "VALIDATION_GEAR_TOOTH_TOO_THIN",
}


@st.composite
def invalid_params(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    rule = draw(st.sampled_from(sorted(BROKEN_RULES)))
    alpha = draw(st.floats(min_value=14.5, max_value=25.0).map(lambda v: round(v, 2)))
    sin2 = math.sin(math.radians(alpha)) ** 2
    module = draw(st.sampled_from([0.5, 1.0, 2.0, 4.0]))
    params: dict[str, Any] = {"module": module, "pressure_angle": alpha, "face_width": 5.0}
    if rule == "undercut":
        teeth = draw(st.integers(min_value=6, max_value=30))
        params.update(teeth=teeth, profile_shift=round(max(-0.5, 1 - teeth * sin2 / 2 - 0.01), 3))
        if 2 * (1 - params["profile_shift"]) / sin2 <= teeth:
            params["profile_shift"] = -0.5
            params["teeth"] = 6
    elif rule == "thin_tooth":
        # ABS needs 1.2 mm walls; m (π/2 + 2 x tan α) <= 1.02 mm at m = 0.5, x <= 0.5.
        params.update(teeth=draw(st.integers(min_value=40, max_value=200)), module=0.5)
        params["profile_shift"] = round(draw(st.floats(0.0, 0.5)), 3)
    elif rule == "pointed":
        # Up to 14 teeth, a full unit of profile shift leaves no tip land at any α.
        params.update(teeth=draw(st.integers(min_value=6, max_value=14)), profile_shift=1.0)
    else:
        teeth = draw(st.integers(min_value=40, max_value=120))
        params.update(teeth=teeth, profile_shift=0.0)
        root = module * (teeth - 2.5)
        min_rim = max(0.5, 1.125 * module)
        if rule == "tiny_bore":
            params["bore_diameter"] = draw(st.sampled_from([0.001, 0.1, 0.499]))
        elif rule == "bore_too_large":
            params["bore_diameter"] = round(root + draw(st.floats(0.0, 50.0)), 3)
        else:
            params["bore_diameter"] = round(root - 2 * min_rim * draw(st.floats(0.01, 0.99)), 3)
    return rule, params


@settings(max_examples=25, deadline=None)
@given(case=invalid_params())
def test_each_broken_rule_gives_its_code(case: tuple[str, dict[str, Any]]) -> None:
    rule, params = case
    material = "abs" if rule == "thin_tooth" else MATERIAL
    values = canonical_values(SPEC, {**params, "material": material})
    with pytest.raises(ValidationError) as caught:
        SPEC.check(values, get_material(material))
    assert caught.value.code == BROKEN_RULES[rule]
    fields = {"undercut": "teeth", "pointed": "profile_shift", "thin_tooth": "module"}
    field = fields.get(rule, "bore_diameter")
    assert caught.value.details["field"] == field


def test_root_gap_stays_open_for_every_valid_gear() -> None:
    # No rule is needed for the tooth spaces: over the whole valid range the root arc
    # between neighbouring teeth is at least 0.4 m long (measured minimum 0.405 m at
    # z = 200, α = 25°, x = 1).
    steel = get_material(MATERIAL)
    shortest = math.inf
    for teeth in (*range(6, 40), 60, 100, 150, 200):
        for alpha in (14.5, 17.0, 20.0, 22.5, 25.0):
            for shift in np.linspace(-0.5, 1.0, 16):
                values = {
                    "module": 1.0,
                    "teeth": teeth,
                    "pressure_angle": alpha,
                    "face_width": 1.0,
                    "bore_diameter": 0.0,
                    "profile_shift": round(float(shift), 3),
                }
                try:
                    SPEC.validate(values, steel)
                except ValidationError:
                    continue
                g = gear_geometry(values)
                shortest = min(
                    shortest, g.root_radius * (2 * math.pi / teeth - 2 * g.start_half_angle)
                )
    assert 0.4 < shortest < 0.5


def test_example_and_schema() -> None:
    values = canonical(**SPEC.example)
    assert values["bore_diameter"] == 10.0
    schema = SPEC.json_schema(("steel",), ("cnc_milling",))
    assert set(schema["properties"]) == {*SPEC.parameter_names, "material", "process"}
    assert schema["properties"]["teeth"] == {
        "description": "Number of teeth z.",
        "type": "integer",
        "minimum": 6,
        "maximum": 200,
        "default": 20,
    }
    assert schema["required"] == ["module", "teeth", "face_width"]
    defaults = canonical(**{p.name: p.default for p in SPEC.parameters})
    assert defaults["teeth"] == 20


def test_root_a_hair_below_the_base_circle_is_snapped_to_it() -> None:
    # rb - rf = m (1.25 - x - z (1 - cos α) / 2); pick x so that it is about 5 nm.
    z, alpha = 42, math.radians(20.0)
    shift = round(1.25 - z * (1 - math.cos(alpha)) / 2 - 5e-6, 6)
    values = canonical(module=1.0, teeth=z, face_width=3.0, profile_shift=shift)
    base = z * math.cos(alpha) / 2
    assert 0 < base - (z / 2 - 1.25 + shift) <= 1e-5
    shape = SPEC.build(values)
    assert BRepCheck_Analyzer(shape).IsValid() and len(solids_of(shape)) == 1
    assert min(vertex_radii(shape)) == pytest.approx(base, abs=1e-12)
    volume, allowance = oracle(values)
    assert abs(exact_volume(shape) - volume) <= allowance
