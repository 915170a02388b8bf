"""What a parametric part family is: its parameters, its rules and its builder.

A family module (e.g. ``prism_with_hole``) describes itself with a :class:`FamilySpec`.
The spec is pure data plus two callables: ``validate`` (pure Python, run by the API
process) and ``build`` (imports the kernel lazily, run by geometry workers only).

Examples:
    >>> p = ParamSpec("length", "mm", 0.1, 1000.0, 100.0, "Size along X.")
    >>> p.contains(0.1), p.contains(1000.5)
    (True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = ["FamilySpec", "ParamSpec", "ParamValues"]

ParamValues = Mapping[str, Any]
"""Canonical parameter values: floats for numeric parameters, ids for material/process."""


@dataclass(frozen=True)
class ParamSpec:
    """One numeric parameter of a family.

    Args:
        name: the parameter's key in request bodies, e.g. ``hole_diameter``.
        unit: the unit the value is given in (``mm`` for lengths).
        min: smallest accepted value (inclusive).
        max: largest accepted value (inclusive).
        default: the value a form suggests before the user types.
        description: one sentence shown in forms and the OpenAPI schema.
        required: whether a request must give it; when False, ``default`` is used.
    """

    name: str
    unit: str
    min: float
    max: float
    default: float
    description: str
    required: bool = True

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside ``[min, max]``."""
        return self.min <= value <= self.max


@dataclass(frozen=True)
class FamilySpec:
    """A parametric part family.

    Args:
        name: the family id used in requests, e.g. ``prism_with_hole``.
        description: one sentence describing the part and its frame.
        parameters: the numeric parameters, in display order.
        validate: family rules over canonical values and the resolved material; raises
            :class:`~cadml.errors.ValidationError`. Ranges are already checked.
        build: makes the part from canonical values; returns an OCP ``TopoDS_Shape``
            in millimetres. Imports the kernel lazily.
    """

    name: str
    description: str
    parameters: tuple[ParamSpec, ...]
    validate: Callable[[ParamValues, Material], None]
    build: Callable[[ParamValues], Any]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the numeric parameters, in display order."""
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> ParamSpec:
        """The parameter called ``name``.

        Raises:
            KeyError: if the family has no such parameter.
        """
        for spec in self.parameters:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def check(self, values: ParamValues, material: Material) -> None:
        """Check ranges, then the family's own rules.

        Args:
            values: canonical values (every numeric parameter present as a float).
            material: the resolved material of ``values["material"]``.

        Raises:
            ValidationError: ``VALIDATION_RANGE_VIOLATION`` for a value outside its
                parameter's range, or whatever ``validate`` raises.
        """
        for spec in self.parameters:
            value = float(values[spec.name])
            if not spec.contains(value):
                raise ValidationError(
                    "VALIDATION_RANGE_VIOLATION",
                    details={
                        "field": spec.name,
                        "value": value,
                        "min": spec.min,
                        "max": spec.max,
                        "unit": spec.unit,
                    },
                )
        self.validate(values, material)
