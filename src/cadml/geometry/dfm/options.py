"""Options of the DFM checks, their per-process defaults and their validation.

Every limit has a default that follows a public design guide; the sources are listed
in ``docs/manufacturability.md``. ``None`` means "the default for this process or
material".

Examples:
    >>> DfmOptions().tool_diameter_mm
    6.0
    >>> min_feature_mm("fdm_printing", DfmOptions())
    0.8
    >>> try:
    ...     validate_options(DfmOptions(min_draft_deg=-1.0))
    ... except ValidationError as err:
    ...     print(err.code, err.details["field"])
    DFM_INVALID_OPTION min_draft_deg
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from cadml.errors import ValidationError

__all__ = [
    "DEFAULT_MIN_FEATURE_MM",
    "DfmOptions",
    "min_feature_mm",
    "unit_vector",
    "validate_options",
]

DEFAULT_MIN_FEATURE_MM: dict[str, float] = {
    "cnc_milling": 0.5,
    "injection_molding": 0.5,
    "fdm_printing": 0.8,
    "sla_printing": 0.6,
    "sheet_metal": 0.5,
}
"""Smallest printable/machinable feature per process, mm (FDM: two 0.4 mm perimeters,
Prusa; SLA: unsupported wall 0.6 mm, Formlabs; CNC: 0.5 mm metal wall, Protolabs)."""


@dataclass(frozen=True)
class DfmOptions:
    """Knobs of :func:`cadml.geometry.dfm.check_manufacturability`.

    Args:
        pull_direction: mould opening direction (injection moulding); need not be unit.
        build_direction: printing build direction, from the plate up (FDM, SLA).
        tool_diameter_mm: diameter of the end mill assumed for internal corners (CNC).
        min_draft_deg: smallest draft accepted on faces along the pull (moulding).
        overhang_limit_deg: largest overhang from vertical printed without support.
        min_feature_mm: thinnest printable wall/pin; ``None`` takes
            :data:`DEFAULT_MIN_FEATURE_MM` of the process.
        max_bridge_mm: longest horizontal span printed without support.
        min_wall_mm: thinnest wall accepted; ``None`` takes the material's
            ``min_wall_mm``.
        max_wall_ratio: thickest section over nominal wall accepted (moulding).
        pocket_depth_ratio: deepest pocket accepted, as a multiple of its width (CNC).
        min_bend_radius_ratio: smallest inner bend radius, as a multiple of the sheet
            thickness (sheet metal).
        mesh_deflection_mm: chordal deflection of the analysis mesh; ``None`` takes
            1/1000 of the bounding-box diagonal, clamped to 0.01..0.5 mm.
        sample_spacing_mm: spacing of surface samples; ``None`` fits ``max_samples``.
        max_samples: most surface samples taken (cost grows linearly with it).
    """

    pull_direction: tuple[float, float, float] = (0.0, 0.0, 1.0)
    build_direction: tuple[float, float, float] = (0.0, 0.0, 1.0)
    tool_diameter_mm: float = 6.0
    min_draft_deg: float = 1.0
    overhang_limit_deg: float = 45.0
    min_feature_mm: float | None = None
    max_bridge_mm: float = 10.0
    min_wall_mm: float | None = None
    max_wall_ratio: float = 2.0
    pocket_depth_ratio: float = 4.0
    min_bend_radius_ratio: float = 1.0
    mesh_deflection_mm: float | None = None
    sample_spacing_mm: float | None = None
    max_samples: int = 6000


def _invalid(field: str, value: object, reason: str) -> ValidationError:
    return ValidationError(
        "DFM_INVALID_OPTION", details={"field": field, "value": value, "reason": reason}
    )


def unit_vector(value: object, field: str) -> tuple[float, float, float]:
    """``value`` as a unit 3-vector.

    Raises:
        ValidationError: ``DFM_INVALID_OPTION`` unless it is three finite numbers with a
            non-zero length.

    Examples:
        >>> unit_vector((0, 0, 2), "pull_direction")
        (0.0, 0.0, 1.0)
    """
    try:
        x, y, z = (float(c) for c in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise _invalid(field, value, "expected three numbers") from None
    length = math.sqrt(x * x + y * y + z * z)
    if not math.isfinite(length) or length < 1e-12:
        raise _invalid(field, value, "expected a finite, non-zero vector")
    return (x / length + 0.0, y / length + 0.0, z / length + 0.0)


_RANGES: dict[str, tuple[float, float, bool]] = {
    # field: (low, high, whether low itself is allowed)
    "tool_diameter_mm": (0.0, 1000.0, False),
    "min_draft_deg": (0.0, 45.0, True),
    "overhang_limit_deg": (0.0, 90.0, False),
    "min_feature_mm": (0.0, 100.0, False),
    "max_bridge_mm": (0.0, 10000.0, False),
    "min_wall_mm": (0.0, 1000.0, False),
    "max_wall_ratio": (1.0, 1000.0, True),
    "pocket_depth_ratio": (0.0, 1000.0, False),
    "min_bend_radius_ratio": (0.0, 100.0, True),
    "mesh_deflection_mm": (0.0, 10.0, False),
    "sample_spacing_mm": (0.0, 10000.0, False),
}


def validate_options(options: DfmOptions) -> None:
    """Check every option's type and range.

    Raises:
        ValidationError: ``DFM_INVALID_OPTION`` naming the first bad field.
    """
    unit_vector(options.pull_direction, "pull_direction")
    unit_vector(options.build_direction, "build_direction")
    for item in fields(options):
        if item.name not in _RANGES:
            continue
        value = getattr(options, item.name)
        if value is None and item.name in {
            "min_feature_mm",
            "min_wall_mm",
            "mesh_deflection_mm",
            "sample_spacing_mm",
        }:
            continue
        low, high, low_ok = _RANGES[item.name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _invalid(item.name, value, "expected a number")
        number = float(value)
        inside = (number >= low if low_ok else number > low) and number <= high
        if not math.isfinite(number) or not inside:
            bracket = "[" if low_ok else "("
            raise _invalid(item.name, value, f"expected a value in {bracket}{low}, {high}]")
    samples = options.max_samples
    if isinstance(samples, bool) or not isinstance(samples, int) or not 100 <= samples <= 200_000:
        raise _invalid("max_samples", samples, "expected an integer in [100, 200000]")


def min_feature_mm(process: str, options: DfmOptions) -> float:
    """The minimum feature size in force for ``process``."""
    if options.min_feature_mm is not None:
        return float(options.min_feature_mm)
    return DEFAULT_MIN_FEATURE_MM[process]
