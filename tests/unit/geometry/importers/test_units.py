"""Units: request checking, conversion factors and the size heuristic (pure)."""

from __future__ import annotations

import pytest

from cadml.errors import ValidationError
from cadml.geometry.importers.units import (
    METRE_THRESHOLD,
    REQUEST_UNITS,
    check_request_units,
    infer_units,
    to_mm_factor,
)


@pytest.mark.parametrize(
    ("unit", "mm"), [("mm", 1.0), ("cm", 10.0), ("m", 1000.0), ("in", 25.4), ("ft", 304.8)]
)
def test_factors(unit: str, mm: float) -> None:
    assert to_mm_factor(unit) == mm
    assert unit in REQUEST_UNITS


def test_request_units_are_normalised_or_refused() -> None:
    assert check_request_units(" Ft") == "ft"
    assert check_request_units(None) is None
    with pytest.raises(ValidationError) as caught:
        check_request_units("furlong")
    assert caught.value.code == "UPLOAD_UNITS_INVALID"
    assert "furlong" in caught.value.message("tr")


@pytest.mark.parametrize(
    ("extent", "unit"),
    [
        (0.001, "m"),
        (0.05, "m"),
        (METRE_THRESHOLD * 0.999, "m"),
        (METRE_THRESHOLD, "mm"),
        (20.0, "mm"),
        (4.0, "mm"),
        (3000.0, "mm"),
    ],
)
def test_inference_threshold(extent: float, unit: str) -> None:
    inferred, reason = infer_units(extent)
    assert inferred == unit
    assert f"{extent:.6g}" in reason
