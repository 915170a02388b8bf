"""What every exporter receives: the exact shape, its mesh and the part's identity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cadml.geometry.mesh import Mesh

__all__ = ["ExportSource"]


@dataclass(frozen=True)
class ExportSource:
    """The inputs of one export.

    Args:
        shape: the exact part, an OCP ``TopoDS_Shape`` in mm.
        mesh: its tessellation.
        name: the part's name (STEP product, glTF node, FreeCAD label).
        color_srgb: display colour, sRGB components in 0..1.
        metallic: whether the material is a metal.
        timestamp: fixed time stamp for formats that carry one (STEP, FCStd).
        meta: string pairs recorded where the format has room (FCStd ``Meta``).
    """

    shape: Any
    mesh: Mesh
    name: str
    color_srgb: tuple[float, float, float]
    metallic: bool
    timestamp: str
    meta: Mapping[str, str] = field(default_factory=dict)
