"""The sampled part every DFM rule reads: faces, a face-tagged mesh and surface samples.

**Face ids.** Face ``i`` is entry ``i + 1`` of ``TopExp.MapShapes(shape, TopAbs_FACE)``
(0-based; the map visits the shape depth-first and keeps the first occurrence of each
face). A viewer that builds the same map can colour the faces a finding names.

**Mesh.** The shape is re-triangulated with ``BRepMesh_IncrementalMesh`` at an absolute
chordal deflection ``deflection_mm`` (any cached triangulation is removed first, so the
result does not depend on what meshed the shape before). Every triangle keeps the id of
its face; triangles of reversed faces are flipped so that normals point out of the
material. The mesh is what rays hit.

**Samples.** Triangles are bisected at their longest edge until no edge exceeds
``spacing_mm`` (slivers split along their length only, so samples spread evenly over
the area); each piece's centroid is a sample, its area the sample's weight. The
centroid's surface parameters (interpolated from the triangulation's UV nodes) are
evaluated on the exact B-rep surface, so sample points lie *on* the exact surface and
carry the exact outward normal (for planes the plane's normal). Measured angles are
therefore exact; distances are made exact where the ray lands (see
:mod:`cadml.geometry.dfm.thickness`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.errors import ValidationError
from cadml.geometry.dfm.raycast import RayTree, first_fitting_limit, split_long_triangles

__all__ = ["FaceInfo", "PartModel", "build_model"]

_ANGULAR_DEFLECTION_RAD = 0.2
_RAY_EDGE_FRACTION = 20.0


@dataclass(frozen=True)
class FaceInfo:
    """What the rules need to know about one B-rep face.

    Args:
        kind: ``plane``, ``cylinder``, ``sphere`` or ``other`` (the adaptor's surface
            type).
        area_mm2: area of the face's triangles.
        normal: unit outward normal for a plane, else ``None``.
        axis_point: a point on the axis for a cylinder, the centre for a sphere.
        axis_dir: unit axis direction for a cylinder, else ``None``.
        radius_mm: radius for a cylinder or sphere, else ``None``.
        concave: for a cylinder, whether the material lies outside it (a hole or an
            internal fillet).
        u_span: for a cylinder, the angular span of the face in radians.
    """

    kind: str
    area_mm2: float
    normal: tuple[float, float, float] | None = None
    axis_point: tuple[float, float, float] | None = None
    axis_dir: tuple[float, float, float] | None = None
    radius_mm: float | None = None
    concave: bool = False
    u_span: float = 0.0


@dataclass(frozen=True, eq=False)
class PartModel:
    """A shape prepared for the DFM rules.

    Args:
        shape: the OCP shape.
        faces: the ``TopoDS_Face`` objects, by face id.
        info: per-face :class:`FaceInfo`, by face id.
        triangles: ``(T, 3, 3)`` mesh triangle corners in mm.
        triangle_face: ``(T,)`` face id of each triangle.
        ray_triangles: ``(R, 3, 3)`` the same surface with long triangles bisected
            (edges at most 1/20 of the bounding-box diagonal), which rays are cast on.
        ray_face: ``(R,)`` face id of each ray triangle.
        points: ``(S, 3)`` sample points on the exact surface, mm.
        normals: ``(S, 3)`` unit outward normals at the samples.
        sample_face: ``(S,)`` face id of each sample.
        weights: ``(S,)`` area each sample stands for, mm².
        deflection_mm: the mesh's chordal deflection.
        spacing_mm: the sample spacing.
        bbox_min: ``(3,)`` lower corner of the mesh's bounding box.
        bbox_max: ``(3,)`` upper corner.
    """

    shape: Any
    faces: tuple[Any, ...]
    info: tuple[FaceInfo, ...]
    triangles: npt.NDArray[np.float64]
    triangle_face: npt.NDArray[np.int64]
    ray_triangles: npt.NDArray[np.float64]
    ray_face: npt.NDArray[np.int64]
    points: npt.NDArray[np.float64]
    normals: npt.NDArray[np.float64]
    sample_face: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]
    deflection_mm: float
    spacing_mm: float
    bbox_min: npt.NDArray[np.float64]
    bbox_max: npt.NDArray[np.float64]

    @cached_property
    def ray_tree(self) -> RayTree:
        """The ray-casting index of :attr:`ray_triangles` (built on first use)."""
        return RayTree(self.ray_triangles, self.ray_face)

    @property
    def face_count(self) -> int:
        """Number of B-rep faces."""
        return len(self.faces)

    @property
    def scale_mm(self) -> float:
        """Diagonal of the bounding box, mm."""
        return float(np.linalg.norm(self.bbox_max - self.bbox_min))


def _thin_out(
    pieces: npt.NDArray[np.float64],
    parent: npt.NDArray[np.int64],
    triangle_face: npt.NDArray[np.int64],
    max_samples: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Keep every k-th piece (and the first of every face) so that about
    ``max_samples`` remain: meshes finer than the sample budget."""
    count = pieces.shape[0]
    stride = -(-count // max_samples)
    face = triangle_face[parent]
    first_of_face = np.ones(count, dtype=bool)
    first_of_face[1:] = face[1:] != face[:-1]
    keep = first_of_face | (np.arange(count) % stride == 0)
    return pieces[keep], parent[keep]


def _face_map(shape: Any) -> tuple[Any, ...]:
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as _IndexedMap
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp
    from OCP.TopoDS import TopoDS

    face_map = _IndexedMap()
    TopExp.MapShapes_s(shape, TopAbs_FACE, face_map)
    return tuple(TopoDS.Face(face_map.FindKey(i)) for i in range(1, face_map.Extent() + 1))


def _triangulation(face: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    from OCP.BRep import BRep_Tool
    from OCP.TopAbs import TopAbs_REVERSED
    from OCP.TopLoc import TopLoc_Location

    location = TopLoc_Location()
    tri = BRep_Tool.Triangulation_s(face, location)
    if tri is None or tri.NbTriangles() == 0:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), None
    count = tri.NbNodes()
    nodes = np.array([tri.Node(i).Coord() for i in range(1, count + 1)], dtype=np.float64)
    if not location.IsIdentity():
        trsf = location.Transformation()
        matrix = np.array([[trsf.Value(r, c) for c in range(1, 5)] for r in range(1, 4)])
        nodes = nodes @ matrix[:, :3].T + matrix[:, 3]
    uv = None
    if tri.HasUVNodes():
        uv = np.array([tri.UVNode(i).Coord() for i in range(1, count + 1)], dtype=np.float64)
    faces = np.array(
        [tri.Triangle(i).Get() for i in range(1, tri.NbTriangles() + 1)], dtype=np.int64
    ).reshape(-1, 3)
    faces -= 1
    if face.Orientation() == TopAbs_REVERSED:
        faces = faces[:, [0, 2, 1]]
    return nodes, faces, uv


def _face_info(face: Any, area: float) -> FaceInfo:
    from OCP.BRepAdaptor import BRepAdaptor_Surface
    from OCP.BRepGProp import BRepGProp_Face
    from OCP.GeomAbs import GeomAbs_Cylinder, GeomAbs_Plane, GeomAbs_Sphere
    from OCP.gp import gp_Pnt, gp_Vec

    adaptor = BRepAdaptor_Surface(face)
    kind = adaptor.GetType()
    u0, u1 = adaptor.FirstUParameter(), adaptor.LastUParameter()
    v0, v1 = adaptor.FirstVParameter(), adaptor.LastVParameter()
    prop = BRepGProp_Face(face)
    point, vec = gp_Pnt(), gp_Vec()
    prop.Normal(0.5 * (u0 + u1), 0.5 * (v0 + v1), point, vec)
    normal = np.array([vec.X(), vec.Y(), vec.Z()])
    normal = normal / (np.linalg.norm(normal) or 1.0)
    if kind == GeomAbs_Plane:
        return FaceInfo(
            "plane", area, normal=(float(normal[0]), float(normal[1]), float(normal[2]))
        )
    if kind == GeomAbs_Cylinder:
        cyl = adaptor.Cylinder()
        axis = cyl.Axis()
        loc = np.array(axis.Location().Coord())
        direction = np.array(axis.Direction().Coord())
        radial = np.array(point.Coord()) - loc
        radial -= direction * float(radial @ direction)
        concave = float(normal @ radial) < 0.0
        return FaceInfo(
            "cylinder",
            area,
            axis_point=(float(loc[0]), float(loc[1]), float(loc[2])),
            axis_dir=(float(direction[0]), float(direction[1]), float(direction[2])),
            radius_mm=float(cyl.Radius()),
            concave=concave,
            u_span=float(u1 - u0),
        )
    if kind == GeomAbs_Sphere:
        sphere = adaptor.Sphere()
        centre = sphere.Location().Coord()
        return FaceInfo(
            "sphere",
            area,
            axis_point=(float(centre[0]), float(centre[1]), float(centre[2])),
            radius_mm=float(sphere.Radius()),
        )
    return FaceInfo("other", area)


def _fitting_spacing(
    augmented: npt.NDArray[np.float64], spacing: float, longest_edge: float, max_samples: int
) -> float:
    """The first of ``spacing * 1.3**k`` that splits into at most ``max_samples`` pieces,
    or the first that reaches the mesh's longest edge."""
    candidates = [spacing]
    while candidates[-1] < longest_edge:
        candidates.append(candidates[-1] * 1.3)
    index = first_fitting_limit(augmented, np.array(candidates), max_samples)
    if index is not None:
        return candidates[min(index, len(candidates) - 1)]
    # Pathological mesh (64 rounds of bisection): split for each candidate in turn.
    while True:
        pieces, _ = split_long_triangles(augmented, spacing)
        if pieces.shape[0] <= max_samples or spacing >= longest_edge:
            return spacing
        spacing *= 1.3


def build_model(
    shape: Any, deflection_mm: float, spacing_mm: float | None, max_samples: int
) -> PartModel:
    """Mesh and sample ``shape`` for the DFM rules.

    Replaces any triangulation cached on the shape.

    Args:
        shape: an OCP shape with at least one solid, in mm.
        deflection_mm: absolute chordal deflection of the mesh.
        spacing_mm: sample spacing; ``None`` picks one that gives about
            ``max_samples / 2`` samples.
        max_samples: about the most samples taken: the spacing grows to fit, and a mesh
            with more triangles than that keeps every k-th triangle's sample (plus one
            per face), weighted up to its face's area.

    Raises:
        ValidationError: ``DFM_INVALID_SHAPE`` if meshing fails or gives no triangles.
    """
    from OCP.BRepGProp import BRepGProp_Face
    from OCP.BRepMesh import BRepMesh_IncrementalMesh
    from OCP.BRepTools import BRepTools
    from OCP.gp import gp_Pnt, gp_Vec

    BRepTools.Clean_s(shape)
    mesher = BRepMesh_IncrementalMesh(shape, deflection_mm, False, _ANGULAR_DEFLECTION_RAD, False)
    if not mesher.IsDone():
        raise ValidationError(
            "DFM_INVALID_SHAPE", details={"field": "shape", "reason": "meshing failed"}
        )
    faces = _face_map(shape)
    per_face = [_triangulation(face) for face in faces]
    all_tris = [nodes[tri] for nodes, tri, _ in per_face if tri.shape[0]]
    if not all_tris:
        raise ValidationError(
            "DFM_INVALID_SHAPE", details={"field": "shape", "reason": "the mesh is empty"}
        )
    triangles = np.concatenate(all_tris)
    triangle_face = np.concatenate(
        [np.full(tri.shape[0], fid, dtype=np.int64) for fid, (_, tri, _) in enumerate(per_face)]
    )
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    tri_area = 0.5 * np.linalg.norm(cross, axis=1)
    total_area = float(tri_area.sum())
    # Corners carry their surface parameters (u, v) so that samples can be evaluated
    # on the exact surface after the split.
    augmented = np.concatenate(
        [
            np.concatenate(
                [nodes[tri], (uv if uv is not None else np.zeros((len(nodes), 2)))[tri]], 2
            )
            for nodes, tri, uv in per_face
            if tri.shape[0]
        ]
    )
    spacing = spacing_mm if spacing_mm is not None else math.sqrt(2.0 * total_area / max_samples)
    longest_edge = float(np.linalg.norm(triangles - np.roll(triangles, 1, axis=1), axis=2).max())
    spacing = _fitting_spacing(augmented, spacing, longest_edge, max_samples)
    pieces, parent = split_long_triangles(augmented, spacing)
    if pieces.shape[0] > max_samples:
        pieces, parent = _thin_out(pieces, parent, triangle_face, max_samples)
    info = tuple(
        _face_info(face, float(tri_area[triangle_face == fid].sum()))
        for fid, face in enumerate(faces)
    )
    centroid = pieces.mean(axis=1)
    piece_cross = np.cross(pieces[:, 1, :3] - pieces[:, 0, :3], pieces[:, 2, :3] - pieces[:, 0, :3])
    piece_area = 0.5 * np.linalg.norm(piece_cross, axis=1)
    sample_face = triangle_face[parent]
    # After thinning out, the kept samples of a face stand for the whole face.
    kept = np.bincount(sample_face, weights=piece_area, minlength=len(faces))
    whole = np.bincount(triangle_face, weights=tri_area, minlength=len(faces))
    scale = np.divide(whole, kept, out=np.ones_like(whole), where=kept > 0)
    piece_area = piece_area * scale[sample_face]
    points = np.ascontiguousarray(centroid[:, :3])
    normals = piece_cross / np.maximum(2.0 * piece_area, 1e-300)[:, None]
    point, vec = gp_Pnt(), gp_Vec()
    for fid, (_, _, uv) in enumerate(per_face):
        rows = np.nonzero(sample_face == fid)[0]
        if rows.size == 0:
            continue
        plane_normal = info[fid].normal
        if plane_normal is not None:
            normals[rows] = plane_normal
            continue
        if uv is None:
            continue
        prop = BRepGProp_Face(faces[fid])
        for row in rows.tolist():
            prop.Normal(float(centroid[row, 3]), float(centroid[row, 4]), point, vec)
            length = vec.Magnitude()
            if length < 1e-12:  # singular point (cone apex, sphere pole): keep the mesh's
                continue
            points[row] = point.Coord()
            normals[row] = (vec.X() / length, vec.Y() / length, vec.Z() / length)
    corners_all = triangles.reshape(-1, 3)
    bbox_min = corners_all.min(axis=0)
    bbox_max = corners_all.max(axis=0)
    diagonal = float(np.linalg.norm(bbox_max - bbox_min)) or 1.0
    ray_triangles, parent = split_long_triangles(triangles, diagonal / _RAY_EDGE_FRACTION)
    return PartModel(
        shape=shape,
        faces=faces,
        info=info,
        triangles=triangles,
        triangle_face=triangle_face,
        ray_triangles=ray_triangles,
        ray_face=triangle_face[parent],
        points=points,
        normals=np.ascontiguousarray(normals),
        sample_face=sample_face,
        weights=piece_area,
        deflection_mm=float(deflection_mm),
        spacing_mm=float(spacing),
        bbox_min=bbox_min,
        bbox_max=bbox_max,
    )
