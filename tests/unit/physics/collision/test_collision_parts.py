"""The stages of the collision check on hand-made meshes: no kernel needed."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.geometry.mesh import Mesh
from cadml.physics.collision import BvhCache, CollisionPart, check_collisions
from cadml.physics.collision.broadphase import candidate_pairs
from cadml.physics.collision.containment import point_inside, winding_number
from cadml.physics.collision.scene import relative_transform, world_aabb
from cadml.physics.collision.severity import MINOR_VOLUME_FRACTION, classify

_CUBE_V = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=float)
_CUBE_T = np.array(
    [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
     [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]
)  # fmt: skip


def cube_mesh(size: float = 1.0, face_ids: bool = True) -> Mesh:
    ids = np.arange(12) // 2 if face_ids else None
    return Mesh(_CUBE_V * size, _CUBE_T, 0.0, 0.1, ids)


def at(x: float, y: float = 0.0, z: float = 0.0, rot: np.ndarray | None = None) -> np.ndarray:
    t = np.eye(4)
    if rot is not None:
        t[:3, :3] = rot
    t[:3, 3] = (x, y, z)
    return t


def rot_z(degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def test_broadphase_matches_brute_force():
    rng = np.random.default_rng(7)
    lo = rng.uniform(0, 100, (300, 3))
    hi = lo + rng.uniform(1, 15, (300, 3))
    brute = [
        (i, j)
        for i in range(300)
        for j in range(i + 1, 300)
        if np.all(lo[i] <= hi[j] + 0.5) and np.all(lo[j] <= hi[i] + 0.5)
    ]
    assert candidate_pairs(lo, hi, 0.5) == brute
    assert brute  # the scene has overlaps to find


def test_world_aabb_of_a_turned_box_is_exact():
    lo, hi = world_aabb(np.zeros(3), np.ones(3), at(5, 0, 0, rot_z(45)))
    s = math.sqrt(2) / 2
    np.testing.assert_allclose(lo, [5 - s, 0, 0], atol=1e-12)
    np.testing.assert_allclose(hi, [5 + s, 2 * s, 1], atol=1e-12)


def test_relative_transform_inverts_the_frame():
    a, b = at(1, 2, 3, rot_z(30)), at(-4, 0, 9, rot_z(-70))
    np.testing.assert_allclose(a @ relative_transform(a, b), b, atol=1e-12)


def test_winding_number_inside_outside_and_far():
    corners = _CUBE_V[_CUBE_T]
    assert winding_number(corners, np.array([0.5, 0.5, 0.5])) == pytest.approx(1.0)
    assert winding_number(corners, np.array([1.5, 0.5, 0.5])) == pytest.approx(0.0, abs=1e-12)
    assert point_inside(corners, np.array([0.01, 0.99, 0.5]))
    assert not point_inside(corners, np.array([100.0, -3.0, 7.0]))


def test_severity_thresholds():
    below, above = MINOR_VOLUME_FRACTION * 0.99, MINOR_VOLUME_FRACTION
    assert classify("overlap", volume_fraction=below, confirmed=True) == "minor"
    assert classify("overlap", volume_fraction=above, confirmed=True) == "major"
    assert classify("containment", volume_fraction=None, confirmed=True) == "major"
    assert classify("touching", volume_fraction=0.0, confirmed=False) == "touching"
    assert classify("overlap", volume_fraction=None, confirmed=True) == "uncertain"


def test_parts_with_one_key_share_one_cached_geometry():
    cache = BvhCache(max_entries=2)
    parts = [CollisionPart(f"p{i}", cube_mesh(), at(3 * i), "cube") for i in range(5)]
    check_collisions(parts, cache=cache)
    assert (len(cache), cache.misses, cache.hits) == (1, 1, 4)
    assert cache.get(parts[0]) is cache.get(parts[4])
    other = [CollisionPart(f"q{i}", cube_mesh(2.0), np.eye(4), f"k{i}") for i in range(3)]
    for p in other:
        cache.get(p)
    assert len(cache) == 2 and "cube" not in cache and "k0" not in cache


def test_cube_overlap_with_turned_cube_volume_and_sorted_pairs():
    # Cube b turned 45° about z around its centre, centred on a's corner (1, 1): the
    # common region is a quarter-ish square: area of overlap of the unit square with a
    # diamond of half-diagonal √2/2 centred at its corner = 1/4 ... times height 1.
    centre = np.array([1.0, 1.0, 0.0])
    turn = rot_z(45)
    b_tf = at(*(centre - turn @ np.array([0.5, 0.5, 0.0])), rot=turn)
    parts = [
        CollisionPart("z", cube_mesh(), np.eye(4), "cube"),
        CollisionPart("b", cube_mesh(), b_tf, "cube"),
        CollisionPart("m", cube_mesh(), at(50), "cube"),
    ]
    report = check_collisions(parts, cache=BvhCache())
    (pair,) = report.pairs
    assert (pair.part_a, pair.part_b) == ("b", "z")
    assert pair.volume_mm3 == pytest.approx(0.25, rel=1e-12)
    assert report.part_count == 3 and report.candidate_count == 1


def test_without_volumes_a_hit_is_an_uncertain_overlap():
    parts = [
        CollisionPart("a", cube_mesh(), np.eye(4), "cube"),
        CollisionPart("b", cube_mesh(), at(0.5, 0.5, 0.5), "cube"),
    ]
    (pair,) = check_collisions(parts, cache=BvhCache(), compute_volumes=False).pairs
    assert (pair.kind, pair.severity, pair.volume_mm3) == ("overlap", "uncertain", None)


def test_exact_callable_is_only_asked_near_contact_unless_policy_all():
    asked: list[tuple[str, str]] = []

    def exact(a: CollisionPart, b: CollisionPart) -> float:
        asked.append((a.id, b.id))
        return 0.125

    parts = [
        CollisionPart("a", cube_mesh(), np.eye(4), "cube"),
        CollisionPart("b", cube_mesh(), at(0.5, 0.5, 0.5), "cube"),
    ]
    (pair,) = check_collisions(parts, cache=BvhCache(), exact=exact).pairs
    assert asked == [] and pair.exact_volume_mm3 is None  # depth 1/6 is outside the band
    (pair,) = check_collisions(parts, cache=BvhCache(), exact=exact, exact_policy="all").pairs
    assert asked == [("a", "b")] and pair.exact_volume_mm3 == 0.125


def test_report_is_deterministic_and_json_able():
    parts = [
        CollisionPart(f"p{i}", cube_mesh(), at(0.7 * i, 0.1 * i, 0, rot_z(11 * i)), "cube")
        for i in range(6)
    ]
    first = json.dumps(check_collisions(parts, cache=BvhCache()).to_dict(), sort_keys=True)
    again = json.dumps(
        check_collisions(list(reversed(parts)), cache=BvhCache()).to_dict(), sort_keys=True
    )
    assert first == again
    body = json.loads(first)
    assert sum(body["counts"]["kind"].values()) == len(body["pairs"]) > 0
    assert body["counts"]["kind"]["overlap"] > 0
    assert "timings_ms" not in body
    timed = check_collisions(parts, cache=BvhCache()).to_dict(include_timings=True)
    assert set(timed["timings_ms"]) == {
        "broadphase_ms", "narrowphase_ms", "volumes_ms", "exact_ms", "total_ms"
    }  # fmt: skip


def test_mesh_without_face_ids_reports_triangle_indices():
    parts = [
        CollisionPart("a", cube_mesh(face_ids=False), np.eye(4), "plain"),
        CollisionPart("b", cube_mesh(face_ids=False), at(0.5, 0.25, 0.25), "plain"),
    ]
    (pair,) = check_collisions(parts, cache=BvhCache()).pairs
    # The common box [0.5, 1] x [0.25, 1] x [0.25, 1] is bounded by a's +x, +y, +z faces
    # (triangles 2-3, 6-7, 10-11) and b's -x, -y, -z faces (triangles 0-1, 4-5, 8-9).
    assert pair.faces_a == (2, 3, 6, 7, 10, 11)
    assert pair.faces_b == (0, 1, 4, 5, 8, 9)


@pytest.mark.parametrize(
    ("transform", "fragment"),
    [
        (np.eye(3), "shape"),
        (np.diag([2.0, 1, 1, 1]), "rotation"),
        (np.diag([-1.0, 1, 1, 1]), "rotation"),
        (np.full((4, 4), np.nan), "NaN"),
    ],
)
def test_invalid_transforms_are_rejected(transform, fragment):
    parts = [CollisionPart("a", cube_mesh(), transform, "cube")]
    with pytest.raises(ValidationError) as info:
        check_collisions(parts, cache=BvhCache())
    assert info.value.code == "PHYSICS_COLLISION_INVALID_TRANSFORM"
    assert fragment in info.value.details["reason"]


def test_duplicate_ids_open_meshes_and_bad_options_are_rejected():
    cube = CollisionPart("a", cube_mesh(), np.eye(4), "cube")
    with pytest.raises(ValidationError) as info:
        check_collisions([cube, cube], cache=BvhCache())
    assert info.value.code == "PHYSICS_COLLISION_DUPLICATE_PART"
    open_box = Mesh(_CUBE_V, _CUBE_T[:-2], 0.0, 0.1)
    with pytest.raises(ValidationError) as info:
        check_collisions([CollisionPart("o", open_box, np.eye(4), "open")], cache=BvhCache())
    assert info.value.code == "PHYSICS_COLLISION_NOT_MANIFOLD"
    empty = Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), 0.0, 0.1)
    with pytest.raises(ValidationError) as info:
        check_collisions([CollisionPart("e", empty, np.eye(4), "e")], cache=BvhCache())
    assert info.value.code == "PHYSICS_COLLISION_EMPTY_MESH"
    for option in ({"tolerance_mm": -1.0}, {"exact_policy": "sometimes"}):
        with pytest.raises(ValidationError) as info:
            check_collisions([cube], cache=BvhCache(), **option)
        assert info.value.code == "PHYSICS_COLLISION_INVALID_OPTION"


def test_pair_memo_recomputes_only_pairs_whose_parts_moved():
    from cadml.physics.collision import PairCache

    parts = [
        CollisionPart("a", cube_mesh(), np.eye(4), "cube"),
        CollisionPart("b", cube_mesh(), at(0.5), "cube"),
        CollisionPart("c", cube_mesh(), at(10.0), "cube"),
        CollisionPart("d", cube_mesh(), at(10.25), "cube"),
    ]
    memo, cache = PairCache(), BvhCache()
    first = check_collisions(parts, cache=cache, pair_cache=memo)
    assert (memo.misses, memo.hits) == (2, 0)
    again = check_collisions(parts, cache=cache, pair_cache=memo)
    assert (memo.misses, memo.hits) == (2, 2)
    assert again.to_dict() == first.to_dict()
    parts[3] = CollisionPart("d", cube_mesh(), at(10.5), "cube")
    moved = check_collisions(parts, cache=cache, pair_cache=memo)
    assert (memo.misses, memo.hits) == (3, 3)
    volumes = {(p.part_a, p.part_b): p.volume_mm3 for p in moved.pairs}
    assert volumes == {("a", "b"): pytest.approx(0.5), ("c", "d"): pytest.approx(0.5)}
    assert {(p.part_a, p.part_b): p.volume_mm3 for p in first.pairs}[("c", "d")] == (
        pytest.approx(0.75)
    )


def test_collision_package_imports_no_kernel():
    import subprocess
    import sys

    script = (
        "import sys, cadml.physics.collision, cadml.error_catalog.physics_collision\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('OCP', 'build123d')))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert out.stdout.decode().strip() == "[]"


@pytest.mark.parametrize("corner", [(1.0, 1.0), (7.5, 0.5), (0.5, 7.5), (4.0, 4.0)])
def test_touching_faces_are_the_faces_in_area_contact(corner):
    # A 2 mm cube resting on a 10 mm cube's top face: only a's +z face (id 5) and b's
    # -z face (id 4) touch over an area; the side faces meet a's top along edges only.
    big = CollisionPart("a", cube_mesh(10.0), np.eye(4), "big")
    small = CollisionPart("b", cube_mesh(2.0), at(corner[0], corner[1], 10.0), "small")
    (pair,) = check_collisions([big, small], cache=BvhCache()).pairs
    assert pair.kind == "touching"
    assert (pair.faces_a, pair.faces_b) == ((5,), (4,))


def test_centroid_on_triangle_barycentric_test():
    from cadml.physics.collision.contact_faces import centroids_on_triangles

    tri = np.array([[[0, 0, 0], [4, 0, 0], [0, 4, 0]]], dtype=float)
    points = np.array(
        [[1, 1, 0], [3.9, 0.05, 0], [0.05, 3.9, 0], [2.1, 2.1, 0], [-0.1, 1, 0], [1, 1, 0.01]]
    )
    assert centroids_on_triangles(points, tri, 1e-3).tolist() == [
        True, True, True, False, False, False
    ]  # fmt: skip


def test_the_winding_kernel_matches_the_numpy_reference():
    from cadml.physics.collision.containment import _winding_numpy

    corners = _CUBE_V[_CUBE_T]
    rng = np.random.default_rng(5)
    for point in rng.uniform(-1.0, 2.0, (200, 3)):
        assert winding_number(corners, point) == pytest.approx(
            _winding_numpy(corners, point), abs=1e-12
        )
