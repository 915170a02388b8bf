"""Normalising a part's placement: unit scale, Z-up and centring.

One similarity transform ``p' = s · R · p + t`` is applied to the part, where

* ``s`` converts the file's unit to millimetres;
* ``R`` is the identity, or — with ``z_up`` on a Y-up format (OBJ) — the rotation
  of +90° about X that maps +Y to +Z: ``(x, y, z) → (x, −z, y)``. Z-up formats are
  left alone (STEP, IGES, BREP, FCStd, DXF by their CAD convention, 3MF by its
  specification, STL by 3D-printing convention); guessing an "up" from the shape
  would move parts that were right, so we do not;
* ``t`` is zero, or — with ``center`` — the translation that puts the centre of the
  bounding box on the Z axis and its lowest point on z = 0.

Examples:
    >>> import numpy as np
    >>> rotation(True) @ np.array([0.0, 1.0, 0.0])
    array([0., 0., 1.])
    >>> centring(np.array([0.0, 0.0, 5.0]), np.array([10.0, 4.0, 7.0])).tolist()
    [-5.0, -2.0, -5.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["apply_to_shape", "bounding_box", "centring", "rotation"]

FloatArray = npt.NDArray[np.float64]


def rotation(y_up_to_z_up: bool) -> FloatArray:
    """The ``3 × 3`` rotation of the part: identity, or +90° about X."""
    if not y_up_to_z_up:
        return np.eye(3)
    return np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def centring(low: FloatArray, high: FloatArray) -> FloatArray:
    """The translation putting the box centre on the Z axis and its bottom on z = 0."""
    return np.array([-(low[0] + high[0]) / 2.0, -(low[1] + high[1]) / 2.0, -low[2]]) + 0.0


def bounding_box(shape: Any) -> tuple[FloatArray, FloatArray]:
    """The tight bounding box of an OCP shape (exact geometry, no tolerance)."""
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib

    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape, box, False, False)
    return np.array(box.CornerMin().Coord()), np.array(box.CornerMax().Coord())


def apply_to_shape(shape: Any, scale: float, rot: FloatArray, shift: FloatArray) -> Any:
    """Apply ``p' = scale · rot · p + shift`` to an OCP shape (copying its geometry)."""
    from OCP.BRepBuilderAPI import BRepBuilderAPI_Transform
    from OCP.gp import gp_Trsf

    if scale == 1.0 and np.array_equal(rot, np.eye(3)) and not shift.any():
        return shape
    trsf = gp_Trsf()
    m = rot * scale
    trsf.SetValues(*m[0], float(shift[0]), *m[1], float(shift[1]), *m[2], float(shift[2]))
    return BRepBuilderAPI_Transform(shape, trsf, True).Shape()
