"""Surface sampling, the canonical principal frame and training augmentation.

Oracles: a box's six face planes (every sample lies on one, inside the box); area shares
of faces and of the four midpoint sub-triangles of a triangle (counts within 5 binomial
sigmas, seeded); the canonical frame's defining properties (zero mean, diagonal
covariance with descending spreads, positive third moments on the first two axes, unit
farthest point) and its invariance under similarity transforms of an asymmetric cloud
(Hypothesis); a mirror image negates exactly the third canonical coordinate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadml.ml.parts.pointcloud import augment, canonical_points, principal_frame, sample_surface

EPS = float(np.finfo(np.float64).eps)


def box_mesh(a: float, b: float, c: float) -> tuple[np.ndarray, np.ndarray]:
    """An ``a x b x c`` box with a corner at the origin, 12 outward triangles."""
    vertices = np.array([[x, y, z] for x in (0, a) for y in (0, b) for z in (0, c)], float)
    triangles = np.array(
        [
            [0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
            [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3],
        ]
    )  # fmt: skip
    return vertices, triangles


# An irregular tetrahedron: no symmetry, distinct principal spreads, non-zero skews.
TETRA_V = np.array([[0.0, 0.0, 0.0], [7.0, 0.5, 0.0], [1.0, 3.0, 0.2], [0.5, 1.0, 1.6]])
TETRA_T = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])


def rotation(q: tuple[float, float, float, float]) -> np.ndarray:
    w, x, y, z = np.asarray(q) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def test_points_lie_on_the_box_faces() -> None:
    a, b, c = 30.0, 7.0, 2.0
    v, t = box_mesh(a, b, c)
    points = sample_surface(v, t, 5000, np.random.default_rng(0))
    assert points.shape == (5000, 3) and points.dtype == np.float64
    dims = np.array([a, b, c])
    tol = 1e-9
    assert np.all(points >= -tol) and np.all(points <= dims + tol)
    # distance to the nearest face plane: min over axes of min(x, dim - x)
    to_plane = np.minimum(np.abs(points), np.abs(dims - points)).min(axis=1)
    assert to_plane.max() <= tol


def test_faces_get_points_in_proportion_to_their_area() -> None:
    a, b, c = 100.0, 10.0, 1.0  # face areas 1000, 100 and 10 mm²: shares 100:10:1
    v, t = box_mesh(a, b, c)
    n = 40000
    points = sample_surface(v, t, n, np.random.default_rng(1))
    dims = np.array([a, b, c])
    total = 2 * (a * b + b * c + a * c)
    for axis in range(3):
        area = float(np.prod(np.delete(dims, axis)))
        p = area / total
        sigma = math.sqrt(n * p * (1 - p))
        for plane in (0.0, dims[axis]):
            hits = int(np.sum(np.abs(points[:, axis] - plane) <= 1e-9))
            assert abs(hits - n * p) <= 5 * sigma, (axis, plane, hits, n * p)


def test_points_are_uniform_inside_a_triangle() -> None:
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([4.0, 0.0, 1.0])
    c = np.array([0.0, 5.0, -2.0])
    n = 20000
    points = sample_surface(np.array([a, b, c]), [[0, 1, 2]], n, np.random.default_rng(2))
    # barycentric coordinates by least squares on the triangle's edge vectors
    edges = np.stack([b - a, c - a], axis=1)
    coeffs, *_ = np.linalg.lstsq(edges, (points - a).T, rcond=None)
    beta, gamma = coeffs
    alpha = 1.0 - beta - gamma
    assert np.abs(edges @ coeffs - (points - a).T).max() <= 1e-9  # in the plane
    assert min(alpha.min(), beta.min(), gamma.min()) >= -1e-9  # inside
    # the midpoint subdivision: four sub-triangles of a quarter of the area each
    regions = [alpha > 0.5, beta > 0.5, gamma > 0.5]
    regions.append(~(regions[0] | regions[1] | regions[2]))
    sigma = math.sqrt(n * 0.25 * 0.75)
    for region in regions:
        assert abs(int(region.sum()) - n / 4) <= 5 * sigma


def test_sampling_is_reproducible_and_refuses_a_flat_mesh() -> None:
    v, t = box_mesh(3.0, 2.0, 1.0)
    first = sample_surface(v, t, 100, np.random.default_rng(9))
    assert np.array_equal(first, sample_surface(v, t, 100, np.random.default_rng(9)))
    assert not np.array_equal(first, sample_surface(v, t, 100, np.random.default_rng(10)))
    flat = np.array([[0.0, 0, 0], [1.0, 0, 0], [2.0, 0, 0]])
    with pytest.raises(ValueError, match="no area"):
        sample_surface(flat, [[0, 1, 2]], 10, np.random.default_rng(0))


def tetra_cloud(count: int = 600, seed: int = 3) -> np.ndarray:
    return sample_surface(TETRA_V, TETRA_T, count, np.random.default_rng(seed))


def test_canonical_cloud_has_the_defining_properties() -> None:
    cloud = tetra_cloud()
    unit = canonical_points(cloud)
    assert unit.shape == cloud.shape
    assert np.abs(unit.mean(axis=0)).max() <= 1e-15
    assert abs(np.linalg.norm(unit, axis=1).max() - 1.0) <= 2 * EPS
    cov = unit.T @ unit
    assert np.abs(cov - np.diag(np.diag(cov))).max() <= 1e-12 * np.abs(cov).max()
    spreads = np.diag(cov)
    assert spreads[0] > spreads[1] > spreads[2]
    skew = (unit**3).sum(axis=0)
    assert skew[0] > 0 and skew[1] > 0
    # the frame is right-handed and orthonormal
    _, axes = principal_frame(cloud)
    assert np.allclose(axes @ axes.T, np.eye(3), atol=1e-14)
    assert np.linalg.det(axes) == pytest.approx(1.0, abs=1e-14)


def test_the_premises_of_the_invariance_test_hold() -> None:
    """The tetrahedron's spreads are well apart and its skews far from zero, so float
    noise can neither swap two axes nor flip a sign (else invariance could not be exact)."""
    unit = canonical_points(tetra_cloud())
    spreads = np.sort(np.diag(unit.T @ unit))[::-1]
    assert spreads[0] > 1.2 * spreads[1] and spreads[1] > 1.2 * spreads[2]
    skew = np.abs((unit**3).sum(axis=0))
    assert skew[0] > 1.0 and skew[1] > 0.1


@settings(max_examples=80, deadline=None)
@given(
    q=st.tuples(*(4 * [st.floats(-1.0, 1.0)])).filter(
        lambda v: math.sqrt(sum(x * x for x in v)) > 0.1
    ),
    shift=st.tuples(*(3 * [st.floats(-1000.0, 1000.0)])),
    scale=st.floats(1e-2, 1e3),
)
def test_canonical_points_ignore_rotation_translation_and_scale(
    q: tuple[float, float, float, float], shift: tuple[float, float, float], scale: float
) -> None:
    cloud = tetra_cloud()
    moved = scale * cloud @ rotation(q).T + np.asarray(shift)
    assert np.abs(canonical_points(moved) - canonical_points(cloud)).max() <= 1e-9


def test_a_mirror_image_negates_the_third_axis_only() -> None:
    cloud = tetra_cloud()
    mirror = np.diag([1.0, -1.0, 1.0]) @ rotation((0.3, -0.2, 0.9, 0.1))
    flipped = canonical_points(cloud @ mirror.T)
    assert np.abs(flipped - canonical_points(cloud) * [1.0, 1.0, -1.0]).max() <= 1e-9


def test_a_cloud_of_one_repeated_point_stays_at_the_origin() -> None:
    unit = canonical_points(np.tile([[3.0, -1.0, 2.0]], (10, 1)))
    assert np.array_equal(unit, np.zeros((10, 3)))


def test_augment_flips_whole_axes_and_jitters_within_bounds() -> None:
    unit = canonical_points(tetra_cloud(1024))
    # without jitter: each column is the original column or its negative, exactly
    patterns = set()
    rng = np.random.default_rng(4)
    for _ in range(64):
        out = augment(unit, rng, jitter=0.0)
        assert out.dtype == np.float64
        signs = []
        for k in range(3):
            if np.array_equal(out[:, k], unit[:, k]):
                signs.append(1)
            else:
                assert np.array_equal(out[:, k], -unit[:, k])
                signs.append(-1)
        patterns.add(tuple(signs))
        assert np.array_equal(np.linalg.norm(out, axis=1), np.linalg.norm(unit, axis=1))
    assert len(patterns) == 8  # proper turns and mirror images both occur
    # with jitter: residuals after undoing the flips are Gaussian noise of that spread
    jitter = 0.01
    out = augment(unit, np.random.default_rng(5), jitter=jitter)
    signs = np.sign((out * unit).sum(axis=0))
    residual = out - unit * signs
    n = residual.size
    assert abs(residual.std() - jitter) <= 5 * jitter / math.sqrt(2 * n)
    assert abs(residual.mean()) <= 5 * jitter / math.sqrt(n)
    assert np.abs(residual).max() <= 6 * jitter
    change = np.abs(np.linalg.norm(out, axis=1) - np.linalg.norm(unit, axis=1))
    assert change.max() <= math.sqrt(3) * 6 * jitter
