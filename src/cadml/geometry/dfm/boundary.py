"""The inscribed width of a face: the diameter of the largest circle inside it.

The face's boundary is taken from its triangulation (edges used by one triangle only;
exact for straight edges, within the deflection for curved ones). The width is twice
the largest distance from one of the face's samples to that boundary, so it is exact
up to the sample spacing. Used for bridge spans (printing) and pocket widths (CNC).

Examples:
    >>> import numpy as np
    >>> square = np.array([[[0.0, 0, 0], [4, 0, 0], [4, 4, 0]],
    ...                    [[0.0, 0, 0], [4, 4, 0], [0, 4, 0]]])
    >>> boundary_segments(square).shape
    (4, 2, 3)
    >>> float(distance_to_segments(np.array([[2.0, 2.0, 0.0]]), boundary_segments(square))[0])
    2.0
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cadml.geometry.dfm.model import PartModel

__all__ = ["boundary_segments", "distance_to_segments", "inscribed_width"]


def boundary_segments(triangles: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``(E, 2, 3)`` edges used by exactly one of the triangles."""
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    keys = np.round(edges, 9) + 0.0
    # Canonical direction: the lexicographically smaller endpoint first.
    a, b = keys[:, 0], keys[:, 1]
    swap = (a[:, 0] > b[:, 0]) | (
        (a[:, 0] == b[:, 0]) & ((a[:, 1] > b[:, 1]) | ((a[:, 1] == b[:, 1]) & (a[:, 2] > b[:, 2])))
    )
    canon = np.where(swap[:, None, None], keys[:, ::-1], keys).reshape(-1, 6)
    _, inverse, counts = np.unique(canon, axis=0, return_inverse=True, return_counts=True)
    once = counts[inverse.reshape(-1)] == 1
    return edges[once]


def distance_to_segments(
    points: npt.NDArray[np.float64], segments: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``(P,)`` distance from each point to the nearest of the segments."""
    a = segments[None, :, 0]
    ab = segments[None, :, 1] - a
    ap = points[:, None, :] - a
    denom = np.maximum((ab * ab).sum(axis=2), 1e-300)
    t = np.clip((ap * ab).sum(axis=2) / denom, 0.0, 1.0)
    closest = a + t[:, :, None] * ab
    return np.sqrt(((points[:, None, :] - closest) ** 2).sum(axis=2)).min(axis=1)


def inscribed_width(model: PartModel, face: int, rows: npt.NDArray[np.int64]) -> tuple[float, int]:
    """Inscribed width of ``face`` over its samples ``rows``, and the sample at its centre.

    Returns:
        ``(width_mm, sample_index)``; ``(0.0, -1)`` if the face has no boundary or no rows.
    """
    segments = boundary_segments(model.triangles[model.triangle_face == face])
    if segments.shape[0] == 0 or rows.size == 0:
        return 0.0, -1
    half = distance_to_segments(model.points[rows], segments)
    best = int(np.lexsort((rows, -half))[0])
    return 2.0 * float(half[best]), int(rows[best])
