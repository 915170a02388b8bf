"""The manufacturability check of an existing design, run in a geometry worker.

``POST /api/v1/designs/{id}/check`` re-checks a finished design for another process,
material or set of limits: the worker reads the design's exact BREP artefact and runs
:func:`cadml.geometry.dfm.check_manufacturability` on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cadml.geometry.dfm import DfmOptions, check_manufacturability
from cadml.geometry.io.brep import decode_brep
from cadml.geometry.kernel import silence_kernel_output
from cadml.geometry.pipeline import Clock, Progress, check_shape
from cadml.physics.materials import get_material

__all__ = ["CHECK_STEPS", "run_check"]

CHECK_STEPS: tuple[tuple[str, float], ...] = (("load", 0.0), ("manufacturability", 20.0))
"""The check flow's steps with the percentage reported when each starts."""


def run_check(
    canonical: Mapping[str, Any], brep: bytes, progress: Progress | None = None
) -> dict[str, Any]:
    """Check a design's exact shape for manufacturability.

    Args:
        canonical: ``{"design_job_id", "process", "material", "options"}`` from
            :func:`cadml.designs.check.canonicalize_check_request`.
        brep: the design's BREP artefact.
        progress: called with ``(percent, step, message)`` as each step starts.

    Returns:
        ``{"manufacturability": report, "durations_ms": {...}}``.
    """
    silence_kernel_output()
    clock = Clock(progress, dict(CHECK_STEPS))
    with clock.step("load", "Reading the design's B-rep"):
        shape = decode_brep(brep)
        check_shape(shape)
    material = get_material(canonical["material"])
    options = DfmOptions(**dict(canonical.get("options") or {}))
    with clock.step("manufacturability", f"Checking for {canonical['process']}"):
        report = check_manufacturability(shape, canonical["process"], material, options=options)
    return {"manufacturability": report.to_dict(), "durations_ms": dict(clock.durations_ms)}
