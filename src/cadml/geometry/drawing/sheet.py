"""Sheet sizes, the standard scale series and the title-block data of a drawing.

Pure Python: no kernel import.

Sheets are ISO 216 sizes in landscape (A4 297 x 210 mm, A3 420 x 297 mm) with an
ISO 5457 frame (20 mm filing margin on the left, 10 mm elsewhere). Scales follow
ISO 5455: ``1:1``, reductions ``1:2, 1:5, 1:10 ... 1:10000`` and enlargements
``2:1, 5:1 ... 50:1``.

Examples:
    >>> parse_scale("1:5")
    0.2
    >>> format_scale(0.2), format_scale(5.0), format_scale(1.0)
    ('1:5', '5:1', '1:1')
    >>> SheetInfo("Bracket", "BR-1", "aluminum_6061", scale="1:3").scale_value
    0.3333333333333333
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cadml.errors import ValidationError

__all__ = [
    "FRAME_MARGINS_MM",
    "LANGUAGES",
    "PROJECTIONS",
    "SHEETS",
    "SHEET_CHOICES",
    "STANDARD_SCALES",
    "SheetInfo",
    "format_scale",
    "invalid_option",
    "parse_scale",
]

SHEETS: dict[str, tuple[float, float]] = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
"""Landscape sheet sizes ``(width, height)`` in mm, smallest first."""

SHEET_CHOICES = ("A4", "A3", "auto")
"""Values accepted for ``make_drawing(sheet=...)``."""

FRAME_MARGINS_MM = (20.0, 10.0, 10.0, 10.0)
"""Frame distance from the sheet edge: left (filing margin), top, right, bottom."""

PROJECTIONS = ("first", "third")
"""``first``: first-angle (ISO method E, DIN); ``third``: third-angle (ISO method A, ASME)."""

LANGUAGES = ("en", "tr")
"""Languages of the title block and view labels."""

_UNITS = ("mm",)

STANDARD_SCALES: tuple[float, ...] = (
    50.0,
    20.0,
    10.0,
    5.0,
    2.0,
    1.0,
    1 / 2,
    1 / 5,
    1 / 10,
    1 / 20,
    1 / 50,
    1 / 100,
    1 / 200,
    1 / 500,
    1 / 1000,
    1 / 2000,
    1 / 5000,
    1 / 10000,
)
"""ISO 5455 scales (paper length per model length), largest first."""

_SCALE_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")


def invalid_option(field: str, value: object, allowed: str) -> ValidationError:
    """The ``DRAWING_INVALID_OPTION`` error for one option (returned, not raised)."""
    return ValidationError(
        "DRAWING_INVALID_OPTION", details={"field": field, "value": value, "allowed": allowed}
    )


def parse_scale(text: str) -> float:
    """The scale factor (paper / model) of a scale written ``"paper:model"``.

    Args:
        text: e.g. ``"1:2"`` (half size) or ``"5:1"`` (five times enlarged).

    Raises:
        ValidationError: ``DRAWING_INVALID_OPTION`` if it is not two positive numbers.
    """
    match = _SCALE_TEXT.match(text)
    if match is None or float(match.group(1)) <= 0 or float(match.group(2)) <= 0:
        raise invalid_option("scale", text, "'1:1', '1:2', '1:5', '2:1', ... (paper:model)")
    return float(match.group(1)) / float(match.group(2))


def format_scale(scale: float) -> str:
    """Write a scale factor as ``"1:n"`` (reduction) or ``"n:1"`` (enlargement).

    Non-integer ratios keep up to three decimals (``1:2.5``).
    """

    def _num(value: float) -> str:
        text = f"{value:.3f}".rstrip("0").rstrip(".")
        return text or "0"

    if scale >= 1.0:
        return f"{_num(scale)}:1"
    return f"1:{_num(1.0 / scale)}"


@dataclass(frozen=True)
class SheetInfo:
    """What the title block says about the part, and the drawing conventions.

    Args:
        title: the drawing's title.
        part_name: the part's name or number.
        material: the material designation.
        drawing_number: the drawing (document) number.
        author: who drew it.
        date: the issue date as text; a fixed default keeps output deterministic.
        scale: a fixed scale such as ``"1:2"``, or ``None`` to choose one.
        units: length unit of the dimensions; only ``"mm"``.
        projection: ``"first"`` (ISO E) or ``"third"`` (ISO A / ASME).
        language: ``"en"`` or ``"tr"`` for the labels.

    Raises:
        ValidationError: ``DRAWING_INVALID_OPTION`` for an unknown projection,
            language, unit or a malformed scale.
    """

    title: str
    part_name: str
    material: str
    drawing_number: str = ""
    author: str = "CAD-ML Platform"
    date: str = "2000-01-01"
    scale: str | None = None
    units: str = "mm"
    projection: Literal["first", "third"] = "first"
    language: Literal["en", "tr"] = "en"

    def __post_init__(self) -> None:
        if self.projection not in PROJECTIONS:
            raise invalid_option("projection", self.projection, ", ".join(PROJECTIONS))
        if self.language not in LANGUAGES:
            raise invalid_option("language", self.language, ", ".join(LANGUAGES))
        if self.units not in _UNITS:
            raise invalid_option("units", self.units, ", ".join(_UNITS))
        if self.scale is not None:
            parse_scale(self.scale)

    @property
    def scale_value(self) -> float | None:
        """The fixed scale factor, or ``None`` when the scale is chosen automatically."""
        return None if self.scale is None else parse_scale(self.scale)
