"""The canonical frame of a part: principal axes of the solid, with ties broken by its faces.

The frame is the solid's centroid and the eigenvectors of its inertia tensor (exact
polyhedral integrals, :func:`cadml.physics.polyhedral.mesh_integrals`), so it depends on the
solid, not on where the tessellation put vertices. Axes are ordered by increasing
principal moment (the part's longest direction first).

Two equal moments (a square plate, a cylinder) leave the axes free to turn in their plane,
and three (a cube, a sphere) leave them free altogether. The frame must not then depend on
the pose, so ties are broken by the faces. Among the directions of the mesh's face normals
(projected into the free plane, or all of them when all three moments are equal), the one
that best aligns with the area-weighted normals wins, by the score ``Σ aₖ (nₖ·u)⁴``. A
square plate then gets axes along its edges. A part whose faces do not single out a
direction (a cylinder's side) has that rotation as a true symmetry, so any choice gives the
same features.

Each axis is then pointed so that the area-weighted third moment of the triangle
centroids along it is positive. For a mirror-symmetric part this stays ambiguous, which
training covers with random flips. The third axis is their cross product (right-handed).

Examples:
    >>> import numpy as np
    >>> v = np.array([[x, y, z] for x in (0, 40) for y in (0, 20) for z in (0, 10)], float)
    >>> t = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
    ...               [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    >>> centre, axes = mesh_frame(v, t)
    >>> centre.tolist(), np.abs(axes).round(12).tolist()
    ([20.0, 10.0, 5.0], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cadml.physics.polyhedral import mesh_integrals

__all__ = ["TIE_TOLERANCE", "mesh_frame"]

TIE_TOLERANCE = 1e-6
"""Principal moments closer than this (relative to the largest) count as equal."""

_CANDIDATES = 64
"""Largest faces whose normals are tried when breaking a tie."""

FloatArray = npt.NDArray[np.float64]


def _alignment(directions: FloatArray, normals: FloatArray, areas: FloatArray) -> FloatArray:
    """Score ``Σ a (n·u)⁴`` of each candidate direction ``u`` (rows)."""
    return np.asarray((((normals @ directions.T) ** 4) * areas[:, None]).sum(axis=0))


def _best_in_span(basis: FloatArray, normals: FloatArray, areas: FloatArray) -> FloatArray:
    """The unit direction in the span of ``basis`` (rows) best aligned with the faces."""
    order = np.argsort(-areas, kind="stable")[:_CANDIDATES]
    projected = (normals[order] @ basis.T) @ basis
    length = np.linalg.norm(projected, axis=1)
    keep = length > 1e-9
    if not keep.any():
        return np.asarray(basis[0])
    candidates = projected[keep] / length[keep, None]
    scores = _alignment(candidates, normals, areas)
    # equal scores (symmetric faces): the first in area order, so the result is stable
    best = int(np.flatnonzero(scores >= scores.max() * (1 - 1e-9))[0])
    return np.asarray(candidates[best])


def _groups(moments: FloatArray) -> list[list[int]]:
    scale = max(float(np.abs(moments).max()), 1e-300)
    groups = [[0]]
    for k in range(1, 3):
        if abs(moments[k] - moments[groups[-1][-1]]) <= TIE_TOLERANCE * scale:
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def mesh_frame(vertices: npt.ArrayLike, triangles: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Centroid and canonical axes (rows, longest direction first) of a closed mesh.

    Args:
        vertices: ``(N, 3)`` coordinates.
        triangles: ``(M, 3)`` vertex indices, outward-oriented.

    Returns:
        ``(centre (3,), axes (3, 3))``, a right-handed orthonormal frame.
    """
    points = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(triangles, dtype=np.int64)
    _, _, centre, inertia = mesh_integrals(points, faces)
    moments, vectors = np.linalg.eigh(inertia)
    axes = vectors.T.copy()  # rows, by increasing moment
    corners = points[faces]
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    areas = 0.5 * np.linalg.norm(cross, axis=1)
    normals = cross / np.maximum(2.0 * areas, 1e-300)[:, None]
    for group in _groups(moments):
        if len(group) == 1:
            continue
        basis = axes[group]
        first = _best_in_span(basis, normals, areas)
        axes[group[0]] = first
        if len(group) == 3:
            rest = basis - np.outer(basis @ first, first)
            u, _, _ = np.linalg.svd(rest.T)
            plane = u[:, :2].T
            second = _best_in_span(plane, normals, areas)
            axes[group[1]] = second
            axes[group[2]] = np.cross(first, second)
        else:
            other = next(k for k in range(3) if k not in group)
            second = np.cross(axes[other], first)
            axes[group[1]] = second / np.linalg.norm(second)
    centroids = corners.mean(axis=1) - centre
    skew = ((centroids @ axes.T) ** 3 * areas[:, None]).sum(axis=0)
    for k in range(2):
        if skew[k] < 0.0:
            axes[k] = -axes[k]
    axes[2] = np.cross(axes[0], axes[1])
    return np.asarray(centre, dtype=np.float64), axes
