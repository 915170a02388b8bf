"""MassProperties: parallel axis, rotation, principal axes, assemblies and unit views.

Oracles: point masses and rods whose tensors are known by hand; the invariants of a
rigid motion (trace, principal moments); the definition ``I = A diag(λ) Aᵀ``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadml.errors import ValidationError
from cadml.physics.inertia import (
    MassProperties,
    combine,
    from_unit_density_mm,
    parallel_axis,
    rigid_parts,
)


def rod_x(mass: float, length: float, at=(0.0, 0.0, 0.0)) -> MassProperties:
    """A thin rod along x: I_yy = I_zz = m L² / 12 about its centre."""
    k = mass * length**2 / 12
    return MassProperties.point_mass(mass, at, np.diag([0.0, k, k]))


def rot_z(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def homogeneous(rotation, translation) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = rotation
    m[:3, 3] = translation
    return m


def test_parallel_axis_of_a_rod_about_its_end():
    rod = rod_x(3.0, 2.0)
    about_end = rod.inertia_about((-1.0, 0.0, 0.0))
    # m L² / 3 about an end.
    assert about_end == pytest.approx(np.diag([0.0, 4.0, 4.0]), abs=1e-15)


def test_parallel_axis_products_carry_the_negated_sign():
    p = MassProperties.point_mass(2.0, (1.0, 2.0, 0.0))
    tensor = p.inertia_about((0.0, 0.0, 0.0))
    assert tensor[0, 1] == pytest.approx(-2.0 * 1.0 * 2.0)
    assert tensor[2, 2] == pytest.approx(2.0 * 5.0)
    assert parallel_axis(2.0, [1.0, 2.0, 0.0]) == pytest.approx(tensor)


def test_inertia_about_a_rotated_frame_expresses_the_tensor_on_its_axes():
    rod = rod_x(3.0, 2.0)
    # A frame whose x axis is the rod's y axis, y the rod's -x, z the same.
    frame = rot_z(math.pi / 2)
    tensor = rod.inertia_about((0.0, 0.0, 0.0), frame)
    assert tensor == pytest.approx(np.diag([1.0, 0.0, 1.0]), abs=1e-15)


def test_inertia_about_refuses_a_non_rotation():
    with pytest.raises(ValidationError) as info:
        rod_x(1.0, 1.0).inertia_about((0, 0, 0), np.diag([1.0, 1.0, -1.0]))
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"


def test_principal_moments_ascend_and_axes_are_right_handed():
    tensor = rot_z(0.3) @ np.diag([5.0, 2.0, 3.0]) @ rot_z(0.3).T
    p = MassProperties.point_mass(1.0, (0, 0, 0), tensor)
    moments, axes = p.principal()
    assert moments == pytest.approx([2.0, 3.0, 5.0], rel=1e-14)
    assert np.linalg.det(axes) == pytest.approx(1.0, abs=1e-14)
    assert axes @ np.diag(moments) @ axes.T == pytest.approx(tensor, abs=1e-14)
    # The 2.0 axis is the rotated y axis, signed so its largest component is positive.
    assert axes[:, 0] == pytest.approx([-math.sin(0.3), math.cos(0.3), 0.0], abs=1e-14)


@settings(max_examples=60, deadline=None)
@given(
    moments=st.tuples(*(3 * [st.floats(0.1, 10.0)])),
    angle=st.floats(-math.pi, math.pi),
    axis=st.tuples(*(3 * [st.floats(-1.0, 1.0)])).filter(
        lambda v: math.sqrt(sum(x * x for x in v)) > 0.1
    ),
)
def test_principal_reconstructs_any_tensor(moments, angle, axis):
    a, b, c = sorted(moments)
    if b > a + c:  # keep the triangle inequality of a physical tensor
        b = a + c
    k = np.asarray(axis) / np.linalg.norm(axis)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    r = np.eye(3) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross
    tensor = r @ np.diag([a, b, c]) @ r.T
    moments_out, axes = MassProperties.point_mass(1.0, (0, 0, 0), tensor).principal()
    assert np.all(np.diff(moments_out) >= 0)
    assert np.linalg.det(axes) == pytest.approx(1.0, abs=1e-12)
    assert axes.T @ axes == pytest.approx(np.eye(3), abs=1e-12)
    assert axes @ np.diag(moments_out) @ axes.T == pytest.approx(tensor, abs=1e-12)


def test_transformed_moves_the_centre_and_rotates_the_tensor():
    rod = rod_x(3.0, 2.0, at=(1.0, 0.0, 0.0))
    moved = rod.transformed(homogeneous(rot_z(math.pi / 2), (0.0, 0.0, 5.0)))
    assert moved.center_of_mass_m == pytest.approx((0.0, 1.0, 5.0), abs=1e-15)
    # The rod now lies along y.
    assert moved.inertia == pytest.approx(np.diag([1.0, 0.0, 1.0]), abs=1e-15)
    assert (moved.mass_kg, moved.method) == (3.0, "point")


@settings(max_examples=60, deadline=None)
@given(
    angle=st.floats(-math.pi, math.pi),
    t=st.tuples(*(3 * [st.floats(-2.0, 2.0)])),
)
def test_transformed_composes_and_keeps_invariants(angle, t):
    body = MassProperties.point_mass(
        2.0, (0.1, -0.2, 0.3), [[3.0, -0.5, 0.2], [-0.5, 4.0, 0.1], [0.2, 0.1, 5.0]]
    )
    first = homogeneous(rot_z(angle), t)
    second = homogeneous(np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]]), (1.0, 2.0, 3.0))
    twice = body.transformed(first).transformed(second)
    once = body.transformed(second @ first)
    assert twice.center_of_mass == pytest.approx(once.center_of_mass, abs=1e-12)
    assert twice.inertia == pytest.approx(once.inertia, abs=1e-12)
    assert np.trace(twice.inertia) == pytest.approx(np.trace(body.inertia), rel=1e-12)
    assert twice.principal()[0] == pytest.approx(body.principal()[0], rel=1e-12)


def test_combine_two_rods_into_a_cross():
    a = rod_x(1.0, 2.0, at=(0.5, 0.0, 0.0))
    b = rod_x(1.0, 2.0, at=(-0.5, 0.0, 0.0)).transformed(homogeneous(rot_z(math.pi / 2), (0, 0, 0)))
    both = combine([a, b])
    assert both.mass_kg == 2.0 and both.method == "assembly"
    # b's centre: R (-0.5, 0, 0) = (0, -0.5, 0); mean of (0.5, 0, 0) and (0, -0.5, 0).
    assert both.center_of_mass_m == pytest.approx((0.25, -0.25, 0.0), abs=1e-15)
    k = 1.0 * 4.0 / 12
    d = np.array([0.25, 0.25, 0.0])  # each rod's centre from the common centre, up to sign
    steiner = 1.0 * (d @ d * np.eye(3) - np.outer(d, d))
    want = np.diag([0.0, k, k]) + np.diag([k, 0.0, k]) + 2 * steiner
    # The two offsets are (0.25, 0.25, 0) and (-0.25, -0.25, 0): equal Steiner terms.
    assert both.inertia == pytest.approx(want, abs=1e-15)
    assert both.area_m2 is None


def test_combine_adds_areas_and_keeps_the_largest_deflection():
    parts = [
        MassProperties(1.0, 1e-3, 0.06, (0, 0, 0), np.eye(3).tolist(), "mesh", 0.01),
        MassProperties(1.0, 1e-3, 0.06, (1, 0, 0), np.eye(3).tolist(), "brep"),
        MassProperties(1.0, 1e-3, 0.06, (0, 1, 0), np.eye(3).tolist(), "mesh", 0.05),
    ]
    both = combine(parts)
    assert both.area_m2 == pytest.approx(0.18)
    assert both.volume_m3 == pytest.approx(3e-3)
    assert both.tessellation_deflection_mm == 0.05


def test_combine_needs_a_part():
    with pytest.raises(ValidationError) as info:
        combine([])
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"


def test_from_unit_density_mm_converts_to_si():
    # A 10 mm aluminium cube: J = V (b² + c²) / 12 = 1000 · 200 / 12 mm⁵.
    j = 1000.0 * 200.0 / 12.0
    p = from_unit_density_mm(1000.0, 600.0, (5, 5, 5), np.eye(3) * j, 2700.0, "brep")
    assert p.mass_kg == pytest.approx(2.7e-3, rel=1e-15)
    assert p.volume_m3 == pytest.approx(1e-6, rel=1e-15)
    assert p.area_m2 == pytest.approx(6e-4, rel=1e-15)
    assert p.center_of_mass_m == pytest.approx((0.005, 0.005, 0.005), rel=1e-15)
    # m (b² + c²) / 12 in kg·m².
    assert p.inertia[0, 0] == pytest.approx(2.7e-3 * (0.01**2 * 2) / 12, rel=1e-14)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("density_kg_m3", {"density_kg_m3": 0.0}),
        ("density_kg_m3", {"density_kg_m3": float("nan")}),
        ("volume_mm3", {"volume_mm3": -1.0}),
    ],
)
def test_from_unit_density_mm_refuses_bad_input(field, kwargs):
    args = {
        "volume_mm3": 1.0,
        "area_mm2": 6.0,
        "centroid_mm": (0, 0, 0),
        "inertia_unit_density_mm5": np.eye(3),
        "density_kg_m3": 1000.0,
        "method": "mesh",
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as info:
        from_unit_density_mm(**args)
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"
    assert info.value.details["field"] == field


@pytest.mark.parametrize(
    ("field", "args"),
    [
        ("mass_kg", (0.0, 0.0, None, (0, 0, 0), np.eye(3), "point")),
        ("volume_m3", (1.0, -1.0, None, (0, 0, 0), np.eye(3), "point")),
        ("area_m2", (1.0, 0.0, -1.0, (0, 0, 0), np.eye(3), "point")),
        ("center_of_mass_m", (1.0, 0.0, None, (0, 0), np.eye(3), "point")),
        ("inertia_kg_m2", (1.0, 0.0, None, (0, 0, 0), [[1, 1, 0], [0, 1, 0], [0, 0, 1]], "point")),
        ("inertia_kg_m2", (1.0, 0.0, None, (0, 0, 0), np.diag([1.0, 1.0, -1.0]), "point")),
        ("method", (1.0, 0.0, None, (0, 0, 0), np.eye(3), "guess")),
    ],
)
def test_mass_properties_refuse_unphysical_values(field, args):
    with pytest.raises(ValidationError) as info:
        MassProperties(*args)
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"
    assert info.value.details["field"] == field


@pytest.mark.parametrize(
    "matrix",
    [
        np.diag([2.0, 1.0, 1.0, 1.0]),  # scaling
        np.diag([1.0, 1.0, -1.0, 1.0]),  # mirror
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]],  # bad last row
        np.eye(3),  # wrong shape
    ],
)
def test_rigid_parts_refuses_non_rigid_matrices(matrix):
    with pytest.raises(ValidationError) as info:
        rigid_parts(matrix)
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"


def test_to_dict_si_and_mm_views():
    p = MassProperties(
        2.0, 1e-3, 0.06, (0.01, 0.0, -0.02), np.diag([1e-3, 2e-3, 3e-3]).tolist(), "brep"
    )
    si = p.to_dict()
    assert set(si) == {
        "mass_kg",
        "volume_m3",
        "area_m2",
        "center_of_mass_m",
        "inertia_kg_m2",
        "principal_moments_kg_m2",
        "principal_axes",
        "method",
        "tessellation_deflection_mm",
    }
    assert si["principal_moments_kg_m2"] == [1e-3, 2e-3, 3e-3]
    assert si["principal_axes"] == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    mm = p.to_dict("mm")
    assert mm["volume_mm3"] == pytest.approx(1e6)
    assert mm["area_mm2"] == pytest.approx(6e4)
    assert mm["center_of_mass_mm"] == pytest.approx([10.0, 0.0, -20.0])
    assert mm["inertia_kg_mm2"][2][2] == pytest.approx(3e3)
    assert mm["principal_moments_kg_mm2"] == pytest.approx([1e3, 2e3, 3e3])
    assert mm["mass_kg"] == 2.0
    # JSON-ready and stable.
    assert json.dumps(si) == json.dumps(p.to_dict("si"))
    with pytest.raises(ValidationError):
        p.to_dict("inch")
