"""The entry point: check one part for one process and material.

Which rules run for which process:

================== ==============================================================
process            rules (rule-id suffixes)
================== ==============================================================
cnc_milling        trapped_volume, tool_access, internal_corner_radius, min_wall,
                   deep_pocket
injection_molding  trapped_volume, draft_angle, undercut, min_wall, wall_uniformity
fdm_printing       trapped_volume, overhang, bridge_length, min_feature, min_wall
sla_printing       trapped_volume, overhang, bridge_length, min_feature, min_wall
sheet_metal        trapped_volume, min_wall, bend_radius, uniform_thickness
================== ==============================================================
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError
from cadml.geometry.dfm.access import check_tool_access, check_undercuts
from cadml.geometry.dfm.context import CheckContext
from cadml.geometry.dfm.milling import check_deep_pockets, check_internal_corners
from cadml.geometry.dfm.model import build_model
from cadml.geometry.dfm.molding import check_draft
from cadml.geometry.dfm.options import DfmOptions, unit_vector, validate_options
from cadml.geometry.dfm.printing import check_bridges, check_overhangs
from cadml.geometry.dfm.report import DfmReport, Finding
from cadml.geometry.dfm.sheet import check_bends, check_gauge
from cadml.geometry.dfm.texts import PROCESS_PREFIX
from cadml.geometry.dfm.voids import check_trapped_volumes
from cadml.geometry.dfm.walls import (
    check_min_feature,
    check_min_wall,
    check_wall_uniformity,
    wall_stats,
)

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = ["PROCESSES_CHECKED", "check_manufacturability"]

PROCESSES_CHECKED: tuple[str, ...] = tuple(PROCESS_PREFIX)
"""Process ids the checks know (the ids of :data:`cadml.physics.materials.PROCESSES`)."""

_MIN_DEFLECTION_MM = 0.01
_MAX_DEFLECTION_MM = 0.5
_DEFLECTION_FRACTION = 1e-3

Rule = Callable[[CheckContext], list[Finding]]


def _rules(process: str, options: DfmOptions) -> list[tuple[str, Rule]]:
    pull = unit_vector(options.pull_direction, "pull_direction")
    if process == "cnc_milling":
        return [
            ("trapped_volume", check_trapped_volumes),
            ("tool_access", check_tool_access),
            ("internal_corner_radius", check_internal_corners),
            ("min_wall", check_min_wall),
            ("deep_pocket", check_deep_pockets),
        ]
    if process == "injection_molding":
        return [
            ("trapped_volume", check_trapped_volumes),
            ("draft_angle", check_draft),
            ("undercut", lambda ctx: check_undercuts(ctx, pull)),
            ("min_wall", check_min_wall),
            ("wall_uniformity", check_wall_uniformity),
        ]
    if process in ("fdm_printing", "sla_printing"):
        return [
            ("trapped_volume", check_trapped_volumes),
            ("overhang", check_overhangs),
            ("bridge_length", check_bridges),
            ("min_feature", check_min_feature),
            ("min_wall", lambda ctx: check_min_wall(ctx, "warning")),
        ]
    return [
        ("trapped_volume", check_trapped_volumes),
        ("min_wall", check_min_wall),
        ("bend_radius", check_bends),
        ("uniform_thickness", check_gauge),
    ]


def _solid_count(shape: Any) -> int:
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    count = 0
    explorer = TopExp_Explorer(shape, TopAbs_SOLID)
    while explorer.More():
        count += 1
        explorer.Next()
    return count


def _diagonal_mm(shape: Any) -> float:
    from OCP.Bnd import Bnd_Box
    from OCP.BRepBndLib import BRepBndLib

    box = Bnd_Box()
    BRepBndLib.Add_s(shape, box, False)
    if box.IsVoid():
        return 0.0
    return float(box.CornerMin().Distance(box.CornerMax()))


def _check_shape(shape: Any) -> float:
    from OCP.TopoDS import TopoDS_Shape

    if not isinstance(shape, TopoDS_Shape) or shape.IsNull():
        raise ValidationError(
            "DFM_INVALID_SHAPE",
            details={"field": "shape", "reason": "expected a non-null OCP TopoDS_Shape"},
        )
    if _solid_count(shape) == 0:
        raise ValidationError(
            "DFM_INVALID_SHAPE", details={"field": "shape", "reason": "the shape has no solid"}
        )
    diagonal = _diagonal_mm(shape)
    if diagonal <= 0.0:
        raise ValidationError(
            "DFM_INVALID_SHAPE", details={"field": "shape", "reason": "the shape is empty"}
        )
    return diagonal


def check_manufacturability(
    shape: Any,
    process: str,
    material: Material,
    *,
    options: DfmOptions | None = None,
) -> DfmReport:
    """Check a part against the design rules of a manufacturing process.

    Replaces any triangulation cached on ``shape`` (it is re-meshed at a known
    deflection). Imports the kernel; call it in a geometry worker.

    Args:
        shape: an OCP ``TopoDS_Shape`` with at least one solid, in mm.
        process: a process id from :data:`PROCESSES_CHECKED`.
        material: the part's material (its ``id``, ``min_wall_mm`` and ``processes``
            are read).
        options: limits and sampling; ``None`` uses the defaults.

    Returns:
        The report: findings sorted deterministically, ``ok`` unless an error was found.

    Raises:
        ValidationError: ``DFM_UNKNOWN_PROCESS`` for a process not checked,
            ``DFM_INVALID_OPTION`` for a bad option, ``DFM_MATERIAL_PROCESS_CONFLICT``
            if the material is not offered for the process, ``DFM_INVALID_SHAPE`` if
            the shape has no solid or cannot be meshed.
    """
    if process not in PROCESSES_CHECKED:
        raise ValidationError(
            "DFM_UNKNOWN_PROCESS",
            details={
                "field": "process",
                "process": process,
                "allowed": ", ".join(PROCESSES_CHECKED),
            },
        )
    options = options if options is not None else DfmOptions()
    validate_options(options)
    if process not in material.processes:
        raise ValidationError(
            "DFM_MATERIAL_PROCESS_CONFLICT",
            details={
                "field": "material",
                "material": material.id,
                "process": process,
                "allowed": ", ".join(material.processes),
            },
        )
    timings: dict[str, float] = {}
    start = time.perf_counter()
    diagonal = _check_shape(shape)
    deflection = options.mesh_deflection_mm
    if deflection is None:
        deflection = min(
            _MAX_DEFLECTION_MM, max(_MIN_DEFLECTION_MM, _DEFLECTION_FRACTION * diagonal)
        )
    model = build_model(shape, deflection, options.sample_spacing_mm, options.max_samples)
    timings["model"] = time.perf_counter() - start
    min_wall = (
        float(options.min_wall_mm) if options.min_wall_mm is not None else material.min_wall_mm
    )
    ctx = CheckContext(
        model=model,
        process=process,
        prefix=PROCESS_PREFIX[process],
        material_id=material.id,
        min_wall_mm=min_wall,
        options=options,
    )
    findings: list[Finding] = []
    for name, rule in _rules(process, options):
        begin = time.perf_counter()
        findings.extend(rule(ctx))
        timings[name] = time.perf_counter() - begin
    begin = time.perf_counter()
    wall_stats(ctx)
    timings["wall_stats"] = time.perf_counter() - begin
    timings["total"] = time.perf_counter() - start
    ctx.stats.update(
        {
            "faces_checked": model.face_count,
            "samples": int(model.points.shape[0]),
            "triangles": int(model.triangles.shape[0]),
            "mesh_deflection_mm": model.deflection_mm,
            "sample_spacing_mm": model.spacing_mm,
            "min_wall_limit_mm": min_wall,
        }
    )
    return DfmReport(
        process=process,
        material=material.id,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        stats=dict(ctx.stats),
        timings_s=timings,
    )
