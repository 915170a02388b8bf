"""OCCT's native BREP text format.

We write format version 1 ("CASCADE Topology V1") without triangulation: it is the
version FreeCAD 0.20 (OCCT 7.6) itself writes into ``PartShape.brp``, every OCCT
since 6.x reads it, and leaving the mesh out keeps the bytes independent of whether
the shape was meshed. (OCCT 7.6 also reads V2 and V3; checked with FreeCAD 0.20.2.)
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["BREP_FORMAT_VERSION", "decode_brep", "encode_brep"]

BREP_FORMAT_VERSION = 1
"""The ``TopTools_FormatVersion`` written."""


def encode_brep(shape: Any) -> bytes:
    """Encode ``shape`` as BREP text (format V1, no triangulation).

    Args:
        shape: an OCP ``TopoDS_Shape``.

    Returns:
        The file's bytes (ASCII).
    """
    from OCP.BRepTools import BRepTools
    from OCP.TopTools import TopTools_FormatVersion

    stream = io.BytesIO()
    BRepTools.Write_s(
        shape, stream, False, False, TopTools_FormatVersion.TopTools_FormatVersion_VERSION_1
    )
    return stream.getvalue()


def decode_brep(data: bytes) -> Any:
    """Read BREP text back into a shape.

    Args:
        data: the bytes of a ``.brep`` / ``.brp`` file.

    Returns:
        An OCP ``TopoDS_Shape``; null if the data held no shape.
    """
    from OCP.BRep import BRep_Builder
    from OCP.BRepTools import BRepTools
    from OCP.TopoDS import TopoDS_Shape

    shape = TopoDS_Shape()
    BRepTools.Read_s(shape, io.BytesIO(data), BRep_Builder())
    return shape
