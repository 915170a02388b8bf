"""Random valid family parameters: every draw passes the family's own rules, re-checked.

Oracles: the design API's canonicalisation and rules, run independently of the sampler
(a draw must come back from ``canonicalize_params_request`` unchanged); the documented
spreads of a draw (one size factor in ``[1/2, 2]`` times a per-length factor in
``[e^-0.25, e^0.25]``; integers in ``[n/2, 2n]``; unitless numbers within a quarter of
their range of the example) as closed-form bounds; binomial bounds (5 sigma) on the
frequencies of uniformly drawn choices and booleans.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from cadml.designs.params import canonical_values, canonicalize_params_request
from cadml.errors import ValidationError
from cadml.geometry.generators import FAMILIES, FamilySpec, ParamSpec, get_family
from cadml.ml.parts.sampling import MAX_TRIES, random_params
from cadml.physics.materials import get_material

SEEDS = range(6)


def _key(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_draw_passes_the_family_rules_checked_independently(name: str) -> None:
    family = get_family(name)
    for seed in SEEDS:
        values = random_params(family, np.random.default_rng(seed))
        again = canonical_values(family, values)
        assert again == values, "a draw is not in canonical form"
        family.check(again, get_material(again["material"]))  # raises if refused
        # The whole request path (shape, material/process compatibility, ranges, rules)
        # accepts it and gives it back unchanged.
        request = canonicalize_params_request({"family": name, "params": values})
        assert request["params"] == values
        assert set(values) == {*family.parameter_names, "material", "process"}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_same_seed_same_params_and_draws_vary(name: str) -> None:
    family = get_family(name)
    draws = [random_params(family, np.random.default_rng(seed)) for seed in SEEDS]
    assert draws == [random_params(family, np.random.default_rng(seed)) for seed in SEEDS]
    example = canonical_values(family, {k: v for k, v in (family.example or {}).items()})
    distinct = {_key(d) for d in draws}
    assert len(distinct) >= 3, f"{name}: only {len(distinct)} distinct draws of {len(draws)}"
    assert sum(d != example for d in draws) >= len(draws) - 1


def test_one_generator_gives_a_stream_of_different_draws() -> None:
    family = get_family("prism_with_hole")
    rng = np.random.default_rng(11)
    draws = [random_params(family, rng) for _ in range(20)]
    assert len({_key(d) for d in draws}) == 20


def test_lengths_move_within_the_documented_size_and_own_factors() -> None:
    """length / example in [e^-ln2 * e^-0.25, e^ln2 * e^0.25]; two lengths of one draw
    share the size factor, so their ratio over the example's ratio is in [e^-0.5, e^0.5]."""
    family = get_family("prism_with_hole")
    example = canonical_values(family, dict(family.example or {}))
    names = family.parameter_names
    slack = 1e-3  # values are rounded to 1e-3 mm
    low, high = 0.5 * math.exp(-0.25), 2.0 * math.exp(0.25)
    rng = np.random.default_rng(5)
    ratios = []
    for _ in range(200):
        values = random_params(family, rng)
        for name in names:
            ratio = values[name] / example[name]
            assert low * (1 - slack) <= ratio <= high * (1 + slack), (name, ratio)
            ratios.append(ratio)
        relative = (values["length"] / values["width"]) / (example["length"] / example["width"])
        assert math.exp(-0.5) * (1 - slack) <= relative <= math.exp(0.5) * (1 + slack)
    # The draws really spread over most of the range, not a fixed factor.
    assert min(ratios) < 0.6 and max(ratios) > 1.8


def _accept_all(values: Any, material: Any) -> None:
    return None


def _toy_family(validate: Any = _accept_all) -> FamilySpec:
    """A family with one parameter of every scalar kind and rules that accept anything."""
    parameters = (
        ParamSpec("size", "mm", 0.1, 1000.0, 40.0, "A length."),
        ParamSpec("absent", "mm", 0.0, 1000.0, 0.0, "A length that is zero in the example."),
        ParamSpec("angle", "deg", 0.0, 360.0, 100.0, "An angle."),
        ParamSpec("count", "", 1, 100, 10, "A count.", kind="integer"),
        ParamSpec("flag", "", 0, 0, False, "A switch.", kind="boolean"),
        ParamSpec("kind", "", 0, 0, "a", "A choice.", kind="choice", choices=("a", "b", "c")),
    )
    return FamilySpec("toy", "A test family.", parameters, validate, lambda values: None)


def test_every_kind_moves_within_its_documented_range() -> None:
    family = _toy_family()
    rng = np.random.default_rng(2)
    n = 3000
    draws = [random_params(family, rng) for _ in range(n)]
    counts = [d["count"] for d in draws]
    assert min(counts) == 5 and max(counts) == 20  # [n/2, 2n] for n = 10, both ends reached
    reach = 0.25 * 360.0
    angles = np.array([d["angle"] for d in draws])
    assert angles.min() >= 100.0 - reach and angles.max() <= 100.0 + reach
    assert angles.min() < 100.0 - 0.9 * reach and angles.max() > 100.0 + 0.9 * reach
    assert all(d["absent"] == 0.0 for d in draws)  # an absent feature stays absent
    sizes = np.array([d["size"] for d in draws]) / 40.0
    assert sizes.min() >= 0.5 * math.exp(-0.25) - 1e-4
    assert sizes.max() <= 2.0 * math.exp(0.25) + 1e-4
    # Uniform choices and booleans: each frequency within 5 binomial sigmas.
    for field, options in (("kind", ("a", "b", "c")), ("flag", (False, True))):
        p = 1.0 / len(options)
        sigma = math.sqrt(n * p * (1 - p))
        for option in options:
            hits = sum(d[field] == option for d in draws)
            assert abs(hits - n * p) <= 5 * sigma, (field, option, hits)


def test_a_family_that_refuses_everything_fails_after_max_tries() -> None:
    calls = []

    def refuse(values: Any, material: Any) -> None:
        calls.append(values)
        raise ValidationError("VALIDATION_RANGE_VIOLATION", details={"field": "size"})

    with pytest.raises(ValidationError) as info:
        random_params(_toy_family(refuse), np.random.default_rng(0))
    assert info.value.code == "VALIDATION_INVALID_VALUE"
    assert info.value.details["value"] == "toy"
    assert len(calls) == MAX_TRIES
