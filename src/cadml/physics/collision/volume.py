"""Interference volume of two placed meshes: a boundary integral, else a manifold3d boolean.

Both paths work in the first part's local frame (only the second is moved) and report
the centroid in world coordinates. Besides the volume they yield the intersection's
surface area (for the depth estimate ``2V/S``, the thickness of a thin slab), its
centroid, and the B-rep faces of each part that bound the intersection.

1. :mod:`.boundary_volume` first: the volume, area and centroid of ``A ∩ B`` as sums over
   its boundary ``(∂A ∩ B) ∪ (∂B ∩ A)``, from the triangle-triangle intersection segments
   (no result mesh is built). The faces are those of the triangles that contribute area.
   It agrees with the boolean to rounding (about 1e-15 relative on the collision bench).
   Degenerate configurations — a corner on the other part's face plane, coplanar or
   grazing triangles, any failed consistency check — are refused, not guessed: CAD
   scenes (touching faces, coaxial pins in holes, press fits) often are such cases.
2. Otherwise the manifold3d boolean: manifold3d carries every input triangle's face id,
   and its mesh id and placement, into the result, so the faces involved are read off
   the result's triangles.

Cost (collision bench: 100 parts of 1-5k triangles, 9 deeply overlapping pairs, on a
shared 2-core machine under load 2-3, same session): the volume stage's median was
140-158 ms per check with the boolean alone, 75-86 ms with the boundary integral in
numpy (about 9 ms a pair: hundreds of small numpy calls) and 15-23 ms with its compiled
kernels (about 2 ms a pair, about half of it the triangle-pair search; 0.3-3 ms from the
smallest to the deepest overlap). The boolean spreads one pair over both cores; the
boundary integral runs on one core, its cost grows with the number of triangle pairs
near the intersection curve, and each geometry pays once (on its first interference)
10-15 ms for its triangle tree instead of manifold3d's solid (5-7 ms), which is now built
only when a pair falls back. Its kernels release the GIL: two threads computing the
bench's pairs took 0.6 of the serial time. The first interference in a process loads
the compiled kernels (0.3-0.9 s; about 25 s once per machine to compile them), and
numba itself is imported only then (0.4 s).
Clipping the solids to the common box before the boolean does not pay: each clip is a
boolean of its own (``trim_by_plane`` on 12 planes measured 5-8x slower in all).
:data:`PATH_COUNTS` counts which path answered, and why the first one refused.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cadml.physics.collision.cache import CachedGeometry

__all__ = ["PATH_COUNTS", "Interference", "intersect"]

PATH_COUNTS: Counter[str] = Counter()
_COUNTS_LOCK = threading.Lock()  # intersect() runs on several threads at once


def _count(path: str) -> None:
    with _COUNTS_LOCK:
        PATH_COUNTS[path] += 1


"""Answers by path since import: ``"boundary"``, or ``"manifold: <why the boundary
integral refused>"`` (for tests and metrics; not thread-safe, like the cache)."""

_SAME_POSE_ATOL = 1e-9
_IDENTITY = np.eye(4)[:3, :4]


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
    origin = vertices.mean(axis=0)
    rel = vertices - origin
    a, b, c = rel[triangles[:, 0]], rel[triangles[:, 1]], rel[triangles[:, 2]]
    six_volumes = (
        a[:, 0] * (b[:, 1] * c[:, 2] - b[:, 2] * c[:, 1])
        + a[:, 1] * (b[:, 2] * c[:, 0] - b[:, 0] * c[:, 2])
        + a[:, 2] * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    )
    total = six_volumes.sum()
    if total == 0.0:
        return np.asarray(origin, dtype=np.float64)
    weighted = (six_volumes @ (a + b + c)) / (4.0 * total)
    return np.asarray(origin + weighted, dtype=np.float64)


def _same_pose(pose: npt.NDArray[np.float64]) -> bool:
    return bool(np.abs(pose - _IDENTITY).max() <= _SAME_POSE_ATOL)


def _run_faces(face_ids: npt.NDArray[np.int64], begin: int, end: int) -> npt.NDArray[np.int64]:
    return np.unique(face_ids[begin:end])


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
    # Imported here: it loads numba (about 0.4 s), which only interference needs.
    from cadml.physics.collision.boundary_volume import boundary_intersection

    fast = boundary_intersection(geo_a, geo_b, relative_b)
    if not fast.fallback:
        _count("boundary")
        if fast.centroid_local is None:
            return Interference(0.0, 0.0, None, (), ())
        world = transform_a[:3, :3] @ fast.centroid_local + transform_a[:3, 3]
        return Interference(
            fast.volume_mm3,
            fast.area_mm2,
            (float(world[0]), float(world[1]), float(world[2])),
            fast.faces_a,
            fast.faces_b,
        )
    _count(f"manifold: {fast.fallback}")
    return _boolean(geo_a, transform_a, geo_b, relative_b)


def _boolean(
    geo_a: CachedGeometry,
    transform_a: npt.NDArray[np.float64],
    geo_b: CachedGeometry,
    relative_b: npt.NDArray[np.float64],
) -> Interference:
    """The manifold3d path of :func:`intersect`."""
    placement = np.ascontiguousarray(relative_b[:3, :4])
    common = geo_a.manifold ^ geo_b.manifold.transform(placement)
    if common.is_empty():
        return Interference(0.0, 0.0, None, (), ())
    volume = float(common.volume())
    area = float(common.surface_area())
    result = common.to_mesh64()
    vertices = np.asarray(result.vert_properties)
    if vertices.shape[1] != 3:
        vertices = vertices[:, :3]
    triangles = np.asarray(result.tri_verts)
    face_ids = np.asarray(result.face_id)
    starts = (np.asarray(result.run_index) // 3).tolist()
    originals = np.asarray(result.run_original_id).tolist()
    poses = np.asarray(result.run_transform, dtype=np.float64)
    chunks_a: list[npt.NDArray[np.int64]] = []
    chunks_b: list[npt.NDArray[np.int64]] = []
    for run, original in enumerate(originals):
        if original == geo_a.original_id and _same_pose(poses[run].T):
            chunks_a.append(_run_faces(face_ids, starts[run], starts[run + 1]))
        elif original == geo_b.original_id:
            chunks_b.append(_run_faces(face_ids, starts[run], starts[run + 1]))
    faces_a = _sorted_ids(chunks_a)
    faces_b = _sorted_ids(chunks_b)
    if geo_a.original_id == geo_b.original_id and _same_pose(placement):
        faces_b = faces_a  # the same solid at the same pose: both runs look like the first
    local = _centroid(vertices, triangles)
    centroid = transform_a[:3, :3] @ local + transform_a[:3, 3]
    return Interference(
        volume,
        area,
        (float(centroid[0]), float(centroid[1]), float(centroid[2])),
        faces_a,
        faces_b,
    )


def _sorted_ids(chunks: list[npt.NDArray[np.int64]]) -> tuple[int, ...]:
    if not chunks:
        return ()
    merged = chunks[0] if len(chunks) == 1 else np.unique(np.concatenate(chunks))
    return tuple(int(f) for f in merged.tolist())
