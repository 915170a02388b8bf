"""Wavefront OBJ reader (geometry only) into a triangle soup.

OBJ is text: ``v x y z [w]`` vertices and ``f a b c ...`` polygons whose indices are
1-based, may be negative (relative to the vertices read so far) and may carry texture
and normal indices (``a/t/n``), which we ignore, as we ignore materials, groups,
lines and free-form curves. Polygons with more than three corners are split into a
fan. OBJ carries **no unit**, and is **Y-up** by convention (``z_up`` turns it).
Truncation cannot be told from the format; a cut file is caught, if at all, as an
open shell.
"""

from __future__ import annotations

import numpy as np

from cadml.errors import ValidationError
from cadml.geometry.importers.rawmesh import RawMesh

__all__ = ["read_obj"]


def _corrupt(reason: str) -> ValidationError:
    return ValidationError("UPLOAD_CORRUPT_FILE", details={"format": "obj", "reason": reason})


def read_obj(data: bytes) -> RawMesh:
    """Read the vertices and faces of an OBJ file.

    Args:
        data: the file's bytes (UTF-8 or Latin-1 text).

    Returns:
        Vertices and fan-triangulated faces, without units, flagged Y-up.

    Raises:
        ValidationError: ``UPLOAD_CORRUPT_FILE`` for a malformed number or index.
    """
    if b"\x00" in data:
        raise _corrupt("binary data in a text format")
    text = data.decode("utf-8", errors="replace")
    vertices: list[tuple[float, float, float]] = []
    triangles: list[tuple[int, int, int]] = []
    polygons = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        tag = parts[0]
        if tag == "v":
            try:
                x, y, z = (float(p) for p in parts[1:4])
            except ValueError as exc:
                raise _corrupt(f"line {number}: bad vertex ({exc})") from exc
            vertices.append((x, y, z))
        elif tag == "f":
            try:
                refs = [int(p.split("/", 1)[0]) for p in parts[1:]]
            except ValueError as exc:
                raise _corrupt(f"line {number}: bad face index ({exc})") from exc
            count = len(vertices)
            indices = []
            for ref in refs:
                index = ref - 1 if ref > 0 else count + ref
                if ref == 0 or not 0 <= index < count:
                    raise _corrupt(f"line {number}: face index {ref} out of range 1..{count}")
                indices.append(index)
            if len(indices) < 3:
                raise _corrupt(f"line {number}: a face needs at least three corners")
            polygons += 1
            for k in range(1, len(indices) - 1):
                triangles.append((indices[0], indices[k], indices[k + 1]))
        elif len(tag) > 16 or not tag.isprintable():
            raise _corrupt(f"line {number}: not OBJ text")
    points = np.array(vertices, dtype=np.float64).reshape(-1, 3)
    if not np.isfinite(points).all():
        raise _corrupt("a vertex coordinate is not a finite number")
    return RawMesh(
        points,
        np.array(triangles, dtype=np.int64).reshape(-1, 3),
        y_up=True,
        info={"obj_polygons": polygons},
    )
