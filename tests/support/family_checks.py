"""Shared checks of the part-family tests: canonicalise, build a valid solid, measure it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps

from cadml.designs.params import canonical_values
from cadml.errors import ValidationError
from cadml.geometry.generators.family import FamilySpec
from cadml.geometry.metrics import solids_of
from cadml.physics.materials import get_material

__all__ = ["FamilyChecks", "exact_volume"]


def exact_volume(shape: Any) -> float:
    """The B-rep volume of ``shape`` in mm³ (OCCT's default integration)."""
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return props.Mass()


@dataclass(frozen=True)
class FamilyChecks:
    """The three steps every family test takes, bound to one family."""

    spec: FamilySpec

    def checked(self, params: dict[str, Any]) -> dict[str, Any]:
        """Canonical values that passed the family's ranges and rules."""
        values = canonical_values(self.spec, params)
        self.spec.check(values, get_material(values["material"]))
        return values

    def build_solid(self, values: dict[str, Any]) -> Any:
        """Build, asserting one valid solid."""
        shape = self.spec.build(values)
        assert BRepCheck_Analyzer(shape).IsValid()
        assert len(solids_of(shape)) == 1
        return shape

    def error_of(self, params: dict[str, Any]) -> ValidationError:
        """The error the request raises (fails the test if it raises none)."""
        with pytest.raises(ValidationError) as info:
            self.checked(params)
        return info.value
