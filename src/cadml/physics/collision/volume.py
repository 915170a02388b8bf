"""Interference volume of two placed meshes: a manifold3d boolean intersection.

The boolean runs in the first part's local frame (its cached solid is used as is; only
the second is moved), and the result is reported in world coordinates. Besides the
volume it yields the intersection's surface area (for the depth estimate ``2V/S``, the
thickness of a thin slab), its centroid, and the B-rep faces of each part that bound the
intersection: manifold3d carries every input triangle's face id, and its mesh id and
placement, into the result, so the faces involved are read off the result's triangles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cadml.physics.collision.cache import CachedGeometry

__all__ = ["Interference", "intersect"]

_SAME_POSE_ATOL = 1e-9


@dataclass(frozen=True)
class Interference:
    """The common region of two placed solids (mesh answer).

    Args:
        volume_mm3: volume of the intersection (0 when empty).
        area_mm2: its surface area.
        centroid_mm: its centroid in world coordinates, or ``None`` when empty.
        faces_a: sorted face ids of the first part on the intersection's boundary.
        faces_b: sorted face ids of the second part on the intersection's boundary.
    """

    volume_mm3: float
    area_mm2: float
    centroid_mm: tuple[float, float, float] | None
    faces_a: tuple[int, ...]
    faces_b: tuple[int, ...]

    @property
    def depth_mm(self) -> float:
        """Thickness estimate ``2V/S`` (exact for a thin slab, ``a/3`` for a cube of side a)."""
        return 0.0 if self.area_mm2 <= 0.0 else 2.0 * self.volume_mm3 / self.area_mm2


def _centroid(vertices: npt.NDArray[np.float64], triangles: npt.NDArray[np.int64]) -> np.ndarray:
    corners = vertices[triangles]
    origin = vertices.mean(axis=0)
    rel = corners - origin
    six_volumes = np.einsum("ij,ij->i", rel[:, 0], np.cross(rel[:, 1], rel[:, 2]))
    total = six_volumes.sum()
    if total == 0.0:
        return np.asarray(origin, dtype=np.float64)
    weighted = (six_volumes[:, None] * rel.sum(axis=1)).sum(axis=0) / (4.0 * total)
    return np.asarray(origin + weighted, dtype=np.float64)


def intersect(
    geo_a: CachedGeometry,
    transform_a: npt.NDArray[np.float64],
    geo_b: CachedGeometry,
    relative_b: npt.NDArray[np.float64],
) -> Interference:
    """Intersect two cached solids.

    Args:
        geo_a: the first part's geometry.
        transform_a: ``(4, 4)`` world placement of the first part (for the centroid).
        geo_b: the second part's geometry.
        relative_b: ``(4, 4)`` pose of the second part in the first part's frame.

    Returns:
        The common region; an empty intersection gives volume 0 and no faces.
    """
    placement = np.ascontiguousarray(relative_b[:3, :4])
    common = geo_a.manifold ^ geo_b.manifold.transform(placement)
    if common.is_empty():
        return Interference(0.0, 0.0, None, (), ())
    volume = float(common.volume())
    area = float(common.surface_area())
    result = common.to_mesh64()
    vertices = np.asarray(result.vert_properties, dtype=np.float64)[:, :3]
    triangles = np.asarray(result.tri_verts, dtype=np.int64)
    face_ids = np.asarray(result.face_id, dtype=np.int64)
    starts = np.asarray(result.run_index, dtype=np.int64) // 3
    originals = np.asarray(result.run_original_id, dtype=np.int64)
    poses = np.asarray(result.run_transform, dtype=np.float64)
    faces_a: set[int] = set()
    faces_b: set[int] = set()
    identity = np.eye(4)[:3, :4]
    for run, original in enumerate(originals.tolist()):
        run_faces = face_ids[starts[run] : starts[run + 1]].tolist()
        pose = poses[run].T
        if original == geo_a.original_id and np.allclose(pose, identity, atol=_SAME_POSE_ATOL):
            faces_a.update(run_faces)
        elif original == geo_b.original_id:
            faces_b.update(run_faces)
    if geo_a.original_id == geo_b.original_id and np.allclose(
        placement, identity, atol=_SAME_POSE_ATOL
    ):
        faces_b = faces_a  # the same solid at the same pose: both runs look like the first
    local = _centroid(vertices, triangles)
    centroid = transform_a[:3, :3] @ local + transform_a[:3, 3]
    return Interference(
        volume,
        area,
        (float(centroid[0]), float(centroid[1]), float(centroid[2])),
        tuple(sorted(faces_a)),
        tuple(sorted(faces_b)),
    )
