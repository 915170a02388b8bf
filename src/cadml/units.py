"""Unit conversions at the boundaries. SI inside; millimetres at the CAD boundary.

Examples:
    >>> mm3_to_m3(1e9)
    1.0
    >>> round(mass_kg(volume_mm3=1000.0, density_kg_m3=2700.0), 9)
    2.7e-06
"""

from __future__ import annotations

__all__ = ["MM_PER_M", "m_to_mm", "mass_kg", "mm2_to_m2", "mm3_to_m3", "mm_to_m"]

MM_PER_M = 1000.0


def mm_to_m(value_mm: float) -> float:
    """Millimetres to metres."""
    return value_mm / MM_PER_M


def m_to_mm(value_m: float) -> float:
    """Metres to millimetres."""
    return value_m * MM_PER_M


def mm2_to_m2(value_mm2: float) -> float:
    """Square millimetres to square metres."""
    return value_mm2 / MM_PER_M**2


def mm3_to_m3(value_mm3: float) -> float:
    """Cubic millimetres to cubic metres."""
    return value_mm3 / MM_PER_M**3


def mass_kg(volume_mm3: float, density_kg_m3: float) -> float:
    """Mass in kg of a volume given in mm³ at a density in kg/m³."""
    return mm3_to_m3(volume_mm3) * density_kg_m3
