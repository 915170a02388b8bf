"""Point-in-solid by the generalised winding number of a closed triangle mesh.

A BVH-vs-BVH test sees surfaces only, so a part wholly inside another reads as "no
collision". When two parts' surfaces do not meet, one part is inside the other exactly
when any one of its surface points is inside the other; this module answers that for
one point. The winding number is the sum of the solid angles the triangles subtend at
the point (van Oosterom and Strackee), divided by 4π: 1 inside a closed outward-oriented
mesh, 0 outside, robust to small gaps. Vectorised numpy: about 0.1 ms for 5k triangles.

Examples:
    >>> import numpy as np
    >>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    >>> t = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    >>> bool(point_inside(v[t], np.array([0.1, 0.1, 0.1])))
    True
    >>> bool(point_inside(v[t], np.array([1.0, 1.0, 1.0])))
    False
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["point_inside", "winding_number"]


def winding_number(corners: npt.NDArray[np.float64], point: npt.NDArray[np.float64]) -> float:
    """The generalised winding number of ``point`` with respect to a triangle mesh.

    Args:
        corners: ``(M, 3, 3)`` triangle corners (counter-clockwise seen from outside).
        point: ``(3,)`` query point in the same frame.
    """
    # Imported here: the kernel loads numba, which a process may never need otherwise.
    from cadml.physics.collision.winding import winding_kernel

    p = np.asarray(point, dtype=np.float64).reshape(3)
    data = np.ascontiguousarray(corners, dtype=np.float64)
    return float(winding_kernel(data, float(p[0]), float(p[1]), float(p[2])))


def _winding_numpy(corners: npt.NDArray[np.float64], point: npt.NDArray[np.float64]) -> float:
    """The same in vectorised numpy (the reference the kernel is tested against)."""
    rel = corners - point
    a, b, c = rel[:, 0], rel[:, 1], rel[:, 2]
    la = np.linalg.norm(a, axis=1)
    lb = np.linalg.norm(b, axis=1)
    lc = np.linalg.norm(c, axis=1)
    numerator = np.einsum("ij,ij->i", a, np.cross(b, c))
    denominator = (
        la * lb * lc
        + np.einsum("ij,ij->i", a, b) * lc
        + np.einsum("ij,ij->i", a, c) * lb
        + np.einsum("ij,ij->i", b, c) * la
    )
    return float(np.arctan2(numerator, denominator).sum() / (2.0 * np.pi))


def point_inside(corners: npt.NDArray[np.float64], point: npt.NDArray[np.float64]) -> bool:
    """Whether ``point`` lies inside the closed mesh (winding number ≥ ½)."""
    return winding_number(corners, point) >= 0.5
