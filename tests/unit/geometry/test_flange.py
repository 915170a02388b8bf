"""The flange family against its closed-form volume and its rules."""

from __future__ import annotations

import math
from typing import Any

import pytest
from family_checks import FamilyChecks, exact_volume
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadml.geometry.generators.flange import SPEC, bolt_centres
from cadml.physics.materials import get_material

REL = 1e-9
MATERIALS = ("aluminum_6061", "steel", "abs")


def oracle(v: dict[str, Any]) -> float:
    """Stacked rings (raised face, disc, hub) minus the bolt holes through the disc."""
    ring = lambda d_out, d_in, h: math.pi / 4 * (d_out**2 - d_in**2) * h  # noqa: E731
    bore, t = v["bore_diameter"], v["thickness"]
    volume = ring(v["outer_diameter"], bore, t)
    volume += ring(v["raised_face_diameter"], bore, v["raised_face_height"])
    volume += ring(v["hub_diameter"], bore, v["hub_length"])
    return volume - v["bolt_count"] * ring(v["bolt_hole_diameter"], 0.0, t)


FAMILY = FamilyChecks(SPEC)
checked, build_solid, error_of = FAMILY.checked, FAMILY.build_solid, FAMILY.error_of


EXAMPLE = dict(SPEC.example or {})


def test_example_is_the_asme_class_150_nps_4_flange() -> None:
    values = checked(EXAMPLE)
    shape = build_solid(values)
    # pi/4 * (229² - 102.3²) * 24 + pi/4 * (157² - 102.3²) * 1.6
    # + pi/4 * (135² - 102.3²) * 50 - 8 * pi/4 * 19² * 24
    assert exact_volume(shape) == pytest.approx(1059332.8502693893, rel=REL)
    assert exact_volume(shape) == pytest.approx(oracle(values), rel=REL)


def test_defaults_build() -> None:
    values = checked({p.name: p.default for p in SPEC.parameters})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


@pytest.mark.parametrize(
    "change",
    [
        {"raised_face_height": 0.0},
        {"hub_length": 0.0},
        {"raised_face_height": 0.0, "hub_length": 0.0},
        {"bore_diameter": 0.0},  # a blind flange
        {"bolt_count": 0},
        {"bolt_count": 1},
    ],
)
def test_optional_features_match_the_closed_form(change: dict[str, Any]) -> None:
    values = checked({**EXAMPLE, **change})
    expected = oracle(
        {
            **values,
            # An absent feature contributes nothing.
            "raised_face_diameter": values["raised_face_diameter"]
            if values["raised_face_height"]
            else 0.0,
            "hub_diameter": values["hub_diameter"] if values["hub_length"] else 0.0,
        }
    )
    assert exact_volume(build_solid(values)) == pytest.approx(expected, rel=REL)


def test_bolt_holes_start_on_x_and_run_counter_clockwise() -> None:
    centres = bolt_centres(checked({**EXAMPLE, "bolt_count": 4}))
    assert centres == [(95.25, 0.0), (0.0, 95.25), (-95.25, 0.0), (0.0, -95.25)]


def test_the_part_sits_on_its_sealing_face() -> None:
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib

    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(build_solid(checked(EXAMPLE)), box, False, False)
    # Bnd_Box.Get() cannot be called through OCP 8; the corners can.
    (xmin, ymin, zmin), (xmax, ymax, zmax) = box.CornerMin().Coord(), box.CornerMax().Coord()
    assert (zmin, zmax) == pytest.approx((0.0, 1.6 + 24 + 50), abs=1e-7)
    assert (xmax - xmin, ymax - ymin) == pytest.approx((229.0, 229.0), abs=1e-7)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"thickness": 0.3}, "VALIDATION_SECTION_TOO_THIN", "thickness"),
        ({"hub_diameter": 100.0}, "VALIDATION_FLANGE_DIAMETER_ORDER", "hub_diameter"),
        (
            {"raised_face_diameter": 135.0},
            "VALIDATION_FLANGE_DIAMETER_ORDER",
            "raised_face_diameter",
        ),
        (
            {"raised_face_height": 0.0, "hub_diameter": 230.0},
            "VALIDATION_FLANGE_DIAMETER_ORDER",
            "outer_diameter",
        ),
        ({"hub_diameter": 103.0}, "VALIDATION_SECTION_TOO_THIN", "hub_diameter"),
        (
            {"hub_length": 0.0, "raised_face_diameter": 103.0},
            "VALIDATION_SECTION_TOO_THIN",
            "raised_face_diameter",
        ),
        (
            {"bolt_circle_diameter": 176.5},
            "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
            "bolt_circle_diameter",
        ),
        ({"bolt_count": 32}, "VALIDATION_HOLES_OVERLAP", "bolt_count"),
    ],
)
def test_broken_rules_give_their_codes(change: dict[str, Any], code: str, field: str) -> None:
    err = error_of({**EXAMPLE, **change})
    assert (err.code, err.details["field"]) == (code, field)
    assert "?" not in err.message("en") and "?" not in err.message("tr")


@pytest.mark.parametrize(
    ("change", "edge"),
    [
        # 157/2 + 19/2 + 0.8 = 88.8 is the smallest radius the raised face allows.
        ({"bolt_circle_diameter": 177.5}, "raised_face_diameter"),
        ({"raised_face_height": 0.0, "hub_diameter": 170.0}, "hub_diameter"),
        ({"bolt_circle_diameter": 208.5}, "outer_diameter"),
    ],
)
def test_bolt_holes_keep_clear_of_each_ring(change: dict[str, Any], edge: str) -> None:
    err = error_of({**EXAMPLE, **change})
    assert (err.code, err.details["edge"]) == ("VALIDATION_HOLE_TOO_CLOSE_TO_EDGE", edge)


def test_the_tightest_allowed_bolt_circle_builds() -> None:
    values = checked({**EXAMPLE, "bolt_circle_diameter": 177.6})
    assert exact_volume(build_solid(values)) == pytest.approx(oracle(values), rel=REL)


def test_schema_lists_every_parameter() -> None:
    schema = SPEC.json_schema(("steel",), ("cnc_milling",))
    assert set(schema["properties"]) == {*SPEC.parameter_names, "material", "process"}
    assert schema["required"] == ["outer_diameter", "thickness", "bore_diameter"]
    assert schema["properties"]["bolt_count"]["type"] == "integer"
    for spec in SPEC.parameters:
        assert spec.contains(spec.default), spec.name


def test_building_twice_gives_identical_brep_bytes() -> None:
    from cadml.geometry.io.brep import encode_brep

    values = checked(EXAMPLE)
    assert encode_brep(SPEC.build(values)) == encode_brep(SPEC.build(values))


# --------------------------------------------------------------- Hypothesis
def _r3(value: float) -> float:
    return round(value, 3)


@st.composite
def valid_flanges(draw: st.DrawFn) -> dict[str, Any]:
    """A valid flange, built ring by ring outwards so that every rule holds."""
    material = draw(st.sampled_from(MATERIALS))
    m = get_material(material).min_wall_mm + 0.01  # slack for the 1e-3 rounding
    fraction = st.floats(min_value=0.0, max_value=1.0)
    params: dict[str, Any] = {"material": material}
    bore = 0.0 if draw(st.booleans()) and draw(st.booleans()) else _r3(1 + draw(fraction) * 200)
    params["bore_diameter"] = bore
    params["thickness"] = _r3(m + draw(fraction) * 40)
    inner = bore + 2 * m  # the next ring must leave a wall around the bore
    if draw(st.booleans()):
        hub = _r3(inner + 0.01 + draw(fraction) * 60)
        params.update(hub_diameter=hub, hub_length=_r3(0.01 + draw(fraction) * 100))
        inner = hub + 0.01
    else:
        params["hub_length"] = 0.0
    if draw(st.booleans()):
        face = _r3(inner + 0.01 + draw(fraction) * 60)
        params.update(raised_face_diameter=face, raised_face_height=_r3(0.01 + draw(fraction) * 5))
        inner = face
    else:
        params["raised_face_height"] = 0.0
    if draw(st.booleans()):
        d = _r3(1 + draw(fraction) * 30)
        pcd = _r3(inner + d + 2 * m + draw(fraction) * 80)
        most = 1 if (d + m) / pcd >= 1 else int(math.pi / math.asin((d + m) / pcd))
        count = draw(st.integers(1, max(1, min(most, 24))))
        params.update(bolt_count=count, bolt_hole_diameter=d, bolt_circle_diameter=pcd)
        outer = pcd + d + 2 * m
    else:
        params["bolt_count"] = 0
        outer = inner + 2 * m
    params["outer_diameter"] = max(_r3(outer + 0.01 + draw(fraction) * 50), 5.0)
    return params


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=valid_flanges())
def test_random_valid_flanges_build_the_closed_form_solid(params: dict[str, Any]) -> None:
    values = checked(params)
    if not values["raised_face_height"]:
        params["raised_face_diameter"] = 0.0
    if not values["hub_length"]:
        params["hub_diameter"] = 0.0
    expected = oracle({**values, **params})
    assert exact_volume(build_solid(values)) == pytest.approx(expected, rel=REL)


@settings(max_examples=25, deadline=None)
@given(
    material=st.sampled_from(MATERIALS),
    inner=st.booleans(),
    shortfall=st.floats(min_value=0.002, max_value=5.0),
)
def test_random_bolt_circles_too_near_a_ring_are_refused(
    material: str, inner: bool, shortfall: float
) -> None:
    m = get_material(material).min_wall_mm
    # Radius of the bolt circle that leaves exactly m to the raised face or outer edge.
    limit = 157 / 2 + 19 / 2 + m if inner else 229 / 2 - 19 / 2 - m
    radius = limit - shortfall if inner else limit + shortfall
    params = {**EXAMPLE, "material": material, "bolt_circle_diameter": _r3(2 * radius)}
    err = error_of(params)
    assert err.code == "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE"
    assert err.details["edge"] == ("raised_face_diameter" if inner else "outer_diameter")


@settings(max_examples=25, deadline=None)
@given(
    material=st.sampled_from(MATERIALS),
    chain=st.sampled_from(
        (
            ("bore_diameter", "hub_diameter"),
            ("hub_diameter", "raised_face_diameter"),
            ("raised_face_diameter", "outer_diameter"),
        )
    ),
    excess=st.floats(min_value=0.0, max_value=20.0),
)
def test_random_out_of_order_diameters_are_refused(
    material: str, chain: tuple[str, str], excess: float
) -> None:
    smaller, larger = chain
    params = {**EXAMPLE, "material": material, "bolt_count": 0}
    params[larger] = _r3(params[smaller] - excess)
    err = error_of(params)
    assert (err.code, err.details["field"]) == ("VALIDATION_FLANGE_DIAMETER_ORDER", larger)
