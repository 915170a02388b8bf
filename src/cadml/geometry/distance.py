"""Exact minimum distance between two placed B-rep shapes, with closest points.

The distance is OCCT's ``BRepExtrema_DistShapeShape`` on the boundaries of the two
shapes. Three details make it a *solid* clearance rather than a surface distance:

* **Frame.** Shape A stays in its own frame and B is located by the relative motion
  ``inv(T_a) @ T_b`` (a ``TopLoc_Location``, no copy of the geometry). A rigid motion
  applied to both placements therefore leaves the relative motion, and with it the
  answer, unchanged up to rounding; the closest points are mapped back to world mm.
* **Containment.** ``BRepExtrema`` measures between boundaries and its inner-solution
  check does not run on build123d's compounds (a 2 mm cube inside a 10 mm cube read
  4.0 mm). When the boundaries are apart, each closest point is classified against
  the other shape's solids (``BRepClass3d_SolidClassifier``); a point inside means one
  solid contains the other, so the solids overlap and the distance is 0.
* **Touching or overlapping.** Caller-supplied points on B's boundary (mesh nodes lie
  on the surface) are tried first as witnesses: one inside A deeper than
  ``overlap_check_below_mm`` proves an overlap at least that deep, and the answer is
  returned without the distance search (which is slowest exactly when boundaries cross:
  2 s for a flange through a box, against milliseconds for the witness). Otherwise, at
  a boundary distance of 0 (up to ``overlap_check_below_mm``) the boundaries may merely
  touch or may cross, and the solids' common (``BRepAlgoAPI_Common``) decides: its
  thickness ``2 V / A`` (volume over half the area, exact for a thin slab of any shape)
  is the overlap depth. For a chunky overlap the thickness underestimates the depth (a
  cube-corner overlap of depth ``h`` reads ``h / 3``); it is 0 for tangency.

Among several closest-point solutions the lexicographically smallest (in A's frame,
rounded to 1e-9 mm) is returned, so equal inputs give equal outputs.

The kernel is imported inside the functions; importing this module is kernel-free.

Examples:
    >>> import numpy as np
    >>> rigid_inverse(np.diag([1.0, 1.0, 1.0, 1.0]))[:3, 3].tolist()
    [0.0, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.errors import GeometryError, ValidationError

__all__ = [
    "RIGID_TOLERANCE",
    "ExactDistance",
    "as_rigid_transform",
    "exact_distance",
    "rigid_inverse",
]

RIGID_TOLERANCE = 1e-6
"""Largest deviation of ``R.T @ R`` from the identity accepted for a rigid transform.

Matrices typed or stored with six decimals deviate by about 1e-6; such a rotation block is
replaced by the nearest rotation (polar decomposition) so that the kernel sees an exact
rigid motion. Blocks already orthonormal to 1e-12 are used as given.
"""

_ORTHONORMAL_AS_GIVEN = 1e-12

_CLASSIFY_TOLERANCE_MM = 1e-7
_ROUND_DECIMALS = 9


@dataclass(frozen=True)
class ExactDistance:
    """The exact distance between two placed solids.

    Args:
        distance_mm: minimum distance between the solids, 0 when they touch or overlap
            (including one inside the other).
        surface_distance_mm: minimum distance between their boundaries (differs from
            ``distance_mm`` only when one solid contains the other); ``None`` when an
            overlap witness made the search unnecessary.
        point_a_mm: ``(3,)`` closest point on A's boundary, world mm. With a witness:
            the point of A's boundary nearest the witness.
        point_b_mm: ``(3,)`` closest point on B's boundary, world mm. With a witness:
            the witness, a point of B's boundary inside A.
        inside: one solid lies inside the other without their boundaries meeting
            (not tested when a witness settled the overlap).
        overlap_depth_mm: for boundaries closer than the overlap check distance, how
            deep the solids overlap: the depth of a witness point of B inside A (a lower
            bound), or else the thickness ``2 V / A`` of their common (0 when they only
            touch); ``None`` when not checked.
    """

    distance_mm: float
    surface_distance_mm: float | None
    point_a_mm: tuple[float, float, float]
    point_b_mm: tuple[float, float, float]
    inside: bool
    overlap_depth_mm: float | None


def as_rigid_transform(transform_mm: npt.ArrayLike, field: str = "transform_mm") -> np.ndarray:
    """Check and return a 4x4 rigid transform (rotation + translation in mm).

    Args:
        transform_mm: ``(4, 4)`` homogeneous matrix; the last row must be ``0 0 0 1``
            and the rotation block orthonormal (to ``RIGID_TOLERANCE``) with
            determinant +1.
        field: the field name shown in the error.

    Returns:
        The transform as a float64 ``(4, 4)`` array, its rotation block snapped to the
        nearest rotation when it deviates by more than 1e-12.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` if it is not a finite rigid
            transform.

    Examples:
        >>> as_rigid_transform(np.eye(4)).shape
        (4, 4)
    """
    matrix = np.asarray(transform_mm, dtype=np.float64)
    reason = None
    if matrix.shape != (4, 4):
        reason = f"expected a 4x4 matrix, got shape {matrix.shape}"
    elif not np.all(np.isfinite(matrix)):
        reason = "the matrix has non-finite entries"
    elif not np.array_equal(matrix[3], [0.0, 0.0, 0.0, 1.0]):
        reason = "the last row must be 0 0 0 1"
    else:
        rotation = matrix[:3, :3]
        error = float(np.max(np.abs(rotation.T @ rotation - np.eye(3))))
        if error > RIGID_TOLERANCE or np.linalg.det(rotation) <= 0:
            reason = "the rotation block is not a proper rotation (scaling or mirroring)"
        elif error > _ORTHONORMAL_AS_GIVEN:
            left, _, right = np.linalg.svd(rotation)
            matrix = matrix.copy()
            matrix[:3, :3] = left @ right
    if reason is not None:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE", details={"field": field, "reason": reason}
        )
    return matrix


def rigid_inverse(transform: np.ndarray) -> np.ndarray:
    """The inverse of a rigid 4x4 transform, ``[R.T, -R.T t]``.

    Examples:
        >>> t = np.eye(4); t[:3, 3] = [1.0, 2.0, 3.0]
        >>> rigid_inverse(t)[:3, 3].tolist()
        [-1.0, -2.0, -3.0]
    """
    inverse = np.eye(4)
    rotation = transform[:3, :3]
    inverse[:3, :3] = rotation.T
    inverse[:3, 3] = -rotation.T @ transform[:3, 3]
    return inverse


def _location(transform: np.ndarray) -> Any:
    from OCP.gp import gp_Trsf
    from OCP.TopLoc import TopLoc_Location

    trsf = gp_Trsf()
    m = transform
    trsf.SetValues(
        m[0, 0], m[0, 1], m[0, 2], m[0, 3],
        m[1, 0], m[1, 1], m[1, 2], m[1, 3],
        m[2, 0], m[2, 1], m[2, 2], m[2, 3],
    )  # fmt: skip
    return TopLoc_Location(trsf)


def _solids(shape: Any) -> list[Any]:
    from OCP.TopAbs import TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    found = []
    explorer = TopExp_Explorer(shape, TopAbs_SOLID)
    while explorer.More():
        found.append(explorer.Current())
        explorer.Next()
    return found


def _is_inside(point: Any, solids: list[Any]) -> bool:
    from OCP.BRepClass3d import BRepClass3d_SolidClassifier
    from OCP.TopAbs import TopAbs_IN

    for solid in solids:
        classifier = BRepClass3d_SolidClassifier(solid, point, _CLASSIFY_TOLERANCE_MM)
        if classifier.State() == TopAbs_IN:
            return True
    return False


_MAX_PROBES = 32


def _witness(
    shape: Any, placement_a: np.ndarray, points_mm: npt.ArrayLike | None, deeper_than: float
) -> tuple[float, tuple[float, ...], tuple[float, ...]] | None:
    """The first probe point inside ``shape`` deeper than ``deeper_than``.

    Args:
        shape: located in A's frame.
        placement_a: A's placement (the probes are world points).
        points_mm: ``(K, 3)`` world probe points.
        deeper_than: the depth a witness must exceed.

    Returns:
        ``(depth, nearest point on the shape's boundary, probe point)`` in A's frame,
        or None.
    """
    if points_mm is None:
        return None
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeVertex
    from OCP.BRepExtrema import BRepExtrema_DistShapeShape
    from OCP.gp import gp_Pnt

    points = np.asarray(points_mm, dtype=np.float64).reshape(-1, 3)[:_MAX_PROBES]
    to_a = rigid_inverse(placement_a)
    local = points @ to_a[:3, :3].T + to_a[:3, 3]
    solids = _solids(shape)
    boundary = None
    for x, y, z in local:
        point = gp_Pnt(float(x), float(y), float(z))
        if not _is_inside(point, solids):
            continue
        vertex = BRepBuilderAPI_MakeVertex(point).Vertex()
        if boundary is None:
            boundary = _face_subset(shape, None)
        extrema = BRepExtrema_DistShapeShape(vertex, boundary)
        if extrema.IsDone() and extrema.NbSolution() > 0 and extrema.Value() > deeper_than:
            return float(extrema.Value()), extrema.PointOnShape2(1).Coord(), point.Coord()
    return None


def _overlap_thickness(shape_a: Any, shape_b: Any) -> float:
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Common
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps

    common = BRepAlgoAPI_Common(shape_a, shape_b)
    if not common.IsDone():
        raise GeometryError(
            "FC_BOOLEAN_FAILED",
            details={"operation": "common", "reason": "overlap check of a touching pair"},
        )
    volume = 0.0
    area = 0.0
    for solid in _solids(common.Shape()):
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(solid, props)
        volume += abs(props.Mass())
        surface = GProp_GProps()
        BRepGProp.SurfaceProperties_s(solid, surface)
        area += surface.Mass()
    if area <= 0.0 or volume <= 0.0:
        return 0.0
    return 2.0 * volume / area


def _face_subset(shape: Any, face_ids: Sequence[int] | None) -> Any:
    """The faces of ``shape`` with these 0-based ``MapShapes`` indices, as a compound.

    With ``face_ids=None``: every face. A compound of faces is a boundary only, so
    ``BRepExtrema`` measures to the surface even for a point inside (given a
    ``TopoDS_Solid`` it reports 0 there).
    """
    from OCP.BRep import BRep_Builder
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as IndexedMap
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp
    from OCP.TopoDS import TopoDS_Compound

    face_map = IndexedMap()
    TopExp.MapShapes_s(shape, TopAbs_FACE, face_map)
    builder = BRep_Builder()
    compound = TopoDS_Compound()
    builder.MakeCompound(compound)
    indices = range(face_map.Extent()) if face_ids is None else sorted(set(face_ids))
    for index in indices:
        if not 0 <= index < face_map.Extent():
            raise GeometryError(
                "FC_GEOM_INVALID_SHAPE",
                details={
                    "reason": f"face {index} does not exist (the shape has "
                    f"{face_map.Extent()} faces)"
                },
            )
        builder.Add(compound, face_map.FindKey(index + 1))
    return compound


def exact_distance(
    shape_a: Any,
    transform_a_mm: npt.ArrayLike,
    shape_b: Any,
    transform_b_mm: npt.ArrayLike,
    *,
    overlap_check_below_mm: float = 1e-3,
    faces_a: Sequence[int] | None = None,
    faces_b: Sequence[int] | None = None,
    probe_points_b_mm: npt.ArrayLike | None = None,
    probe_points_a_mm: npt.ArrayLike | None = None,
) -> ExactDistance:
    """Minimum distance and closest points of two solids placed by rigid transforms.

    Args:
        shape_a: OCP ``TopoDS_Shape`` of part A in its own frame, mm.
        transform_a_mm: ``(4, 4)`` rigid placement of A in the world, mm.
        shape_b: OCP ``TopoDS_Shape`` of part B in its own frame, mm.
        transform_b_mm: ``(4, 4)`` rigid placement of B, mm.
        overlap_check_below_mm: when the boundaries are at most this far apart, the
            solids' common is computed to tell touching from overlapping (a boolean:
            milliseconds on simple parts).
        faces_a: if given, the distance is measured from these faces of A only (0-based
            indices in ``TopExp.MapShapes(shape, TopAbs_FACE)`` order, as in
            :attr:`cadml.geometry.mesh.Mesh.face_ids`). The caller guarantees that the
            closest points lie on them (e.g. from a mesh prefilter); on parts with many
            faces this is what keeps the search fast. Containment and overlap still use
            the whole solids.
        faces_b: the same for B.
        probe_points_b_mm: ``(K, 3)`` world points on B's boundary (e.g. mesh nodes)
            tried first as overlap witnesses: a point inside A deeper than
            ``overlap_check_below_mm`` settles the answer (distance 0) without the
            distance search or the boolean. At most the first 32 are tried.
        probe_points_a_mm: the same for points on A's boundary, tried against B.

    Returns:
        The distance, the closest points in world mm, containment and the overlap
        depth.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` for a non-rigid transform.
        GeometryError: ``FC_GEOM_INVALID_SHAPE`` if the distance cannot be computed
            (e.g. an empty shape); ``FC_BOOLEAN_FAILED`` if the overlap check fails.
    """
    from OCP.BRepExtrema import BRepExtrema_DistShapeShape
    from OCP.Extrema import Extrema_ExtAlgo_Grad, Extrema_ExtFlag_MIN

    placement_a = as_rigid_transform(transform_a_mm, "transform_a_mm")
    placement_b = as_rigid_transform(transform_b_mm, "transform_b_mm")
    relative = rigid_inverse(placement_a) @ placement_b
    location = _location(relative)
    located_b = shape_b.Moved(location)
    # A witness settles an overlap before the distance search, which is slowest exactly
    # when the boundaries cross (curves of solutions): 2 s for a flange in a box.
    witness = _witness(shape_a, placement_a, probe_points_b_mm, overlap_check_below_mm)
    if witness is not None:
        witness_depth, witness_a, witness_b = witness
        return _result(placement_a, 0.0, None, witness_a, witness_b, False, witness_depth)
    witness = _witness(located_b, placement_a, probe_points_a_mm, overlap_check_below_mm)
    if witness is not None:
        witness_depth, witness_b, witness_a = witness
        return _result(placement_a, 0.0, None, witness_a, witness_b, False, witness_depth)
    extrema = BRepExtrema_DistShapeShape(
        _face_subset(shape_a, faces_a),
        _face_subset(shape_b, faces_b).Moved(location),
        Extrema_ExtFlag_MIN,
        Extrema_ExtAlgo_Grad,
    )
    if not extrema.IsDone() or extrema.NbSolution() < 1:
        raise GeometryError(
            "FC_GEOM_INVALID_SHAPE",
            details={"reason": "the minimum distance of the two shapes could not be computed"},
        )
    surface_distance = float(extrema.Value())
    solutions = []
    for index in range(1, extrema.NbSolution() + 1):
        pa = extrema.PointOnShape1(index)
        pb = extrema.PointOnShape2(index)
        solutions.append((pa.Coord(), pb.Coord(), pa, pb))
    solutions.sort(key=lambda s: tuple(np.round(np.array(s[0] + s[1]), _ROUND_DECIMALS) + 0.0))
    local_a, local_b, gp_a, gp_b = solutions[0]
    inside = False
    depth: float | None = None
    if surface_distance > overlap_check_below_mm:
        inside = _is_inside(gp_b, _solids(shape_a)) or _is_inside(gp_a, _solids(located_b))
    else:
        depth = _overlap_thickness(shape_a, located_b)
    distance = 0.0 if inside else surface_distance
    return _result(placement_a, distance, surface_distance, local_a, local_b, inside, depth)


def _result(
    placement_a: np.ndarray,
    distance: float,
    surface_distance: float | None,
    local_a: tuple[float, ...],
    local_b: tuple[float, ...],
    inside: bool,
    depth: float | None,
) -> ExactDistance:
    rotation = placement_a[:3, :3]
    offset = placement_a[:3, 3]
    world_a = rotation @ np.array(local_a) + offset
    world_b = rotation @ np.array(local_b) + offset
    return ExactDistance(
        distance_mm=distance,
        surface_distance_mm=surface_distance,
        point_a_mm=(float(world_a[0]), float(world_a[1]), float(world_a[2])),
        point_b_mm=(float(world_b[0]), float(world_b[1]), float(world_b[2])),
        inside=inside,
        overlap_depth_mm=depth,
    )
