"""The boundary-integral interference against closed forms and the manifold3d boolean.

The fast path (:func:`boundary_intersection`, compiled kernels) must agree with
manifold3d's boolean (``volume._boolean``) to about 1e-9 relative in volume, area and
centroid, and name the same faces; degenerate configurations (touching faces, coplanar
caps) must be refused and then answered by the boolean through :func:`intersect`. The
triangle-triangle kernel is checked against hand-computed segments.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from cadml.geometry.mesh import Mesh
from cadml.physics.collision import volume
from cadml.physics.collision.boundary_mesh import boundary_mesh
from cadml.physics.collision.boundary_volume import boundary_intersection, warm_up
from cadml.physics.collision.cache import CachedGeometry, build_geometry
from cadml.physics.collision.tri_intersect import DEGENERACIES, intersection_segments
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
    assert boundary_mesh(torus).tris.shape == (len(_TORUS.triangles), 3)


# ------------------------------------------------------------------ compiled kernels


def test_warm_up_runs_every_kernel_and_times_it():
    assert 0.0 < warm_up() < 600.0


def _segments_of(tri_a, tri_b, eps=1e-9):
    """The kernel on one pair of triangles (rows of corners), both unmoved."""
    points_a, points_b = np.asarray(tri_a, float), np.asarray(tri_b, float)
    tris = np.array([[0, 1, 2]])

    def plane(p):
        n = np.cross(p[1] - p[0], p[2] - p[0])
        n /= np.linalg.norm(n)
        return n[None, :], np.array([n @ p[0]])

    (na, oa), (nb, ob) = plane(points_a), plane(points_b)
    zero, one = np.zeros(3), np.array([0])
    return intersection_segments(
        points_a, tris, na, oa, zero, points_b, tris, nb, ob, np.eye(3), zero, one, one, eps
    )


def test_crossing_triangles_give_the_hand_computed_segment_and_crossings():
    """A in z = 0 (normal +z), B in x = 0.25 (normal +x), piercing A from below."""
    a = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    b = [[0.25, 0.2, -1], [0.25, 0.2, 1], [0.25, -0.6, 0.2]]
    status, seg_tri, p, q, c_tri, c_slot, c_t, c_point, c_in = _segments_of(a, b)
    assert status == 0
    # On the line x = 0.25, z = 0 A spans y in [0, 0.75] and B y in [-7/15, 0.2]; the
    # segment runs along n_a × n_b = +y from A's edge (y = 0) to B's edge (y = 0.2).
    assert seg_tri.tolist() == [0, 1]  # A's triangle, then B's (joined id m_A + 0)
    np.testing.assert_allclose(p[0], [0.25, 0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(q[0], [0.25, 0.2, 0.0], atol=1e-15)
    np.testing.assert_allclose(p[1], q[0], atol=1e-15)  # B's copy runs the other way
    np.testing.assert_allclose(q[1], p[0], atol=1e-15)
    crossings = sorted(
        zip(c_tri.tolist(), c_slot.tolist(), np.round(c_t, 12).tolist(), c_in.tolist(), strict=True)
    )
    # A's edge v0 -> v1 (slot 0) pierces B at t = 0.25, its start (x = 0) behind B's
    # plane; B's edge v0 -> v1 pierces A at t = 0.5, its start (z = -1) behind A's plane.
    assert crossings == [(0, 0, 0.25, True), (1, 0, 0.5, True)]
    np.testing.assert_allclose(np.sort(c_point[:, 1]), [0.0, 0.2], atol=1e-15)


def test_the_triangle_kernel_names_each_degeneracy():
    a = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
    corner_on_plane = [[0.25, 0.2, -1], [0.25, 0.2, 1], [0.25, -0.5, 0]]
    edge_in_plane = [[0.0, 0.2, -1], [0.0, 0.2, 1], [0.0, -0.5, 0.3]]  # holds A's v0, v2
    nearly_parallel = [[0.1, 0.1, -1e-7], [0.9, 0.1, 1e-7], [0.1, 0.8, 5e-8]]
    edge_meets_edge = [[0.25, 0.0, -1], [0.25, 0.0, 1], [0.25, -0.6, 0.2]]
    assert DEGENERACIES[_segments_of(a, corner_on_plane)[0]].startswith("a corner")
    assert DEGENERACIES[_segments_of(a, edge_in_plane)[0]].startswith("a corner")
    assert DEGENERACIES[_segments_of(a, nearly_parallel, eps=1e-12)[0]].startswith("nearly")
    assert DEGENERACIES[_segments_of(a, edge_meets_edge)[0]].startswith("an edge grazes")
    apart = [[2.25, 0.2, -1], [2.25, 0.2, 1], [2.25, -0.5, 0.3]]
    status, seg_tri, *_ = _segments_of(a, apart)
    assert status == 0 and seg_tri.size == 0


_SPHERE = faced(trimesh.creation.uv_sphere(radius=6.0, count=[24, 24]))
_SLAB = faced(trimesh.creation.box(extents=(14.0, 9.0, 5.0)).subdivide_to_size(1.5))


@pytest.mark.parametrize("seed", range(6))
def test_seeded_random_poses_of_sphere_and_subdivided_slab_match_the_boolean(seed):
    rng = np.random.default_rng(seed)
    sphere, slab = geometry("uv-sphere", _SPHERE), geometry("slab", _SLAB)
    relative = pose(rng.uniform(-math.pi, math.pi, 3), rng.uniform(-5.0, 5.0, 3))
    fast = boundary_intersection(slab, sphere, relative)
    assert fast.fallback == ""
    assert_matches_boolean(slab, sphere, relative)


def test_pairs_computed_in_threads_give_the_serial_answers(torus_and_capsule):
    torus, capsule = torus_and_capsule
    poses = [pose((0.1 * k, 0.3, -0.2 * k), (0.5 * k - 3.0, 1.0, 0.25 * k)) for k in range(12)]
    serial = [boundary_intersection(torus, capsule, p) for p in poses]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(lambda p: boundary_intersection(torus, capsule, p), poses))
    for one, other in zip(serial, threaded, strict=True):
        assert one.volume_mm3 == other.volume_mm3 and one.faces_b == other.faces_b
        assert one.fallback == other.fallback
