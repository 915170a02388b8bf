"""Length units of uploaded files: names, factors to millimetres and inference.

Which formats carry a unit:

==========  =====================================================================
STEP        yes: the representation context's ``LENGTH_UNIT`` (OCCT converts on read)
IGES        yes: global section, unit flag and name (OCCT converts on read)
3MF         yes: the ``unit`` attribute of ``<model>`` (default millimetre)
DXF         sometimes: header ``$INSUNITS`` (0 = unitless)
FCStd       always millimetres (FreeCAD's internal unit)
BREP        no; OCCT and FreeCAD write millimetres by convention: mm is assumed
STL, OBJ    no: the unit is requested or inferred from the size
==========  =====================================================================

Inference (:func:`infer_units`) from the largest bounding-box extent ``L`` of the
numbers in the file: ``L < 2`` reads as metres (a 2 m part is very large for this
platform, while exporters working in metres — Blender, three.js, many scanners —
write parts of a few centimetres as 0.0x); otherwise millimetres. Inches cannot be
told from millimetres by size (a 4-inch part and a 4 mm part are both plausible), so
inch files need ``units="in"``; the warning says so.

Examples:
    >>> to_mm_factor("in")
    25.4
    >>> infer_units(0.05)[0], infer_units(120.0)[0]
    ('m', 'mm')
"""

from __future__ import annotations

from cadml.errors import ValidationError

__all__ = [
    "FACTORS_MM",
    "METRE_THRESHOLD",
    "REQUEST_UNITS",
    "check_request_units",
    "infer_units",
    "to_mm_factor",
]

REQUEST_UNITS: tuple[str, ...] = ("mm", "cm", "m", "in", "ft")
"""Units a request may name (:attr:`ImportOptions.units`)."""

FACTORS_MM: dict[str, float] = {
    "um": 0.001,
    "mm": 1.0,
    "cm": 10.0,
    "m": 1000.0,
    "in": 25.4,
    "ft": 304.8,
    "yd": 914.4,
    "mil": 0.0254,
    "uin": 0.0000254,
}
"""Millimetres per unit, for every unit a file may declare and we can convert."""

METRE_THRESHOLD = 2.0
"""A unitless file whose largest extent is below this number is read as metres."""


def to_mm_factor(units: str) -> float:
    """Millimetres per ``units`` (a key of :data:`FACTORS_MM`)."""
    return FACTORS_MM[units]


def check_request_units(units: str | None) -> str | None:
    """Normalise a requested unit (case, spaces) or refuse it.

    Raises:
        ValidationError: ``UPLOAD_UNITS_INVALID`` for anything outside
            :data:`REQUEST_UNITS`.

    Examples:
        >>> check_request_units(" IN "), check_request_units(None)
        ('in', None)
    """
    if units is None:
        return None
    normal = str(units).strip().lower()
    if normal not in REQUEST_UNITS:
        raise ValidationError(
            "UPLOAD_UNITS_INVALID",
            details={"field": "units", "units": units, "allowed": ", ".join(REQUEST_UNITS)},
        )
    return normal


def infer_units(largest_extent: float) -> tuple[str, str]:
    """Guess the unit of a unitless file from its largest bounding-box extent.

    Args:
        largest_extent: the largest of the bounding box's three sizes, in file units.

    Returns:
        ``(units, reason)``: the unit and an English sentence saying why.
    """
    size = f"{largest_extent:.6g}"
    if largest_extent < METRE_THRESHOLD:
        return "m", (
            f"the part is {size} units across, too small for millimetres, so metres were assumed"
        )
    return "mm", (
        f"the part is {size} units across, a plausible size in millimetres (inches cannot be "
        "told apart by size)"
    )
