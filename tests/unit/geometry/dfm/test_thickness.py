"""Wall thickness on the real geometry against closed forms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cadml.geometry.dfm.model import build_model
from cadml.geometry.dfm.thickness import measure_thickness, thickest_section


def _walls(shape: Any, deflection: float = 0.02) -> tuple[Any, Any]:
    model = build_model(getattr(shape, "wrapped", shape), deflection, None, 4000)
    return model, measure_thickness(model)


def _min_wall(shape: Any) -> float:
    _, wall = _walls(shape)
    return float(wall.wall_mm[wall.opposing].min())


def test_plate_100_50_2_has_a_2_mm_wall(b3d: Any) -> None:
    assert _min_wall(b3d.Box(100, 50, 2)) == pytest.approx(2.0, abs=1e-9)


def test_tube_20_in_24_out_has_a_2_mm_wall(b3d: Any) -> None:
    # The hit on the inner cylinder is refined on the exact surface, so no chord error.
    tube = b3d.Cylinder(12, 30) - b3d.Cylinder(10, 30)
    model, wall = _walls(tube)
    outer = model.sample_face == next(
        i for i, f in enumerate(model.info) if f.kind == "cylinder" and not f.concave
    )
    np.testing.assert_allclose(wall.wall_mm[outer], 2.0, atol=1e-9)
    assert _min_wall(tube) == pytest.approx(2.0, abs=1e-9)


def test_prism_with_hole_width_20_hole_16_has_a_2_mm_wall() -> None:
    from cadml.geometry.generators.prism_with_hole import build

    shape = build({"length": 30.0, "width": 20.0, "height": 10.0, "hole_diameter": 16.0})
    # The thinnest point lies between samples; the sample spacing bounds the error.
    _, wall = _walls(shape)
    assert float(wall.wall_mm[wall.opposing].min()) == pytest.approx(2.0, abs=1e-3)


def test_solid_cylinder_wall_is_its_diameter_not_a_chord(b3d: Any) -> None:
    # Rays from the exact surface first meet the face's own chords; those are skipped.
    pin = b3d.Cylinder(0.4, 10)
    assert _min_wall(pin) == pytest.approx(0.8, abs=1e-6)


def test_thickest_section_of_plate_tube_and_boss(b3d: Any) -> None:
    model, wall = _walls(b3d.Box(100, 50, 2))
    assert thickest_section(model, wall)[0] == pytest.approx(2.0, abs=1e-9)
    model, wall = _walls(b3d.Cylinder(12, 30) - b3d.Cylinder(10, 30))
    assert thickest_section(model, wall)[0] == pytest.approx(2.0, abs=0.05)
    low = (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)
    boss = b3d.Box(60, 40, 2, align=low) + b3d.Box(10, 10, 10, align=low)
    model, wall = _walls(boss)
    # The 10 x 10 boss holds a 10 mm sphere; samples lie up to a spacing off its axis.
    assert 8.0 <= thickest_section(model, wall)[0] <= 10.0 + 1e-9


def test_spherical_shell_wall_within_the_deflection(b3d: Any) -> None:
    # Readings land on the mesh chords (within δ); the thinnest are refined exactly.
    part = b3d.Sphere(20) - b3d.Sphere(18)
    deflection = 0.1
    model = build_model(part.wrapped, deflection, None, 6000)
    assert 1000 <= model.triangles.shape[0] <= 8000
    wall = measure_thickness(model)
    readings = wall.wall_mm[wall.opposing]
    assert readings.size > 0.9 * wall.wall_mm.size
    # Unrefined readings are off by the chord depth along a slanted ray: under 2δ.
    assert np.abs(readings - 2.0).max() <= 2.0 * deflection
    assert float(readings.min()) == pytest.approx(2.0, abs=1e-9)
