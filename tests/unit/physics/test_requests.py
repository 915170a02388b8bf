"""Placed-part requests: rigid transforms, sources and densities."""

from __future__ import annotations

import math
from typing import Any

import pytest

from cadml.errors import ValidationError
from cadml.physics.requests import IDENTITY_MM, canonical_parts, canonical_transform


def rot_z(deg: float, t: tuple[float, float, float] = (0, 0, 0)) -> list[list[float]]:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return [[c, -s, 0, t[0]], [s, c, 0, t[1]], [0, 0, 1, t[2]], [0, 0, 0, 1]]


def test_defaults_and_ids() -> None:
    parts = canonical_parts([{"design_id": "a"}, {"design_id": "a", "material": "STEEL"}])
    assert parts == [
        {
            "id": "part1",
            "design_id": "a",
            "material": None,
            "density_kg_m3": None,
            "transform_mm": IDENTITY_MM,
        },
        {
            "id": "part2",
            "design_id": "a",
            "material": "steel",
            "density_kg_m3": 7870.0,
            "transform_mm": IDENTITY_MM,
        },
    ]


def test_a_rotation_with_translation_is_accepted_as_given() -> None:
    matrix = rot_z(30, (10, -5, 2))
    assert canonical_transform("t", matrix) == [[float(v) for v in row] for row in matrix]


@pytest.mark.parametrize(
    ("matrix", "reason"),
    [
        ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], "4x4"),
        ([[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "orthonormal"),
        ([[-1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "mirror"),
        ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]], "last row"),
        ([[1, 0, 0, float("nan")], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "finite"),
        ([[1, 0, 0, "x"], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "numbers"),
    ],
)
def test_non_rigid_transforms_are_refused(matrix: Any, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        canonical_parts([{"design_id": "a", "transform_mm": matrix}])
    assert info.value.code == "VALIDATION_INVALID_VALUE"
    assert info.value.details["field"] == "parts[0].transform_mm"
    assert reason in info.value.details["reason"]


@pytest.mark.parametrize(
    ("parts", "code", "field"),
    [
        ("nope", "VALIDATION_INVALID_VALUE", "parts"),
        ([], "VALIDATION_INVALID_VALUE", "parts"),
        ([{}], "VALIDATION_MISSING_FIELD", "parts[0].design_id"),
        ([{"design_id": "a", "file": "x.step"}], "VALIDATION_UNKNOWN_PARAMETER", "parts[0].file"),
        ([{"design_id": "a", "colour": 1}], "VALIDATION_UNKNOWN_PARAMETER", "parts[0].colour"),
        (
            [{"design_id": "a", "material": "steel", "density_kg_m3": 1}],
            "VALIDATION_CONFLICT",
            "parts[0].density_kg_m3",
        ),
        (
            [{"design_id": "a", "density_kg_m3": -1}],
            "VALIDATION_INVALID_VALUE",
            "parts[0].density_kg_m3",
        ),
        ([{"design_id": "a", "material": "cheese"}], "VALIDATION_UNKNOWN_MATERIAL", "material"),
        (
            [{"id": "x", "design_id": "a"}, {"id": "x", "design_id": "b"}],
            "VALIDATION_INVALID_VALUE",
            "parts[1].id",
        ),
    ],
)
def test_bad_parts_name_the_field(parts: Any, code: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        canonical_parts(parts)
    assert info.value.code == code
    assert info.value.details["field"] == field


def test_files_are_a_source_on_the_cli_and_a_minimum_can_be_asked() -> None:
    parts = canonical_parts([{"file": "a.step"}, {"file": "b.stl"}], sources=("file",))
    assert [p["file"] for p in parts] == ["a.step", "b.stl"]
    with pytest.raises(ValidationError):
        canonical_parts([{"file": "a.step"}], sources=("file",), min_parts=2)
