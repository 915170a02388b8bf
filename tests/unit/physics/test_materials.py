"""The materials table and the material/process rules."""

from __future__ import annotations

import dataclasses

import pytest

from cadml.errors import ValidationError
from cadml.physics import (
    PROCESS_CATEGORIES,
    PROCESSES,
    Material,
    check_process,
    get_material,
    list_materials,
    materials_for_process,
)

REQUIRED_IDS = {
    "steel",
    "stainless_304",
    "stainless_316",
    "aluminum_6061",
    "aluminum_7075",
    "titanium_ti6al4v",
    "brass",
    "copper",
    "abs",
    "pla",
    "petg",
    "nylon_pa66",
    "pom",
    "pc",
    "peek",
    "resin_standard",
}


def test_table_holds_every_required_material() -> None:
    ids = [m.id for m in list_materials()]
    assert set(ids) >= REQUIRED_IDS
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("material_id", "density", "min_wall", "category"),
    [
        ("aluminum_6061", 2700.0, 0.8, "metal"),
        ("steel", 7870.0, 0.5, "metal"),
        ("abs", 1040.0, 1.2, "thermoplastic"),
        ("pla", 1240.0, 0.8, "thermoplastic"),
        ("titanium_ti6al4v", 4430.0, 0.5, "metal"),
        ("resin_standard", 1180.0, 0.6, "photopolymer"),
    ],
)
def test_known_values(material_id: str, density: float, min_wall: float, category: str) -> None:
    material = get_material(material_id)
    assert material.density_kg_m3 == density
    assert material.min_wall_mm == min_wall
    assert material.category == category


def test_every_material_is_plausible_and_cited() -> None:
    for material in list_materials():
        # Densities of engineering solids lie between foams and osmium.
        assert 500.0 < material.density_kg_m3 < 23000.0, material.id
        assert 0.1 <= material.min_wall_mm <= 5.0, material.id
        assert material.sources and all(s.strip() for s in material.sources), material.id
        assert all(0.0 <= c <= 1.0 for c in material.color_srgb), material.id
        assert material.processes, material.id
        assert material.is_metal == (material.category == "metal")


def test_metals_are_denser_than_plastics() -> None:
    metals = [m.density_kg_m3 for m in list_materials() if m.category == "metal"]
    others = [m.density_kg_m3 for m in list_materials() if m.category != "metal"]
    assert min(metals) > max(others)


def test_material_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_material("abs").density_kg_m3 = 1.0  # type: ignore[misc]


def test_unknown_material() -> None:
    with pytest.raises(ValidationError) as info:
        get_material("unobtainium")
    assert info.value.code == "VALIDATION_UNKNOWN_MATERIAL"
    assert info.value.details["field"] == "material"
    assert "aluminum_6061" in info.value.details["allowed"]
    assert "unobtainium" in info.value.message("tr")


def test_process_categories_hold_for_the_whole_table() -> None:
    for material in list_materials():
        for process in material.processes:
            assert material.category in PROCESS_CATEGORIES[process]


@pytest.mark.parametrize(
    ("material_id", "process"),
    [
        ("aluminum_6061", "cnc_milling"),
        ("aluminum_6061", "sheet_metal"),
        ("abs", "injection_molding"),
        ("abs", "fdm_printing"),
        ("pla", "fdm_printing"),
        ("pom", "cnc_milling"),
        ("peek", "cnc_milling"),
        ("resin_standard", "sla_printing"),
        ("stainless_316", "sheet_metal"),
    ],
)
def test_compatible_pairs(material_id: str, process: str) -> None:
    assert check_process(material_id, process) is None
    assert check_process(get_material(material_id), process) is None


@pytest.mark.parametrize(
    ("material_id", "process"),
    [
        ("aluminum_6061", "injection_molding"),  # injection moulding needs a thermoplastic
        ("steel", "fdm_printing"),
        ("abs", "sla_printing"),  # SLA needs a photopolymer
        ("abs", "sheet_metal"),  # sheet metal needs a metal
        ("resin_standard", "cnc_milling"),
        ("resin_standard", "fdm_printing"),
        ("pla", "cnc_milling"),  # a thermoplastic, but not machinable
        ("aluminum_7075", "sheet_metal"),
    ],
)
def test_conflicting_pairs(material_id: str, process: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_process(material_id, process)
    err = info.value
    assert err.code == "VALIDATION_MATERIAL_PROCESS_CONFLICT"
    assert err.details["field"] == "process"
    assert err.details["material"] == material_id
    assert material_id not in err.details["allowed"].split(", ")


def test_unknown_process() -> None:
    with pytest.raises(ValidationError) as info:
        check_process("abs", "laser_sintering")
    assert info.value.code == "VALIDATION_UNKNOWN_PROCESS"
    assert info.value.details["field"] == "process"
    assert info.value.details["allowed"] == ", ".join(PROCESSES)


def test_every_process_has_a_material() -> None:
    for process in PROCESSES:
        assert materials_for_process(process), process
    assert materials_for_process("welding") == ()


def test_sla_needs_photopolymer_and_injection_needs_thermoplastic() -> None:
    assert {m.category for m in materials_for_process("sla_printing")} == {"photopolymer"}
    assert {m.category for m in materials_for_process("injection_molding")} == {"thermoplastic"}
    assert {m.category for m in materials_for_process("sheet_metal")} == {"metal"}
    assert {m.category for m in materials_for_process("fdm_printing")} == {"thermoplastic"}
    assert isinstance(materials_for_process("cnc_milling")[0], Material)
