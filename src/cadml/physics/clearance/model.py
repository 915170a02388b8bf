"""Inputs and results of a clearance check: placed parts, per-pair answers, the report.

Plain data: no kernel and no fcl. Lengths are mm (the CAD boundary): clearances of tens
of micrometres are compared with tolerances of one, so the values stay in the units
the designer wrote them in.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from cadml.geometry.mesh import Mesh

__all__ = [
    "EXACT_FACTOR",
    "ClearancePart",
    "ClearanceReport",
    "ExactDistanceFn",
    "ExactDistanceLike",
    "Method",
    "PairClearance",
    "Status",
]

EXACT_FACTOR = 10.0
"""A mesh distance below ``EXACT_FACTOR × deflection + threshold`` is re-measured exactly.

Tessellation error in a distance is about 0.7 × the deflection (measured: a 50 µm
clearance rotated 7° read 13.5 µm on meshes at δ = 0.1 mm), so the factor leaves a wide
margin.
"""

Method = Literal["mesh", "exact"]
Status = Literal["clear", "touching", "interfering"]


@dataclass(frozen=True, eq=False)
class ClearancePart:
    """A part placed in the world.

    Args:
        id: unique name of the part in the check.
        mesh: its tessellation in its own frame, mm.
        transform_mm: ``(4, 4)`` rigid placement (rotation, translation in mm).
        shape: its B-rep (an OCP ``TopoDS_Shape`` in the same frame as the mesh) for
            the exact path, or ``None`` for a mesh-only part (an STL upload).
        geometry_key: identifies the geometry (not the placement) so that BVHs can be
            cached across checks and shared by copies of a part; ``None`` for no
            caching beyond one call.
    """

    id: str
    mesh: Mesh
    transform_mm: npt.NDArray[np.float64]
    shape: Any | None = None
    geometry_key: Hashable | None = None


@dataclass(frozen=True)
class PairClearance:
    """The clearance between two parts.

    Args:
        id_a: first part.
        id_b: second part.
        distance_mm: minimum distance between the solids, 0 when they touch or overlap.
        point_a_mm: ``(3,)`` closest point on A, world mm. For an interfering pair on
            the exact path: the point of A's boundary nearest ``point_b_mm`` when that
            is a penetration witness, else a point where the boundaries meet.
        point_b_mm: ``(3,)`` closest point on B, world mm (for an interfering pair,
            possibly a point of B's boundary inside A).
        method: ``"exact"`` (B-rep) or ``"mesh"`` (triangle meshes only).
        deflection_mm: the larger linear deflection of the two meshes.
        status: ``"clear"``, ``"touching"`` (within the touching tolerance, no overlap)
            or ``"interfering"`` (the solids overlap, or one contains the other).
        mesh_distance_mm: what the meshes alone said (the prefilter value).
        inside: one part lies entirely inside the other.
    """

    id_a: str
    id_b: str
    distance_mm: float
    point_a_mm: tuple[float, float, float]
    point_b_mm: tuple[float, float, float]
    method: Method
    deflection_mm: float
    status: Status
    mesh_distance_mm: float
    inside: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (mm keys)."""
        return {
            "id_a": self.id_a,
            "id_b": self.id_b,
            "distance_mm": self.distance_mm,
            "point_a_mm": list(self.point_a_mm),
            "point_b_mm": list(self.point_b_mm),
            "method": self.method,
            "deflection_mm": self.deflection_mm,
            "status": self.status,
            "mesh_distance_mm": self.mesh_distance_mm,
            "inside": self.inside,
        }


@dataclass(frozen=True)
class ClearanceReport:
    """The answer of :func:`cadml.physics.clearance.clearance`.

    Args:
        pairs: the requested pairs in request order, or, for an all-pairs check, every
            pair within the threshold in part order.
        threshold_mm: the threshold of the check (``None`` if none).
        touching_tolerance_mm: distances at most this are "touching".
        candidate_pairs: pairs whose meshes were measured (after the broadphase).
        exact_pairs: pairs re-measured on the B-rep.
        notes: remarks on how the answer was obtained (e.g. mesh-only parts).
    """

    pairs: tuple[PairClearance, ...]
    threshold_mm: float | None
    touching_tolerance_mm: float
    candidate_pairs: int
    exact_pairs: int
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (mm keys)."""
        return {
            "pairs": [pair.to_dict() for pair in self.pairs],
            "threshold_mm": self.threshold_mm,
            "touching_tolerance_mm": self.touching_tolerance_mm,
            "candidate_pairs": self.candidate_pairs,
            "exact_pairs": self.exact_pairs,
            "notes": list(self.notes),
        }


class ExactDistanceLike(Protocol):
    """What an exact distance function returns (see ``cadml.geometry.distance``)."""

    @property
    def distance_mm(self) -> float: ...

    @property
    def point_a_mm(self) -> tuple[float, float, float]: ...

    @property
    def point_b_mm(self) -> tuple[float, float, float]: ...

    @property
    def inside(self) -> bool: ...

    @property
    def overlap_depth_mm(self) -> float | None: ...


class ExactDistanceFn(Protocol):
    """Signature of the exact B-rep distance (``cadml.geometry.distance.exact_distance``)."""

    def __call__(
        self,
        shape_a: Any,
        transform_a_mm: npt.ArrayLike,
        shape_b: Any,
        transform_b_mm: npt.ArrayLike,
        *,
        overlap_check_below_mm: float,
        faces_a: Sequence[int] | None = None,
        faces_b: Sequence[int] | None = None,
        probe_points_b_mm: npt.ArrayLike | None = None,
        probe_points_a_mm: npt.ArrayLike | None = None,
    ) -> ExactDistanceLike: ...
