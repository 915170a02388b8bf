"""Candidate triangle pairs of two placed meshes: a cached box tree per mesh, descended
breadth-first in numpy.

Each mesh gets (once, in its own frame) a complete binary tree over its triangles, split
at the median along the longest axis, stored heap-wise (node ``k`` has children ``2k`` and
``2k+1``; the leaves ``2^D .. 2^(D+1)-1`` are the triangles, padded with empty boxes).
Every node holds its axis-aligned box. A node pair is kept while the first box overlaps
the second turned into the first frame and boxed again (centre turned, half extents
``|R| h``) and the other way round; of a kept pair the larger node is split. Leaf pairs
are finally tested against each other's triangle planes; what remains are the candidate
triangle pairs. All node pairs of a step are tested at once, as rows of float32 (half
the memory traffic of float64; the gathers measured 2-5 times faster), with the slack
grown by about 30 float32 ulps of the largest coordinate so that the test stays
conservative. (Bounding spheres gave 2-5 times as many leaf pairs on the bench's sliver
triangles; splitting both nodes of every pair tested about twice as many node pairs;
numpy's reductions and broadcasts over a short trailing axis are about 10 times slower
than the whole-row forms used here.)

Two alternatives were measured slower on the collision bench (pairs of 1-5k-triangle
solids): asking fcl for every contact (about 7-10 µs per contact, 9 ms for the 900
intersecting triangle pairs of two deeply overlapping 3k-triangle solids), and a uniform
grid built per call (its cells must be entered for every triangle of the overlap box,
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

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["BoxTree", "tree_pairs"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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


_START_LEVEL = 5
"""The descent starts with all node pairs of this level (skips the tiny top levels)."""

_ALL_TRUE = np.frombuffer(np.ones(8, dtype=np.bool_).tobytes(), dtype=np.uint64)[0]

_NATIVE_FIRST = np.zeros((7, 16))
_NATIVE_FIRST[:3, :3], _NATIVE_FIRST[:3, 3:6] = np.eye(3), -np.eye(3)
_NATIVE_FIRST[3:6, :3], _NATIVE_FIRST[3:6, 3:6] = -np.eye(3), -np.eye(3)
_NATIVE_SECOND = np.zeros((7, 16))
_NATIVE_SECOND[:3, 8:11], _NATIVE_SECOND[:3, 11:14] = -np.eye(3), np.eye(3)
_NATIVE_SECOND[3:6, 8:11], _NATIVE_SECOND[3:6, 11:14] = np.eye(3), np.eye(3)

_MATMUL_ROWS = 1024
"""Rows per matrix product (keeps OpenBLAS single-threaded)."""

_MASK_FIRST = np.uint64(0xFF00FFFFFFFFFFFF)
"""Word 0 of the fused test without byte 6 (the size column)."""

_EMPTY_HALF = -1e30
"""Half extent of an empty node: it meets nothing, also after rotation."""


@dataclass(frozen=True)
class BoxTree:
    """A heap-stored binary box tree over boxes (one per triangle).

    Args:
        depth: ``D``: the leaves are the nodes ``2^D .. 2^(D+1)-1``.
        leaf_item: ``(2^D,)`` the box (triangle) index of each leaf, ``-1`` for padding.
        augmented: ``(2^(D+1), 7)`` float32 rows ``(centre, half extents, 1)`` (the half
            extents are hugely negative for empty nodes).
        size: ``(2^(D+1),)`` the largest half extent of each node.
        reach: the largest coordinate magnitude of the boxes.
        leaf_planes: ``(2^D, 4)`` optional plane ``(n, n·p)`` of each leaf's triangle; with
            it, leaf pairs are also tested against each other's planes.
    """

    depth: int
    leaf_item: IntArray
    augmented: npt.NDArray[np.float32]
    size: FloatArray
    reach: float
    leaf_planes: FloatArray | None = None

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
        leaf_planes = None
        if planes is not None:
            leaf_planes = np.zeros((leaves, 4))
            leaf_planes[slot] = planes
        return cls(
            depth,
            item,
            np.hstack([centre, half, np.ones((2 * leaves, 1))]).astype(np.float32),
            half.max(axis=1),
            float(np.abs(np.concatenate([node_lo[1], node_hi[1]])).max()),
            leaf_planes,
        )


def _test_rows(
    tree: BoxTree,
    rotation: FloatArray,
    translation: FloatArray,
    slack: float,
    second: bool,
) -> FloatArray:
    """Rows ``(N, 16)`` of one tree for the fused two-frame box test (one matmul).

    For the first tree: ``(lo, -hi, size, 0, -hi', lo', 0, 0)`` where ``'`` is the box
    turned by ``rotation``, moved by ``translation`` and boxed again (half extents
    ``|R| h + slack``). For the second tree: ``(hi', -lo', size, 0, -lo, hi, 0, 0)``. The
    first rows minus the second are ``<= 0`` in the 12 box columns iff the boxes overlap
    in both frames; column 6 is the size difference.
    """
    turn, spread = rotation.T, np.abs(rotation).T
    m = (_NATIVE_SECOND if second else _NATIVE_FIRST).copy()
    if second:
        # (hi', -lo') of the turned box, then (-lo, hi) of the native one.
        m[:3, :3], m[:3, 3:6] = turn, -turn
        m[3:6, :3], m[3:6, 3:6] = spread, spread
        m[6, :3], m[6, 3:6] = translation + slack, slack - translation
    else:
        # (lo, -hi) of the native box, then (-hi', lo') of the turned one.
        m[:3, 8:11], m[:3, 11:14] = -turn, turn
        m[3:6, 8:11], m[3:6, 11:14] = -spread, -spread
        m[6, 8:11], m[6, 11:14] = -translation - slack, translation - slack
    rows = np.empty((tree.augmented.shape[0], 16), dtype=np.float32)
    m = m.astype(np.float32)
    # In chunks small enough for OpenBLAS to stay on one thread: on a loaded 2-core
    # machine its threaded kernel took 2-4 ms instead of 0.2 ms for this product.
    for start in range(0, rows.shape[0], _MATMUL_ROWS):
        stop = start + _MATMUL_ROWS
        np.matmul(tree.augmented[start:stop], m, out=rows[start:stop])
    rows[:, 6] = tree.size
    return rows  # type: ignore[return-value]


def _box_meets_plane(
    lo: FloatArray, hi: FloatArray, plane: FloatArray, slack: float
) -> npt.NDArray[np.bool_]:
    """Whether boxes ``(F, 3)`` reach their planes ``(F, 4)`` (within ``slack``)."""
    reach = np.full(lo.shape[0], slack)
    signed = -plane[:, 3]
    for axis in range(3):
        n = plane[:, axis]
        signed = signed + n * (0.5 * (lo[:, axis] + hi[:, axis]))
        reach = reach + np.abs(n) * (0.5 * (hi[:, axis] - lo[:, axis]))
    return np.asarray(np.abs(signed) <= reach)


def _overlap(first: FloatArray, second: FloatArray) -> tuple[BoolArray, FloatArray]:
    """Fused box test of gathered rows (see :func:`_test_rows`) and the size differences.

    The 16 sign bytes are read as two integers; byte 6 (the size column) is masked out.
    """
    diff = first - second
    words = (diff <= 0.0).view(np.uint64)
    keep = ((words[:, 0] & _MASK_FIRST) == (_ALL_TRUE & _MASK_FIRST)) & (words[:, 1] == _ALL_TRUE)
    return np.asarray(keep), diff[:, 6]


def tree_pairs(
    tree_a: BoxTree, tree_b: BoxTree, rotation: FloatArray, translation: FloatArray, slack: float
) -> tuple[IntArray, IntArray]:
    """Leaf pairs whose boxes overlap in both frames (and reach each other's planes).

    Each tree's boxes are tested natively against the other's boxes turned into its frame
    and boxed again (half extents ``|R| h``): re-boxing loses a flat patch's thinness, the
    other frame keeps it. Of a node pair that overlaps, the larger node is split (the
    smaller when the larger is a leaf) until both are leaves.

    Args:
        tree_a: the first tree, in the common frame.
        tree_b: the second tree, in its own frame.
        rotation: ``(3, 3)`` rotation placing the second tree in the common frame.
        translation: ``(3,)`` its translation.
        slack: distance added to every gap test (so touching counts).

    Returns:
        ``(ia, ib)``: box indices of the candidate pairs (each pair once).
    """
    # float32 rows: products of about 7 rounded terms, then one difference, stay within
    # about 12 ulps (7e-7) of the largest coordinate in either frame, bounded by ``reach``.
    reach = math.sqrt(3.0) * (tree_a.reach + tree_b.reach + float(np.linalg.norm(translation)))
    slack = slack + 2e-6 * reach
    rows_a = _test_rows(tree_a, rotation.T, -(rotation.T @ translation), slack, second=False)
    rows_b = _test_rows(tree_b, rotation, translation, slack, second=True)
    leaves_a, leaves_b = 1 << tree_a.depth, 1 << tree_b.depth
    start_a = np.arange(1 << min(_START_LEVEL, tree_a.depth), 2 << min(_START_LEVEL, tree_a.depth))
    start_b = np.arange(1 << min(_START_LEVEL, tree_b.depth), 2 << min(_START_LEVEL, tree_b.depth))
    ka = start_a.repeat(start_b.size)
    kb = np.broadcast_to(start_b, (start_a.size, start_b.size)).ravel()
    done_a: list[IntArray] = []
    done_b: list[IntArray] = []
    while ka.size:
        keep, larger = _overlap(rows_a.take(ka, axis=0), rows_b.take(kb, axis=0))
        ka, kb, larger = ka[keep], kb[keep], larger[keep]
        leaf_a, leaf_b = ka >= leaves_a, kb >= leaves_b
        done = leaf_a & leaf_b
        if done.any():  # (method calls: numpy's function wrappers cost as much as the work)
            done_a.append(ka[done])
            done_b.append(kb[done])
            live = ~done
            ka, kb, leaf_a, leaf_b = ka[live], kb[live], leaf_a[live], leaf_b[live]
            larger = larger[live]
        split_a = ~leaf_a & (leaf_b | (larger >= 0.0))
        ka = np.where(split_a, 2 * ka, ka)
        kb = np.where(split_a, kb, 2 * kb)
        ka = np.concatenate([ka, ka + split_a])
        kb = np.concatenate([kb, kb + ~split_a])
    if not done_a:
        none = np.zeros(0, dtype=np.int64)
        return none, none
    ka, kb = np.concatenate(done_a) - leaves_a, np.concatenate(done_b) - leaves_b
    planes_a, planes_b = tree_a.leaf_planes, tree_b.leaf_planes
    if planes_a is not None and planes_b is not None:
        # Each leaf box against the other leaf's triangle plane (in the plane's frame).
        turned_b = rows_b.take(kb + leaves_b, axis=0)  # (hi', -lo') in a's frame
        keep = _box_meets_plane(
            -turned_b[:, 3:6], turned_b[:, :3], planes_a.take(ka, axis=0), slack
        )
        turned_a = rows_a.take(ka + leaves_a, axis=0)  # (-hi', lo') in b's frame
        keep &= _box_meets_plane(
            turned_a[:, 11:14], -turned_a[:, 8:11], planes_b.take(kb, axis=0), slack
        )
        ka, kb = ka[keep], kb[keep]
    return tree_a.leaf_item.take(ka), tree_b.leaf_item.take(kb)
