"""Importing customer CAD files: any supported format in, a validated solid in mm out.

:func:`import_cad` reads the bytes of a STEP, IGES, BREP, STL (ASCII or binary),
OBJ, 3MF, DXF or FCStd file and returns an :class:`ImportedPart`: an OCP shape in
millimetres that is a valid solid (or a compound of valid solids), the unit the file
was in and where that came from, bilingual warnings and a report of what was found
and done. Meshes become B-rep solids too (one planar face per triangle), so every
exporter and metric of the pipeline works on every upload.

What each format carries (details in the reader modules):

======  ======================  =========================  ===========================
format  geometry                unit                       reader
======  ======================  =========================  ===========================
step    exact solids / faces    in file (converted by      OCCT ``STEPControl_Reader``
                                OCCT)                      (:mod:`.exchange`)
iges    exact, mostly faces     in file (global section)   OCCT ``IGESControl_Reader``
brep    exact                   none; mm by convention     ``BRepTools`` / ``BinTools``
fcstd   exact (BREP in a zip)   mm (FreeCAD's unit)        zip + XML, no FreeCAD
stl     triangle soup           none: request / inferred   numpy (:mod:`.stl`)
obj     indexed polygons        none: request / inferred   :mod:`.obj`; Y-up
3mf     indexed triangles       in file (``unit``)         zip + ElementTree
dxf     2D curves               ``$INSUNITS`` or none      ezdxf; extruded by request
======  ======================  =========================  ===========================

Units: a requested unit overrides the file's (warning ``UPLOAD_UNITS_OVERRIDDEN``);
without one the file's is used; a file without one gets an inferred unit (warning
``UPLOAD_UNITS_INFERRED``; the heuristic is in :mod:`.units`: below 2 units across is
metres, otherwise millimetres; inches cannot be inferred).

Healing (``heal=True``) sews loose faces, makes solids of closed shells, runs ShapeFix
on invalid solids and, for meshes, merges vertices, drops degenerate and duplicate
triangles and fixes winding. It often cannot help: missing faces, non-manifold
edges, self-intersections and solids ShapeFix cannot repair are refused with their
own codes (see :mod:`.healing` for what was measured).

Placement (``z_up``, ``center``) is documented in :mod:`.placement`.

Errors: problems of the file (empty, unreadable, truncated, open, non-manifold,
self-intersecting, no geometry, units, DXF profiles) raise
:class:`~cadml.errors.ValidationError`; a shape the kernel judges invalid and healing
cannot repair raises :class:`~cadml.errors.GeometryError` ``UPLOAD_INVALID_SOLID``.
Codes, messages (English and Turkish) and HTTP statuses are in
:mod:`cadml.error_catalog.upload`. A pathological file can still crash OCCT itself
(a segmentation fault in the STEP translator was found by fuzzing); that cannot be
caught in-process and surfaces as a crashed worker.

For mesh uploads :attr:`ImportedPart.mesh` carries the cleaned surface in mm, so
STL/GLB export need not re-tessellate one planar face per triangle.

Importing this package does not import the kernel; :func:`import_cad` does.

Examples:
    >>> detect_format("bracket.stl", b"solid b\\n  facet normal 0 0 1\\n")
    'stl'
    >>> ImportOptions(units="in").heal
    True
"""

from cadml.geometry.importers.detect import SUPPORTED_FORMATS, detect_format
from cadml.geometry.importers.importer import MAX_FILE_BYTES, MAX_TRIANGLES, import_cad
from cadml.geometry.importers.part import ImportedPart, ImportOptions

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_TRIANGLES",
    "SUPPORTED_FORMATS",
    "ImportOptions",
    "ImportedPart",
    "detect_format",
    "import_cad",
]
