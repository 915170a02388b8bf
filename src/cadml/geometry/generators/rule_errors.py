"""Validation rules and errors several part families share (sheet metal, thin sections)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cadml.errors import ValidationError
from cadml.geometry.generators.family import ParamValues
from cadml.geometry.generators.prism_with_hole import SHEET_METAL_MAX_THICKNESS_MM

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = ["check_sheet_metal_thickness", "section_too_thin"]


def section_too_thin(field: str, thickness: float, material: Material) -> ValidationError:
    """``VALIDATION_SECTION_TOO_THIN``: a section thinner than the material's minimum wall."""
    return ValidationError(
        "VALIDATION_SECTION_TOO_THIN",
        details={
            "field": field,
            "thickness": thickness,
            "min_wall": material.min_wall_mm,
            "material": material.id,
            "unit": "mm",
        },
    )


def check_sheet_metal_thickness(values: ParamValues, thickness: float) -> None:
    """Refuse sheet metal thicker than ``SHEET_METAL_MAX_THICKNESS_MM``.

    Raises:
        ValidationError: ``VALIDATION_PROCESS_LIMIT``.
    """
    if values.get("process") == "sheet_metal" and thickness > SHEET_METAL_MAX_THICKNESS_MM:
        raise ValidationError(
            "VALIDATION_PROCESS_LIMIT",
            details={
                "field": "thickness",
                "value": thickness,
                "max": SHEET_METAL_MAX_THICKNESS_MM,
                "process": "sheet_metal",
                "unit": "mm",
            },
        )
