"""Physics requests: placed parts, transforms and options, checked and made canonical.

Pure Python, run by the API process and the CLI before any geometry is loaded. A part is
a design (the id of the job that made or imported it) or, on the CLI, a file, placed by
a 4×4 homogeneous transform in millimetres::

    {"parts": [{"id": "base", "design_id": "…", "material": "steel"},
               {"id": "pin", "design_id": "…", "density_kg_m3": 7850,
                "transform_mm": [[1,0,0,10],[0,1,0,0],[0,0,1,5],[0,0,0,1]]}]}

A transform must be rigid: its rotation part orthonormal with determinant +1 (to 1e-6),
its last row ``[0, 0, 0, 1]``. Omitted, it is the identity.

Examples:
    >>> parts = canonical_parts([{"design_id": "d1"}, {"id": "b", "design_id": "d1",
    ...                            "transform_mm": [[1, 0, 0, 5], [0, 1, 0, 0],
    ...                                             [0, 0, 1, 0], [0, 0, 0, 1]]}])
    >>> [p["id"] for p in parts], parts[1]["transform_mm"][0]
    (['part1', 'b'], [1.0, 0.0, 0.0, 5.0])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cadml.errors import ValidationError
from cadml.physics.materials import get_material

__all__ = [
    "IDENTITY_MM",
    "MAX_PARTS",
    "canonical_parts",
    "canonical_transform",
    "positive_number",
]

IDENTITY_MM: list[list[float]] = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
]
"""The identity placement."""

MAX_PARTS = 500
"""The most parts one request may place."""

_RIGID_TOLERANCE = 1e-6
_PART_FIELDS = ("id", "design_id", "file", "material", "density_kg_m3", "transform_mm")


def _invalid(field: str, reason: str, value: Any = None) -> ValidationError:
    return ValidationError(
        "VALIDATION_INVALID_VALUE", details={"field": field, "reason": reason, "value": value}
    )


def positive_number(field: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float above zero (or at least zero).

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` naming ``field``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(field, "expected a number", value)
    number = float(value)
    if not math.isfinite(number) or number < 0.0 or (number == 0.0 and not allow_zero):
        raise _invalid(field, "expected a positive finite number", value)
    return number


def canonical_transform(field: str, value: Any) -> list[list[float]]:
    """A rigid 4×4 transform in mm as nested float lists (identity when ``None``).

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` for a wrong shape, a non-finite
            entry, a last row other than ``[0, 0, 0, 1]`` or a rotation that is not
            orthonormal with determinant +1 (scaling and mirroring are refused).
    """
    if value is None:
        return [row[:] for row in IDENTITY_MM]
    if (
        not isinstance(value, Sequence)
        or len(value) != 4
        or any(not isinstance(row, Sequence) or len(row) != 4 for row in value)
    ):
        raise _invalid(field, "expected a 4x4 matrix (list of 4 rows of 4 numbers)", value)
    matrix: list[list[float]] = []
    for row in value:
        numbers = []
        for entry in row:
            if isinstance(entry, bool) or not isinstance(entry, (int, float)):
                raise _invalid(field, "expected numbers", value)
            if not math.isfinite(entry):
                raise _invalid(field, "expected finite numbers", value)
            numbers.append(float(entry) + 0.0)
        matrix.append(numbers)
    if max(abs(a - b) for a, b in zip(matrix[3], (0.0, 0.0, 0.0, 1.0), strict=True)) > 1e-12:
        raise _invalid(field, "the last row must be [0, 0, 0, 1]", value)
    r = [row[:3] for row in matrix[:3]]
    for i in range(3):
        for j in range(3):
            dot = sum(r[k][i] * r[k][j] for k in range(3))
            if abs(dot - (1.0 if i == j else 0.0)) > _RIGID_TOLERANCE:
                raise _invalid(field, "the rotation must be orthonormal (no scaling)", value)
    det = (
        r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
        - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
        + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0])
    )
    if det < 0.0:
        raise _invalid(field, "the rotation must not mirror (determinant -1)", value)
    return matrix


def _density(index: int, part: Mapping[str, Any]) -> dict[str, Any]:
    if part.get("density_kg_m3") is not None and part.get("material") is not None:
        raise ValidationError(
            "VALIDATION_CONFLICT",
            details={
                "field": f"parts[{index}].density_kg_m3",
                "reason": "give a material or a density, not both",
            },
        )
    if part.get("density_kg_m3") is not None:
        density = positive_number(f"parts[{index}].density_kg_m3", part["density_kg_m3"])
        return {"material": None, "density_kg_m3": density}
    if part.get("material") is not None:
        material = get_material(str(part["material"]).strip().lower())
        return {"material": material.id, "density_kg_m3": material.density_kg_m3}
    return {"material": None, "density_kg_m3": None}


def canonical_parts(
    parts: Any, *, sources: tuple[str, ...] = ("design_id",), min_parts: int = 1
) -> list[dict[str, Any]]:
    """Check a list of placed parts and return it canonical.

    Args:
        parts: the request's ``parts``.
        sources: which source fields a part may use (``design_id``, and ``file`` on
            the CLI); exactly one per part.
        min_parts: the fewest parts the operation needs.

    Returns:
        One dict per part: ``id`` (given, or ``part<N>``), the source field,
        ``material`` and ``density_kg_m3`` (``None`` when neither was given: the
        design's own material applies), ``transform_mm``.

    Raises:
        ValidationError: ``VALIDATION_MISSING_FIELD``, ``VALIDATION_INVALID_VALUE``,
            ``VALIDATION_UNKNOWN_PARAMETER``, ``VALIDATION_CONFLICT`` or
            ``VALIDATION_UNKNOWN_MATERIAL``, naming the field.
    """
    if not isinstance(parts, Sequence) or isinstance(parts, (str, bytes)):
        raise _invalid("parts", "expected a list of parts", parts)
    if not min_parts <= len(parts) <= MAX_PARTS:
        raise _invalid("parts", f"expected {min_parts} to {MAX_PARTS} parts", len(parts))
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, part in enumerate(parts):
        field = f"parts[{index}]"
        if not isinstance(part, Mapping):
            raise _invalid(field, "expected an object", part)
        for name in sorted(part, key=str):
            if name not in _PART_FIELDS or (name in ("design_id", "file") and name not in sources):
                allowed = [f for f in _PART_FIELDS if f not in ("design_id", "file")]
                raise ValidationError(
                    "VALIDATION_UNKNOWN_PARAMETER",
                    details={
                        "field": f"{field}.{name}",
                        "family": "parts",
                        "allowed": ", ".join((*sources, *allowed)),
                    },
                )
        given = [s for s in sources if part.get(s) not in (None, "")]
        if len(given) != 1:
            raise ValidationError(
                "VALIDATION_MISSING_FIELD",
                details={"field": f"{field}.{' or '.join(sources)}"},
            )
        part_id = str(part.get("id") or f"part{index + 1}").strip()
        if not part_id or part_id in seen:
            raise _invalid(f"{field}.id", "part ids must be unique and non-empty", part_id)
        seen.add(part_id)
        out.append(
            {
                "id": part_id,
                given[0]: str(part[given[0]]),
                **_density(index, part),
                "transform_mm": canonical_transform(
                    f"{field}.transform_mm", part.get("transform_mm")
                ),
            }
        )
    return out
