"""What can be designed: part families with their parameters, as JSON-able data.

Used by ``GET /api/v1/designs/families`` and ``cadml design families``; never imports
the kernel.
"""

from __future__ import annotations

from typing import Any

from cadml.geometry.generators import FAMILIES
from cadml.geometry.generators.family import FamilySpec

__all__ = ["describe_families", "describe_family"]


def describe_family(spec: FamilySpec) -> dict[str, Any]:
    """A family's id, description and parameters (unit, range, default, required).

    Examples:
        >>> d = describe_family(FAMILIES["prism_with_hole"])
        >>> [p["name"] for p in d["parameters"]][:2]
        ['length', 'width']
    """
    return {
        "family": spec.name,
        "description": spec.description,
        "parameters": [
            {
                "name": p.name,
                "unit": p.unit,
                "min": p.min,
                "max": p.max,
                "default": p.default,
                "required": p.required,
                "description": p.description,
            }
            for p in spec.parameters
        ],
    }


def describe_families() -> list[dict[str, Any]]:
    """Every registered family, sorted by id."""
    return [describe_family(FAMILIES[name]) for name in sorted(FAMILIES)]
