"""Mesh cleaning and validation against hand-built meshes with known answers (pure)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadml.errors import ValidationError
from cadml.geometry.importers.meshcheck import (
    check_topology,
    clean_mesh,
    components,
    count_self_intersections,
    orient_consistently,
    signed_volume,
)


def box(lo=(0.0, 0.0, 0.0), hi=(1.0, 1.0, 1.0), missing=None):
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    v = np.array([(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)], float)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    f = [t for i, (a, b, c, d) in enumerate(quads) if i != missing for t in ((a, b, c), (a, c, d))]
    return v, np.array(f, dtype=np.int64)


def soup(v, f):
    """Each triangle with its own three corners, as STL stores them."""
    return v[f].reshape(-1, 3), np.arange(3 * len(f)).reshape(-1, 3)


def join(*meshes):
    vs, fs, n = [], [], 0
    for v, f in meshes:
        vs.append(v)
        fs.append(f + n)
        n += len(v)
    return np.concatenate(vs), np.concatenate(fs)


def test_a_soup_merges_back_to_eight_corners():
    v, f = soup(*box())
    cleaned = clean_mesh(v, f, heal=False)
    assert len(cleaned.vertices) == 8
    assert cleaned.merged_vertices == 36 - 8
    assert (cleaned.dropped_degenerate, cleaned.dropped_duplicate) == (0, 0)
    check_topology(cleaned.triangles, "stl")
    assert signed_volume(cleaned.vertices, cleaned.triangles) == pytest.approx(1.0)


def test_degenerate_and_duplicate_triangles_are_dropped_only_when_healing():
    v, f = box()
    extra = np.array([[0, 0, 1], [0, 1, 3], [0, 4, 0]])  # sliver-free duplicates/degenerates
    f2 = np.concatenate([f, extra])
    cleaned = clean_mesh(v, f2, heal=True)
    assert cleaned.dropped_degenerate == 2  # [0,0,1] and [0,4,0]
    assert cleaned.dropped_duplicate == 1  # [0,1,3] repeats the first triangle
    assert len(cleaned.triangles) == 12
    with pytest.raises(ValidationError) as caught:
        clean_mesh(v, f2, heal=False)
    assert caught.value.code == "UPLOAD_INVALID_SOLID"


def test_collinear_triangle_is_degenerate():
    v = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [0, 1, 0]], float)
    cleaned = clean_mesh(v, np.array([[0, 1, 2], [0, 1, 3]]), heal=True)
    assert cleaned.dropped_degenerate == 1 and len(cleaned.triangles) == 1


def test_open_and_non_manifold_meshes_are_named():
    _, f = box(missing=2)
    with pytest.raises(ValidationError) as caught:
        check_topology(f, "stl")
    assert caught.value.code == "UPLOAD_OPEN_SHELL"
    assert caught.value.details["free_edges"] == 4
    # Two unit cubes sharing the edge x = y = 1: that edge has four triangles.
    v2, f2 = join(box(), box((1, 1, 0), (2, 2, 1)))
    cleaned = clean_mesh(v2, f2, heal=True)
    with pytest.raises(ValidationError) as caught:
        check_topology(cleaned.triangles, "stl")
    assert caught.value.code == "UPLOAD_NON_MANIFOLD"
    assert caught.value.details["edges"] == 1


def test_winding_is_made_consistent_and_counted():
    v, f = box()
    bad = f.copy()
    bad[[1, 5, 9]] = bad[[1, 5, 9]][:, [0, 2, 1]]
    fixed, flipped = orient_consistently(bad, "stl", heal=True)
    # The root keeps its winding, so either the 3 bad ones or the 9 others flip.
    assert flipped in (3, 9)
    assert abs(signed_volume(v, fixed)) == pytest.approx(1.0)
    with pytest.raises(ValidationError) as caught:
        orient_consistently(bad, "stl", heal=False)
    assert caught.value.code == "UPLOAD_INVALID_SOLID"
    assert orient_consistently(f, "stl", heal=False)[1] == 0


def test_components_follow_the_file():
    _, f = join(box(), box((3, 0, 0), (4, 1, 1)))
    parts = components(f)
    assert [p.tolist() for p in parts] == [list(range(12)), list(range(12, 24))]


def test_self_intersections_are_found_and_clean_meshes_pass():
    v, f = join(box(), box((0.4, 0.3, 0.25), (1.4, 1.3, 1.25)))
    assert count_self_intersections(v, f) > 0
    v2, f2 = join(box(), box((2, 0, 0), (3, 1, 1)))
    assert count_self_intersections(v2, f2) == 0
    # Touching without a shared vertex counts: a pyramid tip on a face.
    tip = np.array([[0.5, 0.5, 1.0], [0.2, 0.2, 2], [0.8, 0.2, 2], [0.5, 0.8, 2]])
    v3, f3 = join(box(), (tip, np.array([[0, 2, 1], [0, 3, 2], [0, 1, 3], [1, 2, 3]])))
    assert count_self_intersections(v3, f3) > 0


@settings(max_examples=25, deadline=None)
@given(
    angles=st.tuples(*[st.floats(-3.1, 3.1)] * 3),
    shift=st.tuples(*[st.floats(-100, 100)] * 3),
)
def test_rigid_motion_keeps_volume_and_validity(angles, shift):
    from scipy.spatial.transform import Rotation

    v, f = box((0, 0, 0), (3, 2, 1))
    moved = Rotation.from_euler("xyz", angles).apply(v) + np.array(shift)
    cleaned = clean_mesh(*soup(moved, f), heal=True)
    check_topology(cleaned.triangles, "stl")
    fixed, flipped = orient_consistently(cleaned.triangles, "stl", heal=True)
    assert flipped == 0
    assert signed_volume(cleaned.vertices, fixed) == pytest.approx(6.0, rel=1e-9)
    assert count_self_intersections(cleaned.vertices, fixed) == 0
