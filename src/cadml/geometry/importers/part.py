"""The importer's input options and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ImportOptions", "ImportedPart"]


@dataclass(frozen=True)
class ImportOptions:
    """How to read and normalise an uploaded file.

    Args:
        units: the file's length unit (``"mm"``, ``"cm"``, ``"m"``, ``"in"``, ``"ft"``).
            ``None`` takes the unit the file declares, or infers one for formats that
            declare none (STL, OBJ, unitless DXF, BREP) and says so in a warning. A
            given unit *overrides* a unit the file declares (with a warning), so a STEP
            file exported with the wrong unit can still be read at the right size.
        dxf_thickness_mm: DXF only, required there: closed profiles are extruded along
            +Z by this many millimetres (after unit conversion of the profile).
        z_up: turn the part so that its up axis is +Z. Only OBJ is Y-up by convention
            (as is glTF): it is rotated +90° about X, mapping +Y to +Z. Every other
            format is Z-up by convention and is left as it is; the report says which.
        center: translate the part so that the centre of its bounding box lies on the
            Z axis (x = y = 0) and its lowest point on z = 0 ("sits on the build
            plate"). Without it the file's origin is kept.
        heal: repair what can be repaired: for B-rep files sew loose faces, make solids
            of closed shells and run ShapeFix; for meshes merge coincident vertices,
            drop degenerate and duplicate triangles and make the winding consistent.
            With ``heal=False`` a file needing any of that is refused.
    """

    units: str | None = None
    dxf_thickness_mm: float | None = None
    z_up: bool = False
    center: bool = False
    heal: bool = True


@dataclass(frozen=True)
class ImportedPart:
    """A validated, normalised part read from a file.

    Args:
        shape: an OCP ``TopoDS_Shape`` in millimetres: a valid solid, or a compound of
            valid solids. Meshes come out as B-rep solids with one planar face per
            triangle.
        source_format: one of :data:`~cadml.geometry.importers.SUPPORTED_FORMATS`.
        units: the unit the file's numbers were in (``"mm"``, ``"in"``, ...).
        units_source: ``"file"`` (declared in the file), ``"request"`` (from
            :attr:`ImportOptions.units`) or ``"inferred"`` (assumed; a warning says why).
        warnings: one dict per warning: ``code``, ``message_en``, ``message_tr``,
            ``details``; codes from :data:`cadml.error_catalog.upload.WARNING_CODES`.
        report: what was found and done (JSON-ready): counts, healing, mesh cleaning,
            scale factor, normalisation.
        mesh: for mesh formats (STL, OBJ, 3MF), the cleaned triangles of ``shape`` as a
            :class:`cadml.geometry.mesh.Mesh` in mm, wound outward, with deflections
            0.0 (it *is* the solid's surface). STL/GLB export can use it instead of
            re-tessellating one planar face per triangle (2 s for 20k triangles).
            ``None`` for exact formats.
    """

    shape: Any
    source_format: str
    units: str
    units_source: str
    warnings: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    report: dict[str, Any] = field(default_factory=dict)
    mesh: Any = None
