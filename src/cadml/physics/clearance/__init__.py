"""Clearance: minimum distances and closest points between placed parts.

A mesh prefilter (fcl BVHs) followed by the exact B-rep distance wherever tessellation
could change the answer (below ``EXACT_FACTOR × deflection + threshold``). See
:mod:`cadml.physics.clearance.check`.
"""

from cadml.physics.clearance.broadphase import pairs_within
from cadml.physics.clearance.check import clearance
from cadml.physics.clearance.mesh_distance import (
    BVHCache,
    FaceBVHs,
    MeshDistance,
    build_bvh,
    build_face_bvhs,
    faces_within,
    mesh_distance,
    point_inside_mesh,
    world_bounds,
)
from cadml.physics.clearance.model import (
    EXACT_FACTOR,
    ClearancePart,
    ClearanceReport,
    ExactDistanceFn,
    ExactDistanceLike,
    Method,
    PairClearance,
    Status,
)

__all__ = [
    "EXACT_FACTOR",
    "BVHCache",
    "ClearancePart",
    "ClearanceReport",
    "ExactDistanceFn",
    "ExactDistanceLike",
    "FaceBVHs",
    "MeshDistance",
    "Method",
    "PairClearance",
    "Status",
    "build_bvh",
    "build_face_bvhs",
    "clearance",
    "faces_within",
    "mesh_distance",
    "pairs_within",
    "point_inside_mesh",
    "world_bounds",
]
