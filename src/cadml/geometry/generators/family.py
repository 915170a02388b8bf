"""What a parametric part family is: its parameters, its rules and its builder.

A family module (e.g. ``prism_with_hole``) describes itself with a :class:`FamilySpec`.
The spec is pure data plus two callables: ``validate`` (pure Python, run by the API
process) and ``build`` (imports the kernel lazily, run by geometry workers only).

A parameter has a *kind*:

* ``number`` (default): a float in ``[min, max]`` in ``unit``;
* ``integer``: a whole number in ``[min, max]`` (a tooth count, a hole count);
* ``boolean``: ``true``/``false`` (``min``/``max`` unused);
* ``choice``: one string of ``choices`` (a designation such as ``M8``), matched
  without regard to case and returned in the spelling of ``choices``;
* ``numbers``: a list of ``min_items..max_items`` floats, each in ``[min, max]``
  (the step diameters of a shaft);
* ``points``: a list of ``min_items..max_items`` ``[x, y]`` pairs, each coordinate in
  ``[min, max]`` (custom hole positions).

Examples:
    >>> p = ParamSpec("length", "mm", 0.1, 1000.0, 100.0, "Size along X.")
    >>> p.contains(0.1), p.contains(1000.5)
    (True, False)
    >>> ParamSpec("size", "", 0, 0, "M8", "Thread size.", kind="choice",
    ...           choices=("M6", "M8")).json_schema()["enum"]
    ['M6', 'M8']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cadml.errors import ValidationError

if TYPE_CHECKING:
    from cadml.physics.materials import Material

__all__ = ["PARAM_KINDS", "FamilySpec", "ParamSpec", "ParamValues"]

PARAM_KINDS = ("number", "integer", "boolean", "choice", "numbers", "points")
"""The kinds a parameter can have (see the module docstring)."""

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
        kind: one of :data:`PARAM_KINDS`.
        choices: the allowed values of a ``choice`` parameter.
        min_items: fewest entries of a ``numbers`` or ``points`` parameter.
        max_items: most entries of a ``numbers`` or ``points`` parameter.
    """

    name: str
    unit: str
    min: float
    max: float
    default: Any
    description: str
    required: bool = True
    kind: str = "number"
    choices: tuple[str, ...] = ()
    min_items: int = 0
    max_items: int = 0

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"parameter {self.name}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"parameter {self.name}: a choice needs choices")
        if self.kind in ("numbers", "points") and not 0 <= self.min_items <= self.max_items:
            raise ValueError(f"parameter {self.name}: need 0 <= min_items <= max_items")

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies inside ``[min, max]``."""
        return self.min <= value <= self.max

    def scalars(self, value: Any) -> list[tuple[str, float]]:
        """The numbers inside a canonical value that must lie in ``[min, max]``.

        Returns ``(field label, number)`` pairs: the value itself for ``number`` and
        ``integer``, one entry per item (``name[i]``, ``name[i].x``) for lists, none for
        ``boolean`` and ``choice``.
        """
        if self.kind in ("number", "integer"):
            return [(self.name, float(value))]
        if self.kind == "numbers":
            return [(f"{self.name}[{i}]", float(v)) for i, v in enumerate(value)]
        if self.kind == "points":
            return [
                (f"{self.name}[{i}].{axis}", float(c))
                for i, point in enumerate(value)
                for axis, c in zip("xy", point, strict=True)
            ]
        return []

    def json_schema(self) -> dict[str, Any]:
        """A JSON Schema (draft 2020-12) of the parameter, for forms."""
        schema: dict[str, Any] = {"description": self.description}
        if self.unit:
            schema["x-unit"] = self.unit
        if self.kind in ("number", "integer"):
            schema.update(type=self.kind, minimum=self.min, maximum=self.max)
        elif self.kind == "boolean":
            schema["type"] = "boolean"
        elif self.kind == "choice":
            schema.update(type="string", enum=list(self.choices))
        elif self.kind == "numbers":
            schema.update(
                type="array",
                items={"type": "number", "minimum": self.min, "maximum": self.max},
                minItems=self.min_items,
                maxItems=self.max_items,
            )
        else:
            coordinate = {"type": "number", "minimum": self.min, "maximum": self.max}
            schema.update(
                type="array",
                items={
                    "type": "array",
                    "prefixItems": [coordinate, coordinate],
                    "minItems": 2,
                    "maxItems": 2,
                },
                minItems=self.min_items,
                maxItems=self.max_items,
            )
        schema["default"] = self.default
        return schema


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
        example: a documented example request's ``params`` (shown in the catalogue
            and tested to build).
    """

    name: str
    description: str
    parameters: tuple[ParamSpec, ...]
    validate: Callable[[ParamValues, Material], None]
    build: Callable[[ParamValues], Any]
    example: Mapping[str, Any] | None = None

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
            for label, value in spec.scalars(values[spec.name]):
                if not spec.contains(value):
                    raise ValidationError(
                        "VALIDATION_RANGE_VIOLATION",
                        details={
                            "field": label,
                            "value": value,
                            "min": spec.min,
                            "max": spec.max,
                            "unit": spec.unit,
                        },
                    )
        self.validate(values, material)

    def json_schema(self, materials: tuple[str, ...], processes: tuple[str, ...]) -> dict[str, Any]:
        """A JSON Schema of the family's ``params`` object, for a UI to build its form.

        Args:
            materials: the material ids to offer (``enum`` of ``material``).
            processes: the process ids to offer (``enum`` of ``process``).
        """
        properties = {spec.name: spec.json_schema() for spec in self.parameters}
        properties["material"] = {"type": "string", "enum": list(materials)}
        properties["process"] = {"type": "string", "enum": list(processes)}
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "description": self.description,
            "type": "object",
            "properties": properties,
            "required": [spec.name for spec in self.parameters if spec.required],
            "additionalProperties": False,
        }
