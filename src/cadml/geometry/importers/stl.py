"""STL reader (binary and ASCII) into a triangle soup.

STL holds independent triangles (three corners each, no shared vertices) with a
facet normal that we ignore (many writers get it wrong; the winding is what counts).
It carries **no unit**, no colour we use, and no topology: vertices are merged by the
cleaner (:mod:`~cadml.geometry.importers.meshcheck`).

* Binary: an 80-byte header (which may itself begin with ``solid``), a little-endian
  ``uint32`` triangle count and 50 bytes per triangle. A file shorter than the count
  announces is truncated; longer is corrupt.
* ASCII: ``solid name`` ... ``facet normal`` / ``outer loop`` / three ``vertex x y z``
  / ``endloop`` / ``endfacet`` ... ``endsolid``; several solids may follow each other.
  A file without ``endsolid`` is truncated.
"""

from __future__ import annotations

import re
import struct

import numpy as np

from cadml.errors import ValidationError
from cadml.geometry.importers.rawmesh import RawMesh

__all__ = ["read_stl"]

_VERTEX = re.compile(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)")
_TRIANGLE = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attr", "<u2")])


def _corrupt(reason: str) -> ValidationError:
    return ValidationError("UPLOAD_CORRUPT_FILE", details={"format": "stl", "reason": reason})


def _truncated(reason: str) -> ValidationError:
    return ValidationError("UPLOAD_TRUNCATED_FILE", details={"format": "stl", "reason": reason})


def _soup(corners: np.ndarray) -> RawMesh:
    vertices = np.ascontiguousarray(corners, dtype=np.float64).reshape(-1, 3)
    if not np.isfinite(vertices).all():
        raise _corrupt("a vertex coordinate is not a finite number")
    triangles = np.arange(vertices.shape[0], dtype=np.int64).reshape(-1, 3)
    return RawMesh(vertices, triangles)


def _read_binary(data: bytes) -> RawMesh:
    (count,) = struct.unpack_from("<I", data, 80)
    expected = 84 + 50 * count
    if len(data) < expected:
        raise _truncated(
            f"the header announces {count} triangles ({expected} bytes), got {len(data)}"
        )
    if len(data) > expected:
        raise _corrupt(f"{len(data) - expected} bytes after the {count} announced triangles")
    records = np.frombuffer(data, dtype=_TRIANGLE, count=count, offset=84)
    mesh = _soup(records["corners"])
    return RawMesh(mesh.vertices, mesh.triangles, info={"stl_encoding": "binary"})


def _read_ascii(data: bytes) -> RawMesh:
    if not re.search(rb"endsolid", data[-4096:]):
        raise _truncated("'endsolid' is missing at the end")
    found = _VERTEX.findall(data)
    if len(found) % 3:
        raise _corrupt(f"{len(found)} vertices do not make whole triangles")
    try:
        corners = np.array(found, dtype=np.float64)
    except ValueError as exc:
        raise _corrupt(f"a vertex coordinate is not a number ({exc})") from exc
    mesh = _soup(corners.reshape(-1, 3, 3) if found else np.zeros((0, 3)))
    return RawMesh(mesh.vertices, mesh.triangles, info={"stl_encoding": "ascii"})


def read_stl(data: bytes) -> RawMesh:
    """Read a binary or ASCII STL.

    Args:
        data: the file's bytes.

    Returns:
        The triangle soup (three vertices per triangle, unmerged), without units.

    Raises:
        ValidationError: ``UPLOAD_TRUNCATED_FILE`` or ``UPLOAD_CORRUPT_FILE``.
    """
    if len(data) >= 84:
        (count,) = struct.unpack_from("<I", data, 80)
        if len(data) == 84 + 50 * count:
            return _read_binary(data)
    head = data[:512].lstrip().lower()
    if head.startswith(b"solid") and (b"facet" in data[:4096].lower() or b"endsolid" in head):
        return _read_ascii(data)
    if len(data) >= 84:
        return _read_binary(data)
    raise _corrupt("neither a binary nor an ASCII STL")
