"""The enclosure family against its closed-form volume and its rules."""

from __future__ import annotations

import math
from typing import Any

import pytest
from family_checks import FamilyChecks, exact_volume
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadml.geometry.generators.enclosure import SPEC, boss_centres
from cadml.physics.materials import get_material

REL = 1e-9
MATERIALS = ("aluminum_6061", "steel", "abs")


def rounded_rectangle(length: float, width: float, radius: float) -> float:
    """Area of a rectangle whose four corners are rounded with ``radius``."""
    return length * width - (4 - math.pi) * radius**2


def oracle(v: dict[str, Any]) -> float:
    """Outer box - cavity - lid rebate + corner bosses - their pilot holes."""
    length, width, height = v["length"], v["width"], v["height"]
    wt, radius = v["wall_thickness"], v["corner_radius"]

    def inset(d: float) -> float:
        return rounded_rectangle(length - 2 * d, width - 2 * d, max(radius - d, 0.0))

    volume = height * inset(0) - (height - wt) * inset(wt)
    if v["lip_height"] and v["lip_width"]:
        volume -= v["lip_height"] * (inset(wt - v["lip_width"]) - inset(wt))
    rb, rc = v["boss_diameter"] / 2, max(radius - wt, 0.0)
    # A boss fills a quarter square rb x rb and three quarters of its disc, less the part
    # of the square that the cavity's rounded corner already left as wall.
    boss = rb**2 + 0.75 * math.pi * rb**2 - (rc**2 - math.pi * rc**2 / 4)
    boss -= math.pi * (v["boss_hole_diameter"] / 2) ** 2
    return volume + v["boss_count"] * v["boss_height"] * boss


FAMILY = FamilyChecks(SPEC)
checked, build_solid, error_of = FAMILY.checked, FAMILY.build_solid, FAMILY.error_of


EXAMPLE = dict(SPEC.example or {})


def test_example_builds_the_closed_form_solid() -> None:
    values = checked(EXAMPLE)
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)
    assert boss_centres(values) == [(6.5, 6.5), (113.5, 73.5), (113.5, 6.5), (6.5, 73.5)]


def test_defaults_build() -> None:
    values = checked({p.name: p.default for p in SPEC.parameters})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


def test_a_plain_box_is_box_minus_cavity() -> None:
    params = {"length": 100, "width": 60, "height": 30, "wall_thickness": 2}
    params |= {"corner_radius": 0, "lip_height": 0, "boss_count": 0}
    shape = build_solid(checked(params))
    assert exact_volume(shape) == pytest.approx(100 * 60 * 30 - 96 * 56 * 28, rel=REL)


@pytest.mark.parametrize(
    "change",
    [
        {"corner_radius": 0.0},  # sharp inside and out
        {"corner_radius": 2.0},  # rounded outside, sharp cavity
        {"corner_radius": 6.5},  # boss exactly covers the cavity corner (D = 2 * rc)
        {"corner_radius": 40.0, "boss_count": 0},  # fully rounded ends
        {"boss_count": 0},
        {"boss_count": 1},
        {"boss_count": 3, "lip_height": 0.0},
        {"lip_width": 0.0},
        {"boss_height": 35.5},  # bosses up to the lid ledge
        {"boss_height": 37.5, "lip_height": 0.0},  # up to the rim
        {"boss_hole_diameter": 0.0},
        {"wall_thickness": 6.0, "lip_width": 5.0},  # wall thicker than the corner radius
    ],
)
def test_variants_match_the_closed_form(change: dict[str, Any]) -> None:
    values = checked({**EXAMPLE, **change})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


def test_the_box_stays_in_its_frame() -> None:
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib

    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(build_solid(checked(EXAMPLE)), box, False, False)
    # Bnd_Box.Get() cannot be called through OCP 8; the corners can.
    corners = box.CornerMin().Coord() + box.CornerMax().Coord()
    assert corners == pytest.approx((0, 0, 0, 120, 80, 40), abs=1e-7)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"wall_thickness": 0.5}, "VALIDATION_SECTION_TOO_THIN", "wall_thickness"),
        ({"corner_radius": 40.5}, "VALIDATION_CORNER_RADIUS_TOO_LARGE", "corner_radius"),
        (
            {"length": 5.5, "corner_radius": 0.0, "boss_count": 0},
            "VALIDATION_ENCLOSURE_CAVITY_TOO_SMALL",
            "length",
        ),
        (
            {"width": 5.5, "corner_radius": 0.0, "boss_count": 0},
            "VALIDATION_ENCLOSURE_CAVITY_TOO_SMALL",
            "width",
        ),
        ({"height": 5.0, "boss_count": 0}, "VALIDATION_ENCLOSURE_CAVITY_TOO_SMALL", "lip_height"),
        (
            {"height": 3.0, "lip_height": 0.0, "boss_count": 0},
            "VALIDATION_ENCLOSURE_CAVITY_TOO_SMALL",
            "height",
        ),
        ({"lip_width": 2.0}, "VALIDATION_SECTION_TOO_THIN", "lip_width"),
        # The cavity corner has radius 6 - 2.5 = 3.5: a boss must be at least 7 mm.
        ({"boss_diameter": 6.9}, "VALIDATION_BOSS_MISFIT", "boss_diameter"),
        # (80 - 5 - 0.8) / 2 = 37.1 mm is the largest boss with a gap between neighbours.
        ({"boss_diameter": 37.2}, "VALIDATION_BOSS_MISFIT", "boss_diameter"),
        ({"boss_hole_diameter": 6.5}, "VALIDATION_WALL_TOO_THIN", "boss_hole_diameter"),
        ({"boss_height": 35.6}, "VALIDATION_BOSS_TOO_TALL", "boss_height"),
    ],
)
def test_broken_rules_give_their_codes(change: dict[str, Any], code: str, field: str) -> None:
    err = error_of({**EXAMPLE, **change})
    assert (err.code, err.details["field"]) == (code, field)
    assert "?" not in err.message("en") and "?" not in err.message("tr")


def test_the_largest_allowed_boss_builds() -> None:
    values = checked({**EXAMPLE, "boss_diameter": 37.1, "boss_hole_diameter": 35.5})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


def test_schema_lists_every_parameter() -> None:
    schema = SPEC.json_schema(("steel",), ("cnc_milling",))
    assert set(schema["properties"]) == {*SPEC.parameter_names, "material", "process"}
    assert schema["required"] == ["length", "width", "height", "wall_thickness"]
    assert schema["properties"]["boss_count"] | {"description": ""} == {
        "description": "",
        "type": "integer",
        "minimum": 0,
        "maximum": 4,
        "default": 4,
    }
    for spec in SPEC.parameters:
        assert spec.contains(spec.default), spec.name


def test_building_twice_gives_identical_brep_bytes() -> None:
    from cadml.geometry.io.brep import encode_brep

    values = checked(EXAMPLE)
    assert encode_brep(SPEC.build(values)) == encode_brep(SPEC.build(values))


# --------------------------------------------------------------- Hypothesis
def _up(value: float) -> float:
    return math.ceil(value * 1000) / 1000


def _down(value: float) -> float:
    return math.floor(value * 1000) / 1000


@st.composite
def valid_enclosures(draw: st.DrawFn) -> dict[str, Any]:
    """A valid enclosure: sizes chosen so that every rule holds with a little slack."""
    material = draw(st.sampled_from(MATERIALS))
    m = get_material(material).min_wall_mm + 0.01  # slack for the 1e-3 rounding
    fraction = st.floats(min_value=0.0, max_value=1.0)
    wt = _up(m + draw(fraction) * 6)
    length = max(_up(2 * wt + m + draw(fraction) * 200), 5.0)
    width = max(_up(2 * wt + m + draw(fraction) * 200), 5.0)
    radius = _down(draw(fraction) * min(length, width) / 2)
    if draw(st.booleans()):
        radius = 0.0 if draw(st.booleans()) else min(length, width) / 2
    params: dict[str, Any] = {"material": material, "wall_thickness": wt, "corner_radius": radius}
    params.update(length=length, width=width)
    lip_height, lip_width = 0.0, 0.0
    if wt - m > 0.02 and draw(st.booleans()):
        lip_height = _up(0.1 + draw(fraction) * 5)
        lip_width = _down(0.01 + draw(fraction) * (wt - m - 0.02))
    params.update(lip_height=lip_height, lip_width=lip_width)
    hole = 0.0 if draw(st.booleans()) else _up(0.1 + draw(fraction) * 5)
    smallest = _up(max(2 * max(radius - wt, 0.0), hole + 2 * m))
    largest = _down((min(length, width) - 2 * wt - m) / 2)
    count = draw(st.integers(0, 4)) if smallest <= largest else 0
    boss_height = _up(0.1 + draw(fraction) * 40)
    if count:
        diameter = _down(smallest + draw(fraction) * (largest - smallest))
        params.update(boss_diameter=max(diameter, smallest), boss_hole_diameter=hole)
        params["boss_height"] = boss_height
    params["boss_count"] = count
    depth = max(m, boss_height if count else 0.0)
    params["height"] = max(_up(wt + lip_height + depth + draw(fraction) * 60), 2.0)
    return params


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=valid_enclosures())
def test_random_valid_enclosures_build_the_closed_form_solid(params: dict[str, Any]) -> None:
    values = checked(params)
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


@settings(max_examples=25, deadline=None)
@given(
    material=st.sampled_from(MATERIALS),
    too_big=st.booleans(),
    miss=st.floats(min_value=0.002, max_value=3.0),
)
def test_random_misfit_bosses_are_refused(material: str, too_big: bool, miss: float) -> None:
    m = get_material(material).min_wall_mm
    # Cavity corner radius 6 - 2.5 = 3.5; the narrow side leaves 80 - 5 = 75 mm.
    diameter = (75 - m) / 2 + miss if too_big else 7.0 - miss
    params = {**EXAMPLE, "material": material, "boss_diameter": round(diameter, 3)}
    params["boss_hole_diameter"] = 0.1
    err = error_of(params)
    assert (err.code, err.details["field"]) == ("VALIDATION_BOSS_MISFIT", "boss_diameter")


@settings(max_examples=25, deadline=None)
@given(
    material=st.sampled_from(MATERIALS),
    lip=st.floats(min_value=0.0, max_value=10.0),
    excess=st.floats(min_value=0.001, max_value=10.0),
)
def test_random_bosses_above_the_ledge_are_refused(
    material: str, lip: float, excess: float
) -> None:
    lip = round(lip, 3)
    # The ledge is at 40 - lip; the floor at 2.5.
    boss_height = round(40 - 2.5 - lip + excess, 3)
    params = {**EXAMPLE, "material": material, "lip_height": lip, "boss_height": boss_height}
    err = error_of(params)
    assert (err.code, err.details["field"]) == ("VALIDATION_BOSS_TOO_TALL", "boss_height")
