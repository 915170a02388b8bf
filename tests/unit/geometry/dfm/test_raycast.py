"""Ray casting and triangle splitting against brute force and closed forms (no kernel)."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import trimesh

from cadml.geometry.dfm.raycast import (
    MISS,
    RayTree,
    cast_rays,
    first_fitting_limit,
    split_long_triangles,
)


def _brute_force(origins, directions, tris, t_min):
    best_t = np.full(len(origins), np.inf)
    best_i = np.full(len(origins), -1)
    for r, (o, d) in enumerate(zip(origins, directions, strict=True)):
        for i, (a, b, c) in enumerate(tris):
            e1, e2 = b - a, c - a
            p = np.cross(d, e2)
            det = e1 @ p
            if abs(det) < 1e-14:
                continue
            tv = o - a
            u = (tv @ p) / det
            q = np.cross(tv, e1)
            v = (d @ q) / det
            t = (e2 @ q) / det
            if u >= -1e-9 and v >= -1e-9 and u + v <= 1 + 1e-9 and t > t_min and t < best_t[r]:
                best_t[r], best_i[r] = t, i
    return best_t, best_i


def test_hit_miss_and_t_min_on_one_triangle() -> None:
    tri = np.array([[[0.0, 0.0, 5.0], [2.0, 0.0, 5.0], [0.0, 2.0, 5.0]]])
    origins = np.array([[0.5, 0.5, 0.0], [3.0, 3.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.5, 9.0]])
    dirs = np.array([[0, 0, 1.0], [0, 0, 1.0], [0, 0, -1.0], [0, 0, -1.0]])
    t, idx = cast_rays(origins, dirs, tri)
    assert t.tolist() == [5.0, MISS, MISS, 4.0]
    assert idx.tolist() == [0, -1, -1, 0]
    t, _ = cast_rays(origins[:1], dirs[:1], tri, t_min=5.0)
    assert t[0] == MISS


def test_nearest_of_stacked_triangles() -> None:
    layer = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    tris = np.stack([layer + np.array([0.0, 0.0, z]) for z in (7.0, 3.0, 5.0)])
    t, idx = cast_rays(np.array([[1.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 1.0]]), tris, 1e-9)
    assert (t[0], idx[0]) == (3.0, 1)


def test_matches_brute_force_on_a_sphere() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=10.0)
    tris = np.asarray(sphere.triangles)
    rng = np.random.default_rng(7)
    origins = rng.normal(size=(150, 3))
    origins *= (rng.uniform(0.0, 9.0, 150) / np.linalg.norm(origins, axis=1))[:, None]
    dirs = rng.normal(size=(150, 3))
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    t, idx = cast_rays(origins, dirs, tris, 1e-9, np.arange(len(tris)) // 7)
    t_ref, idx_ref = _brute_force(origins, dirs, tris, 1e-9)
    np.testing.assert_allclose(t, t_ref, rtol=0, atol=1e-9)
    assert (idx == idx_ref).all()
    assert np.isfinite(t).all()  # every ray starts inside the closed sphere (r < 9 < 9.5)


def test_split_keeps_area_and_bounds_edges() -> None:
    tris = np.array([[[0.0, 0, 0], [30, 0, 0], [0, 1, 0]], [[0.0, 0, 1], [1, 0, 1], [0, 1, 1]]])
    out, parent = split_long_triangles(tris, 2.0)
    edges = np.linalg.norm(out - np.roll(out, 1, axis=1), axis=2)
    assert edges.max() <= 2.0
    area = 0.5 * np.linalg.norm(np.cross(out[:, 1] - out[:, 0], out[:, 2] - out[:, 0]), axis=1)
    assert np.bincount(parent, weights=area).tolist() == pytest.approx([15.0, 0.5], abs=1e-12)
    assert (np.diff(parent) >= 0).all()


def _split_every_round(tris, max_edge):
    """The reference bisection: split the whole set each round, stably re-sort by parent."""
    parent = np.arange(tris.shape[0])
    for _ in range(64):
        edges = np.stack(
            [np.linalg.norm(tris[:, (i + 1) % 3, :3] - tris[:, i, :3], axis=1) for i in range(3)],
            axis=1,
        )
        longest = np.argmax(edges, axis=1)
        long_ = edges[np.arange(tris.shape[0]), longest] > max_edge
        if not long_.any():
            break
        t, k = tris[long_], longest[long_]
        rows = np.arange(t.shape[0])
        a, b, c = t[rows, k], t[rows, (k + 1) % 3], t[rows, (k + 2) % 3]
        mid = 0.5 * (a + b)
        tris = np.concatenate([tris[~long_], np.stack([a, mid, c], 1), np.stack([mid, b, c], 1)])
        parent = np.concatenate([parent[~long_], parent[long_], parent[long_]])
        order = np.argsort(parent, kind="stable")
        tris, parent = tris[order], parent[order]
    return tris, parent


@pytest.mark.parametrize("columns", [3, 5])
def test_split_matches_the_reference_bit_for_bit(columns: int) -> None:
    rng = np.random.default_rng(11)
    for trial in range(40):
        tris = rng.normal(size=(int(rng.integers(1, 30)), 3, columns)) * rng.uniform(0.1, 4.0)
        if trial % 2:
            tris = np.round(tris)  # right angles and equal edges: ties in the longest edge
        max_edge = float(rng.uniform(0.3, 3.0))
        out, parent = split_long_triangles(tris, max_edge)
        ref, ref_parent = _split_every_round(tris, max_edge)
        assert np.array_equal(out, ref) and np.array_equal(parent, ref_parent)


def test_first_fitting_limit_matches_splitting_for_each_limit() -> None:
    rng = np.random.default_rng(12)
    for _ in range(60):
        tris = rng.normal(size=(int(rng.integers(1, 20)), 3, 3)) * rng.uniform(0.5, 4.0)
        limits = float(rng.uniform(0.2, 1.0)) * 1.3 ** np.arange(12)
        max_pieces = int(rng.integers(1, 400))
        counts = [split_long_triangles(tris, s)[0].shape[0] for s in limits]
        expected = next((i for i, c in enumerate(counts) if c <= max_pieces), len(limits))
        assert first_fitting_limit(tris, limits, max_pieces) == expected


def test_tree_descent_finds_every_box_the_flat_slab_test_finds() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=10.0)
    tris = np.asarray(sphere.triangles)
    tree = RayTree(tris, np.arange(len(tris)) // 40)
    rng = np.random.default_rng(13)
    origins = rng.uniform(-12.0, 12.0, size=(200, 3))
    dirs = np.zeros((200, 3))
    dirs[np.arange(200), rng.integers(0, 3, 200)] = 1.0  # axis-parallel rays too
    dirs[100:] = rng.normal(size=(100, 3))
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    node, ray = tree.descend(origins, dirs, 0.0)
    found = set(zip(node.tolist(), ray.tolist(), strict=True))
    lo, hi = tree.lo, tree.hi
    for r in range(200):
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = (lo - origins[r]) / dirs[r]
            t1 = (hi - origins[r]) / dirs[r]
        inside = (origins[r] >= lo) & (origins[r] <= hi)
        still = dirs[r] == 0.0
        near = np.where(still, np.where(inside, -np.inf, np.inf), np.minimum(t0, t1))
        far = np.where(still, np.where(inside, np.inf, -np.inf), np.maximum(t0, t1))
        enter, leave = near.max(axis=1), far.min(axis=1)
        flat = set(np.nonzero((enter <= leave) & (leave >= 0.0))[0].tolist())
        assert {n for n, rr in found if rr == r} == flat


def test_closest_points_on_triangles_match_trimesh() -> None:
    from cadml.geometry.dfm.thickness import closest_points_on_triangles

    rng = np.random.default_rng(11)
    tris = rng.normal(size=(5000, 3, 3))
    points = rng.normal(size=(5000, 3)) * 2.0
    ours = closest_points_on_triangles(tris, points)
    theirs = trimesh.triangles.closest_point(tris, points)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "module",
    [
        "cadml.geometry.dfm",
        "cadml.geometry.dfm.boundary",
        "cadml.geometry.dfm.options",
        "cadml.geometry.dfm.raycast",
        "cadml.geometry.dfm.report",
        "cadml.geometry.dfm.texts",
        "cadml.geometry.dfm.thickness",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
