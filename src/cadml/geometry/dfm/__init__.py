"""Manufacturability (DFM) checks of a B-rep part for a manufacturing process.

:func:`check_manufacturability` measures the real geometry (ray-cast wall thickness,
exact face normals, B-rep edge convexity) and reports :class:`Finding` objects, each
with a severity, the face ids and points it concerns, the measured value and limit,
and bilingual (English/Turkish) messages and suggestions. Rules per process:

* **cnc_milling** (3-axis along ±Z): tool access, internal vertical corner radius vs
  tool radius, minimum wall, deep narrow pockets, closed voids.
* **injection_molding**: draft angle against the pull direction, undercuts, uniform
  wall (thickest section vs thinnest wall), minimum wall, closed voids.
* **fdm_printing**, **sla_printing**: overhangs, bridge length, minimum feature size,
  minimum wall, trapped volumes.
* **sheet_metal**: inner bend radius vs thickness, one constant gauge, minimum wall,
  closed voids.

Face ids are 0-based indices in ``TopExp.MapShapes(shape, TopAbs_FACE)`` order. Importing
this package does not import the kernel; the check itself does.

Examples:
    >>> PROCESSES_CHECKED[0], DfmOptions().overhang_limit_deg
    ('cnc_milling', 45.0)
"""

from __future__ import annotations

from cadml.geometry.dfm.check import PROCESSES_CHECKED, check_manufacturability
from cadml.geometry.dfm.options import DEFAULT_MIN_FEATURE_MM, DfmOptions
from cadml.geometry.dfm.report import SEVERITIES, DfmReport, Finding

__all__ = [
    "DEFAULT_MIN_FEATURE_MM",
    "PROCESSES_CHECKED",
    "SEVERITIES",
    "DfmOptions",
    "DfmReport",
    "Finding",
    "check_manufacturability",
]
