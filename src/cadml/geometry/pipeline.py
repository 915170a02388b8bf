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
from dataclasses import dataclass, field
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

__all__ = [
    "DEFAULT_STEP_TIMESTAMP",
    "JOB_REPORT_MAX_SAMPLES",
    "STEPS",
    "Clock",
    "PartInfo",
    "Progress",
    "check_shape",
    "finish_part",
    "run_design",
    "warm_up",
]

Progress = Callable[[float, str, str], None]
"""Progress callback: ``(percent 0..100, step name, English message)``."""

DEFAULT_STEP_TIMESTAMP = "2000-01-01T00:00:00"
"""The fixed time stamp written into STEP and FCStd headers unless one is given."""

STEPS: tuple[tuple[str, float], ...] = (
    ("validate", 0.0),
    ("build", 5.0),
    ("check", 25.0),
    ("mesh", 32.0),
    *((f"export_{kind}", 40.0 + 5.0 * i) for i, kind in enumerate(EXPORTERS)),
    ("drawing", 66.0),
    ("manufacturability", 78.0),
    ("metrics", 88.0),
)
"""Every step with the progress percentage reported when it starts.

The pipeline stops at 90 %: storing the artefacts and completing the job is the
caller's part, which reports the rest.
"""

_PERCENT = dict(STEPS)

JOB_REPORT_MAX_SAMPLES = 1000
"""Surface samples of the manufacturability report every job carries.

The report runs after the exports (it re-meshes the shape for its own ray casting).
1,000 samples found the same findings and walls as 6,000 on the family examples at a
fifth of the time (prism 50 ms against 300 ms); ``POST /designs/{id}/check`` uses the
library's full default.
"""

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


class Clock:
    """Times named steps and reports their start to a progress callback.

    Args:
        progress: the callback; ``None`` drops every report.
        percent: the percentage reported when each named step starts.
    """

    def __init__(
        self, progress: Progress | None, percent: Mapping[str, float] | None = None
    ) -> None:
        self.progress = progress or _ignore
        self.percent = dict(_PERCENT if percent is None else percent)
        self.durations_ms: dict[str, float] = {}

    @contextmanager
    def step(self, name: str, message: str) -> Iterator[None]:
        """Report ``name`` as started, run the block and record its duration."""
        self.progress(self.percent[name], name, message)
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


def check_shape(shape: Any) -> None:
    """Raise ``FC_GEOM_INVALID_SHAPE`` unless ``shape`` is a non-empty valid solid."""
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
        What :func:`finish_part` returns, named ``<family>.<ext>``: the artefacts
        (kinds ``step``, ``stl``, ``glb``, ``brep``, ``fcstd``, ``drawing_svg``,
        ``drawing_pdf``), exact metrics with the manufacturability report and
        ``durations_ms`` per step (steps only, no total: they add up to the run's
        time), the engine fingerprint and the tolerances used.

    Raises:
        ValidationError: if the request breaks a rule.
        GeometryError: ``FC_BOOLEAN_FAILED`` if the part cannot be built,
            ``FC_GEOM_INVALID_SHAPE`` if the result is not a valid solid,
            ``FC_MESH_FAILED`` or ``FC_EXPORT_FAILED`` if a later step fails.
    """
    silence_kernel_output()
    clock = Clock(progress)
    with clock.step("validate", "Checking the parameters"):
        family, values, material = _resolve(canonical)
    with clock.step("build", f"Building {family.name}"):
        shape = _build(family, values)
    with clock.step("check", "Checking the solid"):
        check_shape(shape)
    part = PartInfo(
        name=family.name,
        title=family.name.replace("_", " "),
        material=material,
        process=str(values["process"]),
        meta=_meta(family, values),
    )
    return finish_part(shape, part, clock, step_timestamp=step_timestamp)


@dataclass(frozen=True)
class PartInfo:
    """Who a part is, for its artefacts and report.

    Args:
        name: file and product name of the artefacts (``<name>.step``, ...).
        title: the drawing's title.
        material: the resolved material (density, colour, DFM limits).
        process: the manufacturing process its report checks.
        meta: string pairs recorded in the FCStd ``Meta``.
        extra_metrics: merged into the metrics (e.g. an upload's import report).
    """

    name: str
    title: str
    material: Material
    process: str
    meta: Mapping[str, str] = field(default_factory=dict)
    extra_metrics: Mapping[str, Any] = field(default_factory=dict)


def _drawing(shape: Any, part: PartInfo) -> tuple[list[ArtefactBlob], dict[str, Any] | None]:
    """The drawing artefacts, or none and a warning if the drawing could not be made."""
    from cadml.geometry.drawing import SheetInfo, make_drawing

    info = SheetInfo(title=part.title, part_name=part.name, material=part.material.name)
    try:
        drawing = make_drawing(shape, info)
        blobs = [
            ArtefactBlob(
                "drawing_svg", f"{part.name}.drawing.svg", "image/svg+xml", drawing.to_svg()
            ),
            ArtefactBlob(
                "drawing_pdf", f"{part.name}.drawing.pdf", "application/pdf", drawing.to_pdf()
            ),
        ]
    except CadmlError as exc:
        return [], {"code": exc.code, "message_en": exc.message("en"), "details": exc.details}
    return blobs, None


def finish_part(
    shape: Any,
    part: PartInfo,
    clock: Clock,
    *,
    step_timestamp: str = DEFAULT_STEP_TIMESTAMP,
    mesh: Mesh | None = None,
) -> DesignResult:
    """Mesh, export, draw, check and measure a valid part: the steps every flow shares.

    Args:
        shape: a checked, valid OCP shape in mm.
        part: its name, material, process and metadata.
        clock: the flow's clock (reports steps ``mesh`` to ``metrics``).
        step_timestamp: the time stamp written into STEP and FCStd headers.
        mesh: the part's mesh when it already has one (an uploaded STL, OBJ or 3MF is
            its own exact mesh); otherwise the shape is tessellated.

    Returns:
        Artefacts ``step``, ``stl``, ``glb``, ``brep``, ``fcstd``, ``drawing_svg`` and
        ``drawing_pdf``; metrics with the manufacturability report for ``part.process``
        under ``manufacturability``, ``warnings`` (e.g. a drawing that could not be
        made) and ``durations_ms`` per step.

    Raises:
        GeometryError: ``FC_MESH_FAILED``, ``FC_EXPORT_FAILED`` or
            ``FC_GEOM_INVALID_SHAPE`` (measuring failed).
    """
    from cadml.geometry.dfm import DfmOptions, check_manufacturability

    material = part.material
    warnings: list[dict[str, Any]] = list(part.extra_metrics.get("warnings", ()))
    with clock.step("mesh", f"Tessellating at {MESH_LINEAR_DEFLECTION_MM} mm"):
        if mesh is None:
            mesh = _mesh(shape)
    source = ExportSource(
        shape=shape,
        mesh=mesh,
        name=part.name,
        color_srgb=material.color_srgb,
        metallic=material.is_metal,
        timestamp=step_timestamp,
        meta=part.meta,
    )
    artefacts = []
    for kind in EXPORTERS:
        with clock.step(f"export_{kind}", f"Writing {kind.upper()}"):
            artefacts.append(_export(kind, source))
    with clock.step("drawing", "Drawing the views (hidden-line removal)"):
        drawings, warning = _drawing(shape, part)
        artefacts.extend(drawings)
        if warning is not None:
            warnings.append(warning)
    with clock.step("manufacturability", f"Checking manufacturability for {part.process}"):
        report = check_manufacturability(
            shape, part.process, material, options=DfmOptions(max_samples=JOB_REPORT_MAX_SAMPLES)
        ).to_dict()
    with clock.step("metrics", "Measuring the part"):
        try:
            metrics = compute_metrics(shape, mesh, material.density_kg_m3)
        except Exception as exc:
            raise GeometryError(
                "FC_GEOM_INVALID_SHAPE", details={"reason": f"measuring failed: {exc}"}
            ) from exc
    metrics.update({k: v for k, v in part.extra_metrics.items() if k != "warnings"})
    metrics["material"] = material.id
    metrics["process"] = part.process
    metrics["manufacturability"] = report
    metrics["warnings"] = warnings
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
