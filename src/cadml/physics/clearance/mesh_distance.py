"""Mesh distance between placed parts: fcl BVHs (OBBRSS) and a containment test.

``fcl.distance`` between two BVH models gives the exact distance between the two
triangle meshes with the closest points in world coordinates, or 0 when the surfaces
intersect. It sees surfaces only, so a mesh wholly inside another reads as apart; the
generalised winding number of one vertex against the other (closed) mesh settles that.

The BVH of a mesh is built in the part's own frame and placed with an ``fcl.Transform``,
so copies of a part share one BVH (see ``BVHCache``).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import fcl
import numpy as np
import numpy.typing as npt

from cadml.geometry.mesh import Mesh

__all__ = [
    "BVHCache",
    "FaceBVHs",
    "MeshDistance",
    "build_bvh",
    "build_face_bvhs",
    "faces_within",
    "mesh_distance",
    "placed_object",
    "point_inside_mesh",
    "world_bounds",
]

BVHCache = dict[Hashable, Any]
"""BVH models (whole meshes and per-face sets) by geometry key, reusable across checks."""


@dataclass(frozen=True)
class MeshDistance:
    """Distance between two placed meshes.

    Args:
        distance_mm: 0 when the surfaces intersect or touch.
        point_a_mm: ``(3,)`` closest point on A, world mm.
        point_b_mm: ``(3,)`` closest point on B, world mm.
    """

    distance_mm: float
    point_a_mm: tuple[float, float, float]
    point_b_mm: tuple[float, float, float]


def build_bvh(mesh: Mesh) -> fcl.BVHModel:
    """An OBBRSS BVH of ``mesh`` in its own frame (mm)."""
    model = fcl.BVHModel()
    model.beginModel(mesh.vertex_count, mesh.triangle_count)
    model.addSubModel(
        np.ascontiguousarray(mesh.vertices, dtype=np.float64),
        np.ascontiguousarray(mesh.triangles, dtype=np.int64),
    )
    model.endModel()
    return model


@dataclass(frozen=True)
class FaceBVHs:
    """One BVH per B-rep face of a mesh, with each face's local bounds.

    Args:
        face_ids: ``(F,)`` the face ids present, ascending.
        models: one BVH per entry of ``face_ids``.
        corners: ``(F, 8, 3)`` corners of each face's local bounding box, mm.
    """

    face_ids: tuple[int, ...]
    models: tuple[fcl.BVHModel, ...]
    corners: npt.NDArray[np.float64]


def build_face_bvhs(mesh: Mesh) -> FaceBVHs | None:
    """Per-face BVHs of a mesh that carries ``face_ids``; ``None`` if it does not."""
    if mesh.face_ids is None:
        return None
    order = np.argsort(mesh.face_ids, kind="stable")
    ids, starts = np.unique(mesh.face_ids[order], return_index=True)
    bounds = np.append(starts, order.size)
    models = []
    corners = []
    signs = np.array(np.meshgrid([0, 1], [0, 1], [0, 1], indexing="ij")).reshape(3, -1).T
    for k in range(ids.size):
        triangles = mesh.triangles[order[bounds[k] : bounds[k + 1]]]
        used, local = np.unique(triangles, return_inverse=True)
        points = mesh.vertices[used]
        model = fcl.BVHModel()
        model.beginModel(points.shape[0], triangles.shape[0])
        model.addSubModel(np.ascontiguousarray(points), local.reshape(-1, 3).astype(np.int64))
        model.endModel()
        models.append(model)
        low, high = points.min(axis=0), points.max(axis=0)
        corners.append(low + signs * (high - low))
    return FaceBVHs(tuple(int(i) for i in ids), tuple(models), np.stack(corners))


def faces_within(
    faces: FaceBVHs,
    transform_mm: np.ndarray,
    other: fcl.CollisionObject,
    other_bounds: np.ndarray,
    radius_mm: float,
) -> tuple[int, ...]:
    """Ids of the faces whose triangles come within ``radius_mm`` of ``other``'s mesh.

    Args:
        faces: the per-face BVHs of this part.
        transform_mm: this part's placement.
        other: the other part's placed whole-mesh object.
        other_bounds: ``(2, 3)`` the other part's world bounds.
        radius_mm: the search radius.

    Returns:
        The face ids, ascending (exact triangle distances, so nothing within the radius
        is missed).
    """
    world = faces.corners @ transform_mm[:3, :3].T + transform_mm[:3, 3]
    low, high = world.min(axis=1), world.max(axis=1)
    gap = np.maximum(other_bounds[0] - high, low - other_bounds[1]).clip(min=0.0)
    near = np.flatnonzero(np.linalg.norm(gap, axis=1) <= radius_mm)
    transform = fcl.Transform(np.ascontiguousarray(transform_mm[:3, :3]), transform_mm[:3, 3])
    request = fcl.DistanceRequest()
    kept = []
    for k in near:
        result = fcl.DistanceResult()
        distance = fcl.distance(
            fcl.CollisionObject(faces.models[k], transform), other, request, result
        )
        if distance <= radius_mm:
            kept.append(faces.face_ids[k])
    return tuple(kept)


def placed_object(model: fcl.BVHModel, transform_mm: np.ndarray) -> fcl.CollisionObject:
    """An fcl collision object of ``model`` placed by a rigid 4x4 transform (mm)."""
    return fcl.CollisionObject(
        model, fcl.Transform(np.ascontiguousarray(transform_mm[:3, :3]), transform_mm[:3, 3])
    )


def mesh_distance(object_a: fcl.CollisionObject, object_b: fcl.CollisionObject) -> MeshDistance:
    """Exact distance between two placed triangle meshes, with closest points."""
    request = fcl.DistanceRequest(enable_nearest_points=True, enable_signed_distance=False)
    result = fcl.DistanceResult()
    distance = max(float(fcl.distance(object_a, object_b, request, result)), 0.0)
    point_a, point_b = (np.asarray(p, dtype=np.float64) for p in result.nearest_points)
    return MeshDistance(distance, _triple(point_a), _triple(point_b))


def _triple(point: np.ndarray) -> tuple[float, float, float]:
    return (float(point[0]), float(point[1]), float(point[2]))


def world_bounds(mesh: Mesh, transform_mm: np.ndarray) -> npt.NDArray[np.float64]:
    """``(2, 3)`` world axis-aligned bounds (min, max) of the placed mesh's vertices."""
    world = mesh.vertices @ transform_mm[:3, :3].T + transform_mm[:3, 3]
    return np.stack([world.min(axis=0), world.max(axis=0)])


def point_inside_mesh(point: npt.ArrayLike, mesh: Mesh) -> bool:
    """Whether ``point`` (mesh frame, mm) lies inside the closed mesh.

    Uses the generalised winding number (sum of the triangles' signed solid angles,
    Van Oosterom–Strackee), which is robust to the point's alignment with edges: about
    1 inside, 0 outside, for a closed outward-oriented mesh.

    Examples:
        >>> tet = Mesh(np.array([[0., 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]),
        ...            np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]), 0.01, 0.1)
        >>> point_inside_mesh([0.1, 0.1, 0.1], tet), point_inside_mesh([1, 1, 1], tet)
        (True, False)
    """
    corners = mesh.vertices[mesh.triangles] - np.asarray(point, dtype=np.float64)
    a, b, c = corners[:, 0], corners[:, 1], corners[:, 2]
    la, lb, lc = (np.linalg.norm(v, axis=1) for v in (a, b, c))
    numerator = np.einsum("ij,ij->i", a, np.cross(b, c))
    denominator = (
        la * lb * lc
        + np.einsum("ij,ij->i", a, b) * lc
        + np.einsum("ij,ij->i", b, c) * la
        + np.einsum("ij,ij->i", c, a) * lb
    )
    winding = float(np.sum(np.arctan2(numerator, denominator))) / (2.0 * np.pi)
    return winding > 0.5
