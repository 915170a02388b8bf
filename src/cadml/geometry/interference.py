"""Exact interference of two placed B-reps: the volume of their boolean common.

``BRepAlgoAPI_Common`` of the two shapes, each moved by its 4×4 rigid placement (mm),
and the volume of the result summed over its solids with ``BRepGProp`` (a compound's
own volume undercounts nested assemblies). This is the exact answer a mesh
intersection approximates; :func:`common_volume_fn` adapts it to the ``exact`` callable
of :func:`cadml.physics.collision.check_collisions` without this module importing
physics. The kernel is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from cadml.errors import GeometryError

__all__ = ["PlacedPart", "common_volume_fn", "common_volume_mm3", "place_shape"]


class PlacedPart(Protocol):
    """Anything with an ``id`` and a ``(4, 4)`` ``transform_mm`` (a collision part)."""

    @property
    def id(self) -> str: ...

    @property
    def transform_mm(self) -> npt.NDArray[np.float64]: ...


def place_shape(shape: Any, transform_mm: npt.ArrayLike) -> Any:
    """``shape`` moved by a rigid 4×4 placement (rotation + translation in mm).

    The shape is not copied: the result shares its geometry with a new location.
    """
    from OCP.gp import gp_Trsf
    from OCP.TopLoc import TopLoc_Location

    m = np.asarray(transform_mm, dtype=np.float64)
    trsf = gp_Trsf()
    trsf.SetValues(
        m[0, 0], m[0, 1], m[0, 2], m[0, 3],
        m[1, 0], m[1, 1], m[1, 2], m[1, 3],
        m[2, 0], m[2, 1], m[2, 2], m[2, 3],
    )  # fmt: skip
    return shape.Moved(TopLoc_Location(trsf))


def _solid_volume_mm3(shape: Any) -> float:
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    total = 0.0
    explorer = TopExp_Explorer(shape, TopAbs_SOLID)
    while explorer.More():
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(explorer.Current(), props)
        total += props.Mass()
        explorer.Next()
    return total


def common_volume_mm3(
    shape_a: Any,
    transform_a: npt.ArrayLike,
    shape_b: Any,
    transform_b: npt.ArrayLike,
    *,
    names: tuple[str, str] = ("a", "b"),
) -> float:
    """Volume (mm³) of the boolean common of two placed shapes; 0 when they do not overlap.

    Args:
        shape_a: an OCP ``TopoDS_Shape`` (solid or compound of solids) in mm.
        transform_a: its ``(4, 4)`` rigid placement.
        shape_b: the second shape.
        transform_b: its placement.
        names: part names for the error message.

    Raises:
        GeometryError: ``PHYSICS_COLLISION_EXACT_FAILED`` if the boolean fails.

    Examples:
        >>> import numpy as np, build123d as bd
        >>> moved = np.eye(4); moved[:3, 3] = (5, 0, 0)
        >>> box = bd.Box(10, 10, 10).wrapped
        >>> round(common_volume_mm3(box, np.eye(4), box, moved), 9)
        500.0
    """
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Common

    operation = BRepAlgoAPI_Common(
        place_shape(shape_a, transform_a), place_shape(shape_b, transform_b)
    )
    if not operation.IsDone():
        raise GeometryError(
            "PHYSICS_COLLISION_EXACT_FAILED",
            details={"part_a": names[0], "part_b": names[1], "reason": "boolean common failed"},
        )
    return _solid_volume_mm3(operation.Shape())


def common_volume_fn(shapes: Mapping[str, Any]) -> Callable[[PlacedPart, PlacedPart], float]:
    """An ``exact`` callable for the collision check over B-reps named by part id.

    Args:
        shapes: the B-rep of each part id, in the same local frame as its mesh.

    Returns:
        ``fn(part_a, part_b) -> common volume (mm³)`` of the two parts at their placements.
    """

    def exact(part_a: PlacedPart, part_b: PlacedPart) -> float:
        return common_volume_mm3(
            shapes[part_a.id],
            part_a.transform_mm,
            shapes[part_b.id],
            part_b.transform_mm,
            names=(part_a.id, part_b.id),
        )

    return exact
