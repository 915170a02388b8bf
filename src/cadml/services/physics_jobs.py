"""Physics use cases on the API side: mass properties, collision and clearance jobs.

Exact answers need the B-rep, so the work runs in geometry workers
(:mod:`cadml.services.physics_flows`). This service checks a request, resolves each
part's design id to its exact BREP artefact (and its material when the request names
none), and queues one job; its metrics carry the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cadml.errors import ValidationError
from cadml.physics.materials import get_material
from cadml.physics.requests import canonical_parts, canonical_transform, positive_number
from cadml.services.auth import Principal
from cadml.services.design_jobs import DesignJobService

__all__ = [
    "CLEARANCE_JOB_KIND",
    "COLLISION_JOB_KIND",
    "DEFAULT_DEFLECTION_MM",
    "MASS_JOB_KIND",
    "PHYSICS_JOB_KINDS",
    "PhysicsJobService",
]

MASS_JOB_KIND = "physics.mass"
COLLISION_JOB_KIND = "physics.collision"
CLEARANCE_JOB_KIND = "physics.clearance"
PHYSICS_JOB_KINDS = (MASS_JOB_KIND, COLLISION_JOB_KIND, CLEARANCE_JOB_KIND)

DEFAULT_DEFLECTION_MM = 0.05
"""Chordal deflection of the meshes used for collision and the clearance prefilter."""


def _check_fields(body: Mapping[str, Any], allowed: tuple[str, ...], family: str) -> None:
    if not isinstance(body, Mapping):
        raise ValidationError(
            "VALIDATION_INVALID_VALUE", details={"field": "body", "reason": "expected an object"}
        )
    for name in sorted(body, key=str):
        if name not in allowed:
            raise ValidationError(
                "VALIDATION_UNKNOWN_PARAMETER",
                details={"field": name, "family": family, "allowed": ", ".join(allowed)},
            )


def _option(body: Mapping[str, Any], name: str, default: float, *, zero: bool = False) -> float:
    value = body.get(name)
    return default if value is None else positive_number(name, value, allow_zero=zero)


class PhysicsJobService:
    """Queues physics jobs on the design job machinery.

    Args:
        designs: the design-job service (job records, queue, artefact lookups).
    """

    def __init__(self, designs: DesignJobService) -> None:
        self.designs = designs

    def _resolve(self, parts: list[dict[str, Any]], principal: Principal) -> list[dict[str, Any]]:
        resolved = []
        for index, part in enumerate(parts):
            design, brep = self.designs.design_brep(
                part["design_id"], principal, field=f"parts[{index}].design_id"
            )
            entry = dict(part)
            if entry["density_kg_m3"] is None:
                material = get_material((design.metrics or {}).get("material", "aluminum_6061"))
                entry["material"] = material.id
                entry["density_kg_m3"] = material.density_kg_m3
            entry["brep_key"] = brep.storage_key
            entry["geometry_key"] = brep.sha256
            resolved.append(entry)
        return resolved

    def submit_mass(
        self, body: Mapping[str, Any], principal: Principal, *, request_id: str | None = None
    ) -> tuple[Any, bool]:
        """``{"parts": [...], "frame_mm"?: 4x4}``: exact mass properties of an assembly.

        Raises:
            ValidationError: a bad part, transform or frame; a design not ready.
            NotFoundError: ``NOT_FOUND_JOB`` for a design the principal cannot see.
        """
        _check_fields(body, ("parts", "frame_mm"), "mass-properties")
        canonical = {
            "parts": self._resolve(canonical_parts(body.get("parts")), principal),
            "frame_mm": canonical_transform("frame_mm", body.get("frame_mm")),
        }
        return self.designs.submit(MASS_JOB_KIND, canonical, principal, request_id=request_id)

    def submit_collision(
        self, body: Mapping[str, Any], principal: Principal, *, request_id: str | None = None
    ) -> tuple[Any, bool]:
        """``{"parts", "tolerance_mm"?, "deflection_mm"?, "exact"?}``: collisions of parts."""
        _check_fields(body, ("parts", "tolerance_mm", "deflection_mm", "exact"), "collision")
        exact = body.get("exact", False)
        if not isinstance(exact, bool):
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "exact", "reason": "expected true or false", "value": exact},
            )
        canonical = {
            "parts": self._resolve(canonical_parts(body.get("parts"), min_parts=2), principal),
            "tolerance_mm": _option(body, "tolerance_mm", 0.001),
            "deflection_mm": _option(body, "deflection_mm", DEFAULT_DEFLECTION_MM),
            "exact": exact,
        }
        return self.designs.submit(COLLISION_JOB_KIND, canonical, principal, request_id=request_id)

    def submit_clearance(
        self, body: Mapping[str, Any], principal: Principal, *, request_id: str | None = None
    ) -> tuple[Any, bool]:
        """``{"parts", "pairs"?: [[id, id], ...], "threshold_mm"?, "touching_tolerance_mm"?,
        "deflection_mm"?}``: minimum distances of given pairs, or of all pairs closer than
        ``threshold_mm``."""
        _check_fields(
            body,
            ("parts", "pairs", "threshold_mm", "touching_tolerance_mm", "deflection_mm"),
            "clearance",
        )
        parts = canonical_parts(body.get("parts"), min_parts=2)
        ids = {p["id"] for p in parts}
        pairs = body.get("pairs")
        canonical_pairs = None
        if pairs is not None:
            if not isinstance(pairs, list) or not pairs:
                raise ValidationError(
                    "VALIDATION_INVALID_VALUE",
                    details={"field": "pairs", "reason": "expected a list of [id, id] pairs"},
                )
            canonical_pairs = []
            for i, pair in enumerate(pairs):
                if (
                    not isinstance(pair, list)
                    or len(pair) != 2
                    or not all(isinstance(p, str) and p in ids for p in pair)
                    or pair[0] == pair[1]
                ):
                    raise ValidationError(
                        "VALIDATION_INVALID_VALUE",
                        details={
                            "field": f"pairs[{i}]",
                            "reason": "expected two different part ids",
                            "value": pair,
                        },
                    )
                canonical_pairs.append(sorted(pair))
        elif body.get("threshold_mm") is None:
            raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": "pairs"})
        canonical = {
            "parts": self._resolve(parts, principal),
            "pairs": canonical_pairs,
            "threshold_mm": (
                None
                if body.get("threshold_mm") is None
                else positive_number("threshold_mm", body["threshold_mm"], allow_zero=True)
            ),
            "touching_tolerance_mm": _option(body, "touching_tolerance_mm", 0.001),
            "deflection_mm": _option(body, "deflection_mm", DEFAULT_DEFLECTION_MM),
        }
        return self.designs.submit(CLEARANCE_JOB_KIND, canonical, principal, request_id=request_id)
