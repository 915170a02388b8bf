"""Per-geometry arrays of the boundary-integral interference, built once per geometry.

:func:`boundary_mesh` returns, for a :class:`~.cache.CachedGeometry`, its vertices and
triangles component-first (``(3, n)``: numpy's operations over a trailing axis of length
3 were measured about 10 times slower), unit normals and plane offsets, the undirected
edges (for the corner graph), per-triangle sums used for triangles that lie wholly inside
the other solid, a dense index of the face ids, and the triangle box tree
(:class:`~.tri_pairs.BoxTree`). They are kept in a weak dictionary keyed by the cached
geometry, so they live exactly as long as it does (about 15 ms to build for 5k
triangles, mostly the tree).

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.mesh import Mesh
    >>> from cadml.physics.collision.cache import build_geometry
    >>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    >>> t = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    >>> data = boundary_mesh(build_geometry("tet", Mesh(v, t, 0.01, 0.1)))
    >>> data.tris.shape, data.edge_u.size, round(float(data.det.sum()), 12)
    ((3, 4), 6, 1.0)
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cadml.physics.collision.cache import CachedGeometry
from cadml.physics.collision.tri_intersect import cross3, dot3
from cadml.physics.collision.tri_pairs import BoxTree

__all__ = ["BoundaryMesh", "boundary_mesh", "winding_numbers"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BoundaryMesh:
    """One geometry's arrays in its local frame (``n`` vertices, ``m`` triangles).

    Args:
        points: ``(3, n)`` vertices.
        tris: ``(3, m)`` corner vertex ids of each triangle.
        normals: ``(3, m)`` unit outward normals.
        offsets: ``(m,)`` plane offsets ``n·v0``.
        edge_of_slot: ``(3, m)`` undirected edge id of slot ``j`` (``v_j -> v_j+1``).
        edge_u: ``(e,)`` first end of each edge (sorted).
        edge_v: ``(e,)`` second end.
        edge_indptr: ``(n + 1,)`` CSR row pointers of the edges by ``edge_u``.
        used: ``(n,)`` the vertex is a corner of some triangle.
        det: ``(m,)`` ``det(v0, v1, v2)``, six times the tetrahedron ``(0, v0, v1, v2)``.
        doubled_normal: ``(m, 3)`` ``(v1 - v0) × (v2 - v0)``.
        corner_sum: ``(m, 3)`` ``v0 + v1 + v2``.
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
    edge_u: IntArray
    edge_v: IntArray
    edge_indptr: npt.NDArray[np.int32]
    used: BoolArray
    det: FloatArray
    doubled_normal: FloatArray
    corner_sum: FloatArray
    doubled_area: FloatArray
    face_values: IntArray
    face_index: IntArray
    tree: BoxTree


_CACHE: weakref.WeakKeyDictionary[CachedGeometry, BoundaryMesh] = weakref.WeakKeyDictionary()


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
        _CACHE[geo] = data
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
        points=np.ascontiguousarray(vertices.T),
        tris=np.ascontiguousarray(triangles.T),
        normals=np.ascontiguousarray(normals.T),
        offsets=offsets,
        edge_of_slot=np.ascontiguousarray(edge_ids.reshape(-1, 3).T.astype(np.int64)),
        edge_u=(codes // n).astype(np.int64),
        edge_v=(codes % n).astype(np.int64),
        edge_indptr=np.searchsorted(codes // n, np.arange(n + 1)).astype(np.int32),
        used=used,
        det=np.einsum("ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2])),
        doubled_normal=doubled,
        corner_sum=corners.sum(axis=1),
        doubled_area=length,
        face_values=face_values.astype(np.int64),
        face_index=face_index.astype(np.int64).ravel(),
        tree=BoxTree.build(
            corners.min(axis=1), corners.max(axis=1), np.column_stack([normals, offsets])
        ),
    )


def winding_numbers(points: FloatArray, corners: FloatArray) -> FloatArray:
    """Generalised winding numbers of points w.r.t. a closed, outward-oriented mesh.

    Van Oosterom and Strackee's solid angle of every triangle, summed: 1 inside, 0
    outside, ill-conditioned only very near the surface.

    Args:
        points: ``(3, p)`` query points.
        corners: ``(3, 3, m)`` (axis, corner, triangle) corners of the mesh.

    Returns:
        ``(p,)`` winding numbers.
    """
    out = np.empty(points.shape[1])
    for i in range(points.shape[1]):
        rel = corners - points[:, i, None, None]
        a, b, c = rel[:, 0], rel[:, 1], rel[:, 2]
        la, lb, lc = (np.sqrt(dot3(x, x)) for x in (a, b, c))
        det = dot3(a, cross3(b, c))
        den = la * lb * lc + dot3(a, b) * lc + dot3(b, c) * la + dot3(c, a) * lb
        out[i] = np.arctan2(det, den).sum() / (2.0 * np.pi)
    return out
