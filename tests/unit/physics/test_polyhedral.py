"""Exact polyhedral mass integrals against hand-computed solids (no kernel).

Oracles: a box (``m (b² + c²) / 12``); the right tetrahedron ``0, a e₁, b e₂, c e₃``
(``V = abc/6``, centroid ``(a, b, c)/4``, ``∫x² = V a²/10``, ``∫xy = V a b/20``);
trimesh's own polyhedral integrals of an icosphere; the invariance of the result under
rigid motions of the vertices.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from cadml.errors import ValidationError
from cadml.physics.polyhedral import mesh_integrals, mesh_mass_properties, open_edge_count

RHO = 2700.0

BOX_TRIANGLES = np.array(
    [
        [0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
        [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3],
    ]
)  # fmt: skip


def box_vertices(a: float, b: float, c: float, at=(0.0, 0.0, 0.0)) -> np.ndarray:
    corners = [[x, y, z] for x in (0.0, a) for y in (0.0, b) for z in (0.0, c)]
    return np.array(corners) + np.asarray(at)


def test_box_matches_the_closed_form_to_rounding():
    a, b, c = 40.0, 30.0, 20.0
    p = mesh_mass_properties(box_vertices(a, b, c), BOX_TRIANGLES, RHO)
    m = RHO * a * b * c * 1e-9
    assert p.mass_kg == pytest.approx(m, rel=1e-14)
    assert p.area_m2 == pytest.approx(2 * (a * b + b * c + c * a) * 1e-6, rel=1e-14)
    assert p.center_of_mass_m == pytest.approx((0.02, 0.015, 0.01), rel=1e-14)
    want = m * np.diag([b * b + c * c, a * a + c * c, a * a + b * b]) / 12 * 1e-6
    assert np.max(np.abs(p.inertia - want)) <= 1e-12 * np.max(want)
    assert p.method == "mesh" and p.tessellation_deflection_mm is None


def test_a_box_far_from_the_origin_keeps_its_precision():
    a, b, c = 4.0, 3.0, 2.0
    at = (1.0e5, -2.0e5, 3.0e5)  # 100-300 m away, in mm
    p = mesh_mass_properties(box_vertices(a, b, c, at), BOX_TRIANGLES, RHO)
    m = RHO * a * b * c * 1e-9
    want = m * np.diag([b * b + c * c, a * a + c * c, a * a + b * b]) / 12 * 1e-6
    assert p.mass_kg == pytest.approx(m, rel=1e-12)
    assert np.max(np.abs(p.inertia - want)) <= 1e-9 * np.max(want)


def test_right_tetrahedron_matches_the_closed_form():
    a, b, c = 3.0, 5.0, 7.0
    vertices = np.array([[0, 0, 0], [a, 0, 0], [0, b, 0], [0, 0, c]], dtype=float)
    triangles = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]
    volume, area, centroid, inertia = mesh_integrals(vertices, triangles)
    v = a * b * c / 6
    assert volume == pytest.approx(v, rel=1e-15)
    assert centroid == pytest.approx([a / 4, b / 4, c / 4], rel=1e-15)
    s = np.array([a, b, c])
    second = v / 20 * (np.diag(s * s) + np.outer(s, s))
    # ∫x_i² = V s_i²/10, ∫x_i x_j = V s_i s_j/20, about the origin.
    assert second[0, 0] == pytest.approx(v * a * a / 10)
    covariance = second - v * np.outer(s / 4, s / 4)
    want = np.trace(covariance) * np.eye(3) - covariance
    assert np.max(np.abs(inertia - want)) <= 1e-14 * np.max(np.abs(want))
    right_faces = (a * b + b * c + c * a) / 2
    slanted = 0.5 * math.sqrt((a * b) ** 2 + (b * c) ** 2 + (c * a) ** 2)
    assert area == pytest.approx(right_faces + slanted, rel=1e-15)


def test_icosphere_agrees_with_trimesh():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=25.0)
    sphere.apply_translation([10.0, -5.0, 3.0])
    sphere.density = RHO * 1e-9
    p = mesh_mass_properties(sphere.vertices, sphere.faces, RHO, 0.5)
    assert p.tessellation_deflection_mm == 0.5
    assert p.mass_kg == pytest.approx(sphere.mass, rel=1e-12)
    assert p.center_of_mass * 1000 == pytest.approx(sphere.center_mass, abs=1e-10)
    assert np.max(np.abs(p.inertia * 1e6 - sphere.moment_inertia)) <= 1e-10 * np.max(
        sphere.moment_inertia
    )


def test_an_open_mesh_is_refused_with_its_open_edges():
    with pytest.raises(ValidationError) as info:
        mesh_mass_properties(box_vertices(1, 1, 1), BOX_TRIANGLES[:-1], RHO)
    assert info.value.code == "PHYSICS_MASS_MESH_NOT_CLOSED"
    assert info.value.details == {"edges": 3}


def test_a_single_flipped_triangle_breaks_closure():
    triangles = BOX_TRIANGLES.copy()
    triangles[0] = triangles[0, [0, 2, 1]]
    assert open_edge_count(triangles) == 6
    with pytest.raises(ValidationError) as info:
        mesh_mass_properties(box_vertices(1, 1, 1), triangles, RHO)
    assert info.value.code == "PHYSICS_MASS_MESH_NOT_CLOSED"


def test_an_inverted_mesh_is_refused():
    with pytest.raises(ValidationError) as info:
        mesh_mass_properties(box_vertices(2, 2, 2), BOX_TRIANGLES[:, [0, 2, 1]], RHO)
    assert info.value.code == "PHYSICS_MASS_MESH_INVERTED"
    assert info.value.details["volume_mm3"] == -8.0


def test_two_boxes_sharing_an_edge_are_closed_and_add_up():
    # Non-manifold along the shared edge, but every directed edge has its opposite.
    first = box_vertices(1, 1, 1)
    second = box_vertices(1, 1, 1, at=(1.0, 1.0, 0.0))
    vertices = np.vstack([first, second])
    vertices_unique, inverse = np.unique(vertices, axis=0, return_inverse=True)
    triangles = inverse.reshape(-1)[np.vstack([BOX_TRIANGLES, BOX_TRIANGLES + 8])]
    p = mesh_mass_properties(vertices_unique, triangles, 1000.0)
    assert p.volume_m3 == pytest.approx(2e-9, rel=1e-15)
    assert p.center_of_mass_m == pytest.approx((0.001, 0.001, 0.0005), rel=1e-15)


@pytest.mark.parametrize(
    ("vertices", "triangles", "density", "field"),
    [
        (box_vertices(1, 1, 1), BOX_TRIANGLES, 0.0, "density_kg_m3"),
        (box_vertices(1, 1, 1)[:, :2], BOX_TRIANGLES, RHO, "vertices_mm"),
        (box_vertices(1, 1, 1), BOX_TRIANGLES + 1, RHO, "triangles"),
        (box_vertices(1, 1, 1), BOX_TRIANGLES.astype(float), RHO, "triangles"),
        (box_vertices(1, 1, 1) * np.nan, BOX_TRIANGLES, RHO, "vertices_mm"),
    ],
)
def test_malformed_input_is_refused(vertices, triangles, density, field):
    with pytest.raises(ValidationError) as info:
        mesh_mass_properties(vertices, triangles, density)
    assert info.value.code == "PHYSICS_MASS_INVALID_INPUT"
    assert info.value.details["field"] == field


def _rotation(q) -> np.ndarray:
    w, x, y, z = np.asarray(q) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


ICOSPHERE = trimesh.creation.icosphere(subdivisions=2, radius=10.0)
# An asymmetric solid: a squashed, sheared sphere with distinct principal moments.
SHEAR = np.array([[1.0, 0.3, 0.0], [0.0, 0.6, 0.2], [0.0, 0.0, 0.4]])
BLOB = ICOSPHERE.vertices @ SHEAR.T + np.array([5.0, 0.0, 0.0])
BLOB_PROPS = mesh_mass_properties(BLOB, ICOSPHERE.faces, RHO)


@settings(max_examples=40, deadline=None)
@given(
    q=st.tuples(*(4 * [st.floats(-1.0, 1.0)])).filter(
        lambda v: math.sqrt(sum(x * x for x in v)) > 0.1
    ),
    t=st.tuples(*(3 * [st.floats(-1000.0, 1000.0)])),
)
def test_rigid_motion_of_the_vertices_matches_transformed(q, t):
    r = _rotation(q)
    moved = BLOB @ r.T + np.asarray(t)
    got = mesh_mass_properties(moved, ICOSPHERE.faces, RHO)
    matrix = np.eye(4)
    matrix[:3, :3] = r
    matrix[:3, 3] = np.asarray(t) / 1000.0
    want = BLOB_PROPS.transformed(matrix)
    assert got.mass_kg == pytest.approx(want.mass_kg, rel=1e-12)
    assert np.max(np.abs(got.center_of_mass - want.center_of_mass)) <= 1e-12
    assert np.max(np.abs(got.inertia - want.inertia)) <= 1e-9 * np.max(np.abs(want.inertia))
