"""The design pipeline a geometry worker runs: build, check, mesh, export, measure.

This module imports the kernel at the top; only worker processes import it. Given the
same canonical request and engine, every artefact is byte-identical; the step
durations in ``metrics["durations_ms"]`` are the only values that vary, and they
are never written into an artefact.

OCCT prints progress and translator statistics on stdout; the pipeline removes the
kernel's console printers first, so a worker protocol on stdout stays clean.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import build123d  # noqa: F401  (imported once per worker: it costs seconds)
from OCP.BRepCheck import BRepCheck_Analyzer

from cadml.errors import CadmlError, GeometryError
from cadml.geometry.generators import FamilySpec, get_family
from cadml.geometry.io import EXPORTERS, FORMATS, ExportSource
from cadml.geometry.kernel import engine_fingerprint, silence_kernel_output
from cadml.geometry.mesh import Mesh, tessellate
from cadml.geometry.metrics import compute_metrics, solids_of
from cadml.geometry.results import ArtefactBlob, DesignResult
from cadml.physics.materials import Material, check_process, get_material
from cadml.tolerances import (
    MESH_ANGULAR_DEFLECTION_RAD,
    MESH_LINEAR_DEFLECTION_MM,
    MESH_RELATIVE,
    METRIC_DECIMALS,
)

__all__ = ["DEFAULT_STEP_TIMESTAMP", "STEPS", "Progress", "run_design", "warm_up"]

Progress = Callable[[float, str, str], None]
"""Progress callback: ``(percent 0..100, step name, English message)``."""

DEFAULT_STEP_TIMESTAMP = "2000-01-01T00:00:00"
"""The fixed time stamp written into STEP and FCStd headers unless one is given."""

STEPS: tuple[tuple[str, float], ...] = (
    ("validate", 0.0),
    ("build", 5.0),
    ("check", 30.0),
    ("mesh", 40.0),
    *((f"export_{kind}", 55.0 + 6.0 * i) for i, kind in enumerate(EXPORTERS)),
    ("metrics", 90.0),
)
"""Every step with the progress percentage reported when it starts.

The pipeline stops at 90 %: storing the artefacts and completing the job is the
caller's part, which reports the rest.
"""

_PERCENT = dict(STEPS)

_WARM_UP_REQUEST: Mapping[str, Any] = {
    "family": "prism_with_hole",
    "params": {
        "height": 5.0,
        "hole_diameter": 4.0,
        "length": 10.0,
        "material": "aluminum_6061",
        "process": "cnc_milling",
        "width": 10.0,
    },
}


def _ignore(percent: float, step: str, message: str) -> None:
    """A progress callback that drops every report."""


class _Clock:
    """Times named steps and reports their start to a progress callback."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.durations_ms: dict[str, float] = {}

    @contextmanager
    def step(self, name: str, message: str) -> Iterator[None]:
        self.progress(_PERCENT[name], name, message)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.durations_ms[name] = round((time.perf_counter() - start) * 1000.0, 3)


def _resolve(canonical: Mapping[str, Any]) -> tuple[FamilySpec, Mapping[str, Any], Material]:
    family = get_family(canonical["family"])
    values = canonical["params"]
    material = get_material(values["material"])
    check_process(material, values["process"])
    family.check(values, material)
    return family, values, material


def _build(family: FamilySpec, values: Mapping[str, Any]) -> Any:
    try:
        return family.build(values)
    except CadmlError:
        raise
    except Exception as exc:
        raise GeometryError(
            "FC_BOOLEAN_FAILED", details={"operation": f"{family.name}.build", "reason": str(exc)}
        ) from exc


def _check(shape: Any) -> None:
    if shape is None or shape.IsNull():
        raise GeometryError("FC_GEOM_INVALID_SHAPE", details={"reason": "the shape is empty"})
    if not solids_of(shape):
        raise GeometryError("FC_GEOM_INVALID_SHAPE", details={"reason": "the shape has no solid"})
    if not BRepCheck_Analyzer(shape).IsValid():
        raise GeometryError(
            "FC_GEOM_INVALID_SHAPE", details={"reason": "BRepCheck_Analyzer found defects"}
        )


def _mesh(shape: Any) -> Mesh:
    try:
        return tessellate(shape, MESH_LINEAR_DEFLECTION_MM, MESH_ANGULAR_DEFLECTION_RAD)
    except CadmlError:
        raise
    except Exception as exc:
        raise GeometryError("FC_MESH_FAILED", details={"reason": str(exc)}) from exc


def _export(kind: str, source: ExportSource) -> ArtefactBlob:
    info = FORMATS[kind]
    try:
        data = EXPORTERS[kind](source)
    except Exception as exc:
        raise GeometryError(
            "FC_EXPORT_FAILED", details={"format": kind, "reason": str(exc)}
        ) from exc
    return ArtefactBlob(kind, f"{source.name}.{info.extension}", info.content_type, data)


def _meta(family: FamilySpec, values: Mapping[str, Any]) -> dict[str, str]:
    meta = {"cadml.family": family.name}
    for key in sorted(values):
        value = values[key]
        meta[f"cadml.{key}"] = repr(value) if isinstance(value, float) else str(value)
    return meta


def run_design(
    canonical: Mapping[str, Any],
    progress: Progress | None = None,
    *,
    step_timestamp: str = DEFAULT_STEP_TIMESTAMP,
) -> DesignResult:
    """Make a part from a canonical params request and produce all its artefacts.

    Args:
        canonical: the output of :func:`cadml.designs.canonicalize_params_request`.
            It is checked again (cheaply), so a stale or hand-made request cannot
            reach the kernel unvalidated.
        progress: called with ``(percent, step, message)`` as each step starts
            (percentages from 0 to 90; see :data:`STEPS`).
        step_timestamp: the time stamp written into STEP and FCStd headers.

    Returns:
        The artefacts (kinds ``step``, ``stl``, ``glb``, ``brep``, ``fcstd``, named
        ``<family>.<ext>``), exact metrics with ``durations_ms`` per step (steps
        only, no total: they add up to the run's time), the
        engine fingerprint and the tolerances used.

    Raises:
        ValidationError: if the request breaks a rule.
        GeometryError: ``FC_BOOLEAN_FAILED`` if the part cannot be built,
            ``FC_GEOM_INVALID_SHAPE`` if the result is not a valid solid,
            ``FC_MESH_FAILED`` or ``FC_EXPORT_FAILED`` if a later step fails.
    """
    silence_kernel_output()
    clock = _Clock(progress or _ignore)
    with clock.step("validate", "Checking the parameters"):
        family, values, material = _resolve(canonical)
    with clock.step("build", f"Building {family.name}"):
        shape = _build(family, values)
    with clock.step("check", "Checking the solid"):
        _check(shape)
    with clock.step("mesh", f"Tessellating at {MESH_LINEAR_DEFLECTION_MM} mm"):
        mesh = _mesh(shape)
    source = ExportSource(
        shape=shape,
        mesh=mesh,
        name=family.name,
        color_srgb=material.color_srgb,
        metallic=material.is_metal,
        timestamp=step_timestamp,
        meta=_meta(family, values),
    )
    artefacts = []
    for kind in EXPORTERS:
        with clock.step(f"export_{kind}", f"Writing {kind.upper()}"):
            artefacts.append(_export(kind, source))
    with clock.step("metrics", "Measuring the part"):
        try:
            metrics = compute_metrics(shape, mesh, material.density_kg_m3)
        except Exception as exc:
            raise GeometryError(
                "FC_GEOM_INVALID_SHAPE", details={"reason": f"measuring failed: {exc}"}
            ) from exc
    metrics["material"] = material.id
    metrics["durations_ms"] = dict(clock.durations_ms)
    return DesignResult(
        artefacts=tuple(artefacts),
        metrics=metrics,
        fingerprint=engine_fingerprint(),
        tolerances={
            "mesh_linear_deflection_mm": MESH_LINEAR_DEFLECTION_MM,
            "mesh_angular_deflection_rad": MESH_ANGULAR_DEFLECTION_RAD,
            "mesh_relative": MESH_RELATIVE,
            "metric_decimals": METRIC_DECIMALS,
        },
    )


def warm_up() -> float:
    """Load the kernel and run one tiny design so the first real job is fast.

    Returns:
        The seconds it took.
    """
    start = time.perf_counter()
    silence_kernel_output()
    run_design(_WARM_UP_REQUEST)
    return time.perf_counter() - start
