"""The params design flow: validate a parametric request and make it canonical.

A request body names a family and its parameters::

    {"family": "prism_with_hole",
     "params": {"length": 100, "width": 50, "height": 30, "hole_diameter": 10,
                "material": "aluminum_6061", "process": "cnc_milling"}}

Its canonical form has every numeric parameter as a float rounded to 1e-6 (in the
family's unit, mm; lists of numbers and points alike), integers as ints, choices in
their catalogue spelling, the material and process ids trimmed and lower-cased, defaults
filled in, and keys in sorted order. Equal designs get equal canonical forms and so
equal cache keys. Canonicalisation is idempotent.

Checks run in this order, and the first failure is raised: body shape
(``VALIDATION_MISSING_FIELD``, ``VALIDATION_UNKNOWN_PARAMETER``,
``VALIDATION_INVALID_VALUE``), family (``VALIDATION_UNKNOWN_FAMILY``), material and
process (``VALIDATION_UNKNOWN_MATERIAL``, ``VALIDATION_UNKNOWN_PROCESS``,
``VALIDATION_MATERIAL_PROCESS_CONFLICT``), ranges (``VALIDATION_RANGE_VIOLATION``),
then the family's own rules. Every error's ``details["field"]`` names the field.

Examples:
    >>> body = {"family": "prism_with_hole",
    ...         "params": {"length": 100, "width": 50, "height": 30, "hole_diameter": 10}}
    >>> canonical = canonicalize_params_request(body)
    >>> canonical["params"]["material"], canonical["params"]["length"]
    ('aluminum_6061', 100.0)
    >>> canonicalize_params_request(canonical) == canonical
    True
    >>> len(design_cache_key(canonical))
    64
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from cadml.errors import ValidationError
from cadml.geometry.generators import FamilySpec, ParamSpec, get_family
from cadml.physics.materials import check_process, get_material

__all__ = [
    "DEFAULT_MATERIAL",
    "DEFAULT_PROCESS",
    "PARAM_DECIMALS",
    "canonical_values",
    "canonicalize_params_request",
    "design_cache_key",
]

DEFAULT_MATERIAL = "aluminum_6061"
"""Material used when a request names none."""

DEFAULT_PROCESS = "cnc_milling"
"""Process used when a request names none."""

PARAM_DECIMALS = 6
"""Numeric parameters are rounded to this many decimals (1e-6 mm)."""

_BODY_FIELDS = ("family", "params")
_CHOICE_FIELDS = {"material": DEFAULT_MATERIAL, "process": DEFAULT_PROCESS}


def _invalid(field: str, reason: str, value: Any = None) -> ValidationError:
    return ValidationError(
        "VALIDATION_INVALID_VALUE", details={"field": field, "reason": reason, "value": value}
    )


def _identifier(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, "expected a non-empty string", value)
    return value.strip().lower()


def _number(field: str, value: Any) -> float:
    # bool is an int subclass; True is not a length.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(field, "expected a number", value)
    number = float(value)
    if not math.isfinite(number):
        raise _invalid(field, "expected a finite number", str(value))
    # + 0.0 turns -0.0 into 0.0, so both canonicalise alike.
    return round(number, PARAM_DECIMALS) + 0.0


def _body(body: Any) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(body, Mapping):
        raise _invalid("body", "expected a JSON object")
    for field in _BODY_FIELDS:
        if field not in body:
            raise ValidationError("VALIDATION_MISSING_FIELD", details={"field": field})
    for field in sorted(body, key=str):
        if field not in _BODY_FIELDS:
            raise ValidationError(
                "VALIDATION_UNKNOWN_PARAMETER",
                details={"field": field, "family": body.get("family"), "allowed": "family, params"},
            )
    family_name = _identifier("family", body["family"])
    params = body["params"]
    if not isinstance(params, Mapping):
        raise _invalid("params", "expected a JSON object")
    return family_name, params


def _integer(field: str, value: Any) -> int:
    number = _number(field, value)
    if not number.is_integer():
        raise _invalid(field, "expected a whole number", value)
    return int(number)


def _choice(spec: ParamSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid(spec.name, "expected one of: " + ", ".join(spec.choices), value)
    wanted = value.strip().lower()
    for choice in spec.choices:
        if choice.lower() == wanted:
            return choice
    raise _invalid(spec.name, "expected one of: " + ", ".join(spec.choices), value)


def _items(spec: ParamSpec, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise _invalid(spec.name, "expected a list", value)
    if not spec.min_items <= len(value) <= spec.max_items:
        raise _invalid(
            spec.name, f"expected {spec.min_items} to {spec.max_items} entries", len(value)
        )
    return list(value)


def _param(spec: ParamSpec, value: Any) -> Any:
    """One parameter's canonical value (see :mod:`cadml.geometry.generators.family`)."""
    if spec.kind == "number":
        return _number(spec.name, value)
    if spec.kind == "integer":
        return _integer(spec.name, value)
    if spec.kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(spec.name, "expected true or false", value)
        return value
    if spec.kind == "choice":
        return _choice(spec, value)
    items = _items(spec, value)
    if spec.kind == "numbers":
        return [_number(f"{spec.name}[{i}]", v) for i, v in enumerate(items)]
    points = []
    for i, point in enumerate(items):
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise _invalid(f"{spec.name}[{i}]", "expected an [x, y] pair", point)
        points.append([_number(f"{spec.name}[{i}]", c) for c in point])
    return points


def canonical_values(family: FamilySpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """A family's parameters in canonical form, before material and family rules.

    Unknown names are refused, missing optional parameters take their defaults,
    numbers are rounded to :data:`PARAM_DECIMALS`, choices take their catalogue
    spelling; ``material`` and ``process`` are trimmed, lower-cased ids. Keys sorted.

    Raises:
        ValidationError: ``VALIDATION_UNKNOWN_PARAMETER``, ``VALIDATION_MISSING_FIELD``
            or ``VALIDATION_INVALID_VALUE`` naming the field.
    """
    allowed = (*family.parameter_names, *_CHOICE_FIELDS)
    for field in sorted(params, key=str):
        if field not in allowed:
            raise ValidationError(
                "VALIDATION_UNKNOWN_PARAMETER",
                details={"field": field, "family": family.name, "allowed": ", ".join(allowed)},
            )
    values: dict[str, Any] = {}
    for spec in family.parameters:
        if spec.name in params and params[spec.name] is not None:
            values[spec.name] = _param(spec, params[spec.name])
        elif spec.required:
            raise ValidationError(
                "VALIDATION_MISSING_FIELD", details={"field": spec.name, "family": family.name}
            )
        else:
            values[spec.name] = _param(spec, spec.default)
    for field, default in _CHOICE_FIELDS.items():
        raw = params.get(field)
        values[field] = default if raw is None else _identifier(field, raw)
    return dict(sorted(values.items()))


def canonicalize_params_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a params request and return its canonical form.

    Args:
        body: ``{"family": str, "params": {name: value, "material"?: str,
            "process"?: str}}``; values by the parameter's kind.

    Returns:
        ``{"family": str, "params": {...}}`` with sorted keys, floats rounded to 1e-6
        and defaults filled in (material ``aluminum_6061``, process ``cnc_milling``).

    Raises:
        ValidationError: with one of the codes listed in the module docstring and
            ``details["field"]`` naming the offending field.
    """
    family_name, params = _body(body)
    family = get_family(family_name)
    values = canonical_values(family, params)
    material = get_material(values["material"])
    check_process(material, values["process"])
    family.check(values, material)
    return {"family": family.name, "params": values}


def design_cache_key(canonical: Mapping[str, Any]) -> str:
    """The cache key of a canonical request: sha256 hex of its sorted-key JSON.

    Args:
        canonical: the output of :func:`canonicalize_params_request`.

    Returns:
        64 lowercase hex digits.
    """
    text = json.dumps(
        canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()
