"""Readers of the exact (B-rep) formats: STEP, IGES, BREP and FCStd.

What each format carries, and what we do with it:

* **STEP** (ISO 10303-21; AP203/AP214/AP242): exact solids or faces, assemblies and
  the length unit of each representation context. ``STEPControl_Reader`` converts
  the geometry to the session unit (millimetres) as it transfers; we read the file's
  unit names (``FileUnits``) only to report them and to rescale when the request
  overrides the unit. Names and colours are dropped, so the text code page
  (``read.step.codepage``, UTF-8 by default) cannot change the geometry; it is left
  at its default. A file without ``END-ISO-10303-21;`` is truncated.
* **IGES** 5.3: trimmed surfaces far more often than solids (which the healing step
  sews). The global section's unit flag gives the unit; ``IGESControl_Reader``
  converts to millimetres. OCCT 8 cannot read IGES from a stream, so the bytes go
  through a private temporary file. A file whose last record is not the terminate section
  (``T`` in column 73) is truncated.
* **BREP**: OCCT's native text (or binary) topology; exact, but with **no unit**.
  OCCT and FreeCAD write millimetres; we assume so and say so in a warning. Text
  BREP ends with the root shape reference (``+1 0``); a file without it is truncated
  (and is refused before OCCT reads it: OCCT spent minutes on some cut files).
* **FCStd**: a zip of ``Document.xml`` and one BREP file per shape property
  (``PartShape.brp``, or binary ``.bin`` from newer FreeCAD). FreeCAD stores
  millimetres. A document holds every intermediate feature of its history; we take
  the shapes of the objects no other object depends on (the tips of the history),
  read without FreeCAD.

The kernel readers usually do not raise on a broken file: they return an empty or
partial shape. Every reader therefore checks status and nullness itself, and every
kernel exception becomes ``UPLOAD_CORRUPT_FILE``.
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cadml.errors import ValidationError
from cadml.geometry.importers.threemf import MAX_UNZIPPED_BYTES

__all__ = [
    "ExactRead",
    "read_brep",
    "read_fcstd",
    "read_iges",
    "read_step",
    "stdout_to_stderr",
    "unit_from_name",
]

_UNIT_NAMES: dict[str, str] = {
    "mm": "mm",
    "millimetre": "mm",
    "millimeter": "mm",
    "cm": "cm",
    "centimetre": "cm",
    "centimeter": "cm",
    "m": "m",
    "metre": "m",
    "meter": "m",
    "micrometre": "um",
    "micrometer": "um",
    "micron": "um",
    "um": "um",
    "inch": "in",
    "in": "in",
    "foot": "ft",
    "ft": "ft",
    "mil": "mil",
    "yard": "yd",
    "yd": "yd",
    "microinch": "uin",
    "uin": "uin",
}

# BREP text ends with the root shape: orientation and TShape index, e.g. "+1 0".
_BREP_END = re.compile(rb"\n[+-]\d+ \d+[ \t\r]*\n?\s*$")

# IGES global section, parameter 14 (unit flag).
_IGES_UNIT_FLAGS = {
    1: "in",
    2: "mm",
    4: "ft",
    5: "mi",
    6: "m",
    7: "km",
    8: "mil",
    9: "um",
    10: "cm",
    11: "uin",
}


@dataclass(frozen=True)
class ExactRead:
    """A shape read from an exact format, already in millimetres.

    Args:
        shape: the OCP shape (may still need healing).
        units: the unit the file declared (our code, e.g. ``"in"``), or ``None``.
        raw_units: the unit as the file names it, for the report.
        info: what the reader found (JSON-ready).
    """

    shape: Any
    units: str | None
    raw_units: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


def unit_from_name(name: str) -> str | None:
    """Our unit code for a unit name found in a file, or ``None``.

    Examples:
        >>> unit_from_name("INCH"), unit_from_name("millimetre"), unit_from_name("parsec")
        ('in', 'mm', None)
    """
    return _UNIT_NAMES.get(name.strip().strip("'").lower())


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 to stderr for the block.

    OCCT's BREP and STEP readers write complaints about broken input ("Not a Curve
    table") straight to ``std::cout``, past the messenger that
    :func:`~cadml.geometry.kernel.silence_kernel_output` silences; a worker speaking
    a protocol on stdout must not see them. Process-wide, like the descriptor itself.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _corrupt(fmt: str, reason: str) -> ValidationError:
    return ValidationError("UPLOAD_CORRUPT_FILE", details={"format": fmt, "reason": reason})


def _truncated(fmt: str, reason: str) -> ValidationError:
    return ValidationError("UPLOAD_TRUNCATED_FILE", details={"format": fmt, "reason": reason})


def _read(reader: Any, fmt: str, data: bytes) -> Any:
    if fmt == "step":
        return reader.ReadStream("upload.step", io.BytesIO(data))
    # OCCT 8's IGES reader fails on streams (RetFail on valid files); it reads files.
    with tempfile.TemporaryDirectory(prefix="cadml-iges-") as folder:
        path = os.path.join(folder, "upload.igs")
        with open(path, "wb") as handle:
            handle.write(data)
        return reader.ReadFile(path)


def _transfer(reader: Any, fmt: str, data: bytes) -> Any:
    from OCP.IFSelect import IFSelect_ReturnStatus

    try:
        with stdout_to_stderr():
            status = _read(reader, fmt, data)
    except Exception as exc:  # any kernel failure reading is a corrupt file
        raise _corrupt(fmt, f"{type(exc).__name__}: {exc}") from exc
    if status != IFSelect_ReturnStatus.IFSelect_RetDone:
        raise _corrupt(fmt, f"the reader stopped with status {status.name}")
    try:
        with stdout_to_stderr():
            roots = reader.TransferRoots()
            shape = reader.OneShape()
    except Exception as exc:  # any kernel failure transferring is a corrupt file
        raise _corrupt(fmt, f"transfer failed: {type(exc).__name__}: {exc}") from exc
    if roots == 0 or shape is None or shape.IsNull():
        raise ValidationError(
            "UPLOAD_NO_GEOMETRY",
            details={"format": fmt, "reason": "no entity could be transferred to a shape"},
        )
    return shape


def read_step(data: bytes) -> ExactRead:
    """Read a STEP file into a shape in millimetres.

    Raises:
        ValidationError: ``UPLOAD_TRUNCATED_FILE``, ``UPLOAD_CORRUPT_FILE`` or
            ``UPLOAD_NO_GEOMETRY``.
    """
    from OCP.collections import Sequence_TCollection_AsciiString as Names
    from OCP.STEPControl import STEPControl_Controller, STEPControl_Reader

    if b"END-ISO-10303-21" not in data[-2048:]:
        raise _truncated("step", "'END-ISO-10303-21;' is missing at the end")
    STEPControl_Controller.Init_s()
    reader = STEPControl_Reader()
    shape = _transfer(reader, "step", data)
    lengths, angles, solid_angles = Names(), Names(), Names()
    try:
        reader.FileUnits(lengths, angles, solid_angles)
        names = [lengths.Value(i).ToCString() for i in range(1, lengths.Length() + 1)]
    except Exception:  # units are informative; OCCT already converted
        names = []
    distinct = sorted(set(names))
    units = unit_from_name(names[0]) if names else None
    info: dict[str, Any] = {"step_length_units": distinct}
    if len(distinct) > 1:
        info["step_mixed_units"] = True
    return ExactRead(shape, units, names[0] if names else None, info)


def read_iges(data: bytes) -> ExactRead:
    """Read an IGES file into a shape in millimetres.

    Raises:
        ValidationError: ``UPLOAD_TRUNCATED_FILE``, ``UPLOAD_CORRUPT_FILE`` or
            ``UPLOAD_NO_GEOMETRY``.
    """
    from OCP.IGESControl import IGESControl_Controller, IGESControl_Reader

    records = [r for r in data.replace(b"\r", b"").split(b"\n") if r.strip()]
    if not records or records[-1][72:73] != b"T":
        raise _truncated("iges", "the terminate section (T) is missing at the end")
    IGESControl_Controller.Init_s()
    reader = IGESControl_Reader()
    shape = _transfer(reader, "iges", data)
    units, raw = None, None
    try:
        section = reader.IGESModel().GlobalSection()
        flag = int(section.UnitFlag())
        raw = section.UnitName().ToCString() if section.UnitName() else str(flag)
        units = _IGES_UNIT_FLAGS.get(flag) or unit_from_name(raw)
    except Exception:  # units are informative; OCCT already converted
        pass
    return ExactRead(shape, units, raw, {"iges_unit_name": raw})


def _decode(data: bytes, fmt: str) -> Any:
    from OCP.BinTools import BinTools
    from OCP.BRep import BRep_Builder
    from OCP.BRepTools import BRepTools
    from OCP.TopoDS import TopoDS_Shape

    if not data.startswith(b"Open CASCADE Topology V") and not _BREP_END.search(data[-256:]):
        # OCCT loops for minutes on some cut BREP text: refuse it before reading.
        raise _truncated(fmt, "the final shape reference ('+n m') is missing at the end")
    shape = TopoDS_Shape()
    try:
        with stdout_to_stderr():
            if data.startswith(b"Open CASCADE Topology V"):
                BinTools.Read_s(shape, io.BytesIO(data))
            else:
                BRepTools.Read_s(shape, io.BytesIO(data), BRep_Builder())
    except Exception as exc:  # any kernel failure decoding is a corrupt file
        raise _corrupt(fmt, f"{type(exc).__name__}: {exc}") from exc
    if shape.IsNull():
        raise _corrupt(fmt, "no shape could be read")
    return shape


def read_brep(data: bytes) -> ExactRead:
    """Read an OCCT BREP (text or binary) file; its numbers are taken as millimetres.

    Raises:
        ValidationError: ``UPLOAD_CORRUPT_FILE``.
    """
    return ExactRead(_decode(data, "brep"), None, None, {})


def _shape_files(document: ET.Element) -> list[tuple[str, str]]:
    """(object name, shape file) for the tip objects of a FreeCAD document."""
    objects = document.find("Objects")
    depended_on: set[str] = set()
    if objects is not None:
        for deps in objects.findall("ObjectDeps"):
            depended_on.update(str(d.get("Name")) for d in deps.findall("Dep"))
    found = []
    data = document.find("ObjectData")
    for obj in data.findall("Object") if data is not None else []:
        name = str(obj.get("name"))
        if name in depended_on:
            continue
        for prop in obj.iter("Property"):
            if prop.get("type") == "Part::PropertyPartShape" and prop.get("name") == "Shape":
                part = prop.find("Part")
                if part is not None and part.get("file"):
                    found.append((name, str(part.get("file"))))
    return found


def read_fcstd(data: bytes) -> ExactRead:
    """Read the final shapes of a FreeCAD document without FreeCAD.

    Raises:
        ValidationError: ``UPLOAD_CORRUPT_FILE``, ``UPLOAD_TOO_LARGE`` (unpacked
            size) or ``UPLOAD_NO_GEOMETRY`` (no shape in the document).
    """
    from OCP.BRep import BRep_Builder
    from OCP.TopoDS import TopoDS_Compound

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNZIPPED_BYTES:
                raise ValidationError(
                    "UPLOAD_TOO_LARGE",
                    details={"field": "file", "size": unpacked, "max_bytes": MAX_UNZIPPED_BYTES},
                )
            document = ET.fromstring(archive.read("Document.xml"))
            files = _shape_files(document)
            blobs = [
                (name, archive.read(path)) for name, path in files if path in archive.namelist()
            ]
    except ValidationError:
        raise
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, ValueError) as exc:
        raise _corrupt("fcstd", f"{type(exc).__name__}: {exc}") from exc
    shapes = [(name, _decode(blob, "fcstd")) for name, blob in blobs if blob.strip()]
    if not shapes:
        raise ValidationError(
            "UPLOAD_NO_GEOMETRY",
            details={"format": "fcstd", "reason": "the document holds no shape"},
        )
    info = {"fcstd_objects": [name for name, _ in shapes]}
    if len(shapes) == 1:
        return ExactRead(shapes[0][1], "mm", "mm", info)
    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    for _, shape in shapes:
        builder.Add(compound, shape)
    return ExactRead(compound, "mm", "mm", info)
