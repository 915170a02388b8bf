"""Surface point clouds of parts, in a canonical frame, for PointNet.

:func:`sample_surface` draws points uniformly by area on a triangle mesh. :func:`in_frame`
moves a cloud into a given frame (the classifier uses the solid's frame,
:func:`~.frame.mesh_frame`, which does not depend on the sampled points);
:func:`canonical_points`, for a bare cloud without its mesh, moves it into its own frame:
centred on its mean, turned onto its principal axes (largest spread first), each axis
pointed so the cloud's third moment along it is positive, and scaled into the unit ball. The
same part in any pose then gives (nearly) the same cloud, so the network does not have to
learn rotations; the sign rule is ambiguous for symmetric parts, which training covers with
random axis flips (:func:`augment`).

Examples:
    >>> import numpy as np
    >>> v = np.array([[0, 0, 0], [4, 0, 0], [0, 2, 0], [0, 0, 1]], dtype=float)
    >>> t = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    >>> cloud = sample_surface(v, t, 256, np.random.default_rng(0))
    >>> cloud.shape, bool(np.all(cloud.min(axis=0) >= 0))
    ((256, 3), True)
    >>> unit = canonical_points(cloud)
    >>> bool(np.abs(unit.mean(axis=0)).max() < 1e-6), float(np.linalg.norm(unit, axis=1).max())
    (True, 1.0)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["POINTS", "augment", "canonical_points", "in_frame", "sample_surface"]

POINTS = 1024
"""Points per cloud the classifier is trained and served with."""

FloatArray = npt.NDArray[np.float64]


def sample_surface(
    vertices: npt.ArrayLike, triangles: npt.ArrayLike, count: int, rng: np.random.Generator
) -> FloatArray:
    """``count`` points uniformly distributed by area over a triangle mesh.

    Args:
        vertices: ``(N, 3)`` coordinates.
        triangles: ``(M, 3)`` vertex indices.
        count: number of points.
        rng: the random generator.

    Returns:
        ``(count, 3)`` points on the triangles.

    Raises:
        ValueError: if the mesh has no area.
    """
    corners = np.asarray(vertices, dtype=np.float64)[np.asarray(triangles, dtype=np.int64)]
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    total = area.sum()
    if not total > 0.0:
        raise ValueError("the mesh has no area to sample")
    chosen = rng.choice(area.size, size=count, p=area / total)
    # Uniform in a triangle: fold the unit square's upper half onto the lower one.
    u, v = rng.random(count), rng.random(count)
    fold = u + v > 1.0
    u[fold], v[fold] = 1.0 - u[fold], 1.0 - v[fold]
    base = a[chosen]
    return np.asarray(
        base + u[:, None] * (b[chosen] - base) + v[:, None] * (c[chosen] - base),
        dtype=np.float64,
    )


def principal_frame(points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Centre and axes of a cloud: its mean and principal axes as rows, signed by skew.

    Args:
        points: ``(n, 3)`` points.

    Returns:
        ``(centre (3,), axes (3, 3))``: rows are unit axes, largest spread first, a
        right-handed frame.
    """
    centre = points.mean(axis=0)
    rel = points - centre
    _, vectors = np.linalg.eigh(rel.T @ rel)
    axes = vectors[:, ::-1].T.copy()
    skew = ((rel @ axes.T) ** 3).sum(axis=0)
    for k in range(2):
        if skew[k] < 0.0:
            axes[k] = -axes[k]
    axes[2] = np.cross(axes[0], axes[1])
    return centre, axes


def canonical_points(points: npt.ArrayLike) -> FloatArray:
    """A cloud in its principal frame, scaled into the unit ball.

    Args:
        points: ``(n, 3)`` points in any pose and unit.

    Returns:
        ``(n, 3)``: centred, on its principal axes, farthest point at distance 1.
    """
    cloud = np.asarray(points, dtype=np.float64)
    centre, axes = principal_frame(cloud)
    turned = (cloud - centre) @ axes.T
    radius = float(np.linalg.norm(turned, axis=1).max())
    return turned / radius if radius > 0.0 else turned


def in_frame(points: npt.ArrayLike, centre: FloatArray, axes: FloatArray) -> FloatArray:
    """A cloud in a given frame (e.g. the solid's, :func:`~.frame.mesh_frame`), scaled
    into the unit ball.

    Args:
        points: ``(n, 3)`` points.
        centre: ``(3,)`` the frame's origin.
        axes: ``(3, 3)`` its unit axes as rows.

    Returns:
        ``(n, 3)``: coordinates along the axes, farthest point at distance 1.
    """
    turned = (np.asarray(points, dtype=np.float64) - centre) @ np.asarray(axes).T
    radius = float(np.linalg.norm(turned, axis=1).max())
    return turned / radius if radius > 0.0 else turned


def augment(points: FloatArray, rng: np.random.Generator, jitter: float = 0.01) -> FloatArray:
    """A training variant of a canonical cloud: random axis flips and small jitter.

    Args:
        points: ``(n, 3)`` canonical points.
        rng: the random generator.
        jitter: standard deviation of the Gaussian noise added to each coordinate.

    Returns:
        ``(n, 3)`` points; flipping two axes at once keeps the frame right-handed, one
        flip mirrors it (parts here have mirror-symmetric families, so both are valid).
    """
    signs = rng.choice(np.array([-1.0, 1.0]), size=3)
    return np.asarray(points * signs + rng.normal(0.0, jitter, points.shape), dtype=np.float64)
