"""Dropping the parts of hidden lines that lie on visible lines.

Hidden-line removal reports, e.g., the back edges of a box as hidden although they
project exactly onto the visible front edges. Drafting practice draws only the visible
line there, so the hidden polylines are cut where they run along a visible one.

Each hidden polyline is resampled at ``step`` (every original vertex kept) and a
sub-segment is dropped when its midpoint lies within ``tolerance`` of a visible segment
that runs nearly parallel to it (within 20°). Crossing lines therefore leave hidden
lines intact, and two discretisations of the same circle (which differ by at most
twice the deflection) are recognised as the same line. Surviving runs keep the
original vertices plus their cut points. Pure numpy.

Examples:
    >>> import numpy as np
    >>> visible = [np.array([[0.0, 0.0], [10.0, 0.0]])]
    >>> hidden = [np.array([[5.0, 0.0], [15.0, 0.0]]), np.array([[0.0, 1.0], [10.0, 1.0]])]
    >>> [p.tolist() for p in drop_covered(hidden, visible, tolerance=0.01, step=0.5)]
    [[[10.0, 0.0], [15.0, 0.0]], [[0.0, 1.0], [10.0, 1.0]]]
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["drop_covered"]

Array = npt.NDArray[np.float64]

_MAX_SIN_ANGLE = math.sin(math.radians(20.0))
_BATCH = 64  # consecutive sub-segments compared with the visible segments at once


def _resample(points: Array, step: float) -> tuple[Array, npt.NDArray[np.bool_]]:
    """Points every ``step`` or less along the polyline, and which are its vertices."""
    lengths = np.hypot(*(points[1:] - points[:-1]).T)
    pieces = np.maximum(1, np.ceil(lengths / step)).astype(np.int64)
    owner = np.repeat(np.arange(len(pieces)), pieces)
    offsets = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces) + 1
    t = (offsets / pieces[owner])[:, None]
    inner = points[owner] + (points[owner + 1] - points[owner]) * t
    resampled = np.concatenate([points[:1], inner])
    is_vertex = np.concatenate([[True], offsets == pieces[owner]])
    return resampled, is_vertex


def _covered(
    a: Array, b: Array, seg_a: Array, seg_b: Array, tolerance: float
) -> npt.NDArray[np.bool_]:
    """Which sub-segments ``a[i]->b[i]`` run along some visible segment.

    Consecutive sub-segments are close together, so each batch of them is compared
    only with the visible segments near the batch's bounding box.
    """
    mid = (a + b) / 2.0
    direction = b - a
    length = np.hypot(direction[:, 0], direction[:, 1])
    d_all = seg_b - seg_a
    keep = np.einsum("ij,ij->i", d_all, d_all) > 0.0
    seg_a, seg_b, d_all = seg_a[keep], seg_b[keep], d_all[keep]
    seg_lo, seg_hi = np.minimum(seg_a, seg_b), np.maximum(seg_a, seg_b)
    result = np.zeros(len(mid), dtype=bool)
    for start in range(0, len(mid), _BATCH):
        m = mid[start : start + _BATCH]
        lo, hi = m.min(axis=0) - tolerance, m.max(axis=0) + tolerance
        near = np.all((seg_lo <= hi) & (seg_hi >= lo), axis=1)
        if not near.any():
            continue
        sa, d = seg_a[near], d_all[near]
        d_len2 = np.einsum("ij,ij->i", d, d)
        rel = m[:, None, :] - sa[None, :, :]
        t = np.clip(np.einsum("kmj,mj->km", rel, d) / d_len2[None, :], 0.0, 1.0)
        offset = rel - t[..., None] * d[None, :, :]
        dist = np.hypot(offset[..., 0], offset[..., 1])
        sub = direction[start : start + _BATCH]
        cross = np.abs(sub[:, None, 0] * d[None, :, 1] - sub[:, None, 1] * d[None, :, 0])
        scale = length[start : start + _BATCH, None] * np.sqrt(d_len2)[None, :]
        parallel = cross <= _MAX_SIN_ANGLE * scale
        result[start : start + _BATCH] = np.any((dist <= tolerance) & parallel, axis=1)
    return result


def drop_covered(
    hidden: list[Array], visible: list[Array], *, tolerance: float, step: float
) -> list[Array]:
    """The hidden polylines without their parts that run along visible ones.

    Args:
        hidden: ``(n, 2)`` polylines.
        visible: ``(n, 2)`` polylines.
        tolerance: how close (same unit as the points) counts as "on" a visible line.
        step: resampling length; cuts are placed to within this.

    Returns:
        The surviving pieces, each ``(n, 2)`` with ``n >= 2``, in input order.
    """
    if visible:
        seg_a = np.concatenate([v[:-1] for v in visible])
        seg_b = np.concatenate([v[1:] for v in visible])
    else:
        seg_a = seg_b = np.zeros((0, 2))
    pieces: list[Array] = []
    for line in hidden:
        lo, hi = line.min(axis=0) - tolerance, line.max(axis=0) + tolerance
        near = np.all((np.minimum(seg_a, seg_b) <= hi) & (np.maximum(seg_a, seg_b) >= lo), axis=1)
        if len(line) == 2:
            # A straight hidden line can only run along nearly parallel visible segments.
            d, v = line[1] - line[0], seg_b - seg_a
            cross = np.abs(d[0] * v[:, 1] - d[1] * v[:, 0])
            near &= cross <= _MAX_SIN_ANGLE * float(np.hypot(*d)) * np.hypot(v[:, 0], v[:, 1])
        points, is_vertex = _resample(line, step)
        covered = _covered(points[:-1], points[1:], seg_a[near], seg_b[near], tolerance)
        # Runs of uncovered sub-segments [start, end) become polylines start..end.
        edges = np.diff(np.concatenate([[1], covered.astype(np.int8), [1]]))
        for start, end in zip(np.flatnonzero(edges == -1), np.flatnonzero(edges == 1), strict=True):
            # Keep the original vertices and the two cut points.
            keep = is_vertex[start : end + 1].copy()
            keep[0] = keep[-1] = True
            pieces.append(points[start : end + 1][keep])
    return pieces
