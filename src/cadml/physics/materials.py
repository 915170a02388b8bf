"""The materials table and the material/process compatibility rules.

The table lives in ``materials.json`` beside this module, with the source of every
value. Each material carries typical room-temperature properties of its named grade:
density (kg/m³), Young's modulus (GPa), Poisson's ratio, 0.2 % yield and ultimate
tensile strength (MPa), thermal conductivity (W/(m·K)), specific heat (J/(kg·K)) and
linear thermal expansion (µm/(m·K) = 1e-6/K). The unit of each field is in its name;
the minimum wall is a CAD-boundary length in mm.

Two layers of rules decide whether a material suits a process:

1. the material's category must be one the process can shape at all
   (:data:`PROCESS_CATEGORIES`: injection moulding and FDM take thermoplastics, SLA
   takes photopolymers, sheet metal takes metals, CNC takes metals and plastics);
2. within that, the table lists the processes each material is actually offered for
   (PLA is a thermoplastic but smears under a cutter, so it is not machinable).

The table is checked against rule 1 when it is loaded.

Examples:
    >>> get_material("aluminum_6061").density_kg_m3
    2700.0
    >>> get_material("aluminum_6061").youngs_modulus_gpa
    68.9
    >>> check_process("abs", "injection_molding") is None
    True
    >>> try:
    ...     check_process("resin_standard", "cnc_milling")
    ... except ValidationError as err:
    ...     print(err.code, err.details["field"])
    VALIDATION_MATERIAL_PROCESS_CONFLICT process
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from cadml.errors import ValidationError

__all__ = [
    "CATEGORIES",
    "NUMERIC_FIELDS",
    "PROCESSES",
    "PROCESS_CATEGORIES",
    "Material",
    "check_process",
    "get_material",
    "list_materials",
    "materials_for_process",
    "materials_table",
    "parse_table",
]

PROCESSES: tuple[str, ...] = (
    "cnc_milling",
    "injection_molding",
    "fdm_printing",
    "sla_printing",
    "sheet_metal",
)
"""Manufacturing processes the platform knows, by id."""

CATEGORIES: tuple[str, ...] = ("metal", "thermoplastic", "photopolymer")
"""Material categories."""

PROCESS_CATEGORIES: dict[str, frozenset[str]] = {
    "cnc_milling": frozenset({"metal", "thermoplastic"}),
    "injection_molding": frozenset({"thermoplastic"}),
    "fdm_printing": frozenset({"thermoplastic"}),
    "sla_printing": frozenset({"photopolymer"}),
    "sheet_metal": frozenset({"metal"}),
}
"""The material categories each process can shape at all."""


NUMERIC_FIELDS: tuple[str, ...] = (
    "density_kg_m3",
    "youngs_modulus_gpa",
    "poisson_ratio",
    "yield_strength_mpa",
    "ultimate_strength_mpa",
    "thermal_conductivity_w_mk",
    "specific_heat_j_kgk",
    "thermal_expansion_um_mk",
    "min_wall_mm",
)
"""The numeric fields every table row must carry, each finite and positive."""


@dataclass(frozen=True)
class Material:
    """One engineering material, with typical room-temperature values of its grade.

    Args:
        id: stable snake_case identifier, e.g. ``aluminum_6061``.
        name: human-readable name.
        grade: the grade or temper the values describe.
        category: ``metal``, ``thermoplastic`` or ``photopolymer``.
        density_kg_m3: density in kg/m³.
        youngs_modulus_gpa: Young's (tensile) modulus in GPa.
        poisson_ratio: Poisson's ratio, dimensionless, in (0, 0.5).
        yield_strength_mpa: 0.2 % offset yield strength in MPa (for plastics the
            tensile stress at yield; for materials without a yield point, the tensile
            strength, which the material's ``notes`` then say).
        ultimate_strength_mpa: ultimate tensile strength in MPa, at least the yield.
        thermal_conductivity_w_mk: thermal conductivity in W/(m·K).
        specific_heat_j_kgk: specific heat capacity in J/(kg·K).
        thermal_expansion_um_mk: linear thermal expansion coefficient in µm/(m·K),
            i.e. 1e-6/K.
        min_wall_mm: thinnest wall accepted for this material, in mm.
        processes: ids from :data:`PROCESSES` the material is offered for.
        color_srgb: display colour, sRGB components in 0..1.
        sources: citations of the values (text from the table's ``sources``).
        source_keys: the keys of those citations in the table's ``sources``.
        notes: remarks on the data, may be empty.
    """

    id: str
    name: str
    grade: str
    category: str
    density_kg_m3: float
    youngs_modulus_gpa: float
    poisson_ratio: float
    yield_strength_mpa: float
    ultimate_strength_mpa: float
    thermal_conductivity_w_mk: float
    specific_heat_j_kgk: float
    thermal_expansion_um_mk: float
    min_wall_mm: float
    processes: tuple[str, ...]
    color_srgb: tuple[float, float, float]
    sources: tuple[str, ...]
    source_keys: tuple[str, ...] = ()
    notes: str = ""

    @property
    def is_metal(self) -> bool:
        """Whether the material is a metal (drives the PBR metallic factor)."""
        return self.category == "metal"

    def to_dict(self) -> dict[str, Any]:
        """The material as a JSON-able dict, in the table's row format.

        ``sources`` holds the citation keys (see :func:`materials_table` for the
        citations themselves).

        Examples:
            >>> row = get_material("pla").to_dict()
            >>> row["id"], row["processes"][0], "natureworks" in row["sources"]
            ('pla', 'fdm_printing', True)
        """
        row: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "grade": self.grade,
            "category": self.category,
        }
        for field in NUMERIC_FIELDS:
            row[field] = getattr(self, field)
        row["processes"] = list(self.processes)
        row["color_srgb"] = list(self.color_srgb)
        row["sources"] = list(self.source_keys)
        row["notes"] = self.notes
        return row


def _positive_number(row: Mapping[str, Any], field: str, material_id: str) -> float:
    if field not in row:
        raise ValueError(f"material {material_id}: missing field {field!r}")
    raw = row[field]
    # bool is an int subclass; a JSON true is a data error, not 1.0
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"material {material_id}: {field} must be a number, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"material {material_id}: {field} must be positive, got {raw!r}")
    return value


def _material_from_row(row: Mapping[str, Any], sources: Mapping[str, str]) -> Material:
    material_id = str(row.get("id", "?"))
    for field in ("id", "name", "grade", "category", "processes", "color_srgb", "sources"):
        if field not in row:
            raise ValueError(f"material {material_id}: missing field {field!r}")
    values = {field: _positive_number(row, field, material_id) for field in NUMERIC_FIELDS}
    if not 0.0 < values["poisson_ratio"] < 0.5:
        raise ValueError(
            f"material {material_id}: poisson_ratio must lie in (0, 0.5), "
            f"got {values['poisson_ratio']}"
        )
    if values["ultimate_strength_mpa"] < values["yield_strength_mpa"]:
        raise ValueError(
            f"material {material_id}: ultimate_strength_mpa {values['ultimate_strength_mpa']} "
            f"is below yield_strength_mpa {values['yield_strength_mpa']}"
        )
    color = tuple(float(c) for c in row["color_srgb"])
    if len(color) != 3 or not all(0.0 <= c <= 1.0 for c in color):
        raise ValueError(f"material {material_id}: color_srgb must be three values in 0..1")
    source_keys = tuple(str(key) for key in row["sources"])
    if not source_keys:
        raise ValueError(f"material {material_id}: no sources")
    for key in source_keys:
        if key not in sources:
            raise ValueError(f"material {material_id}: unknown source {key!r}")
    material = Material(
        id=material_id,
        name=str(row["name"]),
        grade=str(row["grade"]),
        category=str(row["category"]),
        processes=tuple(str(p) for p in row["processes"]),
        color_srgb=(color[0], color[1], color[2]),
        sources=tuple(sources[key] for key in source_keys),
        source_keys=source_keys,
        notes=str(row.get("notes", "")),
        **values,
    )
    if material.category not in CATEGORIES:
        raise ValueError(f"material {material.id}: unknown category {material.category!r}")
    for process in material.processes:
        if process not in PROCESSES:
            raise ValueError(f"material {material.id}: unknown process {process!r}")
        if material.category not in PROCESS_CATEGORIES[process]:
            raise ValueError(
                f"material {material.id}: a {material.category} cannot be made by {process}"
            )
    return material


def parse_table(data: Mapping[str, Any]) -> dict[str, Material]:
    """Validate a materials table (the parsed ``materials.json``) and index it by id.

    Args:
        data: a mapping with ``sources`` (citation key → text) and ``materials``
            (a list of rows as in ``materials.json``).

    Returns:
        The materials by id, in the table's order.

    Raises:
        ValueError: naming the material and the field, if a row lacks a field, has a
            missing, non-numeric or non-positive number, a Poisson's ratio outside
            (0, 0.5), an ultimate strength below the yield, an unknown source,
            category or process, a process its category cannot take, or a duplicate id.
            (A bad table is a programming error, not a user error.)

    Examples:
        >>> row = get_material("abs").to_dict() | {"poisson_ratio": 0.6}
        >>> parse_table({"sources": materials_table()["sources"], "materials": [row]})
        Traceback (most recent call last):
        ...
        ValueError: material abs: poisson_ratio must lie in (0, 0.5), got 0.6
    """
    sources: Mapping[str, str] = data["sources"]
    table: dict[str, Material] = {}
    for row in data["materials"]:
        material = _material_from_row(row, sources)
        if material.id in table:
            raise ValueError(f"duplicate material id {material.id!r}")
        table[material.id] = material
    return table


@cache
def _data() -> dict[str, Any]:
    text = resources.files("cadml.physics").joinpath("materials.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _table() -> dict[str, Material]:
    return parse_table(_data())


def materials_table() -> dict[str, Any]:
    """The whole table as a fresh JSON-able dict (for ``GET /materials``).

    Returns:
        ``{"about": str, "sources": {key: citation}, "materials": [row, ...]}`` with
        the sources sorted by key and the rows (see :meth:`Material.to_dict`) by id,
        so the same table always serialises to the same bytes.

    Examples:
        >>> table = materials_table()
        >>> table["materials"][0]["id"]
        'abs'
        >>> all(key in table["sources"] for row in table["materials"] for key in row["sources"])
        True
    """
    sources: Mapping[str, str] = _data()["sources"]
    return {
        "about": str(_data()["about"]),
        "sources": {key: sources[key] for key in sorted(sources)},
        "materials": [material.to_dict() for material in list_materials()],
    }


def list_materials() -> tuple[Material, ...]:
    """All materials, sorted by id.

    Examples:
        >>> "peek" in [m.id for m in list_materials()]
        True
    """
    table = _table()
    return tuple(table[key] for key in sorted(table))


def _canonical_id(text: str) -> str:
    """``text`` as a material id: lower case, runs of spaces and hyphens as ``_``."""
    words = re.split(r"[\s_-]+", text.strip().lower())
    return "_".join(w for w in words if w).replace("aluminium", "aluminum")


def get_material(material_id: str) -> Material:
    """The material with this id.

    Args:
        material_id: a snake_case id such as ``aluminum_6061``. Case, hyphens, spaces and
            the British spelling "aluminium" are forgiven (``Aluminium-6061`` works).

    Raises:
        ValidationError: ``VALIDATION_UNKNOWN_MATERIAL`` if there is no such material.

    Examples:
        >>> get_material("pla").category
        'thermoplastic'
        >>> get_material("Aluminium-6061").id
        'aluminum_6061'
    """
    table = _table()
    try:
        return table[material_id]
    except (KeyError, TypeError):
        pass
    try:
        return table[_canonical_id(material_id)]
    except (KeyError, AttributeError):
        raise ValidationError(
            "VALIDATION_UNKNOWN_MATERIAL",
            details={
                "field": "material",
                "material": material_id,
                "allowed": ", ".join(sorted(table)),
            },
        ) from None


def materials_for_process(process: str) -> tuple[Material, ...]:
    """The materials offered for ``process``, sorted by id (empty if it is unknown).

    Examples:
        >>> [m.id for m in materials_for_process("sla_printing")]
        ['resin_standard']
    """
    return tuple(m for m in list_materials() if process in m.processes)


def check_process(material: Material | str, process: str) -> None:
    """Check that ``material`` can be made by ``process``.

    Args:
        material: a :class:`Material` or a material id.
        process: a process id from :data:`PROCESSES`.

    Raises:
        ValidationError: ``VALIDATION_UNKNOWN_MATERIAL`` for an unknown material id,
            ``VALIDATION_UNKNOWN_PROCESS`` for an unknown process,
            ``VALIDATION_MATERIAL_PROCESS_CONFLICT`` if the pair is incompatible.
    """
    resolved = get_material(material) if isinstance(material, str) else material
    if process not in PROCESSES:
        raise ValidationError(
            "VALIDATION_UNKNOWN_PROCESS",
            details={"field": "process", "process": process, "allowed": ", ".join(PROCESSES)},
        )
    if process not in resolved.processes:
        suitable = ", ".join(m.id for m in materials_for_process(process))
        raise ValidationError(
            "VALIDATION_MATERIAL_PROCESS_CONFLICT",
            details={
                "field": "process",
                "material": resolved.id,
                "process": process,
                "category": resolved.category,
                "allowed": suitable,
            },
        )
