"""The materials table and the material/process compatibility rules.

The table lives in ``materials.json`` beside this module, with the source of every
value. Densities are SI (kg/m³); the minimum wall is a CAD-boundary length in mm.

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
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from cadml.errors import ValidationError

__all__ = [
    "CATEGORIES",
    "PROCESSES",
    "PROCESS_CATEGORIES",
    "Material",
    "check_process",
    "get_material",
    "list_materials",
    "materials_for_process",
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


@dataclass(frozen=True)
class Material:
    """One engineering material.

    Args:
        id: stable snake_case identifier, e.g. ``aluminum_6061``.
        name: human-readable name.
        grade: the grade or temper the values describe.
        category: ``metal``, ``thermoplastic`` or ``photopolymer``.
        density_kg_m3: density in kg/m³.
        min_wall_mm: thinnest wall accepted for this material, in mm.
        processes: ids from :data:`PROCESSES` the material is offered for.
        color_srgb: display colour, sRGB components in 0..1.
        sources: citations of the values (text from the table's ``sources``).
        notes: remarks on the data, may be empty.
    """

    id: str
    name: str
    grade: str
    category: str
    density_kg_m3: float
    min_wall_mm: float
    processes: tuple[str, ...]
    color_srgb: tuple[float, float, float]
    sources: tuple[str, ...]
    notes: str = ""

    @property
    def is_metal(self) -> bool:
        """Whether the material is a metal (drives the PBR metallic factor)."""
        return self.category == "metal"


def _material_from_row(row: dict[str, Any], sources: dict[str, str]) -> Material:
    color = tuple(float(c) for c in row["color_srgb"])
    if len(color) != 3 or not all(0.0 <= c <= 1.0 for c in color):
        raise ValueError(f"material {row['id']}: color_srgb must be three values in 0..1")
    material = Material(
        id=str(row["id"]),
        name=str(row["name"]),
        grade=str(row["grade"]),
        category=str(row["category"]),
        density_kg_m3=float(row["density_kg_m3"]),
        min_wall_mm=float(row["min_wall_mm"]),
        processes=tuple(str(p) for p in row["processes"]),
        color_srgb=(color[0], color[1], color[2]),
        sources=tuple(sources[key] for key in row["sources"]),
        notes=str(row.get("notes", "")),
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
    if material.density_kg_m3 <= 0 or material.min_wall_mm <= 0:
        raise ValueError(f"material {material.id}: density and min wall must be positive")
    return material


@cache
def _table() -> dict[str, Material]:
    text = resources.files("cadml.physics").joinpath("materials.json").read_text("utf-8")
    data = json.loads(text)
    sources: dict[str, str] = data["sources"]
    table: dict[str, Material] = {}
    for row in data["materials"]:
        material = _material_from_row(row, sources)
        if material.id in table:
            raise ValueError(f"duplicate material id {material.id!r}")
        table[material.id] = material
    return table


def list_materials() -> tuple[Material, ...]:
    """All materials, sorted by id.

    Examples:
        >>> "peek" in [m.id for m in list_materials()]
        True
    """
    table = _table()
    return tuple(table[key] for key in sorted(table))


def get_material(material_id: str) -> Material:
    """The material with this id.

    Args:
        material_id: a snake_case id such as ``aluminum_6061``.

    Raises:
        ValidationError: ``VALIDATION_UNKNOWN_MATERIAL`` if there is no such material.

    Examples:
        >>> get_material("pla").category
        'thermoplastic'
    """
    table = _table()
    try:
        return table[material_id]
    except (KeyError, TypeError):
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
