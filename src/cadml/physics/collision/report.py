"""Results of a collision check: per-pair answers, pairs cleared by the exact check, the report.

Plain data. ``to_dict`` gives JSON-able dicts with floats rounded to
:data:`cadml.tolerances.METRIC_DECIMALS` so the same scene serialises to the same bytes;
wall-clock timings are left out unless asked for, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cadml.physics.collision.severity import KINDS, SEVERITIES, Kind, Severity
from cadml.tolerances import METRIC_DECIMALS

__all__ = ["ClearedPair", "CollisionPair", "CollisionReport", "Timings"]


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), METRIC_DECIMALS) + 0.0


def _point(value: tuple[float, float, float] | None) -> list[float | None] | None:
    return None if value is None else [_r(c) for c in value]


@dataclass(frozen=True)
class CollisionPair:
    """One colliding (or touching) pair; ``part_a < part_b`` by id.

    Args:
        part_a: id of the first part.
        part_b: id of the second part.
        kind: ``overlap``, ``containment`` or ``touching`` (see :mod:`.severity`).
        severity: ``touching``, ``uncertain``, ``minor`` or ``major``.
        confirmed: the answer holds despite tessellation error (outside the band of the
            two deflections, or confirmed by the exact B-rep check).
        volume_mm3: common volume of the meshes (``None`` if volumes were not computed).
        exact_volume_mm3: common volume of the exact B-reps, when it was computed.
        volume_fraction: common volume (exact if known) / the smaller part's volume.
        depth_mm: thickness estimate ``2V/S`` of the mesh intersection.
        contact_point_mm: a point where the surfaces meet (fcl), world mm.
        centroid_mm: centroid of the mesh intersection, world mm.
        faces_a: B-rep face ids of ``part_a`` bounding the intersection (for a touch:
            the faces of the contact triangles).
        faces_b: the same for ``part_b``.
    """

    part_a: str
    part_b: str
    kind: Kind
    severity: Severity
    confirmed: bool
    volume_mm3: float | None
    exact_volume_mm3: float | None
    volume_fraction: float | None
    depth_mm: float | None
    contact_point_mm: tuple[float, float, float] | None
    centroid_mm: tuple[float, float, float] | None
    faces_a: tuple[int, ...]
    faces_b: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (floats rounded)."""
        return {
            "part_a": self.part_a,
            "part_b": self.part_b,
            "kind": self.kind,
            "severity": self.severity,
            "confirmed": self.confirmed,
            "volume_mm3": _r(self.volume_mm3),
            "exact_volume_mm3": _r(self.exact_volume_mm3),
            "volume_fraction": _r(self.volume_fraction),
            "depth_mm": _r(self.depth_mm),
            "contact_point_mm": _point(self.contact_point_mm),
            "centroid_mm": _point(self.centroid_mm),
            "faces_a": list(self.faces_a),
            "faces_b": list(self.faces_b),
        }


@dataclass(frozen=True)
class ClearedPair:
    """A pair the meshes flagged near contact but the exact B-rep check cleared.

    The exact common volume is (numerically) zero: the parts do not interfere. Whether
    they touch or keep a clearance is for the clearance check (exact distance) to say.

    Args:
        part_a: id of the first part.
        part_b: id of the second part.
        mesh_volume_mm3: the false mesh interference (0 for a mesh near miss).
        exact_volume_mm3: the exact common volume.
    """

    part_a: str
    part_b: str
    mesh_volume_mm3: float
    exact_volume_mm3: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (floats rounded)."""
        return {
            "part_a": self.part_a,
            "part_b": self.part_b,
            "mesh_volume_mm3": _r(self.mesh_volume_mm3),
            "exact_volume_mm3": _r(self.exact_volume_mm3),
        }


@dataclass
class Timings:
    """Wall-clock milliseconds spent in each stage of one check."""

    broadphase_ms: float = 0.0
    narrowphase_ms: float = 0.0
    volumes_ms: float = 0.0
    exact_ms: float = 0.0
    total_ms: float = 0.0

    def to_dict(self) -> dict[str, float]:
        """The timings rounded to microseconds."""
        return {
            "broadphase_ms": round(self.broadphase_ms, 3),
            "narrowphase_ms": round(self.narrowphase_ms, 3),
            "volumes_ms": round(self.volumes_ms, 3),
            "exact_ms": round(self.exact_ms, 3),
            "total_ms": round(self.total_ms, 3),
        }


@dataclass(frozen=True)
class CollisionReport:
    """The answer of :func:`cadml.physics.collision.check_collisions`.

    Args:
        pairs: colliding and touching pairs, sorted by ``(part_a, part_b)``.
        cleared: pairs flagged by the meshes and cleared by the exact check, sorted.
        part_count: parts in the scene.
        candidate_count: pairs passed by the broadphase.
        tolerance_mm: the tolerance used.
        timings: wall-clock time per stage.
    """

    pairs: tuple[CollisionPair, ...]
    cleared: tuple[ClearedPair, ...]
    part_count: int
    candidate_count: int
    tolerance_mm: float
    timings: Timings = field(default_factory=Timings, compare=False)

    @property
    def colliding(self) -> tuple[CollisionPair, ...]:
        """The pairs that share volume (kinds ``overlap`` and ``containment``)."""
        return tuple(p for p in self.pairs if p.kind != "touching")

    def counts(self) -> dict[str, dict[str, int]]:
        """Number of pairs by kind and by severity (every key present)."""
        return {
            "kind": {k: sum(p.kind == k for p in self.pairs) for k in KINDS},
            "severity": {s: sum(p.severity == s for p in self.pairs) for s in SEVERITIES},
        }

    def to_dict(self, *, include_timings: bool = False) -> dict[str, Any]:
        """A JSON-able dict; byte-stable for a given scene unless timings are included."""
        body: dict[str, Any] = {
            "part_count": self.part_count,
            "candidate_count": self.candidate_count,
            "tolerance_mm": self.tolerance_mm,
            "counts": self.counts(),
            "pairs": [p.to_dict() for p in self.pairs],
            "cleared": [c.to_dict() for c in self.cleared],
        }
        if include_timings:
            body["timings_ms"] = self.timings.to_dict()
        return body
