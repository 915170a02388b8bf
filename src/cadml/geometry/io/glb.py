"""Canonical glTF 2.0 binary (GLB) export, written by hand from the mesh arrays.

One scene, one node, one mesh with one indexed triangle primitive and one PBR
material. glTF is metres and Y-up, CAD is millimetres and Z-up: positions are scaled
to metres in the buffer, and the node carries a -90° rotation about X that turns
CAD's +Z into glTF's +Y (and +Y into -Z). The JSON chunk is written with sorted keys
and no whitespace, and nothing in the file depends on time or on the machine, so the
bytes are a function of the mesh and the material only.

Normals are left out: the glTF spec has viewers compute flat normals for primitives
without them, which is right for a faceted CAD preview.

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.mesh import Mesh
    >>> tri = Mesh(np.eye(3), np.array([[0, 1, 2]]), 0.01, 0.1)
    >>> data = encode_glb(tri, name="t", color_srgb=(1.0, 1.0, 1.0), metallic=False)
    >>> data[:4], len(data) % 4
    (b'glTF', 0)
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np

from cadml.geometry.mesh import Mesh
from cadml.units import MM_PER_M

__all__ = ["Z_UP_TO_Y_UP", "encode_glb", "srgb_to_linear"]

_MAGIC = 0x46546C67  # "glTF"
_CHUNK_JSON = 0x4E4F534A  # "JSON"
_CHUNK_BIN = 0x004E4942  # "BIN\0"
_FLOAT = 5126
_UNSIGNED_INT = 5125
_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_TRIANGLES = 4

Z_UP_TO_Y_UP = (-math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))
"""Node rotation quaternion (x, y, z, w): -90° about X, taking CAD Z-up to glTF Y-up."""


def srgb_to_linear(component: float) -> float:
    """Convert one sRGB component (0..1) to linear light, as glTF colour factors are.

    Examples:
        >>> srgb_to_linear(1.0), round(srgb_to_linear(0.5), 4)
        (1.0, 0.214)
    """
    if component <= 0.04045:
        return component / 12.92
    return float(((component + 0.055) / 1.055) ** 2.4)


def _pad(data: bytes, filler: bytes) -> bytes:
    return data + filler * (-len(data) % 4)


def _document(
    mesh: Mesh,
    positions: np.ndarray,
    name: str,
    color_srgb: tuple[float, float, float],
    metallic: bool,
) -> dict[str, object]:
    position_bytes = positions.nbytes
    index_bytes = mesh.triangle_count * 3 * 4
    base_color = [round(srgb_to_linear(c), 6) for c in color_srgb] + [1.0]
    return {
        "accessors": [
            {
                "bufferView": 0,
                "componentType": _FLOAT,
                "count": mesh.vertex_count,
                "max": [float(v) for v in positions.max(axis=0)],
                "min": [float(v) for v in positions.min(axis=0)],
                "type": "VEC3",
            },
            {
                "bufferView": 1,
                "componentType": _UNSIGNED_INT,
                "count": mesh.triangle_count * 3,
                "type": "SCALAR",
            },
        ],
        "asset": {"generator": "cadml", "version": "2.0"},
        "bufferViews": [
            {
                "buffer": 0,
                "byteLength": position_bytes,
                "byteOffset": 0,
                "target": _ARRAY_BUFFER,
            },
            {
                "buffer": 0,
                "byteLength": index_bytes,
                "byteOffset": position_bytes,
                "target": _ELEMENT_ARRAY_BUFFER,
            },
        ],
        "buffers": [{"byteLength": position_bytes + index_bytes}],
        "materials": [
            {
                "name": name,
                "pbrMetallicRoughness": {
                    "baseColorFactor": base_color,
                    "metallicFactor": 1.0 if metallic else 0.0,
                    "roughnessFactor": 0.4 if metallic else 0.6,
                },
            }
        ],
        "meshes": [
            {
                "name": name,
                "primitives": [
                    {
                        "attributes": {"POSITION": 0},
                        "indices": 1,
                        "material": 0,
                        "mode": _TRIANGLES,
                    }
                ],
            }
        ],
        "nodes": [{"mesh": 0, "name": name, "rotation": list(Z_UP_TO_Y_UP)}],
        "scene": 0,
        "scenes": [{"name": name, "nodes": [0]}],
    }


def encode_glb(
    mesh: Mesh,
    *,
    name: str,
    color_srgb: tuple[float, float, float],
    metallic: bool,
) -> bytes:
    """Encode ``mesh`` as a GLB file.

    Args:
        mesh: the triangle mesh in mm (at least one triangle).
        name: the node, mesh, material and scene name.
        color_srgb: base colour, sRGB components in 0..1 (stored linear, as glTF wants).
        metallic: whether the material is a metal (metallic factor 1, else 0).

    Returns:
        The GLB bytes (length a multiple of 4).

    Raises:
        ValueError: if the mesh has no triangles (glTF forbids empty accessors).
    """
    if mesh.triangle_count == 0:
        raise ValueError("a GLB primitive needs at least one triangle")
    positions = np.ascontiguousarray(mesh.vertices / MM_PER_M, dtype="<f4")
    indices = np.ascontiguousarray(mesh.triangles, dtype="<u4")
    document = _document(mesh, positions, name, color_srgb, metallic)
    json_chunk = _pad(
        json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False).encode(),
        b" ",
    )
    bin_chunk = _pad(positions.tobytes() + indices.tobytes(), b"\0")
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    return b"".join(
        (
            struct.pack("<III", _MAGIC, 2, total),
            struct.pack("<II", len(json_chunk), _CHUNK_JSON),
            json_chunk,
            struct.pack("<II", len(bin_chunk), _CHUNK_BIN),
            bin_chunk,
        )
    )
