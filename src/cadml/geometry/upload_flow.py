"""The upload flow a geometry worker runs: import, check, then the shared steps.

The bytes of an uploaded file are read by :mod:`cadml.geometry.importers` (format
confirmed from the content, units from the file, the request or inferred, optional
Z-up, centring and healing), checked like a generated part, then meshed, exported,
drawn, checked for manufacturability and measured by
:func:`cadml.geometry.pipeline.finish_part`. The import report and its warnings go
into the metrics under ``import`` and ``warnings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cadml.designs.upload import part_name
from cadml.errors import GeometryError
from cadml.geometry.importers import ImportOptions, import_cad
from cadml.geometry.kernel import silence_kernel_output
from cadml.geometry.pipeline import (
    DEFAULT_STEP_TIMESTAMP,
    STEPS,
    Clock,
    PartInfo,
    Progress,
    check_shape,
    finish_part,
)
from cadml.geometry.results import DesignResult
from cadml.physics.materials import check_process, get_material

__all__ = ["UPLOAD_STEPS", "run_upload"]

UPLOAD_STEPS: tuple[tuple[str, float], ...] = (
    ("import", 0.0),
    *((name, pct) for name, pct in STEPS if name not in ("validate", "build")),
)
"""The upload flow's steps with the percentage reported when each starts."""


def _options(options: Mapping[str, Any]) -> ImportOptions:
    return ImportOptions(
        units=options.get("units"),
        dxf_thickness_mm=options.get("dxf_thickness_mm"),
        z_up=bool(options.get("z_up", False)),
        center=bool(options.get("center", False)),
        heal=bool(options.get("heal", True)),
    )


def run_upload(
    canonical: Mapping[str, Any],
    data: bytes,
    progress: Progress | None = None,
    *,
    step_timestamp: str = DEFAULT_STEP_TIMESTAMP,
) -> DesignResult:
    """Import an uploaded file and produce the same artefacts as a generated part.

    Args:
        canonical: the output of :func:`cadml.designs.upload.canonicalize_upload_request`.
        data: the file's bytes.
        progress: called with ``(percent, step, message)`` as each step starts.
        step_timestamp: the time stamp written into STEP and FCStd headers.

    Returns:
        What :func:`~cadml.geometry.pipeline.finish_part` returns, named after the
        uploaded file, with ``metrics["import"]`` (format, units and where they came
        from, what healing and normalisation did) and the import's warnings.

    Raises:
        ValidationError: an ``UPLOAD_*`` code for an unreadable, empty, open,
            non-manifold, self-intersecting or otherwise unusable file.
        GeometryError: if a later step fails.
    """
    silence_kernel_output()
    clock = Clock(progress, dict(UPLOAD_STEPS))
    upload = canonical["upload"]
    material = get_material(canonical["material"])
    check_process(material, canonical["process"])
    with clock.step("import", f"Reading {upload['filename']}"):
        imported = import_cad(data, upload["filename"], _options(canonical["options"]))
    with clock.step("check", "Checking the solid"):
        # A mesh-born solid was proved closed, manifold and oriented by the importer's
        # mesh checks; BRepCheck on one planar face per triangle would cost ~140 µs each.
        if imported.mesh is None:
            try:
                check_shape(imported.shape)
            except GeometryError as exc:
                raise GeometryError(
                    "UPLOAD_INVALID_SOLID",
                    details={
                        "format": imported.source_format,
                        "reason": exc.details.get("reason"),
                    },
                ) from exc
    name = part_name(upload["filename"])
    part = PartInfo(
        name=name,
        title=name,
        material=material,
        process=canonical["process"],
        meta={
            "cadml.source": upload["filename"],
            "cadml.source_sha256": upload["sha256"],
            "cadml.units": imported.units,
        },
        extra_metrics={
            "import": {
                "format": imported.source_format,
                "units": imported.units,
                "units_source": imported.units_source,
                "report": imported.report,
            },
            "warnings": list(imported.warnings),
        },
    )
    return finish_part(
        imported.shape, part, clock, step_timestamp=step_timestamp, mesh=imported.mesh
    )
