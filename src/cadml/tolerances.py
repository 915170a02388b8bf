"""Tolerances used across the platform, in one place.

Lengths are millimetres (the CAD boundary); angles radians.
"""

from __future__ import annotations

__all__ = [
    "MESH_ANGULAR_DEFLECTION_RAD",
    "MESH_LINEAR_DEFLECTION_MM",
    "MESH_RELATIVE",
    "METRIC_DECIMALS",
]

MESH_LINEAR_DEFLECTION_MM = 0.01
"""Chordal deviation of STL/GLB tessellation from the exact B-rep (absolute, mm)."""

MESH_ANGULAR_DEFLECTION_RAD = 0.1
"""Angular deflection of STL/GLB tessellation."""

MESH_RELATIVE = False
"""Deflections are absolute millimetres, never relative to edge size."""

METRIC_DECIMALS = 6
"""Metric values in JSON are rounded to this many decimals so they compare stably."""
