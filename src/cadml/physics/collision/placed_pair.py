"""Two placed meshes as one: concatenated arrays, and their cuts, for the boundary integral.

:class:`PlacedPair` holds both meshes of :mod:`.boundary_volume` in the first one's
frame as a single mesh (``A``'s vertices and triangles first, ``B``'s ids offset by
``A``'s counts): every later step then runs once instead of once per side, which halves
the number of numpy calls (at these sizes they cost about as much as the arithmetic).
The pose-independent part (:class:`JoinedArrays`: concatenated triangles, edges, the
corner graph) is kept for the last few pairs of geometries, since checks meet the same
pairs again. :class:`Cuts` gathers the intersection segments and edge crossings of both
meshes in concatenated ids, the crossings sorted along their edges.

Like the geometry cache, the kept arrays are not meant for concurrent use of the same
geometries from several threads (the graph's column indices are rewritten per call).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from cadml.physics.collision.boundary_mesh import BoundaryMesh, boundary_mesh
from cadml.physics.collision.cache import CachedGeometry
from cadml.physics.collision.tri_intersect import Segments

__all__ = ["Cuts", "JoinedArrays", "PlacedPair", "cuts_of", "joined_arrays"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class JoinedArrays:
    """Pose-independent arrays of two meshes concatenated (``A`` first, ``B``'s ids offset).

    Args:
        tris: ``(3, M)`` corner vertex ids.
        edge_of_slot: ``(3, M)`` joined edge id of each triangle's slot.
        edge_u: ``(E,)`` first end of each edge (sorted).
        edge_v: ``(E,)`` second end.
        edge_indptr: ``(N + 1,)`` CSR row pointers of the edges.
        used: ``(N,)`` the vertex is a corner of some triangle.
        doubled_area: ``(M,)`` twice each triangle's area.
        graph: the corner graph (CSR); its column indices are rewritten per call.
    """

    tris: IntArray
    edge_of_slot: IntArray
    edge_u: IntArray
    edge_v: npt.NDArray[np.int32]
    edge_indptr: npt.NDArray[np.int32]
    used: BoolArray
    doubled_area: FloatArray
    graph: csr_matrix


_KEPT_PAIRS = 32
"""Pairs kept (about 90 bytes per triangle each: 1 MB for two 5k-triangle meshes)."""

_KEPT: OrderedDict[
    tuple[int, int], tuple[weakref.ref[CachedGeometry], weakref.ref[CachedGeometry], JoinedArrays]
] = OrderedDict()


def joined_arrays(geo_a: CachedGeometry, geo_b: CachedGeometry) -> JoinedArrays:
    """The joined arrays of two geometries (``geo_a`` first), built or found again.

    Args:
        geo_a: the first geometry.
        geo_b: the second geometry.

    Returns:
        Their :class:`JoinedArrays` (the last :data:`_KEPT_PAIRS` pairs are kept).
    """
    key = (id(geo_a), id(geo_b))
    entry = _KEPT.get(key)
    # (ids can be reused once a geometry is gone: the weak references tell.)
    if entry is not None and entry[0]() is geo_a and entry[1]() is geo_b:
        _KEPT.move_to_end(key)
        return entry[2]
    da, db = boundary_mesh(geo_a), boundary_mesh(geo_b)
    n_a, e_a = da.points.shape[1], da.edge_u.size
    n = n_a + db.points.shape[1]
    edge_v = np.concatenate([da.edge_v, db.edge_v + n_a]).astype(np.int32)
    edge_indptr = np.concatenate([da.edge_indptr, db.edge_indptr[1:] + e_a])
    joined = JoinedArrays(
        tris=np.concatenate([da.tris, db.tris + n_a], axis=1),
        edge_of_slot=np.concatenate([da.edge_of_slot, db.edge_of_slot + e_a], axis=1),
        edge_u=np.concatenate([da.edge_u, db.edge_u + n_a]),
        edge_v=edge_v,
        edge_indptr=edge_indptr,
        used=np.concatenate([da.used, db.used]),
        doubled_area=np.concatenate([da.doubled_area, db.doubled_area]),
        graph=csr_matrix((np.ones(edge_v.size), edge_v.copy(), edge_indptr), shape=(n, n)),
    )
    _KEPT[key] = (weakref.ref(geo_a), weakref.ref(geo_b), joined)
    while len(_KEPT) > _KEPT_PAIRS:
        _KEPT.popitem(last=False)
    return joined


@dataclass(frozen=True)
class PlacedPair:
    """Both meshes placed in the common frame and concatenated (``A`` first).

    Args:
        mesh_a: the first mesh's arrays (its frame is the common one).
        mesh_b: the second mesh's arrays.
        joined: their pose-independent joined arrays.
        points: ``(3, N)`` all vertices, placed, relative to the local origin.
        rotation: ``R`` of ``B``'s placement ``p = R v + shift_b``.
        shift_a: ``A``'s placement ``p = v + shift_a`` (minus the local origin).
        shift_b: ``B``'s translation (minus the local origin).
        boxes: ``(lo_b, hi_b, lo_a, hi_a)``: each solid's box in the common frame.
    """

    mesh_a: BoundaryMesh
    mesh_b: BoundaryMesh
    joined: JoinedArrays
    points: FloatArray
    rotation: FloatArray
    shift_a: FloatArray
    shift_b: FloatArray
    boxes: tuple[FloatArray, FloatArray, FloatArray, FloatArray]

    @property
    def tris(self) -> IntArray:
        """``(3, M)`` corner vertex ids of all triangles."""
        return self.joined.tris

    @property
    def split_vertex(self) -> int:
        """The first vertex id of ``B``."""
        return int(self.mesh_a.points.shape[1])

    @property
    def split_tri(self) -> int:
        """The first triangle id of ``B``."""
        return int(self.mesh_a.tris.shape[1])

    def normals(self, tri: IntArray) -> FloatArray:
        """Unit normals ``(3, len(tri))`` of (concatenated) triangles in the common frame."""
        of_b = tri >= self.split_tri
        out = self.mesh_a.normals.take(np.where(of_b, 0, tri), axis=1)
        if of_b.any():
            turned = self.rotation @ self.mesh_b.normals.take(tri[of_b] - self.split_tri, axis=1)
            out[:, of_b] = turned
        return out


@dataclass(frozen=True)
class Cuts:
    """Intersection segments and edge crossings of both meshes, in concatenated ids.

    Args:
        seg_tri: ``(2k,)`` the triangle of each segment (``A``'s, then ``B``'s).
        seg_start: ``(3, 2k)`` segment starts, oriented so that the other solid lies to
            the left (about the triangle's normal).
        seg_end: ``(3, 2k)`` segment ends.
        tri: ``(c,)`` the triangle of each crossing; crossings are sorted by triangle,
            edge slot and position along the edge.
        slot: ``(c,)`` the edge slot.
        point: ``(3, c)`` the crossing point.
        start_inside: ``(c,)`` the edge's start corner is behind the pierced plane.
        first: ``(c,)`` the first crossing along its edge.
        last: ``(c,)`` the last crossing along its edge.
    """

    seg_tri: IntArray
    seg_start: FloatArray
    seg_end: FloatArray
    tri: IntArray
    slot: IntArray
    point: FloatArray
    start_inside: BoolArray
    first: BoolArray
    last: BoolArray


def cuts_of(placed: PlacedPair, seg: Segments, tri_a: IntArray, tri_b: IntArray) -> Cuts:
    """Both meshes' cuts in concatenated ids.

    Args:
        placed: the placed pair.
        seg: the intersection segments (oriented along ``n_a × n_b``).
        tri_a: ``(k,)`` ``A``'s triangle of each segment.
        tri_b: ``(k,)`` ``B``'s triangle of each segment (``B``'s own ids).

    Returns:
        The segments for both sides (``B``'s reversed) and the sorted crossings.
    """
    tri_b = tri_b + placed.split_tri
    ca, cb = seg.crossings_a, seg.crossings_b
    tri = np.concatenate([tri_a.take(ca.segment), tri_b.take(cb.segment)])
    key = tri * 3 + np.concatenate([ca.slot, cb.slot])
    # By edge slot, then along the edge (0 < t < 1: crossings are eps away from corners).
    order = np.argsort(key + 0.5 * np.concatenate([ca.t, cb.t]))
    key = key.take(order)
    boundary = np.ones(key.size + 1, dtype=bool)
    boundary[1:-1] = key[1:] != key[:-1]
    return Cuts(
        seg_tri=np.concatenate([tri_a, tri_b]),
        seg_start=np.concatenate([seg.start, seg.end], axis=1),
        seg_end=np.concatenate([seg.end, seg.start], axis=1),
        tri=key // 3,
        slot=key % 3,
        point=np.concatenate([ca.point, cb.point], axis=1).take(order, axis=1),
        start_inside=np.concatenate([ca.start_inside, cb.start_inside]).take(order),
        first=boundary[:-1],
        last=boundary[1:],
    )
