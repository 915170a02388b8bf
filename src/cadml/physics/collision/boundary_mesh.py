"""Per-geometry arrays of the boundary-integral interference, built once per geometry.

:func:`boundary_mesh` returns, for a :class:`~.cache.CachedGeometry`, the contiguous
arrays its compiled kernels read: vertices and triangles (row per item), unit normals and
plane offsets, the undirected edges (for the corner graph), twice each triangle's area,
a dense index of the face ids, and the triangle box tree (:class:`~.tri_pairs.BoxTree`).
They are kept in a weak dictionary keyed by the cached geometry, so they live exactly as
long as it does (about 15 ms to build for 5k triangles, mostly the tree). They are never
written after the build, so threads may share them.

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.mesh import Mesh
    >>> from cadml.physics.collision.cache import build_geometry
    >>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    >>> t = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    >>> data = boundary_mesh(build_geometry("tet", Mesh(v, t, 0.01, 0.1)))
    >>> data.tris.shape, data.edges.shape, round(float(data.doubled_area.sum()), 12)
    ((4, 3), (6, 2), 4.732050807569)
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cadml.physics.collision.cache import CachedGeometry
from cadml.physics.collision.tri_pairs import BoxTree

__all__ = ["BoundaryMesh", "boundary_mesh"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BoundaryMesh:
    """One geometry's arrays in its local frame (``n`` vertices, ``m`` triangles).

    Args:
        points: ``(n, 3)`` vertices.
        tris: ``(m, 3)`` corner vertex ids of each triangle.
        normals: ``(m, 3)`` unit outward normals.
        offsets: ``(m,)`` plane offsets ``n·v0``.
        edge_of_slot: ``(m, 3)`` undirected edge id of slot ``j`` (``v_j -> v_j+1``).
        edges: ``(e, 2)`` the ends of each undirected edge.
        used: ``(n,)`` the vertex is a corner of some triangle.
        doubled_area: ``(m,)`` ``|(v1 - v0) × (v2 - v0)|``.
        face_values: sorted distinct face ids.
        face_index: ``(m,)`` index of each triangle's face id in ``face_values``.
        tree: the triangle box tree (with the triangles' planes).
    """

    points: FloatArray
    tris: IntArray
    normals: FloatArray
    offsets: FloatArray
    edge_of_slot: IntArray
    edges: IntArray
    used: BoolArray
    doubled_area: FloatArray
    face_values: IntArray
    face_index: IntArray
    tree: BoxTree


_CACHE: weakref.WeakKeyDictionary[CachedGeometry, BoundaryMesh] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def boundary_mesh(geo: CachedGeometry) -> BoundaryMesh:
    """The boundary-integral arrays of ``geo``, built on first use.

    Args:
        geo: a cached collision geometry (closed, oriented mesh).

    Returns:
        Its :class:`BoundaryMesh`.
    """
    data = _CACHE.get(geo)
    if data is None:
        data = _build(geo)
        with _LOCK:
            data = _CACHE.setdefault(geo, data)
    return data


def _build(geo: CachedGeometry) -> BoundaryMesh:
    vertices = np.array(geo.mesh.vertices, dtype=np.float64)
    triangles = np.array(geo.mesh.triangles, dtype=np.int64)
    n = vertices.shape[0]
    corners = vertices[triangles]
    doubled = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(doubled, axis=1)
    normals = doubled / np.where(length > 0, length, 1.0)[:, None]
    offsets = np.einsum("ij,ij->i", normals, corners[:, 0])
    directed = triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    undirected = np.sort(directed, axis=1)
    codes, edge_ids = np.unique(undirected[:, 0] * n + undirected[:, 1], return_inverse=True)
    used = np.zeros(n, dtype=bool)
    used[triangles.ravel()] = True
    face_values, face_index = np.unique(np.asarray(geo.face_ids), return_inverse=True)
    return BoundaryMesh(
        points=np.ascontiguousarray(vertices),
        tris=np.ascontiguousarray(triangles),
        normals=np.ascontiguousarray(normals),
        offsets=np.ascontiguousarray(offsets),
        edge_of_slot=np.ascontiguousarray(edge_ids.reshape(-1, 3).astype(np.int64)),
        edges=np.ascontiguousarray(np.column_stack([codes // n, codes % n]).astype(np.int64)),
        used=used,
        doubled_area=np.ascontiguousarray(length),
        face_values=face_values.astype(np.int64),
        face_index=np.ascontiguousarray(face_index.astype(np.int64).ravel()),
        tree=BoxTree.build(
            corners.min(axis=1), corners.max(axis=1), np.column_stack([normals, offsets])
        ),
    )
