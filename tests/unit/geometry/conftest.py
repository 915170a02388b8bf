"""Fixtures of the geometry tests: one reference part, designed once per session."""

from __future__ import annotations

import math
from typing import Any

import pytest

from cadml.designs import canonicalize_params_request

REFERENCE = {"length": 100.0, "width": 50.0, "height": 30.0, "hole_diameter": 10.0}


def _prism_volume(length: float, width: float, height: float, hole_diameter: float) -> float:
    """Closed-form volume of the block minus the through hole, mm³."""
    return length * width * height - math.pi * (hole_diameter / 2.0) ** 2 * height


def _prism_area(length: float, width: float, height: float, hole_diameter: float) -> float:
    """Closed-form surface area: two caps, four sides and the hole wall, mm²."""
    r = hole_diameter / 2.0
    return (
        2.0 * (length * width - math.pi * r * r)
        + 2.0 * (length + width) * height
        + math.pi * hole_diameter * height
    )


@pytest.fixture(scope="session")
def prism_volume() -> Any:
    """The closed-form volume oracle ``(length, width, height, hole_diameter) -> mm³``."""
    return _prism_volume


@pytest.fixture(scope="session")
def prism_area() -> Any:
    """The closed-form area oracle ``(length, width, height, hole_diameter) -> mm²``."""
    return _prism_area


@pytest.fixture(scope="session")
def reference_canonical() -> dict[str, Any]:
    """The canonical request of the 100 x 50 x 30 mm block with a 10 mm hole."""
    return canonicalize_params_request({"family": "prism_with_hole", "params": dict(REFERENCE)})


@pytest.fixture(scope="session")
def reference_result(reference_canonical: dict[str, Any]) -> Any:
    """The DesignResult of the reference part."""
    from cadml.geometry.pipeline import run_design

    return run_design(reference_canonical)


@pytest.fixture(scope="session")
def reference_shape(reference_canonical: dict[str, Any]) -> Any:
    """The reference part's exact shape."""
    from cadml.geometry.generators import get_family

    return get_family("prism_with_hole").build(reference_canonical["params"])
