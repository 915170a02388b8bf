"""What can be designed: part families with their parameters, as JSON-able data.

Used by ``GET /api/v1/designs/families`` and ``cadml design families``; never imports
the kernel.
"""

from __future__ import annotations

from typing import Any

from cadml.geometry.generators import FAMILIES
from cadml.geometry.generators.family import FamilySpec
from cadml.physics.materials import PROCESSES, list_materials

__all__ = ["describe_families", "describe_family"]


def describe_family(spec: FamilySpec) -> dict[str, Any]:
    """A family's id, description and parameters (unit, range, default, required).

    Examples:
        >>> d = describe_family(FAMILIES["prism_with_hole"])
        >>> [p["name"] for p in d["parameters"]][:2]
        ['length', 'width']
    """
    parameters = []
    for p in spec.parameters:
        entry: dict[str, Any] = {"name": p.name, "kind": p.kind, "unit": p.unit}
        if p.kind not in ("boolean", "choice"):
            entry.update(min=p.min, max=p.max)
        if p.kind == "choice":
            entry["choices"] = list(p.choices)
        if p.kind in ("numbers", "points"):
            entry.update(min_items=p.min_items, max_items=p.max_items)
        entry.update(default=p.default, required=p.required, description=p.description)
        parameters.append(entry)
    return {
        "family": spec.name,
        "description": spec.description,
        "parameters": parameters,
        "schema": spec.json_schema(tuple(sorted(m.id for m in list_materials())), PROCESSES),
        "example": {"family": spec.name, "params": dict(spec.example or {})},
    }


def describe_families() -> list[dict[str, Any]]:
    """Every registered family, sorted by id."""
    return [describe_family(FAMILIES[name]) for name in sorted(FAMILIES)]
