"""Broadphase: pairs of axis-aligned boxes within a gap, by sort and sweep.

Boxes are sorted by their lower x bound; each box is swept against the boxes that start
before its upper x bound plus the gap, and those are tested on y and z in one numpy
step. Cost ``O(n log n + k)`` for ``k`` x-overlaps, no tree to keep, and the output
order is fixed (pairs ``(i, j)`` with ``i < j``, sorted), which keeps reports stable.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["pairs_within"]


def pairs_within(
    bounds: npt.ArrayLike, margins: npt.ArrayLike | float = 0.0
) -> list[tuple[int, int]]:
    """Index pairs of boxes whose gap is at most the sum of their margins on every axis.

    Args:
        bounds: ``(n, 2, 3)`` boxes as (min, max) corners.
        margins: ``(n,)`` per-box inflation (or one value for all); boxes ``i`` and
            ``j`` pair when every axis gap is at most ``margins[i] + margins[j]``.

    Returns:
        Sorted pairs ``(i, j)``, ``i < j``.

    Examples:
        >>> boxes = [[[0, 0, 0], [1, 1, 1]], [[1.5, 0, 0], [2, 1, 1]], [[5, 5, 5], [6, 6, 6]]]
        >>> pairs_within(boxes), pairs_within(boxes, 0.25), pairs_within(boxes, 5.0)
        ([], [(0, 1)], [(0, 1), (0, 2), (1, 2)])
    """
    boxes = np.asarray(bounds, dtype=np.float64).reshape(-1, 2, 3)
    count = boxes.shape[0]
    inflate = np.broadcast_to(np.asarray(margins, dtype=np.float64), (count,))
    lower = boxes[:, 0, :] - inflate[:, None]
    upper = boxes[:, 1, :] + inflate[:, None]
    order = np.argsort(lower[:, 0], kind="stable")
    lower, upper = lower[order], upper[order]
    starts = lower[:, 0]
    found: list[tuple[int, int]] = []
    for rank in range(count):
        end = int(np.searchsorted(starts, upper[rank, 0], side="right"))
        if end <= rank + 1:
            continue
        others = slice(rank + 1, end)
        hit = np.all(
            (lower[others, 1:] <= upper[rank, 1:]) & (upper[others, 1:] >= lower[rank, 1:]),
            axis=1,
        )
        first = int(order[rank])
        for offset in np.flatnonzero(hit):
            second = int(order[rank + 1 + offset])
            found.append((min(first, second), max(first, second)))
    found.sort()
    return found
