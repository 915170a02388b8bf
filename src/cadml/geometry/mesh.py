"""Deterministic tessellation of a B-rep into an indexed triangle mesh.

We mesh explicitly with ``BRepMesh_IncrementalMesh`` at an *absolute* chordal
deflection in millimetres, after removing any triangulation already cached on the
shape (build123d's ``export_stl`` tolerance is relative, and a mesh cached on a shape
is silently reused by later exports). Meshing runs single-threaded so that the
triangulation, and with it every mesh-derived artefact, is reproducible.

The per-face triangulations are joined into one mesh: face locations applied,
triangles of reversed faces flipped so normals point out of the material, coincident
vertices merged and zero-area triangles dropped, so a closed solid gives a
watertight mesh. Vertices come out sorted lexicographically, which makes the arrays
canonical for a given triangulation.

The kernel is imported inside :func:`tessellate`; :class:`Mesh` itself is plain numpy.

Examples:
    >>> import numpy as np
    >>> m = Mesh(np.zeros((3, 3)), np.array([[0, 1, 2]]), 0.01, 0.1)
    >>> m.triangle_count, m.vertex_count
    (1, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.errors import GeometryError
from cadml.tolerances import MESH_ANGULAR_DEFLECTION_RAD, MESH_LINEAR_DEFLECTION_MM

__all__ = ["MERGE_DECIMALS", "Mesh", "mesh_from_triangulation", "tessellate"]

MERGE_DECIMALS = 9
"""Vertices equal after rounding to this many decimals of a millimetre are merged."""

_MIN_TRIANGLE_AREA_MM2 = 1e-12


@dataclass(frozen=True, eq=False)
class Mesh:
    """An indexed triangle mesh in millimetres.

    Args:
        vertices: ``(N, 3)`` float64 coordinates in mm.
        triangles: ``(M, 3)`` int64 vertex indices, counter-clockwise seen from outside.
        linear_deflection_mm: the chordal deflection it was made with (absolute, mm).
        angular_deflection_rad: the angular deflection it was made with.
        face_ids: ``(M,)`` int64, the B-rep face each triangle lies on (0-based index
            in ``TopExp.MapShapes(shape, TopAbs_FACE)`` order), or ``None`` for a mesh
            that did not come from a B-rep.
    """

    vertices: npt.NDArray[np.float64]
    triangles: npt.NDArray[np.int64]
    linear_deflection_mm: float
    angular_deflection_rad: float
    face_ids: npt.NDArray[np.int64] | None = None

    @property
    def vertex_count(self) -> int:
        """Number of vertices ``N``."""
        return int(self.vertices.shape[0])

    @property
    def triangle_count(self) -> int:
        """Number of triangles ``M``."""
        return int(self.triangles.shape[0])


def mesh_from_triangulation(
    vertices: npt.ArrayLike,
    triangles: npt.ArrayLike,
    linear_deflection_mm: float,
    angular_deflection_rad: float,
    face_ids: npt.ArrayLike | None = None,
) -> Mesh:
    """Merge coincident vertices and drop degenerate triangles of a triangle soup.

    Args:
        vertices: ``(N, 3)`` coordinates in mm.
        triangles: ``(M, 3)`` indices into ``vertices``.
        linear_deflection_mm: recorded on the result.
        angular_deflection_rad: recorded on the result.
        face_ids: ``(M,)`` B-rep face id per triangle, kept for the triangles kept.

    Returns:
        A mesh with sorted unique vertices, no zero-area triangles and no unused
        vertices. Arrays are read-only.

    Examples:
        >>> soup = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [2, 0, 0]]
        >>> m = mesh_from_triangulation(soup, [[0, 1, 2], [0, 3, 4]], 0.01, 0.1)
        >>> m.vertex_count, m.triangles.tolist()
        (3, [[0, 2, 1]])
    """
    points = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    # + 0.0 turns -0.0 into 0.0 so that both merge.
    keys = np.round(points, MERGE_DECIMALS) + 0.0
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    faces = inverse.reshape(-1)[faces]
    tags = None if face_ids is None else np.asarray(face_ids, dtype=np.int64).reshape(-1)
    distinct = (
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    )
    faces = faces[distinct]
    tags = None if tags is None else tags[distinct]
    corners = unique[faces]
    doubled_area = np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    kept = doubled_area > 2.0 * _MIN_TRIANGLE_AREA_MM2
    faces = faces[kept]
    if tags is not None:
        tags = np.ascontiguousarray(tags[kept])
        tags.flags.writeable = False
    used = np.zeros(unique.shape[0], dtype=bool)
    used[faces.reshape(-1)] = True
    remap = np.cumsum(used) - 1
    out_vertices = np.ascontiguousarray(unique[used])
    out_faces = np.ascontiguousarray(remap[faces].astype(np.int64))
    out_vertices.flags.writeable = False
    out_faces.flags.writeable = False
    return Mesh(
        out_vertices,
        out_faces,
        float(linear_deflection_mm),
        float(angular_deflection_rad),
        tags,
    )


def _face_arrays(face: Any, reversed_: bool) -> tuple[np.ndarray, np.ndarray]:
    from OCP.BRep import BRep_Tool
    from OCP.TopLoc import TopLoc_Location

    location = TopLoc_Location()
    triangulation = BRep_Tool.Triangulation_s(face, location)
    if triangulation is None:
        raise GeometryError("FC_MESH_FAILED", details={"reason": "a face has no triangulation"})
    count = triangulation.NbNodes()
    nodes = np.array(
        [triangulation.Node(i).Coord() for i in range(1, count + 1)], dtype=np.float64
    ).reshape(-1, 3)
    if not location.IsIdentity():
        trsf = location.Transformation()
        matrix = np.array([[trsf.Value(r, c) for c in range(1, 5)] for r in range(1, 4)])
        nodes = nodes @ matrix[:, :3].T + matrix[:, 3]
    # Triangle(i) by index: iterating Triangles() copies the array and is 10x slower.
    faces = np.array(
        [triangulation.Triangle(i).Get() for i in range(1, triangulation.NbTriangles() + 1)],
        dtype=np.int64,
    ).reshape(-1, 3)
    faces -= 1
    if reversed_:
        faces = faces[:, [0, 2, 1]]
    return nodes, faces


def tessellate(
    shape: Any,
    linear_deflection_mm: float = MESH_LINEAR_DEFLECTION_MM,
    angular_deflection_rad: float = MESH_ANGULAR_DEFLECTION_RAD,
) -> Mesh:
    """Triangulate ``shape`` at an absolute deflection and return one merged mesh.

    Replaces any triangulation cached on the shape.

    Args:
        shape: an OCP ``TopoDS_Shape`` in mm.
        linear_deflection_mm: maximum chordal deviation from the surface, in mm.
        angular_deflection_rad: maximum angle between adjacent segment normals.

    Returns:
        The mesh of every face of the shape, with the B-rep face id of each triangle
        (:attr:`Mesh.face_ids`).

    Raises:
        GeometryError: ``FC_MESH_FAILED`` if meshing fails or leaves a face without
            triangles.
    """
    from OCP.BRepMesh import BRepMesh_IncrementalMesh
    from OCP.BRepTools import BRepTools
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as IndexedMap
    from OCP.TopAbs import TopAbs_FACE, TopAbs_REVERSED
    from OCP.TopExp import TopExp, TopExp_Explorer
    from OCP.TopoDS import TopoDS

    if linear_deflection_mm <= 0 or angular_deflection_rad <= 0:
        raise GeometryError("FC_MESH_FAILED", details={"reason": "deflections must be positive"})
    BRepTools.Clean_s(shape)
    mesher = BRepMesh_IncrementalMesh(
        shape, linear_deflection_mm, False, angular_deflection_rad, False
    )
    if not mesher.IsDone():
        raise GeometryError("FC_MESH_FAILED", details={"reason": "BRepMesh did not finish"})
    face_map = IndexedMap()
    TopExp.MapShapes_s(shape, TopAbs_FACE, face_map)
    all_nodes: list[np.ndarray] = []
    all_faces: list[np.ndarray] = []
    all_ids: list[np.ndarray] = []
    offset = 0
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face(explorer.Current())
        nodes, faces = _face_arrays(face, face.Orientation() == TopAbs_REVERSED)
        all_nodes.append(nodes)
        all_faces.append(faces + offset)
        all_ids.append(np.full(faces.shape[0], face_map.FindIndex(face) - 1, dtype=np.int64))
        offset += nodes.shape[0]
        explorer.Next()
    if not all_faces:
        raise GeometryError("FC_MESH_FAILED", details={"reason": "the shape has no faces"})
    return mesh_from_triangulation(
        np.concatenate(all_nodes),
        np.concatenate(all_faces),
        linear_deflection_mm,
        angular_deflection_rad,
        np.concatenate(all_ids),
    )
