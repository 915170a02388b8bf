"""Exact B-rep mass properties and the mesh fallback against closed-form solids.

Oracles: the textbook volumes, areas, centres of mass and central inertia tensors of a
box, cylinder, sphere, cone and torus; a box with a through hole (the hole's cylinder
subtracted with the parallel-axis theorem); a rotated, offset two-part assembly summed
by hand. The exact path must match to 1e-9 relative. A rigid motion applied to the
*shape* (BRepBuilderAPI_Transform) must move the centre of mass to ``R c + t`` and
rotate the tensor to ``R I Rᵀ``.

The mesh path is exact for the polyhedron: for a box and a hexagonal prism it equals
the B-rep answer to 1e-12; for curved solids it is within the deflection bound of the
closed form and agrees with trimesh's independent polyhedral integrals.
"""

from __future__ import annotations

import math

import build123d as bd
import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from OCP.BRepBuilderAPI import BRepBuilderAPI_Transform
from OCP.gp import gp_Trsf

from cadml.errors import ValidationError
from cadml.geometry.massprops import brep_integrals, brep_mass_properties
from cadml.geometry.mesh import tessellate
from cadml.physics.inertia import MassProperties, combine, parallel_axis
from cadml.physics.polyhedral import mesh_mass_properties

REL = 1e-9
RHO = 7850.0  # kg/m³
PI = math.pi


def closed_form(
    volume_mm3: float, area_mm2: float, centre_mm, inertia_per_mass_mm2
) -> MassProperties:
    """SI mass properties from a closed form: ``I = m · k`` with ``k`` in mm²."""
    m = RHO * volume_mm3 * 1e-9
    return MassProperties(
        m,
        volume_mm3 * 1e-9,
        area_mm2 * 1e-6,
        tuple(c / 1000.0 for c in centre_mm),
        tuple(tuple(m * k * 1e-6 for k in row) for row in np.asarray(inertia_per_mass_mm2)),
        "brep",
    )


def assert_close(got: MassProperties, want: MassProperties, rel: float, size_m: float) -> None:
    assert got.mass_kg == pytest.approx(want.mass_kg, rel=rel, abs=0)
    assert got.volume_m3 == pytest.approx(want.volume_m3, rel=rel, abs=0)
    if want.area_m2 is not None:
        assert got.area_m2 == pytest.approx(want.area_m2, rel=rel, abs=0)
    assert np.max(np.abs(got.center_of_mass - want.center_of_mass)) <= rel * size_m
    scale = np.max(np.abs(want.inertia))
    assert np.max(np.abs(got.inertia - want.inertia)) <= rel * scale


def diag(*values: float) -> np.ndarray:
    return np.diag(values)


A, B, C = 40.0, 30.0, 20.0
R_CYL, H_CYL = 12.0, 50.0
R_SPH = 17.0
R_CONE, H_CONE = 15.0, 40.0
R_MAJOR, R_MINOR = 30.0, 7.0

CASES = {
    "box": (
        lambda: bd.Box(A, B, C),
        closed_form(
            A * B * C,
            2 * (A * B + B * C + C * A),
            (0, 0, 0),
            diag((B * B + C * C) / 12, (A * A + C * C) / 12, (A * A + B * B) / 12),
        ),
        A,
    ),
    "cylinder": (
        lambda: bd.Cylinder(R_CYL, H_CYL),
        closed_form(
            PI * R_CYL**2 * H_CYL,
            2 * PI * R_CYL * H_CYL + 2 * PI * R_CYL**2,
            (0, 0, 0),
            diag((3 * R_CYL**2 + H_CYL**2) / 12, (3 * R_CYL**2 + H_CYL**2) / 12, R_CYL**2 / 2),
        ),
        H_CYL,
    ),
    "sphere": (
        lambda: bd.Sphere(R_SPH),
        closed_form(
            4 / 3 * PI * R_SPH**3,
            4 * PI * R_SPH**2,
            (0, 0, 0),
            diag(*(3 * [2 / 5 * R_SPH**2])),
        ),
        R_SPH,
    ),
    # build123d centres the cone's box: base at z = -h/2, centroid h/4 above the base.
    "cone": (
        lambda: bd.Cone(R_CONE, 0.0, H_CONE),
        closed_form(
            PI * R_CONE**2 * H_CONE / 3,
            PI * R_CONE * (R_CONE + math.hypot(R_CONE, H_CONE)),
            (0, 0, -H_CONE / 2 + H_CONE / 4),
            diag(
                3 * R_CONE**2 / 20 + 3 * H_CONE**2 / 80,
                3 * R_CONE**2 / 20 + 3 * H_CONE**2 / 80,
                3 * R_CONE**2 / 10,
            ),
        ),
        H_CONE,
    ),
    "torus": (
        lambda: bd.Torus(R_MAJOR, R_MINOR),
        closed_form(
            2 * PI**2 * R_MAJOR * R_MINOR**2,
            4 * PI**2 * R_MAJOR * R_MINOR,
            (0, 0, 0),
            diag(
                R_MAJOR**2 / 2 + 5 / 8 * R_MINOR**2,
                R_MAJOR**2 / 2 + 5 / 8 * R_MINOR**2,
                R_MAJOR**2 + 3 / 4 * R_MINOR**2,
            ),
        ),
        R_MAJOR,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_path_matches_the_closed_form(name):
    build, want, size_mm = CASES[name]
    got = brep_mass_properties(build().wrapped, RHO)
    assert got.method == "brep" and got.tessellation_deflection_mm is None
    assert_close(got, want, REL, size_mm / 1000.0)


def test_box_with_a_through_hole_subtracts_the_cylinder_by_parallel_axis():
    a, b, c, r, ox, oy = 60.0, 40.0, 25.0, 6.0, 14.0, -7.0
    shape = bd.Box(a, b, c) - bd.Pos(ox, oy, 0) * bd.Cylinder(r, 2 * c)
    m_box = RHO * a * b * c * 1e-9
    m_hole = RHO * PI * r * r * c * 1e-9
    mass = m_box - m_hole
    hole_at = np.array([ox, oy, 0.0]) / 1000.0
    centre = -m_hole * hole_at / mass
    i_box = m_box * diag(b * b + c * c, a * a + c * c, a * a + b * b) / 12 * 1e-6
    i_hole = m_hole * diag(3 * r * r + c * c, 3 * r * r + c * c, 6 * r * r) / 12 * 1e-6
    about_origin = i_box - (i_hole + parallel_axis(m_hole, hole_at))
    want = MassProperties(
        mass,
        mass / RHO,
        (2 * (a * b + b * c + c * a) - 2 * PI * r * r + 2 * PI * r * c) * 1e-6,
        tuple(centre),
        tuple(map(tuple, about_origin - parallel_axis(mass, centre))),
        "brep",
    )
    got = brep_mass_properties(shape.wrapped, RHO)
    assert_close(got, want, REL, a / 1000.0)
    # The hole makes the tensor non-diagonal: the check above is not a trivial one.
    assert abs(got.inertia[0, 1]) > 1e-3 * np.max(np.abs(got.inertia))


def _rotation(axis, angle_rad) -> np.ndarray:
    k = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle_rad) * cross + (1 - math.cos(angle_rad)) * cross @ cross


def _matrix_mm(rotation: np.ndarray, translation_mm) -> list[list[float]]:
    m = np.eye(4)
    m[:3, :3] = rotation
    m[:3, 3] = translation_mm
    return m.tolist()


def _moved(shape, matrix_mm):
    trsf = gp_Trsf()
    r = matrix_mm
    trsf.SetValues(*r[0], *r[1], *r[2])
    return BRepBuilderAPI_Transform(shape, trsf, True).Shape()


def test_offset_rotated_two_part_assembly_matches_the_hand_sum():
    box_rot = _rotation([1.0, 2.0, 0.5], 0.7)
    cyl_rot = _rotation([0.0, 1.0, 0.0], PI / 2)
    box_at = np.array([120.0, -35.0, 60.0])
    cyl_at = np.array([-40.0, 80.0, 10.0])
    box_want = CASES["box"][1]
    cyl_want = CASES["cylinder"][1]
    # Hand sum: each central tensor rotated (R I Rᵀ), moved to the common centre.
    masses = np.array([box_want.mass_kg, cyl_want.mass_kg])
    centres = np.array([box_at, cyl_at]) / 1000.0
    centre = masses @ centres / masses.sum()
    tensor = sum(
        r @ p.inertia @ r.T + parallel_axis(p.mass_kg, c - centre)
        for r, p, c in ((box_rot, box_want, centres[0]), (cyl_rot, cyl_want, centres[1]))
    )
    want = MassProperties(
        float(masses.sum()),
        box_want.volume_m3 + cyl_want.volume_m3,
        box_want.area_m2 + cyl_want.area_m2,
        tuple(centre),
        tuple(map(tuple, tensor)),
        "assembly",
    )
    box_matrix = _matrix_mm(box_rot, box_at)
    cyl_matrix = _matrix_mm(cyl_rot, cyl_at)
    placed = [
        brep_mass_properties(bd.Box(A, B, C).wrapped, RHO, box_matrix),
        brep_mass_properties(bd.Cylinder(R_CYL, H_CYL).wrapped, RHO, cyl_matrix),
    ]
    got = combine(placed)
    assert got.method == "assembly"
    assert_close(got, want, REL, 0.2)
    # One compound of the two moved solids, integrated by the kernel, agrees as well.
    compound = bd.Compound(
        [
            bd.Shape.cast(_moved(bd.Box(A, B, C).wrapped, box_matrix)),
            bd.Shape.cast(_moved(bd.Cylinder(R_CYL, H_CYL).wrapped, cyl_matrix)),
        ]
    )
    assert_close(brep_mass_properties(compound.wrapped, RHO), want, REL, 0.2)


def _l_block():
    """An asymmetric solid (distinct principal moments, products of inertia)."""
    body = bd.Box(50, 20, 10) + bd.Pos(-20, 20, 10) * bd.Box(10, 30, 30)
    return (body - bd.Pos(10, 0, 0) * bd.Cylinder(4, 20)).wrapped


L_BLOCK = _l_block()
L_PROPS = brep_mass_properties(L_BLOCK, RHO)
quaternions = st.tuples(*(4 * [st.floats(-1.0, 1.0)])).filter(
    lambda q: math.sqrt(sum(v * v for v in q)) > 0.1
)
translations = st.tuples(*(3 * [st.floats(-500.0, 500.0)]))


def _quaternion_matrix(q) -> np.ndarray:
    w, x, y, z = np.asarray(q) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=quaternions, t=translations)
def test_rigid_motion_of_the_shape_moves_com_and_rotates_inertia(q, t):
    rotation = _quaternion_matrix(q)
    matrix_mm = _matrix_mm(rotation, t)
    moved = brep_mass_properties(_moved(L_BLOCK, matrix_mm), RHO)
    c = L_PROPS.center_of_mass
    expected_centre = rotation @ c + np.asarray(t) / 1000.0
    expected_tensor = rotation @ L_PROPS.inertia @ rotation.T
    scale = np.max(np.abs(L_PROPS.inertia))
    assert moved.mass_kg == pytest.approx(L_PROPS.mass_kg, rel=1e-12)
    assert np.max(np.abs(moved.center_of_mass - expected_centre)) <= REL * 0.6
    assert np.max(np.abs(moved.inertia - expected_tensor)) <= REL * scale
    # transformed() (SI) and the transform_mm argument agree with recomputation.
    matrix_m = _matrix_mm(rotation, np.asarray(t) / 1000.0)
    for derived in (
        L_PROPS.transformed(matrix_m),
        brep_mass_properties(L_BLOCK, RHO, matrix_mm),
    ):
        assert np.max(np.abs(derived.center_of_mass - moved.center_of_mass)) <= REL * 0.6
        assert np.max(np.abs(derived.inertia - moved.inertia)) <= REL * scale
    # Principal moments are invariant.
    assert np.allclose(moved.principal()[0], L_PROPS.principal()[0], rtol=REL, atol=0)


def test_adaptive_integration_is_at_least_as_exact_as_the_default_rule():
    # The default fixed Gauss rule is the faster one; on a cylinder both must meet REL.
    want = CASES["cylinder"][1]
    shape = bd.Cylinder(R_CYL, H_CYL).wrapped
    for eps in (None, 1e-12):
        volume, _, _, inertia = brep_integrals(shape, eps)
        assert volume * 1e-9 == pytest.approx(want.volume_m3, rel=REL)
        assert inertia[0][0] * RHO * 1e-15 == pytest.approx(want.inertia[0, 0], rel=REL)


def test_a_shape_without_a_solid_is_refused():
    face = bd.Box(10, 10, 10).faces()[0].wrapped
    with pytest.raises(ValidationError) as info:
        brep_mass_properties(face, RHO)
    assert info.value.code == "PHYSICS_MASS_INVALID_SHAPE"


def test_non_positive_density_and_non_rigid_transform_are_refused():
    shape = bd.Box(1, 1, 1).wrapped
    with pytest.raises(ValidationError) as info:
        brep_mass_properties(shape, 0.0)
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"
    scaled = [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]]
    with pytest.raises(ValidationError) as info:
        brep_mass_properties(shape, RHO, scaled)
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"
    assert info.value.details["field"] == "transform_mm"


# --- the mesh path ---------------------------------------------------------------------


def _mesh_props(shape, deflection_mm: float) -> MassProperties:
    mesh = tessellate(shape, deflection_mm, 0.5)
    return mesh_mass_properties(mesh.vertices, mesh.triangles, RHO, deflection_mm)


def test_mesh_of_a_box_is_exact():
    got = _mesh_props(bd.Box(A, B, C).wrapped, 0.1)
    assert got.method == "mesh" and got.tessellation_deflection_mm == 0.1
    assert_close(got, CASES["box"][1], 1e-12, A / 1000.0)


def test_mesh_of_a_rotated_hexagonal_prism_equals_the_exact_brep():
    prism = bd.extrude(bd.RegularPolygon(15.0, 6), 25.0)
    shape = _moved(prism.wrapped, _matrix_mm(_rotation([1.0, -1.0, 2.0], 0.4), [30, 5, -8]))
    exact = brep_mass_properties(shape, RHO)
    got = _mesh_props(shape, 0.05)
    # Both are exact for this polyhedron; the mesh's vertices are merged on a 1e-9 mm
    # grid (cadml.geometry.mesh.MERGE_DECIMALS), worth ~1e-10 relative here.
    assert_close(got, exact, REL, 0.03)


@pytest.mark.parametrize("name", ["cylinder", "sphere", "cone", "torus"])
def test_mesh_of_a_curved_solid_is_within_the_deflection_bound(name):
    build, want, _ = CASES[name]
    deflection = 0.04
    shape = build().wrapped
    mesh = tessellate(shape, deflection, 0.5)
    got = mesh_mass_properties(mesh.vertices, mesh.triangles, RHO, deflection)
    assert got.tessellation_deflection_mm == deflection
    # The polyhedron lies within the deflection of the surface: a shell of volume at
    # most δ·A separates it from the solid, and every point of it is within r_max of
    # the origin (where each closed form's frame is centred).
    shell_mm3 = deflection * want.area_m2 * 1e6
    assert abs(got.volume_m3 * 1e9 - want.volume_m3 * 1e9) <= shell_mm3
    r_max_m = float(np.max(np.linalg.norm(mesh.vertices, axis=1))) / 1000.0 + 1e-5
    bound = RHO * shell_mm3 * 1e-9 * r_max_m**2
    got_about_origin = got.inertia_about((0.0, 0.0, 0.0))
    want_about_origin = want.inertia_about((0.0, 0.0, 0.0))
    assert np.max(np.abs(got_about_origin - want_about_origin)) <= bound
    # And the error shrinks with the deflection: the bound is what limits it.
    finer = tessellate(shape, deflection / 4, 0.5)
    finer_props = mesh_mass_properties(finer.vertices, finer.triangles, RHO, deflection / 4)
    assert abs(finer_props.volume_m3 - want.volume_m3) < abs(got.volume_m3 - want.volume_m3)
    # trimesh's polyhedral integrals of the same mesh (an independent implementation).
    tm = trimesh.Trimesh(np.array(mesh.vertices), np.array(mesh.triangles), process=False)
    tm.density = RHO * 1e-9
    assert got.mass_kg == pytest.approx(tm.mass, rel=1e-10)
    assert np.allclose(got.center_of_mass * 1000.0, tm.center_mass, rtol=0, atol=1e-9)
    assert np.allclose(
        got.inertia * 1e6, tm.moment_inertia, rtol=0, atol=1e-10 * np.max(tm.moment_inertia)
    )
