"""Helpers of the importer tests: small meshes and files built in memory."""

from __future__ import annotations

import io
import struct
import zipfile
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

QUADS = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]


def box_mesh(lo=(0.0, 0.0, 0.0), hi=(1.0, 1.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box, triangles wound outward."""
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    v = np.array([(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)], float)
    f = [t for a, b, c, d in QUADS for t in ((a, b, c), (a, c, d))]
    return v, np.array(f)


def join(*meshes: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    vs, fs, n = [], [], 0
    for v, f in meshes:
        vs.append(v)
        fs.append(f + n)
        n += len(v)
    return np.concatenate(vs), np.concatenate(fs)


def stl_binary(v: np.ndarray, f: np.ndarray) -> bytes:
    out = io.BytesIO()
    out.write(b"test".ljust(80) + struct.pack("<I", len(f)))
    for tri in f:
        out.write(struct.pack("<3f", 0, 0, 0))
        for i in tri:
            out.write(struct.pack("<3f", *v[i]))
        out.write(b"\0\0")
    return out.getvalue()


def stl_ascii(v: np.ndarray, f: np.ndarray) -> bytes:
    lines = ["solid t"]
    for tri in f:
        lines.append("facet normal 0 0 0\nouter loop")
        lines += [f"vertex {float(v[i][0])!r} {float(v[i][1])!r} {float(v[i][2])!r}" for i in tri]
        lines.append("endloop\nendfacet")
    return ("\n".join(lines) + "\nendsolid t\n").encode()


def obj_text(v: np.ndarray, f: np.ndarray) -> bytes:
    lines = [f"v {float(x)!r} {float(y)!r} {float(z)!r}" for x, y, z in v]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in f]
    return ("\n".join(lines) + "\n").encode()


def zipped(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def model_3mf(objects: str, build: str, unit: str = "millimeter") -> bytes:
    model = (
        f'<model unit="{unit}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f"<resources>{objects}</resources><build>{build}</build></model>"
    )
    return zipped({"[Content_Types].xml": "<Types/>", "3D/3dmodel.model": model})


def mesh_object(object_id: int, v: np.ndarray, f: np.ndarray) -> str:
    verts = "".join(
        f'<vertex x="{float(x)!r}" y="{float(y)!r}" z="{float(z)!r}"/>' for x, y, z in v
    )
    tris = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in f)
    return (
        f'<object id="{object_id}" type="model"><mesh><vertices>{verts}</vertices>'
        f"<triangles>{tris}</triangles></mesh></object>"
    )


def volume(shape: Any) -> float:
    """Sum of the solids' exact volumes."""
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps

    from cadml.geometry.metrics import solids_of

    total = 0.0
    for solid in solids_of(shape):
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props)
        total += props.Mass()
    return total


def bbox(shape: Any) -> tuple[np.ndarray, np.ndarray]:
    from cadml.geometry.importers.placement import bounding_box

    return bounding_box(shape)


@pytest.fixture(scope="session")
def cad() -> SimpleNamespace:
    """The helpers above, for the test modules (``--import-mode=importlib`` cannot
    import a conftest by name)."""
    return SimpleNamespace(
        box_mesh=box_mesh,
        join=join,
        stl_binary=stl_binary,
        stl_ascii=stl_ascii,
        obj_text=obj_text,
        zipped=zipped,
        model_3mf=model_3mf,
        mesh_object=mesh_object,
        volume=volume,
        bbox=bbox,
    )
