"""Clearance of placed parts: mesh prefilter, exact B-rep distance where it matters.

For each pair the triangle meshes are measured first (fcl, exact between triangles).
Tessellation moves a surface by up to the deflection, which can create or hide a 50 µm
clearance, so whenever the mesh answer is below ``EXACT_FACTOR × deflection +
threshold`` and both parts carry a B-rep, the pair is re-measured on the B-rep and that
answer is reported (``method="exact"``). Otherwise the mesh answer stands
(``method="mesh"``): it is then either far beyond any tolerance of interest, or the part
has no B-rep (an STL upload) and the report says so.

Status: ``"interfering"`` when the solids overlap deeper than the touching tolerance or
one contains the other; ``"touching"`` when the distance is within the touching
tolerance; otherwise ``"clear"``. On a mesh-only pair a surface intersection (mesh
distance 0) counts as interfering, because meshes cannot tell a touch from an overlap.
Volumes are not computed here (that is the collision check's job).

The exact distance comes from ``cadml.geometry.distance.exact_distance``, imported only
when a pair needs it, so this module stays kernel-free for the API process.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.geometry.distance import as_rigid_transform, rigid_inverse
from cadml.physics.clearance.broadphase import pairs_within
from cadml.physics.clearance.mesh_distance import (
    BVHCache,
    MeshDistance,
    build_bvh,
    build_face_bvhs,
    faces_within,
    mesh_distance,
    placed_object,
    point_inside_mesh,
    world_bounds,
)
from cadml.physics.clearance.model import (
    EXACT_FACTOR,
    ClearancePart,
    ClearanceReport,
    ExactDistanceFn,
    PairClearance,
    Status,
)

__all__ = ["clearance"]

_MESH_ONLY_NOTE = "some pairs were measured on meshes only (no B-rep); accuracy ~ deflection"


def _check_inputs(
    parts: Sequence[ClearancePart],
    pairs: Sequence[tuple[str, str]] | None,
    threshold_mm: float | None,
    touching_tolerance_mm: float,
) -> list[tuple[int, int]] | None:
    if threshold_mm is not None and not (np.isfinite(threshold_mm) and threshold_mm >= 0):
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "threshold_mm", "reason": "must be a finite value >= 0"},
        )
    if not (np.isfinite(touching_tolerance_mm) and touching_tolerance_mm >= 0):
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "touching_tolerance_mm", "reason": "must be a finite value >= 0"},
        )
    index: dict[str, int] = {}
    for position, part in enumerate(parts):
        if part.id in index:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "parts", "reason": f"part id '{part.id}' appears twice"},
            )
        index[part.id] = position
        if part.mesh.triangle_count == 0:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "parts", "reason": f"part '{part.id}' has an empty mesh"},
            )
    if pairs is None:
        return None
    resolved = []
    for id_a, id_b in pairs:
        for name in (id_a, id_b):
            if name not in index:
                raise ValidationError(
                    "VALIDATION_INVALID_VALUE",
                    details={"field": "pairs", "reason": f"unknown part id '{name}'"},
                )
        if id_a == id_b:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "pairs", "reason": f"a part cannot pair with itself ('{id_a}')"},
            )
        resolved.append((index[id_a], index[id_b]))
    return resolved


def _default_exact() -> ExactDistanceFn:
    from cadml.geometry.distance import exact_distance

    return exact_distance


def _mesh_contains(
    outer: ClearancePart,
    inner: ClearancePart,
    t_outer: np.ndarray,
    t_inner: np.ndarray,
    outer_bounds: np.ndarray,
) -> bool:
    """Whether a vertex of ``inner`` lies inside ``outer`` (meshes known to be apart)."""
    vertex = inner.mesh.vertices[0] @ t_inner[:3, :3].T + t_inner[:3, 3]
    if np.any(vertex < outer_bounds[0]) or np.any(vertex > outer_bounds[1]):
        return False
    to_outer = rigid_inverse(t_outer)
    local = to_outer[:3, :3] @ vertex + to_outer[:3, 3]
    return point_inside_mesh(local, outer.mesh)


_PROBES = 32
_FACE_SUBSET_MIN_FACES = 16
"""Below this many faces the kernel's own pruning beats selecting faces from the mesh."""
_CANDIDATES = 128


def _probe_points(
    part: ClearancePart,
    transform: np.ndarray,
    faces: tuple[int, ...] | None,
    other: ClearancePart,
    other_transform: np.ndarray,
    other_bounds: np.ndarray,
) -> np.ndarray | None:
    """Mesh nodes of ``part`` (on its true surface) that lie inside the other's mesh.

    Candidates are the nodes of the given faces inside the other part's world box, at
    most ``_CANDIDATES`` evenly spread over them in a fixed order; those the other mesh
    contains (winding number) are returned, at most ``_PROBES``. The kernel then checks
    them exactly, so a wrong guess costs time, never correctness.
    """
    triangles = part.mesh.triangles
    if faces is not None and part.mesh.face_ids is not None:
        triangles = triangles[np.isin(part.mesh.face_ids, faces)]
    nodes = part.mesh.vertices[np.unique(triangles)]
    world = nodes @ transform[:3, :3].T + transform[:3, 3]
    boxed = world[np.all((world > other_bounds[0]) & (world < other_bounds[1]), axis=1)]
    if boxed.shape[0] == 0:
        return None
    picks = np.unique(np.linspace(0, boxed.shape[0] - 1, _CANDIDATES).round().astype(np.int64))
    to_other = rigid_inverse(other_transform)
    found = []
    for point in boxed[picks]:
        if point_inside_mesh(to_other[:3, :3] @ point + to_other[:3, 3], other.mesh):
            found.append(point)
            if len(found) == _PROBES:
                break
    return np.array(found) if found else None


def _status(distance_mm: float, overlapping: bool, touching_tolerance_mm: float) -> Status:
    if overlapping:
        return "interfering"
    return "touching" if distance_mm <= touching_tolerance_mm else "clear"


def clearance(
    parts: Sequence[ClearancePart],
    pairs: Sequence[tuple[str, str]] | None = None,
    *,
    threshold_mm: float | None = None,
    touching_tolerance_mm: float = 0.001,
    exact: ExactDistanceFn | None = None,
    bvh_cache: BVHCache | None = None,
) -> ClearanceReport:
    """Minimum distances and closest points between placed parts.

    Args:
        parts: the placed parts (unique ids).
        pairs: part-id pairs to measure, reported in this order; ``None`` for every
            pair within ``threshold_mm`` (every pair at all if the threshold is also
            ``None``), reported in part order.
        threshold_mm: clearance of interest; with ``pairs=None`` only pairs at most this
            far apart are reported. It also widens the exact re-measurement band.
        touching_tolerance_mm: distances at most this are "touching"; overlaps thinner
            than this are touching too.
        exact: the exact distance function; ``None`` uses
            ``cadml.geometry.distance.exact_distance`` (imports the kernel on first use).
        bvh_cache: BVHs by ``geometry_key``, kept by the caller across checks.

    Returns:
        The report, one :class:`PairClearance` per reported pair.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` for duplicate or unknown ids, a
            self-pair, an empty mesh, a non-rigid transform or a negative tolerance.
    """
    requested = _check_inputs(parts, pairs, threshold_mm, touching_tolerance_mm)
    placements = [as_rigid_transform(p.transform_mm, f"{p.id}.transform_mm") for p in parts]
    extra = 0.0 if threshold_mm is None else float(threshold_mm)
    if requested is None:
        if threshold_mm is None:
            candidates = [(i, j) for i in range(len(parts)) for j in range(i + 1, len(parts))]
        else:
            bounds = np.stack(
                [world_bounds(p.mesh, t) for p, t in zip(parts, placements, strict=True)]
            )
            # Vertices lie on the surface, so a mesh box can miss up to one deflection of
            # the true solid; 5 x deflection per side keeps the broadphase conservative.
            margins = np.array(
                [extra / 2.0 + EXACT_FACTOR / 2.0 * p.mesh.linear_deflection_mm for p in parts]
            )
            candidates = pairs_within(bounds, margins)
    else:
        candidates = requested
    cache: BVHCache = {} if bvh_cache is None else bvh_cache
    local: dict[Hashable, Any] = {}

    def cached(part: ClearancePart, faces: bool) -> Any:
        key: Hashable = (
            (id(part.mesh), faces)
            if part.geometry_key is None
            else ((part.geometry_key, "faces") if faces else part.geometry_key)
        )
        store = local if part.geometry_key is None else cache
        if key not in store:
            store[key] = build_face_bvhs(part.mesh) if faces else build_bvh(part.mesh)
        return store[key]

    def near_faces(k: int, other: int, radius_mm: float) -> tuple[int, ...] | None:
        faces = cached(parts[k], faces=True)
        if faces is None or len(faces.face_ids) < _FACE_SUBSET_MIN_FACES:
            return None
        kept = faces_within(faces, placements[k], objects[other], bounds_of(other), radius_mm)
        return kept or None

    objects: dict[int, object] = {}
    world_boxes: dict[int, np.ndarray] = {}

    def bounds_of(k: int) -> np.ndarray:
        if k not in world_boxes:
            world_boxes[k] = world_bounds(parts[k].mesh, placements[k])
        return world_boxes[k]

    def contained(i: int, j: int) -> bool:
        return _mesh_contains(
            parts[i], parts[j], placements[i], placements[j], bounds_of(i)
        ) or _mesh_contains(parts[j], parts[i], placements[j], placements[i], bounds_of(j))

    results: list[PairClearance] = []
    exact_count = 0
    mesh_only = False
    for i, j in candidates:
        part_a, part_b = parts[i], parts[j]
        for k in (i, j):
            if k not in objects:
                objects[k] = placed_object(cached(parts[k], faces=False), placements[k])
        measured: MeshDistance = mesh_distance(objects[i], objects[j])
        deflection = max(part_a.mesh.linear_deflection_mm, part_b.mesh.linear_deflection_mm)
        bound = EXACT_FACTOR * deflection + extra
        # Meshes apart may still be one inside the other: settle it before trusting them.
        inside = measured.distance_mm >= bound and contained(i, j)
        has_shapes = part_a.shape is not None and part_b.shape is not None
        if has_shapes and (measured.distance_mm < bound or inside):
            if exact is None:
                exact = _default_exact()
            # The true closest points lie on faces whose triangles come within the mesh
            # distance plus twice the tessellation error of the other mesh; the same
            # 10 x deflection margin as the band covers it with room to spare.
            radius = measured.distance_mm + EXACT_FACTOR * deflection
            faces_b = near_faces(j, i, radius)
            faces_a = near_faces(i, j, radius)
            probes_a = probes_b = None
            if measured.distance_mm == 0.0:
                probes_b = _probe_points(
                    part_b, placements[j], faces_b, part_a, placements[i], bounds_of(i)
                )
                if probes_b is None:
                    probes_a = _probe_points(
                        part_a, placements[i], faces_a, part_b, placements[j], bounds_of(j)
                    )
            answer = exact(
                part_a.shape,
                placements[i],
                part_b.shape,
                placements[j],
                overlap_check_below_mm=touching_tolerance_mm,
                faces_a=faces_a,
                faces_b=faces_b,
                probe_points_b_mm=probes_b,
                probe_points_a_mm=probes_a,
            )
            exact_count += 1
            depth = answer.overlap_depth_mm
            overlapping = answer.inside or (depth is not None and depth > touching_tolerance_mm)
            distance = 0.0 if overlapping else float(answer.distance_mm)
            pair = PairClearance(
                part_a.id,
                part_b.id,
                distance,
                tuple(answer.point_a_mm),  # type: ignore[arg-type]
                tuple(answer.point_b_mm),  # type: ignore[arg-type]
                "exact",
                deflection,
                _status(distance, overlapping, touching_tolerance_mm),
                measured.distance_mm,
                bool(answer.inside),
            )
        else:
            if not has_shapes and measured.distance_mm < bound:
                mesh_only = True
                inside = measured.distance_mm > 0.0 and contained(i, j)
            overlapping = inside or measured.distance_mm == 0.0
            distance = 0.0 if inside else measured.distance_mm
            pair = PairClearance(
                part_a.id,
                part_b.id,
                distance,
                measured.point_a_mm,
                measured.point_b_mm,
                "mesh",
                deflection,
                _status(distance, overlapping, touching_tolerance_mm),
                measured.distance_mm,
                inside,
            )
        if requested is None and threshold_mm is not None and pair.distance_mm > threshold_mm:
            continue
        results.append(pair)
    return ClearanceReport(
        pairs=tuple(results),
        threshold_mm=threshold_mm,
        touching_tolerance_mm=touching_tolerance_mm,
        candidate_pairs=len(candidates),
        exact_pairs=exact_count,
        notes=(_MESH_ONLY_NOTE,) if mesh_only else (),
    )
