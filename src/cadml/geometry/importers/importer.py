"""``import_cad``: bytes of any supported CAD file in, a validated part in mm out.

The steps: refuse empty and oversized files; pick the format (extension confirmed
by content, :mod:`~cadml.geometry.importers.detect`); read it with the format's
reader; settle the unit (request, file, or inferred — :mod:`.units`); clean, check and
heal (:mod:`.meshcheck` and :mod:`.meshsolid` for meshes, :mod:`.healing` for exact
shapes, :mod:`.dxf` for drawings); scale to millimetres and normalise placement
(:mod:`.placement`); check the result once more. Every failure is a
:class:`~cadml.errors.ValidationError` or :class:`~cadml.errors.GeometryError` with an
``UPLOAD_*`` code; any unexpected kernel exception becomes ``UPLOAD_CORRUPT_FILE``.
(A kernel that *crashes the process* on a pathological file cannot be caught here;
the worker pool's crash handling covers that.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from cadml.errors import CadmlError, GeometryError, ValidationError
from cadml.geometry.importers import dxf, exchange, meshcheck, meshsolid, placement
from cadml.geometry.importers.detect import resolve_format
from cadml.geometry.importers.healing import heal_exact, is_valid, shapes_of
from cadml.geometry.importers.notices import Notices
from cadml.geometry.importers.obj import read_obj
from cadml.geometry.importers.part import ImportedPart, ImportOptions
from cadml.geometry.importers.rawmesh import RawMesh
from cadml.geometry.importers.stl import read_stl
from cadml.geometry.importers.threemf import read_3mf
from cadml.geometry.importers.units import (
    FACTORS_MM,
    check_request_units,
    infer_units,
    to_mm_factor,
)
from cadml.geometry.mesh import mesh_from_triangulation

__all__ = ["MAX_DXF_THICKNESS_MM", "MAX_FILE_BYTES", "MAX_TRIANGLES", "import_cad"]

MAX_FILE_BYTES = 100 * 1024 * 1024
"""The largest file :func:`import_cad` reads (100 MiB, as the upload API accepts)."""

MAX_TRIANGLES = 200_000
"""The largest mesh turned into a B-rep solid (about 8 s of building at 40 µs each)."""

MAX_DXF_THICKNESS_MM = 10_000.0
"""The thickest DXF extrusion accepted (as the upload request allows)."""

_DECIMALS = 6
_MESH_READERS = {"stl": read_stl, "obj": read_obj, "3mf": read_3mf}
_EXACT_READERS = {
    "step": exchange.read_step,
    "iges": exchange.read_iges,
    "brep": exchange.read_brep,
    "fcstd": exchange.read_fcstd,
}


def _round(value: float) -> float:
    return round(float(value), _DECIMALS) + 0.0


@dataclass(frozen=True)
class _UnitChoice:
    """Which unit the file's numbers are in, and where that came from."""

    units: str
    source: str


def _decide_units(
    fmt: str,
    file_units: str | None,
    requested: str | None,
    notices: Notices,
    extent: float | None,
) -> _UnitChoice:
    """Request over file over inference; ``extent`` ``None`` means "assume mm"."""
    if requested is not None:
        if file_units is not None and file_units != requested:
            notices.add("UPLOAD_UNITS_OVERRIDDEN", file_units=file_units, units=requested)
        return _UnitChoice(requested, "request")
    if file_units is not None:
        return _UnitChoice(file_units, "file")
    if extent is None:
        notices.add(
            "UPLOAD_UNITS_INFERRED",
            units="mm",
            reason=f"{fmt.upper()} carries no unit; OCCT and FreeCAD write millimetres",
        )
        return _UnitChoice("mm", "inferred")
    units, reason = infer_units(extent)
    notices.add("UPLOAD_UNITS_INFERRED", units=units, reason=reason, extent=extent)
    return _UnitChoice(units, "inferred")


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            "UPLOAD_TOO_LARGE",
            details={"field": "file", "size": len(data), "max_bytes": MAX_FILE_BYTES},
        )


def _check_thickness(options: ImportOptions) -> float:
    value = options.dxf_thickness_mm
    if value is None:
        raise ValidationError(
            "UPLOAD_DXF_THICKNESS_REQUIRED", details={"field": "dxf_thickness_mm"}
        )
    if not math.isfinite(value) or not 0.0 < value <= MAX_DXF_THICKNESS_MM:
        raise ValidationError(
            "VALIDATION_RANGE_VIOLATION",
            details={
                "field": "dxf_thickness_mm",
                "value": value,
                "min": 0.0,
                "max": MAX_DXF_THICKNESS_MM,
                "unit": "mm",
            },
        )
    return float(value)


def _import_mesh(
    fmt: str, data: bytes, options: ImportOptions, requested: str | None, notices: Notices
) -> tuple[Any, _UnitChoice, dict[str, Any]]:
    raw: RawMesh = _MESH_READERS[fmt](data)
    report: dict[str, Any] = dict(raw.info or {})
    report["triangles_in"] = len(raw.triangles)
    report["vertices_in"] = len(raw.vertices)
    if len(raw.triangles) == 0:
        raise ValidationError(
            "UPLOAD_NO_GEOMETRY", details={"format": fmt, "reason": "no triangles"}
        )
    if len(raw.triangles) > MAX_TRIANGLES:
        raise ValidationError(
            "UPLOAD_MESH_TOO_LARGE",
            details={
                "format": fmt,
                "triangles": len(raw.triangles),
                "max_triangles": MAX_TRIANGLES,
            },
        )
    cleaned = meshcheck.clean_mesh(raw.vertices, raw.triangles, heal=options.heal)
    if len(cleaned.triangles) == 0:
        raise ValidationError(
            "UPLOAD_NO_GEOMETRY", details={"format": fmt, "reason": "every triangle is degenerate"}
        )
    dropped = cleaned.dropped_degenerate + cleaned.dropped_duplicate
    report.update(
        merged_vertices=cleaned.merged_vertices,
        dropped_degenerate_triangles=cleaned.dropped_degenerate,
        dropped_duplicate_triangles=cleaned.dropped_duplicate,
    )
    # STL repeats every corner, so merging is how it gets topology, not a repair.
    merged_is_repair = fmt != "stl" and cleaned.merged_vertices > 0
    if dropped or merged_is_repair:
        notices.add(
            "UPLOAD_MESH_CLEANED",
            format=fmt,
            merged_vertices=cleaned.merged_vertices if merged_is_repair else 0,
            dropped_triangles=dropped,
        )
    meshcheck.check_topology(cleaned.triangles, fmt)
    wound, _ = meshcheck.orient_consistently(cleaned.triangles, fmt, heal=options.heal)
    parts = meshcheck.components(wound)
    outward, volumes, inverted = [], [], 0
    for part in parts:
        triangles = wound[part]
        volume = meshcheck.signed_volume(cleaned.vertices, triangles)
        if volume < 0:
            triangles, volume, inverted = triangles[:, [0, 2, 1]], -volume, inverted + 1
        outward.append(triangles)
        volumes.append(volume)
    final = np.concatenate(outward)
    original = cleaned.triangles[np.concatenate(parts)]
    flipped = int(
        (np.sort(final, axis=1) == np.sort(original, axis=1)).all(axis=1).sum()
        - (final == original).all(axis=1).sum()
    )
    report["flipped_triangles"] = flipped
    # All flipped is a file wound inside out (counted below), not a winding repair.
    if 0 < flipped < len(final):
        notices.add("UPLOAD_MESH_REORIENTED", flipped=flipped)
    report["components"] = len(parts)
    report["inverted_components"] = inverted
    crossings = meshcheck.count_self_intersections(cleaned.vertices, final)
    if crossings:
        raise ValidationError(
            "UPLOAD_SELF_INTERSECTING", details={"format": fmt, "pairs": crossings}
        )
    extent = float((cleaned.vertices.max(axis=0) - cleaned.vertices.min(axis=0)).max())
    units = _decide_units(fmt, raw.units, requested, notices, extent)
    factor = to_mm_factor(units.units)
    rot = placement.rotation(options.z_up and raw.y_up)
    points = cleaned.vertices @ (rot * factor).T
    shift = np.zeros(3)
    if options.center:
        shift = placement.centring(points.min(axis=0), points.max(axis=0))
        points = points + shift
    parent = meshsolid.nesting(points, outward, volumes)
    report["cavities"] = sum(1 for p in parent if p >= 0)
    report["mesh_volume_mm3"] = _round(
        sum(v * (1 if parent[i] < 0 else -1) for i, v in enumerate(volumes)) * factor**3
    )
    shape = meshsolid.mesh_to_shape(points, outward, parent)
    if len(final) <= meshsolid.BREPCHECK_MAX_TRIANGLES:
        if not is_valid(shape):
            raise GeometryError(
                "UPLOAD_INVALID_SOLID",
                details={"format": fmt, "reason": "the solid built from the mesh is invalid"},
            )
        report["brep_check"] = "passed"
    else:
        report["brep_check"] = (
            f"skipped above {meshsolid.BREPCHECK_MAX_TRIANGLES} triangles: the mesh checks "
            "prove a closed, oriented two-manifold"
        )
    report["triangles"] = len(final)
    surface = [t[:, [0, 2, 1]] if parent[i] >= 0 else t for i, t in enumerate(outward)]
    report["_mesh"] = mesh_from_triangulation(points, np.concatenate(surface), 0.0, 0.0)
    report["z_up"] = _z_up_report(options.z_up, raw.y_up, fmt)
    report["center_shift_mm"] = [_round(v) for v in shift]
    return shape, units, report


def _z_up_report(z_up: bool, y_up: bool, fmt: str) -> dict[str, Any]:
    if not z_up:
        return {"requested": False, "rotated": False}
    if y_up:
        return {
            "requested": True,
            "rotated": True,
            "reason": f"{fmt.upper()} is Y-up: +90° about X",
        }
    return {"requested": True, "rotated": False, "reason": f"{fmt.upper()} is Z-up already"}


def _exact_units(
    fmt: str, read: exchange.ExactRead, requested: str | None, notices: Notices
) -> tuple[_UnitChoice, float]:
    """The unit decision and the extra scale still to apply (readers give mm)."""
    if fmt in ("step", "iges") and read.raw_units is not None and read.units is None:
        if requested is None:
            # OCCT converted the unit it knows and we cannot name: report it as written.
            return _UnitChoice(str(read.raw_units).lower(), "file"), 1.0
        raise ValidationError(
            "UPLOAD_UNITS_UNKNOWN", details={"format": fmt, "unit": read.raw_units}
        )
    if fmt == "brep":
        units = _decide_units(fmt, None, requested, notices, None)
        return units, to_mm_factor(units.units)
    file_units = read.units or "mm"
    units = _decide_units(fmt, file_units, requested, notices, None)
    return units, to_mm_factor(units.units) / to_mm_factor(file_units)


def _import_exact(
    fmt: str, data: bytes, options: ImportOptions, requested: str | None, notices: Notices
) -> tuple[Any, _UnitChoice, dict[str, Any]]:
    read = _EXACT_READERS[fmt](data)
    healed = heal_exact(read.shape, fmt, heal=options.heal)
    if healed.actions:
        notices.add("UPLOAD_SHAPE_HEALED", format=fmt, actions="; ".join(healed.actions))
    units, scale = _exact_units(fmt, read, requested, notices)
    report = dict(read.info)
    report.update(healed.report)
    report["file_unit_name"] = read.raw_units
    shape = _place(healed.shape, scale, options, False, fmt, report)
    return shape, units, report


def _place(
    shape: Any, scale: float, options: ImportOptions, y_up: bool, fmt: str, report: dict[str, Any]
) -> Any:
    rot = placement.rotation(options.z_up and y_up)
    shape = placement.apply_to_shape(shape, scale, rot, np.zeros(3))
    shift = np.zeros(3)
    if options.center:
        shift = placement.centring(*placement.bounding_box(shape))
        shape = placement.apply_to_shape(shape, 1.0, np.eye(3), shift)
    report["z_up"] = _z_up_report(options.z_up, y_up, fmt)
    report["center_shift_mm"] = [_round(v) for v in shift]
    return shape


def _import_dxf(
    data: bytes, options: ImportOptions, requested: str | None, notices: Notices
) -> tuple[Any, _UnitChoice, dict[str, Any]]:
    thickness = _check_thickness(options)
    profiles = dxf.read_dxf_profiles(data)
    if profiles.ignored:
        notices.add(
            "UPLOAD_DXF_ENTITIES_IGNORED",
            count=sum(profiles.ignored.values()),
            reason=", ".join(f"{k} × {v}" for k, v in profiles.ignored.items()),
        )
    units = _decide_units("dxf", profiles.units, requested, notices, profiles.extent)
    factor = to_mm_factor(units.units)
    try:
        plate = dxf.extrude_profiles(profiles, factor, thickness)
    except CadmlError:
        raise
    except Exception as exc:  # any kernel failure on a drawing is a bad drawing
        raise ValidationError(
            "UPLOAD_CORRUPT_FILE",
            details={"format": "dxf", "reason": f"{type(exc).__name__}: {exc}"},
        ) from exc
    healed = heal_exact(plate, "dxf", heal=options.heal)
    report: dict[str, Any] = {
        "dxf_loops": len(profiles.loops),
        "dxf_ignored_entities": dict(profiles.ignored),
        "dxf_thickness_mm": thickness,
        "file_unit_name": f"$INSUNITS={profiles.insunits}",
    }
    report.update(healed.report)
    return _place(healed.shape, 1.0, options, False, "dxf", report), units, report


def _summary(shape: Any, fmt: str, volume_mm3: float | None) -> dict[str, Any]:
    """Counts, volume and box of the result; ``volume_mm3`` if already known exactly."""
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps
    from OCP.TopAbs import TopAbs_FACE, TopAbs_SOLID

    if shape is None or shape.IsNull():
        raise GeometryError(
            "UPLOAD_INVALID_SOLID", details={"format": fmt, "reason": "empty result"}
        )
    solids = shapes_of(shape, TopAbs_SOLID)
    if not solids:
        raise GeometryError("UPLOAD_INVALID_SOLID", details={"format": fmt, "reason": "no solid"})
    volume = volume_mm3
    if volume is None:
        volume = 0.0
        for solid in solids:
            props = GProp_GProps()
            BRepGProp.VolumeProperties_s(solid, props)
            volume += props.Mass()
    low, high = placement.bounding_box(shape)
    return {
        "solids": len(solids),
        "faces": len(shapes_of(shape, TopAbs_FACE)),
        "volume_mm3": _round(volume),
        "bbox_mm": {"min": [_round(v) for v in low], "max": [_round(v) for v in high]},
    }


def import_cad(
    data: bytes, filename: str, options: ImportOptions = ImportOptions()
) -> ImportedPart:
    """Read an uploaded CAD file into a validated solid in millimetres.

    Args:
        data: the file's bytes.
        filename: the client's file name (its extension proposes the format).
        options: units, DXF thickness, normalisation and healing.

    Returns:
        The part: its shape (a valid solid or compound of solids, mm), format, the
        file's unit and where it came from, the warnings and a report.

    Raises:
        ValidationError: ``UPLOAD_EMPTY_FILE``, ``UPLOAD_TOO_LARGE``,
            ``UPLOAD_UNSUPPORTED_FORMAT``, ``UPLOAD_CORRUPT_FILE``,
            ``UPLOAD_TRUNCATED_FILE``, ``UPLOAD_NO_GEOMETRY``, ``UPLOAD_OPEN_SHELL``,
            ``UPLOAD_NON_MANIFOLD``, ``UPLOAD_SELF_INTERSECTING``,
            ``UPLOAD_MESH_TOO_LARGE``, ``UPLOAD_UNITS_INVALID``,
            ``UPLOAD_UNITS_UNKNOWN``, ``UPLOAD_DXF_THICKNESS_REQUIRED``,
            ``UPLOAD_DXF_NO_CLOSED_PROFILE`` or ``VALIDATION_RANGE_VIOLATION`` (a
            non-positive DXF thickness).
        GeometryError: ``UPLOAD_INVALID_SOLID``.
    """
    from cadml.geometry.kernel import silence_kernel_output

    _check_size(data)
    requested = check_request_units(options.units)
    fmt, overruled = resolve_format(filename, data)
    notices = Notices()
    if overruled is not None:
        notices.add("UPLOAD_FORMAT_MISMATCH", extension_format=overruled, format=fmt)
    silence_kernel_output()
    try:
        if fmt in _MESH_READERS:
            shape, units, report = _import_mesh(fmt, data, options, requested, notices)
        elif fmt == "dxf":
            shape, units, report = _import_dxf(data, options, requested, notices)
        else:
            shape, units, report = _import_exact(fmt, data, options, requested, notices)
        summary = _summary(shape, fmt, report.get("mesh_volume_mm3"))
    except CadmlError:
        raise
    except Exception as exc:  # nothing from the kernel escapes without a code
        raise ValidationError(
            "UPLOAD_CORRUPT_FILE", details={"format": fmt, "reason": f"{type(exc).__name__}: {exc}"}
        ) from exc
    mesh = report.pop("_mesh", None)
    report = {
        "format": fmt,
        "units": units.units,
        "units_source": units.source,
        "scale_to_mm": FACTORS_MM.get(units.units),
        **report,
        **summary,
    }
    report["healed"] = bool(report.get("healed")) or any(
        w["code"] in ("UPLOAD_MESH_CLEANED", "UPLOAD_MESH_REORIENTED", "UPLOAD_SHAPE_HEALED")
        for w in notices.as_tuple()
    )
    return ImportedPart(
        shape=shape,
        source_format=fmt,
        units=units.units,
        units_source=units.source,
        warnings=notices.as_tuple(),
        report=report,
        mesh=mesh,
    )
