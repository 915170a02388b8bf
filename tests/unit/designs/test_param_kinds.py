"""Canonicalisation of every parameter kind, on a family made for the test."""

from __future__ import annotations

from typing import Any

import pytest

from cadml.designs.params import canonical_values
from cadml.errors import ValidationError
from cadml.geometry.generators.family import FamilySpec, ParamSpec
from cadml.physics.materials import get_material


def _nothing(values: Any, material: Any) -> None:
    """No family rules."""


SPEC = FamilySpec(
    name="kinds",
    description="Every parameter kind.",
    parameters=(
        ParamSpec("length", "mm", 1.0, 100.0, 10.0, "A number."),
        ParamSpec("count", "", 1, 12, 4, "An integer.", kind="integer"),
        ParamSpec("threaded", "", 0, 0, False, "A flag.", required=False, kind="boolean"),
        ParamSpec("size", "", 0, 0, "M8", "A choice.", kind="choice", choices=("M6", "M8")),
        ParamSpec(
            "diameters",
            "mm",
            1.0,
            50.0,
            [10.0],
            "Numbers.",
            kind="numbers",
            min_items=1,
            max_items=3,
        ),
        ParamSpec(
            "holes",
            "mm",
            -50.0,
            50.0,
            [],
            "Points.",
            required=False,
            kind="points",
            max_items=4,
        ),
    ),
    validate=_nothing,
    build=lambda values: None,
)

GOOD = {"length": 12.5, "count": 3, "size": "m6", "diameters": [10, 20.0000004]}


def values(**change: Any) -> dict[str, Any]:
    params = {**GOOD, **change}
    return canonical_values(SPEC, {k: v for k, v in params.items() if v != "-"})


def error(**change: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        canonical_values(SPEC, {**GOOD, **change})
    return info.value


def test_every_kind_canonicalises() -> None:
    v = values(holes=[[1, 2], (3.0000001, -4)])
    assert v == {
        "count": 3,
        "diameters": [10.0, 20.0],
        "holes": [[1.0, 2.0], [3.0, -4.0]],
        "length": 12.5,
        "material": "aluminum_6061",
        "process": "cnc_milling",
        "size": "M6",
        "threaded": False,
    }
    assert isinstance(v["count"], int)
    assert canonical_values(SPEC, v) == v  # idempotent


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"count": 2.5}, "count", "whole number"),
        ({"count": True}, "count", "number"),
        ({"threaded": "yes"}, "threaded", "true or false"),
        ({"size": "M7"}, "size", "M6, M8"),
        ({"size": 8}, "size", "M6, M8"),
        ({"diameters": 10}, "diameters", "list"),
        ({"diameters": []}, "diameters", "1 to 3 entries"),
        ({"diameters": [1, 2, 3, 4]}, "diameters", "1 to 3 entries"),
        ({"diameters": [10, "x"]}, "diameters[1]", "number"),
        ({"holes": [[1, 2, 3]]}, "holes[0]", "[x, y]"),
        ({"holes": [[1, float("nan")]]}, "holes[0]", "finite"),
    ],
)
def test_bad_values_name_the_field(change: dict[str, Any], field: str, reason: str) -> None:
    err = error(**change)
    assert err.code == "VALIDATION_INVALID_VALUE"
    assert err.details["field"] == field
    assert reason in err.details["reason"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": 13}, "count"),
        ({"diameters": [10, 60]}, "diameters[1]"),
        ({"holes": [[0, 0], [0, 51]]}, "holes[1].y"),
    ],
)
def test_ranges_apply_to_every_item(change: dict[str, Any], field: str) -> None:
    canonical = values(**change)
    with pytest.raises(ValidationError) as info:
        SPEC.check(canonical, get_material("aluminum_6061"))
    assert info.value.code == "VALIDATION_RANGE_VIOLATION"
    assert info.value.details["field"] == field


def test_json_schema_describes_every_kind() -> None:
    schema = SPEC.json_schema(("steel",), ("cnc_milling",))
    props = schema["properties"]
    assert props["count"]["type"] == "integer"
    assert props["threaded"]["type"] == "boolean"
    assert props["size"]["enum"] == ["M6", "M8"]
    assert props["diameters"]["items"] == {"type": "number", "minimum": 1.0, "maximum": 50.0}
    assert (props["diameters"]["minItems"], props["diameters"]["maxItems"]) == (1, 3)
    assert props["holes"]["items"]["prefixItems"][0]["minimum"] == -50.0
    assert props["material"]["enum"] == ["steel"]
    assert schema["required"] == ["length", "count", "size", "diameters"]
    assert schema["additionalProperties"] is False


def test_bad_specs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        ParamSpec("x", "", 0, 1, 0, "x", kind="colour")
    with pytest.raises(ValueError, match="needs choices"):
        ParamSpec("x", "", 0, 1, "a", "x", kind="choice")
    with pytest.raises(ValueError, match="min_items"):
        ParamSpec("x", "", 0, 1, [], "x", kind="numbers", min_items=2, max_items=1)
