"""Parametric part families, registered by name.

Importing this package never imports the geometry kernel: specs and validation are
pure Python so the API process can validate requests; each family's ``build`` imports
the kernel when a worker calls it.

Examples:
    >>> get_family("prism_with_hole").parameter_names
    ('length', 'width', 'height', 'hole_diameter')
    >>> try:
    ...     get_family("gear")
    ... except ValidationError as err:
    ...     print(err.code)
    VALIDATION_UNKNOWN_FAMILY
"""

from cadml.errors import ValidationError
from cadml.geometry.generators import (
    din625,
    din933,
    enclosure,
    flange,
    iso4032,
    l_bracket,
    plate,
    prism_with_hole,
    shaft,
    spur_gear,
)
from cadml.geometry.generators.family import FamilySpec, ParamSpec, ParamValues

__all__ = ["FAMILIES", "FamilySpec", "ParamSpec", "ParamValues", "get_family"]

FAMILIES: dict[str, FamilySpec] = {
    spec.name: spec
    for spec in sorted(
        (
            din625.SPEC,
            din933.SPEC,
            enclosure.SPEC,
            flange.SPEC,
            iso4032.SPEC,
            l_bracket.SPEC,
            plate.SPEC,
            prism_with_hole.SPEC,
            shaft.SPEC,
            spur_gear.SPEC,
        ),
        key=lambda s: s.name,
    )
}
"""Every registered family, by name."""


def get_family(name: str) -> FamilySpec:
    """The family called ``name``.

    Raises:
        ValidationError: ``VALIDATION_UNKNOWN_FAMILY`` if no family has that name.
    """
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ValidationError(
            "VALIDATION_UNKNOWN_FAMILY",
            details={"field": "family", "family": name, "allowed": ", ".join(sorted(FAMILIES))},
        ) from None
