"""Random valid parameters of a part family, for the part-classification dataset.

A draw starts from the family's documented example (a valid part) and varies it: every
length is scaled by one factor per draw (log-uniform in ``[1/2, 2]``, so the part keeps
its proportions roughly but not its size) and by its own factor (log-uniform in
``[0.78, 1.28]``); integers move within ``[n/2, 2n]``; angles and unitless numbers move
within a quarter of their range around the example; choices and booleans are drawn
uniformly. The draw is then checked by the family's own rules
(:meth:`~cadml.geometry.generators.family.FamilySpec.check`) and redrawn when they refuse
it, so every returned parameter set is one the design API would accept.

Examples:
    >>> import numpy as np
    >>> from cadml.geometry.generators import get_family
    >>> family = get_family("prism_with_hole")
    >>> params = random_params(family, np.random.default_rng(3))
    >>> sorted(params)[:3]
    ['height', 'hole_diameter', 'length']
    >>> params["hole_diameter"] < min(params["length"], params["width"], params["height"])
    True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cadml.designs.params import canonical_values
from cadml.errors import ValidationError
from cadml.geometry.generators import FamilySpec, ParamSpec
from cadml.physics.materials import get_material

__all__ = ["MAX_TRIES", "random_params"]

MAX_TRIES = 400
"""Draws tried before giving up on a family (the families here accept 4-100 % of draws)."""

_SIZE_SPREAD = math.log(2.0)
_OWN_SPREAD = 0.25
_RANGE_SHARE = 0.25


def _example(family: FamilySpec) -> dict[str, Any]:
    example = dict(family.example or {})
    for spec in family.parameters:
        example.setdefault(spec.name, spec.default)
    return example


def _clip(spec: ParamSpec, value: float) -> float:
    return float(min(spec.max, max(spec.min, value)))


def _length(spec: ParamSpec, base: float, size: float, rng: np.random.Generator) -> float:
    if base == 0.0:
        return 0.0  # an absent feature (no hub, no fillet) stays absent
    return round(_clip(spec, base * size * math.exp(rng.uniform(-_OWN_SPREAD, _OWN_SPREAD))), 3)


def _draw(spec: ParamSpec, base: Any, size: float, rng: np.random.Generator) -> Any:
    if spec.kind == "choice":
        return spec.choices[int(rng.integers(len(spec.choices)))]
    if spec.kind == "boolean":
        return bool(rng.integers(2))
    if spec.kind == "integer":
        low = max(int(spec.min), math.floor(base / 2) if base > 1 else int(spec.min))
        high = min(int(spec.max), max(2 * int(base), int(base) + 3))
        return int(rng.integers(low, high + 1))
    if spec.kind == "numbers":
        return [_length(spec, float(v), size, rng) for v in base]
    if spec.kind == "points":
        return [[_clip(spec, round(float(c) * size, 3)) for c in point] for point in base]
    if spec.unit == "mm":
        return _length(spec, float(base), size, rng)
    reach = _RANGE_SHARE * (spec.max - spec.min)
    return round(_clip(spec, float(base) + rng.uniform(-reach, reach)), 3)


def random_params(family: FamilySpec, rng: np.random.Generator) -> dict[str, Any]:
    """One random parameter set of ``family`` that passes its rules.

    Args:
        family: the part family.
        rng: the random generator (the draw is reproducible from its state).

    Returns:
        Canonical parameter values (as the design API stores them), material and process
        included.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE`` if :data:`MAX_TRIES` draws were all
            refused by the family's rules.
    """
    example = _example(family)
    for _ in range(MAX_TRIES):
        size = math.exp(rng.uniform(-_SIZE_SPREAD, _SIZE_SPREAD))
        raw = {spec.name: _draw(spec, example[spec.name], size, rng) for spec in family.parameters}
        try:
            values = canonical_values(family, raw)
            family.check(values, get_material(values["material"]))
        except ValidationError:
            continue
        return values
    raise ValidationError(
        "VALIDATION_INVALID_VALUE",
        details={
            "field": "family",
            "value": family.name,
            "reason": f"no valid random parameters in {MAX_TRIES} draws",
        },
    )
