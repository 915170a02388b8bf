"""The compiled winding-number kernel behind :mod:`.containment`.

One loop over the triangles (van Oosterom and Strackee's solid angle per triangle) in a
numba kernel (:mod:`.kernels`): about 40 µs for 5k triangles where the vectorised numpy
version took about 1.2 ms (it builds a dozen temporary arrays). Kept in its own module so
that importing :mod:`.containment` does not load numba; the first containment test of a
process does.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from cadml.physics.collision.kernels import kernel

__all__ = ["winding_kernel"]


@kernel
def winding_kernel(
    corners: npt.NDArray[np.float64], px: float, py: float, pz: float
) -> float:  # pragma: no cover - compiled
    """Generalised winding number of ``(px, py, pz)`` for ``(M, 3, 3)`` triangle corners."""
    total = 0.0
    for t in range(corners.shape[0]):
        ax, ay, az = corners[t, 0, 0] - px, corners[t, 0, 1] - py, corners[t, 0, 2] - pz
        bx, by, bz = corners[t, 1, 0] - px, corners[t, 1, 1] - py, corners[t, 1, 2] - pz
        cx, cy, cz = corners[t, 2, 0] - px, corners[t, 2, 1] - py, corners[t, 2, 2] - pz
        la = math.sqrt(ax * ax + ay * ay + az * az)
        lb = math.sqrt(bx * bx + by * by + bz * bz)
        lc = math.sqrt(cx * cx + cy * cy + cz * cz)
        numerator = ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx)
        denominator = (
            la * lb * lc
            + (ax * bx + ay * by + az * bz) * lc
            + (ax * cx + ay * cy + az * cz) * lb
            + (bx * cx + by * cy + bz * cz) * la
        )
        total += math.atan2(numerator, denominator)
    return total / (2.0 * math.pi)
