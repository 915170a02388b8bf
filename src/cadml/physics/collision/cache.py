"""Per-geometry collision structures, built once and shared by every part with the same key.

For each ``geometry_key`` the cache holds a :class:`CachedGeometry`: the mesh, an fcl
``BVHModel`` (OBBRSS nodes) for surface queries, a ``manifold3d.Manifold`` for exact
boolean volumes of the meshes (built lazily, on the first interference), the local
bounding box, the mesh volume and the triangle corners used by the point-in-solid test.
Building these is the expensive step (about 15-20 ms for the BVH of a 5k-triangle mesh,
7 ms more for the manifold); a check of placed parts only moves them.

The cache is a plain LRU keyed by geometry key. It is not thread-safe: give each worker
thread its own cache (fcl and manifold3d hold the GIL anyway).

Reuse by other checks (clearance, motion): ``cache.get(part)`` returns the
:class:`CachedGeometry`; ``cached.bvh`` is an fcl ``BVHModel`` in the part's local frame,
ready for ``fcl.CollisionObject(cached.bvh, fcl.Transform(R, t))``.

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.mesh import Mesh
    >>> from cadml.physics.collision.scene import CollisionPart
    >>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    >>> t = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    >>> cache = BvhCache(max_entries=4)
    >>> geo = cache.get(CollisionPart("tet", Mesh(v, t, 0.01, 0.1), np.eye(4), "tet"))
    >>> round(geo.volume_mm3, 6), len(cache)
    (0.166667, 1)
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import fcl
import manifold3d
import numpy as np
import numpy.typing as npt

from cadml.errors import ValidationError
from cadml.geometry.mesh import Mesh
from cadml.physics.collision.scene import CollisionPart

__all__ = ["DEFAULT_MAX_ENTRIES", "BvhCache", "CachedGeometry", "build_geometry"]

DEFAULT_MAX_ENTRIES = 512
"""Geometries kept by default before the least recently used one is dropped."""


def _signed_volume(corners: npt.NDArray[np.float64]) -> float:
    rel = corners - corners.reshape(-1, 3).mean(axis=0)
    return float(np.einsum("ij,ij->", rel[:, 0], np.cross(rel[:, 1], rel[:, 2])) / 6.0)


def _closedness_problem(triangles: npt.NDArray[np.int64], vertex_count: int) -> str:
    """Why the triangles are not a closed oriented surface ('' if they are).

    Every directed edge must occur once and its reverse once.
    """
    directed = triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    codes = directed[:, 0] * vertex_count + directed[:, 1]
    unique, counts = np.unique(codes, return_counts=True)
    if np.any(counts > 1):
        return "an edge is used twice in the same direction (inconsistent orientation)"
    reverse = directed[:, 1] * vertex_count + directed[:, 0]
    if not np.all(np.isin(reverse, unique, assume_unique=False)):
        return "an edge has no neighbouring triangle (the surface is open)"
    return ""


def _manifold(mesh: Mesh, face_ids: npt.NDArray[np.int64], part_id: str) -> Any:
    solid = manifold3d.Manifold(
        manifold3d.Mesh64(
            vert_properties=np.array(mesh.vertices, dtype=np.float64, order="C"),
            tri_verts=np.array(mesh.triangles, dtype=np.uint64, order="C"),
            face_id=np.array(face_ids, dtype=np.uint64, order="C"),
        )
    )
    if solid.status() != manifold3d.Error.NoError or solid.is_empty():
        raise ValidationError(
            "PHYSICS_COLLISION_NOT_MANIFOLD",
            details={"part": part_id, "reason": str(solid.status())},
        )
    return solid


@dataclass(eq=False)
class CachedGeometry:
    """Collision structures of one geometry, in its local frame (mm).

    Args:
        key: the geometry key.
        mesh: the source mesh.
        bvh: fcl ``BVHModel`` (OBBRSS) of the mesh.
        face_ids: ``(M,)`` B-rep face id per triangle (the triangle index when the mesh
            has no face ids).
        corners: ``(M, 3, 3)`` triangle corner coordinates, for point-in-solid tests.
        aabb_min: ``(3,)`` local bounding-box minimum.
        aabb_max: ``(3,)`` local bounding-box maximum.
        volume_mm3: enclosed volume of the mesh (divergence theorem).
        deflection_mm: the mesh's chordal deflection (its distance from the exact surface
            is at most this).
        part_id: the part it was first built for (named in errors).

    The manifold3d solid (:attr:`manifold`) is built on first use: only geometries that
    take part in an interference pay for it.
    """

    key: str
    mesh: Mesh = field(repr=False)
    bvh: Any = field(repr=False)
    face_ids: npt.NDArray[np.int64] = field(repr=False)
    corners: npt.NDArray[np.float64] = field(repr=False)
    aabb_min: npt.NDArray[np.float64] = field(repr=False)
    aabb_max: npt.NDArray[np.float64] = field(repr=False)
    volume_mm3: float
    deflection_mm: float
    part_id: str = field(default="?", repr=False)
    _solid: Any = field(default=None, init=False, repr=False)
    _original_id: int = field(default=-1, init=False, repr=False)
    _solid_region: tuple[npt.NDArray[np.float64], tuple[int, ...]] | None = field(
        default=None, init=False, repr=False
    )

    @property
    def manifold(self) -> Any:
        """The mesh as a ``manifold3d.Manifold`` (closed, oriented), built on first use.

        Raises:
            ValidationError: ``PHYSICS_COLLISION_NOT_MANIFOLD`` if the mesh is not a
                closed 2-manifold.
        """
        if self._solid is None:
            solid = _manifold(self.mesh, self.face_ids, self.part_id)
            self._original_id = int(np.asarray(solid.to_mesh64().run_original_id)[0])
            self._solid = solid
        return self._solid

    @property
    def solid_region(self) -> tuple[npt.NDArray[np.float64], tuple[int, ...]]:
        """The solid's centroid (local frame) and all its face ids, computed on first use.

        What a containment reports: the common region is the inner part itself.
        """
        if self._solid_region is None:
            base = self.corners.reshape(-1, 3).mean(axis=0)
            corners = self.corners - base
            six = np.einsum("ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2]))
            centroid = (six[:, None] * corners.sum(axis=1)).sum(axis=0) / (4.0 * six.sum())
            faces = tuple(sorted(set(self.face_ids.tolist())))
            self._solid_region = (centroid + base, faces)
        return self._solid_region

    @property
    def original_id(self) -> int:
        """manifold3d's id of the solid: it tags the triangles it gives a boolean result."""
        _ = self.manifold
        return self._original_id


def build_geometry(
    key: str, mesh: Mesh, part_id: str = "?", *, with_manifold: bool = False
) -> CachedGeometry:
    """Build the BVH and the auxiliary arrays of one mesh (the manifold lazily).

    Args:
        key: the geometry key recorded on the result.
        mesh: a closed, consistently oriented triangle mesh in mm.
        part_id: named in errors.
        with_manifold: build the manifold3d solid now (checks the mesh is closed).

    Raises:
        ValidationError: ``PHYSICS_COLLISION_EMPTY_MESH`` for a mesh without triangles;
            ``PHYSICS_COLLISION_NOT_MANIFOLD`` when an edge lacks its opposite (open or
            inconsistently oriented surface), or when manifold3d rejects the mesh (with
            ``with_manifold`` now, else when a volume is first needed).
    """
    # Copies: mesh arrays are read-only and the bindings want writable buffers.
    vertices = np.array(mesh.vertices, dtype=np.float64, order="C")
    triangles = np.array(mesh.triangles, dtype=np.int64, order="C")
    if triangles.shape[0] == 0:
        raise ValidationError("PHYSICS_COLLISION_EMPTY_MESH", details={"part": part_id})
    face_ids = (
        np.arange(triangles.shape[0], dtype=np.int64)
        if mesh.face_ids is None
        else np.asarray(mesh.face_ids, dtype=np.int64)
    )
    problem = _closedness_problem(triangles, vertices.shape[0])
    if problem:
        raise ValidationError(
            "PHYSICS_COLLISION_NOT_MANIFOLD", details={"part": part_id, "reason": problem}
        )
    bvh = fcl.BVHModel()
    bvh.beginModel(triangles.shape[0], vertices.shape[0])
    bvh.addSubModel(vertices, triangles)
    bvh.endModel()
    corners = vertices[triangles]
    geometry = CachedGeometry(
        key=key,
        mesh=mesh,
        bvh=bvh,
        face_ids=face_ids,
        corners=corners,
        aabb_min=vertices.min(axis=0),
        aabb_max=vertices.max(axis=0),
        volume_mm3=_signed_volume(corners),
        deflection_mm=float(mesh.linear_deflection_mm),
        part_id=part_id,
    )
    if with_manifold:
        _ = geometry.manifold
    return geometry


class BvhCache:
    """LRU cache of :class:`CachedGeometry` by geometry key.

    Args:
        max_entries: geometries kept before the least recently used is dropped.
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self._entries: OrderedDict[str, CachedGeometry] = OrderedDict()
        self.hits = 0
        """Lookups answered from the cache."""
        self.misses = 0
        """Lookups that built a geometry."""

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, part: CollisionPart) -> CachedGeometry:
        """The cached structures of ``part``'s geometry, built on first use.

        Raises:
            ValidationError: see :func:`build_geometry`.
        """
        return self.get_mesh(part.geometry_key, part.mesh, part.id)

    def get_mesh(self, key: str, mesh: Mesh, part_id: str = "?") -> CachedGeometry:
        """The cached structures for ``key``, built from ``mesh`` on first use.

        For callers without a :class:`CollisionPart` (a clearance or motion check).

        Raises:
            ValidationError: see :func:`build_geometry`.
        """
        entry = self._entries.get(key)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(key)
            return entry
        self.misses += 1
        entry = build_geometry(key, mesh, part_id)
        self._entries[key] = entry
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        """Drop every cached geometry."""
        self._entries.clear()
