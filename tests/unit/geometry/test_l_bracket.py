"""The l_bracket family against its closed-form volume and its rules."""

from __future__ import annotations

import math
from typing import Any

import pytest
from family_checks import FamilyChecks, exact_volume
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadml.geometry.generators.l_bracket import SPEC, gusset_spans, hole_rows
from cadml.physics.materials import get_material

REL = 1e-9
MATERIALS = ("aluminum_6061", "steel", "abs")


def oracle(v: dict[str, Any]) -> float:
    """L section x width + gusset triangles (less the bend's fillet area) - holes."""
    a, b, w, t, ri = (
        v[k] for k in ("base_length", "upright_length", "width", "thickness", "bend_radius")
    )
    if ri == 0:
        section = a * t + (b - t) * t  # base full length, upright above it
    else:
        straight = (a - t - ri) * t + (b - t - ri) * t
        section = straight + math.pi * ((ri + t) ** 2 - ri**2) / 4  # quarter annulus
    # The triangle's corner square ri x ri less the quarter disc is already bend material.
    triangle = v["gusset_size"] ** 2 / 2 - (ri**2 - math.pi * ri**2 / 4)
    holes = v["base_hole_count"] * v["base_hole_diameter"] ** 2
    holes += v["upright_hole_count"] * v["upright_hole_diameter"] ** 2
    return (
        section * w + v["gusset_count"] * v["gusset_thickness"] * triangle - math.pi / 4 * holes * t
    )


FAMILY = FamilyChecks(SPEC)
checked, build_solid, error_of = FAMILY.checked, FAMILY.build_solid, FAMILY.error_of


EXAMPLE = dict(SPEC.example or {})


def test_example_builds_the_closed_form_solid() -> None:
    values = checked(EXAMPLE)
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)
    assert gusset_spans(values) == [(0.0, 3.0), (37.0, 40.0)]
    assert hole_rows(values) == {"base": (34.0, [10.0, 30.0]), "upright": (29.0, [10.0, 30.0])}


def test_defaults_build() -> None:
    values = checked({p.name: p.default for p in SPEC.parameters})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


def test_a_sharp_plain_angle_is_two_rectangles() -> None:
    params = {"base_length": 50, "upright_length": 40, "width": 30, "thickness": 5}
    params |= {"bend_radius": 0, "gusset_count": 0, "base_hole_count": 0, "upright_hole_count": 0}
    shape = build_solid(checked(params))
    assert exact_volume(shape) == pytest.approx((50 * 5 + 35 * 5) * 30, rel=REL)


@pytest.mark.parametrize(
    "change",
    [
        {"bend_radius": 0.0},
        {"gusset_count": 0},
        {"gusset_count": 1, "base_hole_count": 1, "upright_hole_count": 3},
        {"gusset_count": 3, "gusset_thickness": 2.0},
        {"gusset_size": 46.0, "base_hole_count": 0, "upright_hole_count": 0},  # flush gussets
        {
            "gusset_count": 1,
            "gusset_thickness": 40.0,
            "base_hole_count": 0,
            "upright_hole_count": 0,
        },
        # A bend so large that the gusset's virtual corner lies outside the bend.
        {
            "bend_radius": 20.0,
            "thickness": 2.0,
            "gusset_size": 26.0,
            "base_length": 80.0,
            "upright_length": 80.0,
        },
    ],
)
def test_variants_match_the_closed_form(change: dict[str, Any]) -> None:
    values = checked({**EXAMPLE, **change})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


def test_the_bracket_stays_in_its_frame() -> None:
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib

    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(build_solid(checked(EXAMPLE)), box, False, False)
    # Bnd_Box.Get() cannot be called through OCP 8; the corners can.
    corners = box.CornerMin().Coord() + box.CornerMax().Coord()
    assert corners == pytest.approx((0, 0, 0, 60, 40, 50), abs=1e-7)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"thickness": 0.5}, "VALIDATION_SECTION_TOO_THIN", "thickness"),
        ({"gusset_thickness": 0.5}, "VALIDATION_SECTION_TOO_THIN", "gusset_thickness"),
        ({"base_length": 8.7}, "VALIDATION_BRACKET_LEG_TOO_SHORT", "base_length"),
        ({"upright_length": 8.7}, "VALIDATION_BRACKET_LEG_TOO_SHORT", "upright_length"),
        ({"gusset_size": 4.7}, "VALIDATION_GUSSET_TOO_SMALL", "gusset_size"),
        ({"gusset_size": 46.1}, "VALIDATION_GUSSET_TOO_LARGE", "gusset_size"),
        ({"gusset_count": 12}, "VALIDATION_GUSSETS_CROWDED", "gusset_count"),
        (
            {"gusset_count": 1, "gusset_thickness": 40.5},
            "VALIDATION_GUSSETS_CROWDED",
            "gusset_count",
        ),
        # Flat part of the base: 60 - 4 - 4 = 52 mm; a 50.5 mm hole leaves 0.75 mm each side.
        (
            {"base_hole_count": 1, "base_hole_diameter": 50.5, "gusset_count": 0},
            "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
            "base_hole_diameter",
        ),
        # Two 18.5 mm holes across 40 mm leave 0.75 mm to the sides.
        (
            {"upright_hole_diameter": 18.5, "gusset_count": 0},
            "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
            "upright_hole_count",
        ),
        (
            {"gusset_count": 3, "gusset_size": 30.0, "base_hole_count": 1},
            "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
            "base_hole_diameter",
        ),
    ],
)
def test_broken_rules_give_their_codes(change: dict[str, Any], code: str, field: str) -> None:
    err = error_of({**EXAMPLE, **change})
    assert (err.code, err.details["field"]) == (code, field)
    assert "?" not in err.message("en") and "?" not in err.message("tr")


def test_the_tightest_allowed_values_build() -> None:
    change = {"base_length": 4 + 4 + 6.6 + 2 * 0.8, "gusset_count": 0, "upright_hole_count": 0}
    values = checked({**EXAMPLE, **change})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


def test_schema_lists_every_parameter() -> None:
    schema = SPEC.json_schema(("steel",), ("cnc_milling",))
    assert set(schema["properties"]) == {*SPEC.parameter_names, "material", "process"}
    assert schema["required"] == ["base_length", "upright_length", "width", "thickness"]
    assert schema["properties"]["gusset_count"]["type"] == "integer"
    for spec in SPEC.parameters:
        assert spec.contains(spec.default), spec.name


def test_building_twice_gives_identical_brep_bytes() -> None:
    from cadml.geometry.io.brep import encode_brep

    values = checked(EXAMPLE)
    assert encode_brep(SPEC.build(values)) == encode_brep(SPEC.build(values))


def test_sheet_metal_is_limited_in_thickness() -> None:
    sheet = {**EXAMPLE, "process": "sheet_metal"}
    assert checked({**sheet, "thickness": 12.0})["process"] == "sheet_metal"
    err = error_of({**sheet, "thickness": 12.5})
    assert (err.code, err.details["field"]) == ("VALIDATION_PROCESS_LIMIT", "thickness")


# --------------------------------------------------------------- Hypothesis
def _r3(value: float) -> float:
    return round(value, 3)


@st.composite
def valid_brackets(draw: st.DrawFn) -> dict[str, Any]:
    """A valid bracket: sizes chosen so that every rule holds with a little slack."""
    material = draw(st.sampled_from(MATERIALS))
    m = get_material(material).min_wall_mm + 0.01  # slack for the 1e-3 rounding
    fraction = st.floats(min_value=0.0, max_value=1.0)
    t = _r3(m + draw(fraction) * 10)
    ri = 0.0 if draw(st.booleans()) else _r3(0.1 + draw(fraction) * 3 * t)
    gussets = draw(st.integers(0, 4))
    gt = _r3(m + draw(fraction) * 5)
    s = _r3(ri + m + draw(fraction) * 40)
    width = _r3(gussets * gt + max(gussets - 1, 0) * m + 1 + draw(fraction) * 80)
    params: dict[str, Any] = {"material": material, "thickness": t, "bend_radius": ri}
    params.update(gusset_count=gussets, gusset_thickness=gt, gusset_size=s, width=width)
    for leg, length_field in (("base", "base_length"), ("upright", "upright_length")):
        count = draw(st.integers(1, 4))
        room = width / (2 * count) - m  # largest hole radius the sides allow
        r = _r3(0.05 + draw(fraction) * (room - 0.06)) if room > 0.06 else 0.0
        if r < 0.05:
            count, r = 0, 0.05
        shortest = t + ri + m
        if gussets:
            shortest = max(shortest, t + s)
        if count and gussets:
            # The row is centred on the flat part, so this keeps it clear of the gussets.
            shortest = max(shortest, t + 2 * s + 2 * m + 2 * r - ri)
        elif count:
            shortest = max(shortest, t + ri + 2 * r + 2 * m)
        params[length_field] = _r3(shortest + 0.01 + draw(fraction) * 60)
        params[f"{leg}_hole_count"] = count
        params[f"{leg}_hole_diameter"] = _r3(2 * r)
    return params


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=valid_brackets())
def test_random_valid_brackets_build_the_closed_form_solid(params: dict[str, Any]) -> None:
    values = checked(params)
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


@settings(max_examples=25, deadline=None)
@given(material=st.sampled_from(MATERIALS), excess=st.floats(min_value=0.002, max_value=19.0))
def test_random_holes_against_a_gusset_are_refused(material: str, excess: float) -> None:
    m = get_material(material).min_wall_mm
    # The middle gusset (y 18.5..21.5) faces the single base hole at x = 34, r = 3.3; its
    # footprint reaches x = 4 + size. 34 - 3.3 - m is the largest size that keeps m clear.
    size = _r3(34 - 3.3 - m - 4 + excess)
    change = {"gusset_count": 3, "gusset_size": size, "base_hole_count": 1}
    err = error_of({**EXAMPLE, **change, "material": material, "upright_hole_count": 0})
    assert err.code == "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE"
    assert (err.details["field"], err.details["edge"]) == ("base_hole_diameter", "gusset[1]")


@settings(max_examples=25, deadline=None)
@given(
    material=st.sampled_from(MATERIALS),
    count=st.integers(2, 20),
    shortfall=st.floats(min_value=0.002, max_value=0.5),
)
def test_random_crowded_gussets_are_refused(material: str, count: int, shortfall: float) -> None:
    m = get_material(material).min_wall_mm
    # Gaps of m - shortfall between the gussets across the 40 mm width.
    thickness = max(_r3((40 - (count - 1) * (m - shortfall)) / count) + 0.001, m)
    change = {"gusset_count": count, "gusset_thickness": thickness, "material": material}
    err = error_of({**EXAMPLE, **change})
    assert (err.code, err.details["field"]) == ("VALIDATION_GUSSETS_CROWDED", "gusset_count")
