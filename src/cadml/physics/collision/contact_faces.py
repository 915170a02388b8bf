"""Faces of two touching parts that are in area contact.

When two parts only touch, the common volume is empty and manifold3d has no boundary to
read faces from, and fcl names just one triangle pair (often a side triangle whose edge
lies in the contact plane). A face is taken to be in *area* contact when the centroid of
one of its triangles lies within the tolerance of a triangle of the other part (on its
plane and inside it), or when the centroid of one of the other part's triangles lies on
one of its triangles. Both directions are tested so that a large triangle touched by
small ones is still found. Only triangles whose world boxes reach the overlap of the two
parts' boxes take part. Edge or point contacts have no area contact; the caller falls
back to the fcl contact triangles for those.

Examples:
    >>> import numpy as np
    >>> up = np.array([[[0, 0, 0], [4, 0, 0], [0, 4, 0]]], dtype=float)
    >>> down = np.array([[[1, 1, 0], [1, 2, 0], [2, 1, 0]]], dtype=float)
    >>> centroids_on_triangles(down.mean(axis=1), up, 1e-3).tolist()
    [True]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["area_contact_faces", "centroids_on_triangles"]

_CHUNK = 2_000_000


def _contacts(
    points: npt.NDArray[np.float64], corners: npt.NDArray[np.float64], tol: float
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which points lie on some triangle, and which triangles receive some point."""
    point_hit = np.zeros(points.shape[0], dtype=bool)
    triangle_hit = np.zeros(corners.shape[0], dtype=bool)
    if points.shape[0] == 0 or corners.shape[0] == 0:
        return point_hit, triangle_hit
    v0 = corners[:, 0]
    e1 = corners[:, 1] - v0
    e2 = corners[:, 2] - v0
    normal = np.cross(e1, e2)
    doubled = np.linalg.norm(normal, axis=1)
    doubled = np.where(doubled > 0, doubled, np.inf)  # degenerate triangles receive nothing
    unit = normal / doubled[:, None]
    slack = tol / np.sqrt(doubled)
    step = max(1, _CHUNK // corners.shape[0])
    for start in range(0, points.shape[0], step):
        rel = points[start : start + step, None, :] - v0[None, :, :]
        near_plane = np.abs(np.einsum("pqk,qk->pq", rel, unit)) <= tol
        # Barycentric coordinates from signed doubled sub-areas along the normal.
        u = np.einsum("pqk,qk->pq", np.cross(rel, e2[None]), unit) / doubled
        v = np.einsum("pqk,qk->pq", np.cross(e1[None], rel), unit) / doubled
        on = near_plane & (u >= -slack) & (v >= -slack) & (u + v <= 1 + slack)
        point_hit[start : start + step] = on.any(axis=1)
        triangle_hit |= on.any(axis=0)
    return point_hit, triangle_hit


def centroids_on_triangles(
    points: npt.NDArray[np.float64], corners: npt.NDArray[np.float64], tol: float
) -> npt.NDArray[np.bool_]:
    """For each point, whether it lies within ``tol`` of some triangle's plane and inside it.

    Args:
        points: ``(P, 3)`` query points.
        corners: ``(Q, 3, 3)`` triangle corners.
        tol: distance from the plane, and slack on the edges (mm).
    """
    return _contacts(points, corners, tol)[0]


def _world_corners(
    corners: npt.NDArray[np.float64], transform: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    return np.asarray(corners @ transform[:3, :3].T + transform[:3, 3], dtype=np.float64)


def area_contact_faces(
    corners_a: npt.NDArray[np.float64],
    face_ids_a: npt.NDArray[np.int64],
    transform_a: npt.NDArray[np.float64],
    corners_b: npt.NDArray[np.float64],
    face_ids_b: npt.NDArray[np.int64],
    transform_b: npt.NDArray[np.float64],
    tol: float,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sorted face ids of each part in area contact with the other (empty if none).

    Args:
        corners_a: ``(M, 3, 3)`` local triangle corners of part a.
        face_ids_a: ``(M,)`` face id per triangle of part a.
        transform_a: ``(4, 4)`` placement of part a.
        corners_b: the same for part b.
        face_ids_b: the same for part b.
        transform_b: the same for part b.
        tol: contact tolerance (mm).
    """
    world_a = _world_corners(corners_a, transform_a)
    world_b = _world_corners(corners_b, transform_b)
    lo = np.maximum(world_a.min(axis=(0, 1)), world_b.min(axis=(0, 1))) - tol
    hi = np.minimum(world_a.max(axis=(0, 1)), world_b.max(axis=(0, 1))) + tol

    def near(world: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        return np.all((world.min(axis=1) <= hi) & (world.max(axis=1) >= lo), axis=1)

    pick_a, pick_b = near(world_a), near(world_b)
    tri_a, tri_b = world_a[pick_a], world_b[pick_b]
    ids_a, ids_b = face_ids_a[pick_a], face_ids_b[pick_b]
    a_on_b, b_receives = _contacts(tri_a.mean(axis=1), tri_b, tol)
    b_on_a, a_receives = _contacts(tri_b.mean(axis=1), tri_a, tol)
    faces_a = set(ids_a[a_on_b | a_receives].tolist())
    faces_b = set(ids_b[b_on_a | b_receives].tolist())
    return tuple(sorted(faces_a)), tuple(sorted(faces_b))
