"""3MF reader (core specification) into a triangle soup, without lxml.

A 3MF file is a zip (an OPC package). ``_rels/.rels`` names the main model part
(usually ``3D/3dmodel.model``), an XML document::

    <model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
      <resources>
        <object id="1" type="model"><mesh>
          <vertices><vertex x="0" y="0" z="0"/>...</vertices>
          <triangles><triangle v1="0" v2="1" v3="2"/>...</triangles>
        </mesh></object>
        <object id="2"><components><component objectid="1" transform="..."/></components></object>
      </resources>
      <build><item objectid="2" transform="..."/></build>
    </model>

The ``unit`` attribute (micron, millimeter, centimeter, inch, foot, meter; default
millimetre) **is** the file's unit. What is printed is what ``<build>`` lists; each
item and component may carry an affine ``transform`` (12 numbers, row-vector
convention ``p' = [x y z 1] · M``). Objects of type ``support`` are skipped. 3MF is
Z-up. Extensions (materials, beam lattices, production paths to other model parts)
are ignored.

We parse with the standard library's ElementTree (whose expat refuses
entity-expansion bombs) instead of trimesh's loader, which needs lxml.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.geometry.importers.rawmesh import RawMesh

__all__ = ["MAX_UNZIPPED_BYTES", "UNITS_3MF", "read_3mf"]

MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
"""The largest total uncompressed size of a zip-based upload (zip bombs)."""

UNITS_3MF: dict[str, str] = {
    "micron": "um",
    "millimeter": "mm",
    "centimeter": "cm",
    "inch": "in",
    "foot": "ft",
    "meter": "m",
}
"""3MF unit names and our unit codes."""

_MAX_DEPTH = 32


def _corrupt(reason: str) -> ValidationError:
    return ValidationError("UPLOAD_CORRUPT_FILE", details={"format": "3mf", "reason": reason})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _transform(text: str | None) -> np.ndarray:
    if not text:
        return np.vstack([np.eye(3), np.zeros(3)])
    try:
        numbers = [float(v) for v in text.split()]
    except ValueError as exc:
        raise _corrupt(f"a transform is not numbers ({exc})") from exc
    if len(numbers) != 12:
        raise _corrupt(f"a transform has {len(numbers)} numbers, not 12")
    return np.array(numbers, dtype=np.float64).reshape(4, 3)


def _apply(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    result: np.ndarray = points @ matrix[:3] + matrix[3]
    return result


def model_path(archive: zipfile.ZipFile) -> str:
    """The main model part named by the package relationships."""
    names = archive.namelist()
    if "_rels/.rels" in names:
        rels = ET.fromstring(archive.read("_rels/.rels"))
        for rel in rels:
            if _local(rel.tag) == "Relationship" and str(rel.get("Type", "")).endswith("/3dmodel"):
                return str(rel.get("Target", "")).lstrip("/")
    candidates = sorted(n for n in names if n.lower().endswith(".model"))
    if not candidates:
        raise _corrupt("no 3D model part in the package")
    return candidates[0]


class _Model:
    def __init__(self, root: ET.Element) -> None:
        resources = _children(root, "resources")
        self.objects: dict[str, ET.Element] = {}
        for res in resources:
            for obj in _children(res, "object"):
                self.objects[str(obj.get("id"))] = obj
        self.points: list[np.ndarray] = []
        self.faces: list[np.ndarray] = []
        self.offset = 0

    def add(self, object_id: str, matrix: np.ndarray, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise _corrupt("components nest too deep (a cycle?)")
        obj = self.objects.get(object_id)
        if obj is None:
            raise _corrupt(f"build or component names unknown object {object_id}")
        if obj.get("type", "model") == "support":
            return
        for mesh in _children(obj, "mesh"):
            self._mesh(mesh, matrix)
        for group in _children(obj, "components"):
            for component in _children(group, "component"):
                inner = _transform(component.get("transform"))
                # Row vectors: apply the component's transform first, then the outer one.
                combined = np.vstack([inner[:3] @ matrix[:3], inner[3] @ matrix[:3] + matrix[3]])
                self.add(str(component.get("objectid")), combined, depth + 1)

    def _mesh(self, mesh: ET.Element, matrix: np.ndarray) -> None:
        vertices = [
            (v.get("x"), v.get("y"), v.get("z"))
            for block in _children(mesh, "vertices")
            for v in _children(block, "vertex")
        ]
        triangles = [
            (t.get("v1"), t.get("v2"), t.get("v3"))
            for block in _children(mesh, "triangles")
            for t in _children(block, "triangle")
        ]
        try:
            points = np.array(vertices, dtype=np.float64).reshape(-1, 3)
            faces = np.array(triangles, dtype=np.int64).reshape(-1, 3)
        except (TypeError, ValueError) as exc:
            raise _corrupt(f"a vertex or triangle attribute is not a number ({exc})") from exc
        if faces.size and (faces.min() < 0 or faces.max() >= len(points)):
            raise _corrupt("a triangle names a vertex that does not exist")
        self.points.append(_apply(points, matrix))
        self.faces.append(faces + self.offset)
        self.offset += len(points)


def read_3mf(data: bytes) -> RawMesh:
    """Read the printed objects of a 3MF package.

    Args:
        data: the file's bytes.

    Returns:
        Every build item's mesh with its transforms applied, in the model's unit.

    Raises:
        ValidationError: ``UPLOAD_CORRUPT_FILE``, ``UPLOAD_TOO_LARGE`` (unpacked
            size) or ``UPLOAD_UNITS_UNKNOWN``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNZIPPED_BYTES:
                raise ValidationError(
                    "UPLOAD_TOO_LARGE",
                    details={"field": "file", "size": unpacked, "max_bytes": MAX_UNZIPPED_BYTES},
                )
            root = ET.fromstring(archive.read(model_path(archive)))
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise _corrupt(f"{type(exc).__name__}: {exc}") from exc
    if _local(root.tag) != "model":
        raise _corrupt(f"the model part's root element is <{_local(root.tag)}>, not <model>")
    unit_name = root.get("unit", "millimeter")
    if unit_name not in UNITS_3MF:
        raise ValidationError("UPLOAD_UNITS_UNKNOWN", details={"format": "3mf", "unit": unit_name})
    model = _Model(root)
    items = [item for build in _children(root, "build") for item in _children(build, "item")]
    for item in items:
        model.add(str(item.get("objectid")), _transform(item.get("transform")))
    info: dict[str, Any] = {"3mf_unit": unit_name, "3mf_build_items": len(items)}
    if not model.points:
        return RawMesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), UNITS_3MF[unit_name])
    return RawMesh(
        np.concatenate(model.points),
        np.concatenate(model.faces),
        units=UNITS_3MF[unit_name],
        info=info,
    )
