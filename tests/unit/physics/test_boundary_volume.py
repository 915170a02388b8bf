"""The boundary-integral interference against closed forms and the manifold3d boolean.

The fast path (:func:`boundary_intersection`) must agree with manifold3d's boolean
(``volume._boolean``) to about 1e-9 relative in volume, area and centroid, and name the
same faces; degenerate configurations (touching faces, coplanar caps) must be refused and
then answered by the boolean through :func:`intersect`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from cadml.geometry.mesh import Mesh
from cadml.physics.collision import volume
from cadml.physics.collision.boundary_mesh import boundary_mesh
from cadml.physics.collision.boundary_volume import boundary_intersection
from cadml.physics.collision.cache import CachedGeometry, build_geometry
from cadml.physics.collision.tri_pairs import BoxTree, tree_pairs

REL = 1e-9


def pose(rotvec=(0.0, 0.0, 0.0), shift=(0.0, 0.0, 0.0)) -> np.ndarray:
    t = np.eye(4)
    t[:3, :3] = Rotation.from_rotvec(rotvec).as_matrix()
    t[:3, 3] = shift
    return t


def faced(tm: trimesh.Trimesh) -> Mesh:
    """A mesh whose face ids group the triangles by (rounded) normal, like planar faces."""
    normals = np.round(np.asarray(tm.face_normals), 6)
    _, ids = np.unique(normals, axis=0, return_inverse=True)
    return Mesh(np.asarray(tm.vertices, dtype=float), np.asarray(tm.faces), 0.0, 0.1, ids.ravel())


def geometry(key: str, mesh: Mesh) -> CachedGeometry:
    return build_geometry(key, mesh)


def box_geometry(key: str, dx: float, dy: float, dz: float) -> CachedGeometry:
    """A box with its minimum corner at the origin; face ids by normal direction."""
    tm = trimesh.creation.box(extents=(dx, dy, dz))
    tm.apply_translation((dx / 2, dy / 2, dz / 2))
    return geometry(key, faced(tm))


def face_of(geo: CachedGeometry, normal) -> int:
    """The face id of the triangles of ``geo`` with outward ``normal``."""
    corners = geo.corners
    n = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    n /= np.linalg.norm(n, axis=1)[:, None]
    (hit,) = np.nonzero(np.all(np.abs(n - np.asarray(normal, float)) < 1e-9, axis=1))
    return int(geo.face_ids[hit[0]])


def assert_matches_boolean(geo_a, geo_b, relative, rel=REL):
    fast = boundary_intersection(geo_a, geo_b, relative)
    assert fast.fallback == ""
    exact = volume._boolean(geo_a, np.eye(4), geo_b, relative)
    scale = max(exact.volume_mm3, 1e-12)
    assert fast.volume_mm3 == pytest.approx(exact.volume_mm3, rel=rel, abs=rel * scale)
    assert fast.area_mm2 == pytest.approx(exact.area_mm2, rel=rel, abs=rel * scale ** (2 / 3))
    if exact.centroid_mm is None:
        assert fast.centroid_local is None
    else:
        size = float(np.ptp(geo_a.corners.reshape(-1, 3), axis=0).max())
        np.testing.assert_allclose(fast.centroid_local, exact.centroid_mm, atol=rel * size)
    assert fast.faces_a == exact.faces_a
    assert fast.faces_b == exact.faces_b
    return fast


# ------------------------------------------------------------------------ closed forms


def test_two_boxes_at_a_generic_rotation_overlap_in_a_box():
    """Both boxes turned alike in the world: the common part is the box of the overlaps."""
    a = box_geometry("a", 10, 20, 30)
    b = box_geometry("b", 7, 11, 13)
    world_a = pose((0.3, -1.1, 0.7), (120.0, -40.0, 7.5))
    shift = np.array([6.75, 15.5, 23.875])
    world_b = world_a @ pose(shift=shift)
    before = volume.PATH_COUNTS["boundary"]
    region = volume.intersect(a, world_a, b, np.linalg.inv(world_a) @ world_b)
    assert volume.PATH_COUNTS["boundary"] == before + 1  # not the boolean
    sides = np.array([10 - 6.75, 20 - 15.5, 30 - 23.875])
    assert region.volume_mm3 == pytest.approx(float(np.prod(sides)), rel=1e-12)
    area = 2 * (sides[0] * sides[1] + sides[1] * sides[2] + sides[2] * sides[0])
    assert region.area_mm2 == pytest.approx(area, rel=1e-12)
    centre = world_a[:3, :3] @ (shift + sides / 2) + world_a[:3, 3]
    np.testing.assert_allclose(region.centroid_mm, centre, atol=1e-9)
    assert region.faces_a == tuple(sorted(face_of(a, n) for n in np.eye(3)))
    assert region.faces_b == tuple(sorted(face_of(b, -n) for n in np.eye(3)))


def test_turned_box_against_box_matches_the_boolean_and_stays_inside_bounds():
    a = box_geometry("a", 10, 10, 10)
    b = box_geometry("b", 6, 8, 9)
    relative = pose((0.4, 0.9, -0.2), (6.1, 2.3, 3.7))
    fast = assert_matches_boolean(a, b, relative)
    assert 0 < fast.volume_mm3 < 6 * 8 * 9


def test_cube_against_sphere_mesh_matches_the_boolean():
    cube = box_geometry("cube", 20, 20, 20)
    sphere = geometry("sphere", faced(trimesh.creation.icosphere(subdivisions=3, radius=9.0)))
    relative = pose((0.2, 0.5, 0.1), (18.3, 11.2, 9.7))
    fast = assert_matches_boolean(cube, sphere, relative)
    assert fast.volume_mm3 > 100.0


def test_a_sphere_wholly_inside_a_box_is_the_sphere():
    """No triangle pair meets: the winding number decides, the sphere is all of it."""
    cube = box_geometry("cube", 40, 40, 40)
    sphere = geometry("sphere", faced(trimesh.creation.icosphere(subdivisions=2, radius=5.0)))
    fast = boundary_intersection(cube, sphere, pose((1.0, 2.0, 3.0), (20.1, 19.7, 20.3)))
    assert fast.fallback == ""
    assert fast.volume_mm3 == pytest.approx(sphere.volume_mm3, rel=1e-12)
    assert fast.faces_a == ()
    assert len(fast.faces_b) == len(np.unique(sphere.face_ids))


def test_boxes_whose_boxes_meet_but_that_do_not_overlap_are_empty():
    a = box_geometry("a", 10, 10, 10)
    b = box_geometry("b", 10, 10, 10)
    # Turned 45° about z and set off along the diagonal: the boxes' boxes overlap.
    relative = pose((0, 0, math.pi / 4), (10 + 5 * math.sqrt(2) + 0.5, 9.0, 0.3))
    fast = boundary_intersection(a, b, relative)
    assert fast.fallback == "" and fast.volume_mm3 == 0.0 and fast.centroid_local is None
    assert volume._boolean(a, np.eye(4), b, relative).volume_mm3 == 0.0


# ------------------------------------------------------------------ random rigid poses

_TORUS = faced(trimesh.creation.torus(major_radius=8.0, minor_radius=3.0, major_sections=40,
                                      minor_sections=16))  # fmt: skip
_CAPSULE = faced(trimesh.creation.capsule(height=14.0, radius=4.0, count=[24, 24]))


@pytest.fixture(scope="module")
def torus_and_capsule() -> tuple[CachedGeometry, CachedGeometry]:
    return geometry("torus", _TORUS), geometry("capsule", _CAPSULE)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rotvec=st.tuples(*[st.floats(-math.pi, math.pi)] * 3),
    shift=st.tuples(*[st.floats(-12.0, 12.0)] * 3),
)
def test_random_rigid_poses_match_the_boolean(torus_and_capsule, rotvec, shift):
    torus, capsule = torus_and_capsule
    relative = pose(rotvec, shift)
    fast = boundary_intersection(torus, capsule, relative)
    assume(not fast.fallback)  # measure-zero degeneracies: the boolean answers instead
    assert_matches_boolean(torus, capsule, relative)


def test_the_result_does_not_depend_on_the_world_placement(torus_and_capsule):
    """Same relative pose: same answer; the centroid moves with the first part."""
    torus, capsule = torus_and_capsule
    relative = pose((0.3, 0.2, 0.1), (4.0, 1.0, -2.0))
    world = pose((1.0, -0.5, 2.0), (1000.0, -250.0, 40.0))
    here = volume.intersect(torus, np.eye(4), capsule, relative)
    there = volume.intersect(torus, world, capsule, relative)
    assert there.volume_mm3 == here.volume_mm3
    expected = world[:3, :3] @ np.asarray(here.centroid_mm) + world[:3, 3]
    np.testing.assert_allclose(there.centroid_mm, expected, atol=1e-9)


# ---------------------------------------------------------------------------- fallback


def test_face_to_face_contact_is_refused_and_the_boolean_answers():
    a = box_geometry("a", 10, 10, 10)
    b = box_geometry("b", 10, 10, 10)
    relative = pose(shift=(10.0, 2.0, 3.0))  # b's -x face lies in a's +x face
    assert boundary_intersection(a, b, relative).fallback
    before = volume.PATH_COUNTS.copy()
    region = volume.intersect(a, np.eye(4), b, relative)
    assert region.volume_mm3 == pytest.approx(0.0, abs=1e-9)
    gained = volume.PATH_COUNTS - before
    assert sum(gained.values()) == 1 and next(iter(gained)).startswith("manifold: ")


def test_coaxial_cylinders_with_coplanar_caps_are_refused_and_right():
    outer = geometry("outer", faced(trimesh.creation.cylinder(radius=5.0, height=20.0)))
    inner = geometry("inner", faced(trimesh.creation.cylinder(radius=3.0, height=20.0)))
    relative = pose((0.0, 0.0, 0.1))  # turned about the common axis
    assert boundary_intersection(outer, inner, relative).fallback
    region = volume.intersect(outer, np.eye(4), inner, relative)
    assert region.volume_mm3 == pytest.approx(inner.volume_mm3, rel=1e-9)


def test_the_same_solid_at_the_same_pose_is_refused_and_is_itself(torus_and_capsule):
    torus, _ = torus_and_capsule
    assert boundary_intersection(torus, torus, np.eye(4)).fallback
    region = volume.intersect(torus, np.eye(4), torus, np.eye(4))
    assert region.volume_mm3 == pytest.approx(torus.volume_mm3, rel=1e-9)
    assert region.faces_a == region.faces_b


def test_a_mirroring_or_scaling_pose_is_refused(torus_and_capsule):
    torus, capsule = torus_and_capsule
    mirrored = pose(shift=(3.0, 0.0, 0.0)) @ np.diag([-1.0, 1.0, 1.0, 1.0])
    scaled = pose(shift=(3.0, 0.0, 0.0)) @ np.diag([1.1, 1.0, 1.0, 1.0])
    assert "rotation" in boundary_intersection(torus, capsule, mirrored).fallback
    assert "rotation" in boundary_intersection(torus, capsule, scaled).fallback


def test_the_fast_path_is_counted(torus_and_capsule):
    torus, capsule = torus_and_capsule
    before = volume.PATH_COUNTS["boundary"]
    volume.intersect(torus, np.eye(4), capsule, pose((0.1, 0.2, 0.3), (9.0, 0.5, 0.25)))
    assert volume.PATH_COUNTS["boundary"] == before + 1


# ------------------------------------------------------------------------- pair search


def test_tree_pairs_find_every_overlapping_box_pair():
    rng = np.random.default_rng(3)
    lo_a = rng.uniform(0, 50, (300, 3))
    hi_a = lo_a + rng.uniform(0.1, 6, (300, 3))
    lo_b = rng.uniform(0, 50, (200, 3))
    hi_b = lo_b + rng.uniform(0.1, 6, (200, 3))
    turn = Rotation.from_rotvec((0.4, -0.3, 0.9)).as_matrix()
    shift = np.array([3.0, -2.0, 1.0])
    # Brute force with b's boxes turned and boxed again in a's frame, and a's in b's.
    centre_b, half_b = (lo_b + hi_b) / 2 @ turn.T + shift, (hi_b - lo_b) / 2 @ np.abs(turn).T
    centre_a = ((lo_a + hi_a) / 2 - shift) @ turn
    half_a = (hi_a - lo_a) / 2 @ np.abs(turn)
    in_a = np.all(
        np.abs((lo_a + hi_a)[:, None] / 2 - centre_b[None]) <= (hi_a - lo_a)[:, None] / 2
        + half_b[None], axis=2,
    )  # fmt: skip
    in_b = np.all(
        np.abs(centre_a[:, None] - (lo_b + hi_b)[None] / 2) <= half_a[:, None]
        + (hi_b - lo_b)[None] / 2, axis=2,
    )  # fmt: skip
    expected = set(zip(*np.nonzero(in_a & in_b), strict=True))
    ia, ib = tree_pairs(BoxTree.build(lo_a, hi_a), BoxTree.build(lo_b, hi_b), turn, shift, 0.0)
    found = set(zip(ia.tolist(), ib.tolist(), strict=True))
    assert expected and expected <= found  # float32 slack may add a few, never drop one
    assert len(found) == len(set(found)) and len(found) <= len(expected) * 1.05


def test_boundary_mesh_is_cached_per_geometry(torus_and_capsule):
    torus, _ = torus_and_capsule
    assert boundary_mesh(torus) is boundary_mesh(torus)
    assert boundary_mesh(torus).tris.shape == (3, len(_TORUS.triangles))
