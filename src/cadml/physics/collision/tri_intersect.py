"""Intersection segments of candidate triangle pairs (Möller's interval test), compiled.

For each candidate pair (triangle ``a`` of one mesh, triangle ``b`` of the other, both in
one frame) the signed distances of each triangle's corners to the other's plane tell
whether the triangle straddles that plane; if both do, each triangle meets the common
line of the two planes in an interval whose ends lie on two of its edges. The overlap of
the two intervals is the segment ``a ∩ b``, oriented along ``n_a × n_b``. An end of the
segment that is an end of ``a``'s interval is where an edge of ``a`` pierces ``b``: it is
recorded as a *crossing* of that edge (triangle, edge slot, parameter along the edge, and
whether the edge's start corner is behind ``b``'s plane, i.e. inside ``b``'s solid).
The same for ``b``. Each segment has two ends, so there are exactly two crossings per
segment.

Degenerate configurations are not decided here but reported: a corner within ``eps`` of
the other plane, nearly parallel planes, or interval ends within ``eps`` of each other
(an edge grazing an edge or a corner), checked on every pair whose triangles straddle
each other's planes. The caller then takes an exact boolean instead. When several kinds
occur, the first of :data:`DEGENERACIES` is named.

Triangles and vertices are numbered as one mesh: ``A``'s first, then ``B``'s (triangle
``j`` of ``B`` is ``m_A + j``). Edge slot ``j`` of a triangle ``(v0, v1, v2)`` is the
directed edge ``v_j -> v_(j+1)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cadml.physics.collision.kernels import kernel

__all__ = ["DEGENERACIES", "MIN_SINE", "intersection_segments"]

MIN_SINE = 1e-6
"""Planes closer to parallel than this (sine of the angle) count as degenerate."""

DEGENERACIES = (
    "",
    "a corner lies on the other triangle's plane",
    "nearly parallel intersecting triangles",
    "an edge grazes the other triangle's edge or corner",
)
"""The kernel's status codes (0: decided), most important degeneracy first."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CORNER, _PARALLEL, _GRAZING = 1, 2, 3


@kernel
def _corners(
    points: FloatArray, tris: IntArray, tri: int, out: FloatArray
) -> None:  # pragma: no cover - compiled
    for j in range(3):
        v = tris[tri, j]
        for k in range(3):
            out[j, k] = points[v, k]


@kernel
def _distances(
    normal: FloatArray, offset: float, corners: FloatArray, eps: float, out: FloatArray
) -> bool:  # pragma: no cover - compiled
    """Signed distances of the corners to the plane; whether they straddle it (± eps)."""
    above = below = 0
    for j in range(3):
        d = normal[0] * corners[j, 0] + normal[1] * corners[j, 1] + normal[2] * corners[j, 2]
        d -= offset
        out[j] = d
        above += d > eps
        below += d < -eps
    return above < 3 and below < 3


@kernel
def _ends(
    corners: FloatArray, dist: FloatArray, p1: FloatArray, p2: FloatArray
) -> tuple[int, int, float, float, bool, bool]:  # pragma: no cover - compiled
    """Where the triangle meets the other plane: the lone corner is ``i`` (on its own side);
    the crossed slots are ``i`` (``v_i -> v_i+1``) and ``i+2`` (``v_i+2 -> v_i``)."""
    pattern = (dist[0] > 0.0) + 2 * (dist[1] > 0.0) + 4 * (dist[2] > 0.0)
    lone = 0 if pattern in (0, 1, 6, 7) else (1 if pattern in (2, 5) else 2)
    after, before = (lone + 1) % 3, (lone + 2) % 3
    s_i, s_j, s_h = dist[lone], dist[after], dist[before]
    t1 = s_i / (s_i - s_j)
    t2 = s_h / (s_h - s_i)
    for k in range(3):
        v_i = corners[lone, k]
        p1[k] = v_i + t1 * (corners[after, k] - v_i)
        p2[k] = corners[before, k] + t2 * (v_i - corners[before, k])
    # A start corner behind the plane (negative distance) is inside the other solid.
    return lone, before, t1, t2, s_i < 0.0, s_h < 0.0


@kernel
def _put(
    x: float, y: float, z: float, rows: FloatArray, row: int
) -> None:  # pragma: no cover - compiled
    rows[row, 0], rows[row, 1], rows[row, 2] = x, y, z


@kernel
def _along(p: FloatArray, origin: FloatArray, line: FloatArray) -> float:  # pragma: no cover
    return (
        (p[0] - origin[0]) * line[0] + (p[1] - origin[1]) * line[1] + (p[2] - origin[2]) * line[2]
    )


@kernel
def intersection_segments(
    points_a: FloatArray,
    tris_a: IntArray,
    normals_a: FloatArray,
    offsets_a: FloatArray,
    shift_a: FloatArray,
    points_b: FloatArray,
    tris_b: IntArray,
    normals_b: FloatArray,
    offsets_b: FloatArray,
    rotation_b: FloatArray,
    shift_b: FloatArray,
    pair_a: IntArray,
    pair_b: IntArray,
    eps: float,
) -> tuple[
    int, IntArray, FloatArray, FloatArray, IntArray, IntArray, FloatArray, FloatArray, BoolArray
]:  # pragma: no cover - compiled
    """Intersect candidate triangle pairs of two placed meshes.

    Args:
        points_a: ``(n_A, 3)`` placed vertices of ``A``.
        tris_a: ``(m_A, 3)`` its triangles.
        normals_a: ``(m_A, 3)`` its unit outward normals in its own frame (``A`` is only
            shifted: ``p = v + shift_a``).
        offsets_a: ``(m_A,)`` its plane offsets ``n·v0`` in its own frame.
        shift_a: ``(3,)`` ``A``'s shift.
        points_b: ``(n_B, 3)`` placed vertices of ``B`` (``p = R v + shift_b``).
        tris_b: ``(m_B, 3)`` its triangles.
        normals_b: ``(m_B, 3)`` its normals in its own frame.
        offsets_b: ``(m_B,)`` its plane offsets in its own frame.
        rotation_b: ``(3, 3)`` ``R``.
        shift_b: ``(3,)`` ``B``'s shift.
        pair_a: ``(c,)`` ``A``'s triangle of each candidate pair.
        pair_b: ``(c,)`` ``B``'s triangle of each candidate pair.
        eps: length below which a distance counts as zero (degenerate).

    Returns:
        ``(status, seg_tri, seg_p, seg_q, cross_tri, cross_slot, cross_t, cross_point,
        cross_in)``: the status (index into :data:`DEGENERACIES`; the arrays are empty
        unless it is 0); per intersecting pair two oriented segments ``(2k,)``,
        ``(2k, 3)``, ``(2k, 3)`` (``A``'s along ``n_A × n_B``, then ``B``'s reversed, so
        that the other solid lies to the left about the triangle's normal), and ``2k``
        crossings: triangle (joined ids), edge slot, parameter, point and whether the
        edge's start corner is behind the pierced plane.
    """
    m_a = tris_a.shape[0]
    count = pair_a.size
    seg_tri = np.empty(2 * count, dtype=np.int64)
    seg_p = np.empty((2 * count, 3))
    seg_q = np.empty((2 * count, 3))
    cross_tri = np.empty(2 * count, dtype=np.int64)
    cross_slot = np.empty(2 * count, dtype=np.int64)
    cross_t = np.empty(2 * count)
    cross_point = np.empty((2 * count, 3))
    cross_in = np.empty(2 * count, dtype=np.bool_)
    ca, cb = np.empty((3, 3)), np.empty((3, 3))
    dist_a, dist_b = np.empty(3), np.empty(3)
    normal_a, normal_b, line = np.empty(3), np.empty(3), np.empty(3)
    pa1, pa2, pb1, pb2 = np.empty(3), np.empty(3), np.empty(3), np.empty(3)
    status = 0
    found = 0
    crossings = 0
    for c in range(count):
        ta, tb = pair_a[c], pair_b[c]
        for k in range(3):
            normal_a[k] = normals_a[ta, k]
        offset_a = offsets_a[ta] + (
            shift_a[0] * normal_a[0] + shift_a[1] * normal_a[1] + shift_a[2] * normal_a[2]
        )
        _corners(points_b, tris_b, tb, cb)
        if not _distances(normal_a, offset_a, cb, eps, dist_b):
            continue
        for r in range(3):
            normal_b[r] = (
                rotation_b[r, 0] * normals_b[tb, 0]
                + rotation_b[r, 1] * normals_b[tb, 1]
                + rotation_b[r, 2] * normals_b[tb, 2]
            )
        offset_b = offsets_b[tb] + (
            shift_b[0] * normal_b[0] + shift_b[1] * normal_b[1] + shift_b[2] * normal_b[2]
        )
        _corners(points_a, tris_a, ta, ca)
        if not _distances(normal_b, offset_b, ca, eps, dist_a):
            continue
        for j in range(3):
            if abs(dist_a[j]) <= eps or abs(dist_b[j]) <= eps:
                status = _CORNER
        if status == _CORNER:
            break
        line[0] = normal_a[1] * normal_b[2] - normal_a[2] * normal_b[1]
        line[1] = normal_a[2] * normal_b[0] - normal_a[0] * normal_b[2]
        line[2] = normal_a[0] * normal_b[1] - normal_a[1] * normal_b[0]
        sine = np.sqrt(line[0] * line[0] + line[1] * line[1] + line[2] * line[2])
        if sine < MIN_SINE:
            status = _PARALLEL
            continue
        if status != 0:
            continue  # a degeneracy was found: only a more important one matters now
        line /= sine
        slot_a1, slot_a2, t_a1, t_a2, in_a1, in_a2 = _ends(ca, dist_a, pa1, pa2)
        slot_b1, slot_b2, t_b1, t_b2, in_b1, in_b2 = _ends(cb, dist_b, pb1, pb2)
        # Positions along the line, measured from a point on it (keeps the lever arm short).
        ua2 = _along(pa2, pa1, line)
        ub1 = _along(pb1, pa1, line)
        ub2 = _along(pb2, pa1, line)
        lo_a, hi_a = min(ua2, 0.0), max(ua2, 0.0)
        lo_b, hi_b = min(ub1, ub2), max(ub1, ub2)
        if (
            abs(lo_a - lo_b) <= eps
            or abs(hi_a - hi_b) <= eps
            or abs(lo_a - hi_b) <= eps
            or abs(hi_a - lo_b) <= eps
        ):
            status = _GRAZING
            continue
        if not max(lo_a, lo_b) < min(hi_a, hi_b):
            continue
        a_first = ua2 >= 0.0  # a's interval starts at its point 1
        b_first = ub1 <= ub2
        start_is_a = lo_a > lo_b  # the segment starts at a's interval start
        end_is_a = hi_a < hi_b
        seg_tri[found], seg_tri[found + 1] = ta, m_a + tb
        # Each end of the segment is the crossing of an edge of the triangle whose
        # interval ends there (point 1 at the interval's start iff 'first').
        for end in range(2):
            of_a = end_is_a if end else start_is_a
            use_one = (a_first if of_a else b_first) == (end == 0)
            if of_a:
                cross_tri[crossings] = ta
                cross_slot[crossings] = slot_a1 if use_one else slot_a2
                cross_t[crossings] = t_a1 if use_one else t_a2
                cross_in[crossings] = in_a1 if use_one else in_a2
                x, y, z = (pa1[0], pa1[1], pa1[2]) if use_one else (pa2[0], pa2[1], pa2[2])
            else:
                cross_tri[crossings] = m_a + tb
                cross_slot[crossings] = slot_b1 if use_one else slot_b2
                cross_t[crossings] = t_b1 if use_one else t_b2
                cross_in[crossings] = in_b1 if use_one else in_b2
                x, y, z = (pb1[0], pb1[1], pb1[2]) if use_one else (pb2[0], pb2[1], pb2[2])
            cross_point[crossings, 0] = x
            cross_point[crossings, 1] = y
            cross_point[crossings, 2] = z
            # A's segment runs start -> end, B's end -> start.
            _put(x, y, z, seg_q if end else seg_p, found)
            _put(x, y, z, seg_p if end else seg_q, found + 1)
            crossings += 1
        found += 2
    if status != 0:
        found = crossings = 0
    return (
        status,
        seg_tri[:found],
        seg_p[:found],
        seg_q[:found],
        cross_tri[:crossings],
        cross_slot[:crossings],
        cross_t[:crossings],
        cross_point[:crossings],
        cross_in[:crossings],
    )
