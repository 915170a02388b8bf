"""The shaft family against its exact closed-form volume.

Oracle: cylinders - chamfer rings (cylinder - frustum) + shoulder fillet rings (Pappus:
spandrel area f²(1 - π/4) on its centroid circle) - keyway (exact circular-segment
section; the round ends through complete elliptic integrals, here from scipy, while the
module never computes them). Volumes are measured with OCCT's adaptive integration
(``VolumeProperties(shape, props, eps)``): the default fixed Gauss rule is off by
3.6e-8 relative on the faces where the keyway's half-cylinders meet the shaft.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps
from scipy.special import ellipe, ellipk

from cadml.designs.params import canonical_values
from cadml.errors import ValidationError
from cadml.geometry.generators.shaft import MIN_FEATURE_MM, SPEC
from cadml.geometry.io.brep import encode_brep
from cadml.geometry.metrics import solids_of, topology_counts
from cadml.physics.materials import get_material

REL = 1e-9
MATERIAL = "steel"
SPANDREL_CENTROID = (10 - 3 * math.pi) / (12 - 3 * math.pi)


def keyway_volume(radius: float, width: float, depth: float, length: float, ends: str) -> float:
    a, r = width / 2, radius
    section = a * math.sqrt(r * r - a * a) + r * r * math.asin(a / r) - 2 * a * (r - depth)
    if ends == "flat":
        return section * length
    m = (a / r) ** 2
    cap = 2 * r / 3 * ((r * r + a * a) * ellipe(m) - (r * r - a * a) * ellipk(m))
    return section * (length - width) + 2 * cap - math.pi * a * a * (r - depth)


def oracle(values: dict[str, Any]) -> float:
    radii = [d / 2 for d in values["diameters"]]
    c, f = values["chamfer"], values["fillet_radius"]
    lengths = values["lengths"]
    volume = sum(math.pi * r * r * length for r, length in zip(radii, lengths, strict=True))
    volume -= sum(math.pi * c * c * (r - c / 3) for r in (radii[0], radii[-1]))
    for a, b in itertools.pairwise(radii):
        volume += 2 * math.pi * (min(a, b) + f * SPANDREL_CENTROID) * f * f * (1 - math.pi / 4)
    step = values["keyway_step"]
    if step >= 0:
        volume -= keyway_volume(
            radii[step],
            values["keyway_width"],
            values["keyway_depth"],
            values["keyway_length"],
            values["keyway_ends"],
        )
    return volume


def exact_volume(shape: Any) -> float:
    total = 0.0
    for solid in solids_of(shape):
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props, 1e-10)
        total += props.Mass()
    return total


def canonical(params: dict[str, Any]) -> dict[str, Any]:
    values = canonical_values(SPEC, {**params, "material": MATERIAL})
    SPEC.check(values, get_material(MATERIAL))
    return values


def check_solid(values: dict[str, Any]) -> Any:
    shape = SPEC.build(values)
    assert BRepCheck_Analyzer(shape).IsValid()
    assert len(solids_of(shape)) == 1
    assert exact_volume(shape) == pytest.approx(oracle(values), rel=REL)
    return shape


def test_plain_cylinder_is_exact() -> None:
    values = canonical({"diameters": [20.0], "lengths": [50.0], "chamfer": 0.0})
    shape = check_solid(values)
    assert exact_volume(shape) == pytest.approx(math.pi * 100.0 * 50.0, rel=1e-12)
    # Two planes and one cylinder (with its seam).
    assert topology_counts(shape)["faces"] == 3


def test_closed_form_pieces_against_independent_formulas() -> None:
    # Chamfer ring = Pappus on the triangle c²/2 at radius r - c/3.
    r, c = 10.0, 2.0
    frustum = math.pi * c / 3 * (r * r + r * (r - c) + (r - c) ** 2)
    assert math.pi * r * r * c - frustum == pytest.approx(2 * math.pi * (r - c / 3) * c * c / 2)
    # A keyway as wide as the chord at its bottom is a circular segment.
    rk, t = 10.0, 3.0
    chord = 2 * math.sqrt(t * (2 * rk - t))
    theta = 2 * math.acos((rk - t) / rk)
    segment = rk * rk / 2 * (theta - math.sin(theta))
    assert keyway_volume(rk, chord, t, 7.0, "flat") == pytest.approx(segment * 7.0, rel=1e-12)


@pytest.mark.parametrize("ends", ["round", "flat"])
def test_example_builds_the_closed_form_solid(ends: str) -> None:
    values = canonical({**SPEC.example, "keyway_ends": ends})
    shape = check_solid(values)
    counts = topology_counts(shape)
    assert counts["solids"] == 1
    assert encode_brep(shape) == encode_brep(SPEC.build(values))


def test_keyway_is_on_plus_x_of_its_step() -> None:
    from OCP.BRepClass3d import BRepClass3d_SolidClassifier
    from OCP.gp import gp_Pnt
    from OCP.TopAbs import TopAbs_IN, TopAbs_OUT

    values = canonical(SPEC.example)
    shape = SPEC.build(values)
    # Step 1 spans z = 30..70, radius 12.5; the fillet of the shoulder to the larger
    # step 2 takes 0.8 mm, so the land is 30..69.2. The keyway is 4 mm deep, 8 wide.
    z = (30.0 + 69.2) / 2
    for point, expected in (
        ((12.0, 0.0, z), TopAbs_OUT),  # inside the keyway
        ((8.4, 0.0, z), TopAbs_IN),  # below its bottom (x = 8.5)
        ((-12.0, 0.0, z), TopAbs_IN),  # the opposite side
        ((0.0, 12.0, z), TopAbs_IN),  # beside it (|y| > 4)
    ):
        classifier = BRepClass3d_SolidClassifier(shape, gp_Pnt(*point), 1e-7)
        assert classifier.State() == expected, point


LIMITS = [
    # The largest chamfer on the 20 mm end, a fillet a hair under half the 2.5 mm
    # shoulder, and a 0.05 mm land left on step 0.
    {"diameters": [20.0, 30.0, 25.0], "lengths": [11.249999, 20.0, 40.0], "chamfer": 9.95,
     "fillet_radius": 1.249999},
    # The deepest, widest, longest round keyway on the 25 mm step.
    {**{"diameters": [20.0, 30.0, 25.0], "lengths": [30.0, 20.0, 40.0], "chamfer": 1.0,
        "fillet_radius": 1.0, "keyway_step": 2, "keyway_depth": 12.45},
     "keyway_width": round(2 * (math.sqrt(12.45 * 12.55) - 0.05), 6), "keyway_length": 37.9},
    # The widest flat keyway at 4 mm depth, and the shortest round one.
    {"diameters": [20.0, 30.0, 25.0], "lengths": [30.0, 20.0, 40.0], "chamfer": 1.0,
     "fillet_radius": 1.0, "keyway_step": 2, "keyway_depth": 4.0,
     "keyway_width": round(2 * (math.sqrt(4.0 * 21.0) - 0.05), 6), "keyway_length": 37.9,
     "keyway_ends": "flat"},
    {"diameters": [20.0, 30.0, 25.0], "lengths": [30.0, 20.0, 40.0], "chamfer": 1.0,
     "fillet_radius": 1.0, "keyway_step": 2, "keyway_depth": 4.0, "keyway_width": 8.0,
     "keyway_length": 8.05},
    # Eight short steps with the lowest shoulders.
    {"diameters": [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7], "lengths": [0.5] * 8,
     "chamfer": 0.05},
]  # fmt: skip


@pytest.mark.parametrize("params", LIMITS)
def test_parameters_at_their_limits_still_build(params: dict[str, Any]) -> None:
    check_solid(canonical(params))


# --------------------------------------------------------------- hypothesis

dims = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def valid_params(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=1, max_value=5))
    diameters = [round(draw(st.floats(min_value=4.0, max_value=120.0)), 3)]
    for _ in range(count - 1):
        step = round(draw(st.floats(min_value=0.5, max_value=30.0)), 3)
        up = draw(st.booleans()) or diameters[-1] - 2 * step < 4.0
        diameters.append(round(diameters[-1] + (step if up else -step), 3))
    radii = [d / 2 for d in diameters]
    heights = [abs(a - b) for a, b in itertools.pairwise(radii)]
    fillet = 0.0
    if heights and draw(st.booleans()):
        fillet = round(0.05 + draw(dims) * (min(heights) / 2 - 0.05 - 2e-3), 3)
    chamfer = 0.0
    if draw(st.booleans()):
        chamfer = round(0.05 + draw(dims) * (min(radii[0], radii[-1]) / 2 - 0.05), 3)
    keyed = draw(st.integers(min_value=-1, max_value=count - 1))
    key: dict[str, Any] = {"keyway_step": keyed}
    key_room = 0.0
    if keyed >= 0:
        r = radii[keyed]
        depth = round(0.1 + draw(dims) * (r / 2 - 0.1), 3)
        half_chord = math.sqrt(depth * (2 * r - depth))
        width = round(0.5 + draw(dims) * max(0.0, 2 * (half_chord - 0.05) - 0.5 - 2e-3), 3)
        if width > 2 * (half_chord - 0.05):
            return draw(valid_params())
        ends = draw(st.sampled_from(["round", "flat"]))
        length = round(max(width + 0.06, 1.0) + draw(dims) * 60.0, 3)
        key.update(keyway_depth=depth, keyway_width=width, keyway_length=length)
        key["keyway_ends"] = ends
        key_room = length + 2 * MIN_FEATURE_MM + 1e-3
    lengths = []
    for i, r in enumerate(radii):
        used = (chamfer if i == 0 else 0.0) + (chamfer if i == count - 1 else 0.0)
        if fillet and i > 0 and r < radii[i - 1]:
            used += fillet
        if fillet and i < count - 1 and r < radii[i + 1]:
            used += fillet
        land = max(0.5 + draw(dims) * 40.0, key_room if i == keyed else 0.0)
        lengths.append(round(used + land + 1e-3, 3))
    return {
        "diameters": diameters,
        "lengths": lengths,
        "chamfer": chamfer,
        "fillet_radius": fillet,
        **key,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=valid_params())
def test_random_valid_shafts_build_the_closed_form_solid(params: dict[str, Any]) -> None:
    check_solid(canonical(params))


BASE = {
    "diameters": [20.0, 30.0, 25.0],
    "lengths": [30.0, 20.0, 40.0],
    "chamfer": 1.0,
    "fillet_radius": 1.0,
    "keyway_step": 2,
    "keyway_width": 8.0,
    "keyway_depth": 4.0,
    "keyway_length": 25.0,
    "keyway_ends": "round",
}


@st.composite
def broken(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """``(code, field, params)``: BASE with exactly one rule broken."""
    p = {**BASE, "diameters": list(BASE["diameters"]), "lengths": list(BASE["lengths"])}
    u = draw(dims)
    rule = draw(st.sampled_from(range(11)))
    if rule == 0:
        p["lengths"] = p["lengths"][: draw(st.integers(1, 2))]
        return "VALIDATION_SHAFT_COUNT_MISMATCH", "lengths", p
    if rule == 1:
        p["diameters"][1] = round(20.0 + draw(st.sampled_from([-1, 1])) * 0.099 * u, 3)
        return "VALIDATION_SHAFT_STEP_TOO_LOW", "diameters[1]", p
    if rule == 2:
        p["chamfer"] = round(9.951 + u * 40.0, 3)  # the 20 mm end leaves 9.95 mm at most
        return "VALIDATION_SHAFT_CHAMFER_TOO_LARGE", "chamfer", p
    if rule == 3:
        p["chamfer"] = round(0.001 + u * 0.048, 3)
        return "VALIDATION_INVALID_VALUE", "chamfer", p
    if rule == 4:
        p["fillet_radius"] = round(1.25 + u * 10.0, 3)  # shoulder 1 is 2.5 mm high
        return "VALIDATION_SHAFT_FILLET_TOO_LARGE", "fillet_radius", p
    if rule == 5:
        # Step 0 (smaller than step 1) carries the end chamfer and one fillet: 2 mm.
        p["lengths"][0] = round(0.5 + u * (2.049 - 0.5), 3)
        return "VALIDATION_SHAFT_STEP_TOO_SHORT", "lengths[0]", p
    if rule == 6:
        p["keyway_step"] = draw(st.integers(3, 7))
        return "VALIDATION_SHAFT_KEYWAY_STEP", "keyway_step", p
    if rule == 7:
        p["keyway_depth"] = round(12.451 + u * 50.0, 3)
        return "VALIDATION_SHAFT_KEYWAY_TOO_DEEP", "keyway_depth", p
    if rule == 8:
        # The chord at 4 mm depth in a 25 mm step is 2 sqrt(4 * 21) = 18.33 mm.
        p["keyway_width"] = round(18.3 + u * 50.0, 3)
        p["keyway_length"] = 40.0
        return "VALIDATION_SHAFT_KEYWAY_TOO_WIDE", "keyway_width", p
    if rule == 9:
        p["keyway_length"] = round(1.0 + u * 7.049, 3)
        return "VALIDATION_SHAFT_KEYWAY_TOO_SHORT", "keyway_length", p
    # Step 2 (50..90) loses 1 mm to the fillet of the shoulder to the larger step 1
    # and 1 mm to the end chamfer: a 38 mm land takes 37.9 mm with the margins.
    p["keyway_length"] = round(37.901 + u * 100.0, 3)
    p["keyway_ends"] = draw(st.sampled_from(["round", "flat"]))
    return "VALIDATION_SHAFT_KEYWAY_TOO_LONG", "keyway_length", p


def test_base_of_the_broken_cases_is_valid() -> None:
    check_solid(canonical(BASE))
    check_solid(canonical({**BASE, "keyway_length": 37.9, "keyway_ends": "flat"}))


@settings(max_examples=30, deadline=None)
@given(case=broken())
def test_each_broken_rule_gives_its_code(case: tuple[str, str, dict[str, Any]]) -> None:
    code, field, params = case
    values = canonical_values(SPEC, {**params, "material": MATERIAL})
    with pytest.raises(ValidationError) as caught:
        SPEC.check(values, get_material(MATERIAL))
    assert (caught.value.code, caught.value.details["field"]) == (code, field)


def test_schema_and_defaults() -> None:
    schema = SPEC.json_schema(("steel",), ("cnc_milling",))
    assert set(schema["properties"]) == {*SPEC.parameter_names, "material", "process"}
    assert schema["properties"]["diameters"]["maxItems"] == 8
    assert schema["properties"]["keyway_ends"]["enum"] == ["round", "flat"]
    assert schema["required"] == ["diameters", "lengths"]
    defaults = canonical({p.name: p.default for p in SPEC.parameters})
    check_solid(defaults)
