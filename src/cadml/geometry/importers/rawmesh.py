"""A triangle soup as read from a mesh file, before cleaning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["RawMesh"]


@dataclass(frozen=True, eq=False)
class RawMesh:
    """Triangles as a mesh file gave them, in the file's units.

    Args:
        vertices: ``(N, 3)`` float64 coordinates in file units.
        triangles: ``(M, 3)`` int64 indices into ``vertices``.
        units: the unit the file declares (3MF), or ``None`` (STL, OBJ).
        y_up: whether the format's convention is Y-up (OBJ).
        info: what the reader found (JSON-ready), merged into the import report.
    """

    vertices: npt.NDArray[np.float64]
    triangles: npt.NDArray[np.int64]
    units: str | None = None
    y_up: bool = False
    info: dict[str, object] | None = None
