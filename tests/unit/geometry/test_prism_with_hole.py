"""The prism_with_hole family against closed-form oracles."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps

from cadml.designs import canonicalize_params_request
from cadml.geometry.generators import FAMILIES, get_family
from cadml.geometry.generators.prism_with_hole import SPEC
from cadml.geometry.metrics import solids_of
from cadml.geometry.pipeline import run_design

REL = 1e-9


def exact_volume(shape: Any) -> float:
    total = 0.0
    for solid in solids_of(shape):
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props)
        total += props.Mass()
    return total


def test_registry() -> None:
    assert FAMILIES["prism_with_hole"] is SPEC
    assert get_family("prism_with_hole") is SPEC
    assert SPEC.parameter_names == ("length", "width", "height", "hole_diameter")
    for spec in SPEC.parameters:
        assert (spec.unit, spec.min, spec.max) == ("mm", 0.1, 1000.0)
        assert spec.contains(spec.default)
        assert spec.description
    assert SPEC.parameter("height").default == 30.0
    with pytest.raises(KeyError):
        SPEC.parameter("depth")


def test_defaults_make_a_valid_request() -> None:
    defaults = {p.name: p.default for p in SPEC.parameters}
    canonical = canonicalize_params_request({"family": SPEC.name, "params": defaults})
    assert canonical["params"]["length"] == 100.0


def test_reference_metrics(
    reference_result: Any, reference_shape: Any, prism_volume: Any, prism_area: Any
) -> None:
    metrics = reference_result.metrics
    volume = prism_volume(100.0, 50.0, 30.0, 10.0)
    assert exact_volume(reference_shape) == pytest.approx(volume, rel=REL)
    assert metrics["volume_mm3"] == pytest.approx(volume, rel=REL, abs=1e-6)
    assert metrics["area_mm2"] == pytest.approx(prism_area(100.0, 50.0, 30.0, 10.0), abs=1e-6)
    assert metrics["bbox"] == {
        "min": [0.0, 0.0, 0.0],
        "max": [100.0, 50.0, 30.0],
        "size": [100.0, 50.0, 30.0],
    }
    assert metrics["center_of_mass_mm"] == [50.0, 25.0, 15.0]
    # Topology: 6 planes + 1 cylinder; 12 box edges + 2 circles + 1 seam; 8 + 2 vertices.
    assert (metrics["solids"], metrics["faces"], metrics["edges"], metrics["vertices"]) == (
        1,
        7,
        15,
        10,
    )
    # aluminium 6061: 2700 kg/m³ x volume in m³.
    assert metrics["mass_kg"] == pytest.approx(2700.0 * volume * 1e-9, rel=1e-9)
    assert metrics["density_kg_m3"] == 2700.0
    assert metrics["material"] == "aluminum_6061"


def test_block_without_much_of_a_hole_is_nearly_a_block(prism_volume: Any) -> None:
    values = {"length": 20.0, "width": 20.0, "height": 5.0, "hole_diameter": 0.1}
    shape = SPEC.build(values)
    assert exact_volume(shape) == pytest.approx(prism_volume(20.0, 20.0, 5.0, 0.1), rel=REL)
    assert exact_volume(shape) < 2000.0


lengths = st.floats(min_value=2.0, max_value=1000.0).map(lambda v: round(v, 3))


@st.composite
def valid_params(draw: st.DrawFn) -> dict[str, Any]:
    length = draw(lengths)
    width = draw(lengths)
    height = draw(st.floats(min_value=0.1, max_value=1000.0).map(lambda v: round(v, 3)))
    # Keep the 0.8 mm aluminium wall: d <= min(L, W) - 1.6.
    room = min(length, width) - 1.6 - 0.1
    hole = round(0.1 + draw(st.floats(min_value=0.0, max_value=1.0)) * room, 3)
    hole = min(max(hole, 0.1), round(min(length, width) - 1.6, 3))
    return {"length": length, "width": width, "height": height, "hole_diameter": hole}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=valid_params())
def test_random_valid_params_build_the_closed_form_solid(
    params: dict[str, Any], prism_volume: Any, prism_area: Any
) -> None:
    canonical = canonicalize_params_request({"family": "prism_with_hole", "params": params})
    values = canonical["params"]
    args = (values["length"], values["width"], values["height"], values["hole_diameter"])
    shape = SPEC.build(values)
    assert BRepCheck_Analyzer(shape).IsValid()
    assert len(solids_of(shape)) == 1
    assert exact_volume(shape) == pytest.approx(prism_volume(*args), rel=REL)

    metrics = run_design(canonical).metrics
    length, width, height, _ = args
    assert metrics["volume_mm3"] == pytest.approx(prism_volume(*args), rel=REL, abs=1e-6)
    assert metrics["area_mm2"] == pytest.approx(prism_area(*args), rel=REL, abs=1e-6)
    assert metrics["bbox"]["min"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    assert metrics["bbox"]["max"] == pytest.approx([length, width, height], rel=REL, abs=1e-9)
    assert metrics["center_of_mass_mm"] == pytest.approx(
        [length / 2, width / 2, height / 2], rel=1e-9, abs=1e-6
    )
    assert metrics["faces"] == 7
    assert math.isfinite(metrics["mass_kg"]) and metrics["mass_kg"] > 0
