"""The din625 family (deep-groove ball bearing, a compound of 2 + Z solids)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps

from cadml.designs.params import canonical_values
from cadml.errors import ValidationError
from cadml.geometry.generators import din625
from cadml.geometry.generators.din625 import DESIGNATIONS, SPEC
from cadml.geometry.generators.standard_tables import BEARINGS
from cadml.geometry.io.brep import encode_brep
from cadml.geometry.metrics import solids_of
from cadml.physics.materials import get_material

REL = 1e-9
BEARING_STEEL_DENSITY = 7850.0  # kg/m³
SKF_MASS_TOLERANCE = 0.10
"""Model vs SKF catalogue mass; measured -4.1 % (6208) to +6.4 % (6301). The rings have
no corner radii and simplified shoulders (heavier), and there is no cage (lighter); the
ball complement is a typical one, not SKF's own."""

SERIES = {"60": range(0, 11), "62": range(0, 11), "63": range(0, 9)}


def volume_and_centre(solid: Any) -> tuple[float, tuple[float, float, float]]:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(solid, props)
    return props.Mass(), props.CentreOfMass().Coord()


def segment(radius: float, h: float) -> tuple[float, float]:
    """Circular segment beyond a chord at distance h: area, and its centroid's distance."""
    half_angle = math.acos(h / radius)
    area = radius**2 * (2 * half_angle - math.sin(2 * half_angle)) / 2
    chord = 2 * math.sqrt(radius**2 - h**2)
    return area, chord**3 / (12 * area)


def expected_volumes(designation: str) -> tuple[float, float, float]:
    """Inner ring, outer ring, one ball: Pappus on the documented simplified section."""
    b = BEARINGS[designation]
    dw, rg = b.ball_diameter, 0.52 * b.ball_diameter
    pitch = (b.d + b.D) / 4
    shoulder_i, shoulder_o = pitch - 0.3 * dw, pitch + 0.3 * dw
    centre_i, centre_o = pitch - dw / 2 + rg, pitch + dw / 2 - rg
    area_i, dist_i = segment(rg, centre_i - shoulder_i)
    area_o, dist_o = segment(rg, shoulder_o - centre_o)
    inner = (
        math.pi * (shoulder_i**2 - b.d**2 / 4) * b.B - 2 * math.pi * (centre_i - dist_i) * area_i
    )
    outer = (
        math.pi * (b.D**2 / 4 - shoulder_o**2) * b.B - 2 * math.pi * (centre_o + dist_o) * area_o
    )
    return inner, outer, 4 / 3 * math.pi * (dw / 2) ** 3


def make(designation: str) -> Any:
    values = canonical_values(SPEC, {"designation": designation, "material": "steel"})
    SPEC.check(values, get_material("steel"))
    return SPEC.build(values)


def test_schema_and_designations() -> None:
    schema = SPEC.json_schema(("steel",), ("cnc_milling",))
    assert set(schema["properties"]) == {"designation", "material", "process"}
    assert schema["required"] == ["designation"]
    expected = [f"{s}{i:02d}" for s, numbers in SERIES.items() for i in numbers]
    assert list(DESIGNATIONS) == expected
    assert din625.NAME == SPEC.name == "din625"


@pytest.mark.parametrize("designation", DESIGNATIONS)
def test_table_entry_is_a_consistent_bearing(designation: str) -> None:
    b = BEARINGS[designation]
    g = din625.ring_geometry(designation)
    # Neighbouring balls clear each other, and each ring keeps a wall under its groove.
    assert 2 * g.pitch_radius * math.sin(math.pi / b.balls) > b.ball_diameter * 1.1
    assert g.pitch_radius - b.ball_diameter / 2 - b.d / 2 > 1.0
    assert b.D / 2 - g.pitch_radius - b.ball_diameter / 2 > 1.0
    # The groove is narrower than the ring, and the rings do not touch.
    assert 2 * g.groove_half_width < b.B - 2.0
    assert g.outer_shoulder - g.inner_shoulder > 0.5 * b.ball_diameter
    # ISO 15: D and B grow with the series for the same bore.
    assert b.d < b.D and b.B > 0 and b.r_min > 0


@pytest.mark.parametrize("designation", ["6000", "6204", "6308"])
def test_every_solid_is_valid_and_matches_its_closed_form(designation: str) -> None:
    shape = make(designation)
    b = BEARINGS[designation]
    solids = solids_of(shape)
    assert len(solids) == 2 + b.balls
    assert BRepCheck_Analyzer(shape).IsValid()
    inner, outer, ball = expected_volumes(designation)
    measured = [volume_and_centre(s) for s in solids]
    assert measured[0][0] == pytest.approx(inner, rel=REL)
    assert measured[1][0] == pytest.approx(outer, rel=REL)
    pitch = (b.d + b.D) / 4
    for i, (volume, centre) in enumerate(measured[2:]):
        assert BRepCheck_Analyzer(solids[2 + i]).IsValid()
        assert volume == pytest.approx(ball, rel=REL)
        angle = 2 * math.pi * i / b.balls
        assert centre == pytest.approx(
            (pitch * math.cos(angle), pitch * math.sin(angle), 0), abs=1e-9
        )
    for _volume, centre in measured[:2]:
        assert centre == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
    total = sum(v for v, _ in measured)
    assert total == pytest.approx(
        sum(din625.ring_volumes(designation)) + din625.balls_volume(designation), rel=REL
    )


@pytest.mark.parametrize("designation", DESIGNATIONS)
def test_mass_against_skf_catalogue(designation: str) -> None:
    inner, outer, ball = expected_volumes(designation)
    b = BEARINGS[designation]
    mass = (inner + outer + b.balls * ball) * 1e-9 * BEARING_STEEL_DENSITY
    assert mass == pytest.approx(b.catalogue_mass_kg, rel=SKF_MASS_TOLERANCE)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designation=st.sampled_from(DESIGNATIONS))
def test_random_designations_give_valid_solids_of_the_expected_count(designation: str) -> None:
    shape = make(designation)
    solids = solids_of(shape)
    assert len(solids) == 2 + BEARINGS[designation].balls
    assert all(BRepCheck_Analyzer(s).IsValid() for s in solids)
    inner, outer, ball = expected_volumes(designation)
    total = sum(volume_and_centre(s)[0] for s in solids)
    assert total == pytest.approx(inner + outer + BEARINGS[designation].balls * ball, rel=REL)


@settings(max_examples=15, deadline=None)
@given(value=st.one_of(st.sampled_from(["6011", "608", "6309", "6211", "", "62O4"]), st.integers()))
def test_unknown_designations_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        make(value)
    assert caught.value.code == "VALIDATION_INVALID_VALUE"
    assert caught.value.details["field"] == "designation"


def test_example_passes_the_pipeline_steps_as_a_compound() -> None:
    """The pipeline's check, mesh, every exporter and the metrics accept the bearing.

    (``finish_part`` as a whole also draws and runs the DFM checks; those packages are
    other work in progress and are left out here.)
    """
    from cadml.geometry.io import EXPORTERS, ExportSource
    from cadml.geometry.mesh import tessellate
    from cadml.geometry.metrics import compute_metrics
    from cadml.geometry.pipeline import DEFAULT_STEP_TIMESTAMP, check_shape
    from cadml.tolerances import MESH_ANGULAR_DEFLECTION_RAD, MESH_LINEAR_DEFLECTION_MM

    assert SPEC.example is not None
    shape = make(str(SPEC.example["designation"]))
    # Same input, same B-rep bytes (compared before meshing stores triangles on it).
    assert encode_brep(shape) == encode_brep(make("6204"))
    check_shape(shape)
    mesh = tessellate(shape, MESH_LINEAR_DEFLECTION_MM, MESH_ANGULAR_DEFLECTION_RAD)
    source = ExportSource(
        shape=shape,
        mesh=mesh,
        name="din625",
        color_srgb=(0.5, 0.5, 0.5),
        metallic=True,
        timestamp=DEFAULT_STEP_TIMESTAMP,
    )
    for kind, export in EXPORTERS.items():
        assert export(source), kind
    metrics = compute_metrics(shape, mesh, BEARING_STEEL_DENSITY)
    inner, outer, ball = expected_volumes("6204")
    assert metrics["solids"] == 10
    assert metrics["volume_mm3"] == pytest.approx(inner + outer + 8 * ball, rel=1e-6)
    assert metrics["center_of_mass_mm"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)
    assert metrics["bbox"]["size"] == pytest.approx([47.0, 47.0, 14.0], abs=1e-6)
