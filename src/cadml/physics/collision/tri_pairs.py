"""Candidate triangle pairs of two placed meshes: a cached box tree per mesh, descended
depth-first by a compiled kernel.

Each mesh gets (once, in its own frame) a complete binary tree over its triangles, split
at the median along the longest axis, stored heap-wise (node ``k`` has children ``2k`` and
``2k+1``; the leaves ``2^D .. 2^(D+1)-1`` are the triangles, padded with empty boxes).
Every node holds its axis-aligned box (centre, half extents). A node pair is kept while
the first box overlaps the second turned into the first frame and boxed again (centre
turned, half extents ``|R| h``) and the other way round; of a kept pair the larger node is
split, down to nodes two levels above the leaves, whose 4 x 4 leaf pairs are then tested
directly (1.5x faster than descending to single leaves; 3 levels was no better). Leaf
pairs are finally tested against each other's triangle planes; what remains are the
candidate triangle pairs. The search is a compiled kernel (:mod:`.kernels`), depth-first
with an explicit stack, in float64; the turned boxes are computed when a node is first
visited (most nodes never are). It costs about 25-35 ns per node-pair test on the bench's
machine, 0.3-1.5 ms for a deeply overlapping pair of 3-5k-triangle solids. (Bounding
spheres gave 2-5 times as many leaf pairs on the bench's sliver triangles; splitting both
nodes of every pair tested about twice as many node pairs; Morton order instead of median
splits 25-45 % more; numba's ``inline="always"`` on the small helpers made the kernel
1.5x slower.)

Two alternatives were measured slower on the collision bench (pairs of 1-5k-triangle
solids): asking fcl for every contact (about 7-10 µs per contact, 9 ms for the 900
intersecting triangle pairs of two deeply overlapping 3k-triangle solids), and a uniform
grid built per call in numpy (its cells must be entered for every triangle of the overlap box,
12-20 ms for the same pair).

Examples:
    >>> import numpy as np
    >>> lo = np.array([[0.0, 0, 0], [5, 5, 5]]); hi = lo + 1
    >>> tree = BoxTree.build(lo, hi)
    >>> ia, ib = tree_pairs(tree, tree, np.eye(3), np.array([0.5, 0.5, 0.5]), 0.0)
    >>> sorted(zip(ia.tolist(), ib.tolist()))
    [(0, 0), (1, 1)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cadml.physics.collision.kernels import kernel

__all__ = ["BoxTree", "tree_pairs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _median_slots(mid: FloatArray, depth: int) -> IntArray:
    """Leaf slot of each box: top-down splits at the median along the longest axis.

    Every node of capacity ``C`` holds at most ``C`` boxes, so the halves (``ceil`` and
    ``floor`` of half of them) fit the children; a leaf holds at most one box. The boxes
    stay sorted by node, so each level is one ``argsort`` of ``node + position in node``.
    (Morton order instead tested 25-45 % more node pairs on the collision bench.)
    """
    n = mid.shape[0]
    coords = np.ascontiguousarray(mid.T)
    order = np.arange(n)
    node = np.zeros(n, dtype=np.int64)  # node of order[i], non-decreasing
    for _ in range(depth):
        starts = np.flatnonzero(np.r_[True, node[1:] != node[:-1]])
        counts = np.diff(np.r_[starts, n])
        group = np.repeat(np.arange(starts.size), counts)
        spans = np.stack(
            [
                np.maximum.reduceat(c, starts) - np.minimum.reduceat(c, starts)
                for c in (coords[0][order], coords[1][order], coords[2][order])
            ]
        )
        axis = spans.argmax(axis=0)
        key = coords[axis[group], order]
        lo = np.minimum.reduceat(key, starts)
        width = np.maximum.reduceat(key, starts) - lo
        within = (key - lo[group]) / np.where(width > 0, width, 1.0)[group]
        resort = np.argsort(group + 0.5 * within, kind="stable")
        order = order[resort]
        rank = np.arange(n) - np.repeat(starts, counts)
        node = 2 * node + (rank >= np.repeat((counts + 1) // 2, counts))
    slot = np.empty(n, dtype=np.int64)
    slot[order] = node
    return slot


_EMPTY_HALF = -1e30
"""Half extent of an empty node: it meets nothing, also after rotation."""

_NO_PLANES = np.zeros((0, 4))


@dataclass(frozen=True)
class BoxTree:
    """A heap-stored binary box tree over boxes (one per triangle).

    Args:
        depth: ``D``: the leaves are the nodes ``2^D .. 2^(D+1)-1``.
        leaf_item: ``(2^D,)`` the box (triangle) index of each leaf, ``-1`` for padding.
        centre: ``(2^(D+1), 3)`` box centre of each node (node 0 is unused).
        half: ``(2^(D+1), 3)`` half extents (hugely negative for empty nodes).
        size: ``(2^(D+1),)`` the largest half extent of each node.
        leaf_planes: ``(2^D, 4)`` plane ``(n, n·p)`` of each leaf's triangle, or ``(0, 4)``;
            with planes, leaf pairs are also tested against each other's planes.
    """

    depth: int
    leaf_item: IntArray
    centre: FloatArray
    half: FloatArray
    size: FloatArray
    leaf_planes: FloatArray

    @classmethod
    def build(cls, lo: FloatArray, hi: FloatArray, planes: FloatArray | None = None) -> BoxTree:
        """Build the tree of ``n`` boxes.

        Args:
            lo: ``(n, 3)`` box minima.
            hi: ``(n, 3)`` box maxima.
            planes: ``(n, 4)`` optional plane (unit normal, offset) of each box's triangle.

        Returns:
            The tree.
        """
        n = lo.shape[0]
        depth = max(0, int(np.ceil(np.log2(max(n, 1)))))
        leaves = 1 << depth
        slot = _median_slots(0.5 * (lo + hi), depth)
        node_lo = np.full((2 * leaves, 3), np.inf)
        node_hi = np.full((2 * leaves, 3), -np.inf)
        node_lo[leaves + slot] = lo
        node_hi[leaves + slot] = hi
        for level in range(depth - 1, -1, -1):
            below = slice(2 << level, 4 << level)
            here = slice(1 << level, 2 << level)
            node_lo[here] = np.minimum(node_lo[below][0::2], node_lo[below][1::2])
            node_hi[here] = np.maximum(node_hi[below][0::2], node_hi[below][1::2])
        empty = ~np.isfinite(node_lo[:, 0])
        node_lo[empty] = 0.0
        node_hi[empty] = 0.0
        centre = 0.5 * (node_lo + node_hi)
        half = 0.5 * (node_hi - node_lo)
        half[empty] = _EMPTY_HALF
        item = np.full(leaves, -1, dtype=np.int64)
        item[slot] = np.arange(n)
        leaf_planes = _NO_PLANES
        if planes is not None:
            leaf_planes = np.zeros((leaves, 4))
            leaf_planes[slot] = planes
        return cls(depth, item, centre, half, half.max(axis=1), leaf_planes)


def tree_pairs(
    tree_a: BoxTree, tree_b: BoxTree, rotation: FloatArray, translation: FloatArray, slack: float
) -> tuple[IntArray, IntArray]:
    """Leaf pairs whose boxes overlap in both frames (and reach each other's planes).

    Each tree's boxes are tested natively against the other's boxes turned into its frame
    and boxed again (half extents ``|R| h``): re-boxing loses a flat patch's thinness, the
    other frame keeps it. Of a node pair that overlaps, the larger node is split (the
    smaller when the larger is at the bucket level) until both are at the bucket level,
    two levels above the leaves; then their leaf pairs are tested directly.

    Args:
        tree_a: the first tree, in the common frame.
        tree_b: the second tree, in its own frame.
        rotation: ``(3, 3)`` rotation placing the second tree in the common frame.
        translation: ``(3,)`` its translation.
        slack: distance added to every gap test (so touching counts).

    Returns:
        ``(ia, ib)``: box indices of the candidate pairs (each pair once).
    """
    rotation = np.ascontiguousarray(rotation, dtype=np.float64)
    translation = np.ascontiguousarray(translation, dtype=np.float64)
    return pair_search(
        tree_a.depth,
        tree_a.leaf_item,
        tree_a.centre,
        tree_a.half,
        tree_a.size,
        tree_a.leaf_planes,
        tree_b.depth,
        tree_b.leaf_item,
        tree_b.centre,
        tree_b.half,
        tree_b.size,
        tree_b.leaf_planes,
        rotation,
        translation,
        float(slack),
    )


@kernel
def _turn(
    centre: FloatArray,
    half: FloatArray,
    node: int,
    rotation: FloatArray,
    translation: FloatArray,
    slack: float,
    out_centre: FloatArray,
    out_half: FloatArray,
) -> None:  # pragma: no cover - compiled
    """Box of ``node`` turned (``R c + t``, ``|R| h + slack``) into ``out_*[node]``."""
    for r in range(3):
        c = translation[r]
        h = slack
        for k in range(3):
            c += rotation[r, k] * centre[node, k]
            h += abs(rotation[r, k]) * half[node, k]
        out_centre[node, r] = c
        out_half[node, r] = h


@kernel
def _boxes_meet(
    centre_p: FloatArray,
    half_p: FloatArray,
    p: int,
    centre_q: FloatArray,
    half_q: FloatArray,
    q: int,
) -> bool:  # pragma: no cover - compiled
    for k in range(3):
        if abs(centre_p[p, k] - centre_q[q, k]) > half_p[p, k] + half_q[q, k]:
            return False
    return True


@kernel
def _reaches_plane(
    centre: FloatArray, half: FloatArray, node: int, planes: FloatArray, leaf: int, slack: float
) -> bool:  # pragma: no cover - compiled
    signed = -planes[leaf, 3]
    reach = slack
    for k in range(3):
        signed += planes[leaf, k] * centre[node, k]
        reach += abs(planes[leaf, k]) * half[node, k]
    return abs(signed) <= reach


_BUCKET_LEVELS = 2
"""Node pairs this many levels above the leaves test all their leaf pairs directly
(4 x 4 leaves: about 1.5x faster on the bench than descending to single leaves)."""


@kernel
def pair_search(
    depth_a: int,
    item_a: IntArray,
    centre_a: FloatArray,
    half_a: FloatArray,
    size_a: FloatArray,
    planes_a: FloatArray,
    depth_b: int,
    item_b: IntArray,
    centre_b: FloatArray,
    half_b: FloatArray,
    size_b: FloatArray,
    planes_b: FloatArray,
    rotation: FloatArray,
    translation: FloatArray,
    slack: float,
) -> tuple[IntArray, IntArray]:  # pragma: no cover - compiled
    """The kernel of :func:`tree_pairs` (tree arrays as in :class:`BoxTree`)."""
    leaves_a, leaves_b = 1 << depth_a, 1 << depth_b
    bucket_a = leaves_a >> min(_BUCKET_LEVELS, depth_a)
    bucket_b = leaves_b >> min(_BUCKET_LEVELS, depth_b)
    back = np.ascontiguousarray(rotation.T)
    back_shift = np.zeros(3)
    for r in range(3):
        for k in range(3):
            back_shift[r] -= back[r, k] * translation[k]
    # b's nodes in a's frame and a's nodes in b's frame, filled on first visit.
    b_in_a_c, b_in_a_h = np.empty_like(centre_b), np.empty_like(half_b)
    a_in_b_c, a_in_b_h = np.empty_like(centre_a), np.empty_like(half_a)
    seen_b = np.zeros(centre_b.shape[0], dtype=np.bool_)
    seen_a = np.zeros(centre_a.shape[0], dtype=np.bool_)
    planes = planes_a.shape[0] > 0 and planes_b.shape[0] > 0
    stack_a = np.empty(depth_a + depth_b + 8, dtype=np.int64)
    stack_b = np.empty_like(stack_a)
    out_a = np.empty(1024, dtype=np.int64)
    out_b = np.empty(1024, dtype=np.int64)
    found = 0
    stack_a[0], stack_b[0] = 1, 1
    top = 1
    while top > 0:
        top -= 1
        a, b = stack_a[top], stack_b[top]
        if not seen_b[b]:
            _turn(centre_b, half_b, b, rotation, translation, slack, b_in_a_c, b_in_a_h)
            seen_b[b] = True
        if not _boxes_meet(centre_a, half_a, a, b_in_a_c, b_in_a_h, b):
            continue
        if not seen_a[a]:
            _turn(centre_a, half_a, a, back, back_shift, slack, a_in_b_c, a_in_b_h)
            seen_a[a] = True
        if not _boxes_meet(a_in_b_c, a_in_b_h, a, centre_b, half_b, b):
            continue
        if a >= bucket_a and b >= bucket_b:
            # Both at the bucket level: every leaf pair below them, directly.
            first_a, span_a = a, 1
            while first_a < leaves_a:
                first_a, span_a = 2 * first_a, 2 * span_a
            first_b, span_b = b, 1
            while first_b < leaves_b:
                first_b, span_b = 2 * first_b, 2 * span_b
            for j in range(first_b, first_b + span_b):
                if not seen_b[j]:
                    _turn(centre_b, half_b, j, rotation, translation, slack, b_in_a_c, b_in_a_h)
                    seen_b[j] = True
            for i in range(first_a, first_a + span_a):
                if not seen_a[i]:
                    _turn(centre_a, half_a, i, back, back_shift, slack, a_in_b_c, a_in_b_h)
                    seen_a[i] = True
                for j in range(first_b, first_b + span_b):
                    if not _boxes_meet(centre_a, half_a, i, b_in_a_c, b_in_a_h, j):
                        continue
                    if not _boxes_meet(a_in_b_c, a_in_b_h, i, centre_b, half_b, j):
                        continue
                    if planes and not (
                        _reaches_plane(b_in_a_c, b_in_a_h, j, planes_a, i - leaves_a, slack)
                        and _reaches_plane(a_in_b_c, a_in_b_h, i, planes_b, j - leaves_b, slack)
                    ):
                        continue
                    if found == out_a.size:
                        out_a = np.concatenate((out_a, np.empty_like(out_a)))
                        out_b = np.concatenate((out_b, np.empty_like(out_b)))
                    out_a[found] = item_a[i - leaves_a]
                    out_b[found] = item_b[j - leaves_b]
                    found += 1
        elif a < bucket_a and (b >= bucket_b or size_a[a] >= size_b[b]):
            stack_a[top], stack_b[top] = 2 * a + 1, b
            stack_a[top + 1], stack_b[top + 1] = 2 * a, b
            top += 2
        else:
            stack_a[top], stack_b[top] = a, 2 * b + 1
            stack_a[top + 1], stack_b[top + 1] = a, 2 * b
            top += 2
    return out_a[:found].copy(), out_b[:found].copy()
