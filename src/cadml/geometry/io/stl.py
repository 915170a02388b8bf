"""Binary STL export, written with numpy from the mesh arrays.

STL has no unit field: the coordinates are millimetres, and the fixed 80-byte header
says so. The header never starts with ``solid``, which readers take for ASCII STL.
Facet normals are recomputed from the (counter-clockwise) vertex order.

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.mesh import Mesh
    >>> tri = Mesh(np.eye(3), np.array([[0, 1, 2]]), 0.01, 0.1)
    >>> data = encode_stl(tri)
    >>> len(data), data[:5]
    (134, b'cadml')
"""

from __future__ import annotations

import numpy as np

from cadml.geometry.mesh import Mesh

__all__ = ["HEADER", "STL_RECORD", "encode_stl"]

HEADER = b"cadml binary STL; units: mm".ljust(80, b" ")
"""The fixed 80-byte header."""

STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attributes", "<u2")])
"""One 50-byte facet record of binary STL."""


def encode_stl(mesh: Mesh) -> bytes:
    """Encode ``mesh`` as binary STL.

    Args:
        mesh: the triangle mesh, in mm.

    Returns:
        ``80 + 4 + 50 * M`` bytes.
    """
    corners = mesh.vertices[mesh.triangles]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
    records = np.zeros(mesh.triangle_count, dtype=STL_RECORD)
    records["normal"] = normals
    records["vertices"] = corners
    count = np.array([mesh.triangle_count], dtype="<u4")
    return HEADER + count.tobytes() + records.tobytes()
