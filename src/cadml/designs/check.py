"""The manufacturability-check request: which process, material and limits.

``POST /api/v1/designs/{id}/check`` takes::

    {"process": "injection_molding", "material": "abs",
     "options": {"min_draft_deg": 1.5, "pull_direction": [0, 0, 1]}}

``process`` is required; ``material`` defaults to the design's own; ``options``
override the process's default limits (see :data:`OPTION_NAMES` and
``docs/manufacturability.md``). Pure Python: the API process checks the request and
a geometry worker runs it.

Examples:
    >>> c = canonicalize_check_request("job1", "k" * 64, {"process": "CNC_Milling"},
    ...                                default_material="steel")
    >>> c["process"], c["material"], c["options"]
    ('cnc_milling', 'steel', {})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cadml.designs.params import DEFAULT_MATERIAL, PARAM_DECIMALS
from cadml.errors import ValidationError
from cadml.physics.materials import check_process, get_material

__all__ = ["DIRECTION_OPTIONS", "OPTION_NAMES", "canonicalize_check_request"]

DIRECTION_OPTIONS = ("pull_direction", "build_direction")
"""Options that are 3-vectors (normalised here)."""

OPTION_NAMES = (
    "build_direction",
    "max_bridge_mm",
    "min_draft_deg",
    "min_feature_mm",
    "overhang_limit_deg",
    "pull_direction",
    "tool_diameter_mm",
)
"""Options a request may set; each matches a field of ``cadml.geometry.dfm.DfmOptions``."""

_FIELDS = ("process", "material", "options")


def _invalid(field: str, reason: str, value: Any = None) -> ValidationError:
    return ValidationError(
        "VALIDATION_INVALID_VALUE", details={"field": field, "reason": reason, "value": value}
    )


def _positive(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(field, "expected a number", value)
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise _invalid(field, "expected a positive number", value)
    return round(number, PARAM_DECIMALS)


def _direction(field: str, value: Any) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise _invalid(field, "expected [x, y, z]", value)
    numbers = []
    for c in value:
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c):
            raise _invalid(field, "expected three finite numbers", value)
        numbers.append(float(c))
    norm = math.sqrt(sum(c * c for c in numbers))
    if norm < 1e-9:
        raise _invalid(field, "the direction must not be zero", value)
    return [round(c / norm, 12) + 0.0 for c in numbers]


def _options(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _invalid("options", "expected a JSON object", raw)
    options: dict[str, Any] = {}
    for name in sorted(raw, key=str):
        if name not in OPTION_NAMES:
            raise ValidationError(
                "VALIDATION_UNKNOWN_PARAMETER",
                details={
                    "field": f"options.{name}",
                    "family": "check",
                    "allowed": ", ".join(OPTION_NAMES),
                },
            )
        field = f"options.{name}"
        if name in DIRECTION_OPTIONS:
            options[name] = _direction(field, raw[name])
        else:
            options[name] = _positive(field, raw[name])
    return options


def canonicalize_check_request(
    design_job_id: str,
    brep_key: str,
    body: Mapping[str, Any],
    *,
    default_material: str | None = None,
) -> dict[str, Any]:
    """Validate a check request and return its canonical form.

    Args:
        design_job_id: the design (job id) to check.
        brep_key: the storage key of the design's BREP artefact.
        body: ``{"process": str, "material"?: str, "options"?: {...}}``.
        default_material: the design's material, used when the body names none.

    Raises:
        ValidationError: ``VALIDATION_MISSING_FIELD`` (no process),
            ``VALIDATION_UNKNOWN_PARAMETER``, ``VALIDATION_INVALID_VALUE``, or a
            material/process code.
    """
    if not isinstance(body, Mapping):
        raise _invalid("body", "expected a JSON object")
    for name in sorted(body, key=str):
        if name not in _FIELDS:
            raise ValidationError(
                "VALIDATION_UNKNOWN_PARAMETER",
                details={"field": name, "family": "check", "allowed": ", ".join(_FIELDS)},
            )
    process = body.get("process")
    if not isinstance(process, str) or not process.strip():
        raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": "process"})
    material_id = body.get("material") or default_material or DEFAULT_MATERIAL
    if not isinstance(material_id, str):
        raise _invalid("material", "expected a material id", material_id)
    material = get_material(material_id.strip().lower())
    process_id = process.strip().lower()
    check_process(material, process_id)
    return {
        "design_job_id": design_job_id,
        "brep_key": brep_key,
        "process": process_id,
        "material": material.id,
        "options": _options(body.get("options")),
    }
