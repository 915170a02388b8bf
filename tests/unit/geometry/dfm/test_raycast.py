"""Ray casting and triangle splitting against brute force and closed forms (no kernel)."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import trimesh

from cadml.geometry.dfm.raycast import MISS, cast_rays, split_long_triangles


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
