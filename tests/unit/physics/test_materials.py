"""The materials table and the material/process rules."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
from typing import Any

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
from cadml.physics.materials import NUMERIC_FIELDS, materials_table, parse_table

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

ADDED_IDS = {
    "steel_1045",
    "steel_4140",
    "stainless_17_4ph",
    "aluminum_5052",
    "aluminum_2024",
    "cast_iron_grey",
    "ductile_iron",
    "nylon_pa12",
    "pp",
    "hdpe",
    "pmma",
}


def test_table_holds_every_required_material() -> None:
    ids = [m.id for m in list_materials()]
    assert set(ids) >= REQUIRED_IDS | ADDED_IDS
    assert len(ids) >= 25
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


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Aluminium-6061", "aluminum_6061"),
        ("  stainless 304 ", "stainless_304"),
        ("NYLON-PA66", "nylon_pa66"),
        ("steel", "steel"),
    ],
)
def test_material_id_forgives_case_hyphens_and_spelling(written: str, expected: str) -> None:
    assert get_material(written).id == expected


@pytest.mark.parametrize("written", ["aluminium", "stainless--3 04", ""])
def test_loose_spelling_still_refuses_other_ids(written: str) -> None:
    with pytest.raises(ValidationError) as info:
        get_material(written)
    assert info.value.code == "VALIDATION_UNKNOWN_MATERIAL"


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


# --- engineering properties -------------------------------------------------------------

# Plausible room-temperature envelopes per category: (low, high) for each field.
METAL_RANGES = {
    "density_kg_m3": (2000.0, 9000.0),
    "youngs_modulus_gpa": (40.0, 250.0),
    "poisson_ratio": (0.25, 0.36),
    "yield_strength_mpa": (50.0, 1500.0),
    "ultimate_strength_mpa": (150.0, 1600.0),
    "thermal_conductivity_w_mk": (5.0, 450.0),
    "specific_heat_j_kgk": (300.0, 1000.0),
    "thermal_expansion_um_mk": (5.0, 30.0),
}
POLYMER_RANGES = {
    "density_kg_m3": (900.0, 1500.0),
    "youngs_modulus_gpa": (0.5, 5.0),
    "poisson_ratio": (0.3, 0.45),
    "yield_strength_mpa": (10.0, 150.0),
    "ultimate_strength_mpa": (10.0, 150.0),
    "thermal_conductivity_w_mk": (0.1, 0.6),
    "specific_heat_j_kgk": (900.0, 2500.0),
    "thermal_expansion_um_mk": (30.0, 250.0),
}


def test_every_material_has_every_numeric_field() -> None:
    for material in list_materials():
        row = material.to_dict()
        for field in NUMERIC_FIELDS:
            value = getattr(material, field)
            assert isinstance(value, float), (material.id, field)
            assert math.isfinite(value) and value > 0.0, (material.id, field)
            assert row[field] == value
        assert material.ultimate_strength_mpa >= material.yield_strength_mpa, material.id
        assert 0.0 < material.poisson_ratio < 0.5, material.id


@pytest.mark.parametrize("material", list_materials(), ids=lambda m: m.id)
def test_values_lie_in_physical_ranges(material: Material) -> None:
    ranges = METAL_RANGES if material.is_metal else POLYMER_RANGES
    for field, (low, high) in ranges.items():
        value = getattr(material, field)
        assert low <= value <= high, f"{material.id}.{field} = {value} not in [{low}, {high}]"


def test_wrought_structural_metals_share_a_specific_stiffness() -> None:
    # E/rho of steels, aluminium and titanium alloys is famously ~25 MJ/kg (GPa per g/cm3);
    # a slipped decimal in E or rho would break it.
    ids = [
        "steel",
        "steel_1045",
        "steel_4140",
        "stainless_304",
        "stainless_316",
        "stainless_17_4ph",
        "aluminum_6061",
        "aluminum_7075",
        "aluminum_5052",
        "aluminum_2024",
        "titanium_ti6al4v",
    ]
    for material_id in ids:
        material = get_material(material_id)
        specific = material.youngs_modulus_gpa / (material.density_kg_m3 / 1000.0)
        assert 23.0 <= specific <= 28.0, (material_id, specific)


def test_metals_conduct_heat_better_than_plastics() -> None:
    metals = [m.thermal_conductivity_w_mk for m in list_materials() if m.is_metal]
    others = [m.thermal_conductivity_w_mk for m in list_materials() if not m.is_metal]
    assert min(metals) > 10 * max(others)


def test_materials_without_a_separate_yield_say_so() -> None:
    for material in list_materials():
        if material.yield_strength_mpa == material.ultimate_strength_mpa:
            assert "yield" in material.notes.lower(), material.id


@pytest.mark.parametrize(
    ("material_id", "expected"),
    [
        (
            "aluminum_6061",
            {
                "density_kg_m3": 2700.0,
                "youngs_modulus_gpa": 68.9,
                "poisson_ratio": 0.33,
                "yield_strength_mpa": 276.0,
                "ultimate_strength_mpa": 310.0,
                "thermal_conductivity_w_mk": 167.0,
                "specific_heat_j_kgk": 896.0,
                "thermal_expansion_um_mk": 23.6,
            },
        ),
        (
            "stainless_304",
            {
                "density_kg_m3": 8000.0,
                "youngs_modulus_gpa": 193.0,
                "yield_strength_mpa": 215.0,
                "ultimate_strength_mpa": 505.0,
                "thermal_conductivity_w_mk": 16.2,
                "thermal_expansion_um_mk": 17.3,
            },
        ),
        (
            "titanium_ti6al4v",
            {
                "youngs_modulus_gpa": 113.8,
                "yield_strength_mpa": 880.0,
                "thermal_conductivity_w_mk": 6.7,
            },
        ),
        ("aluminum_7075", {"yield_strength_mpa": 503.0, "ultimate_strength_mpa": 572.0}),
        ("copper", {"thermal_conductivity_w_mk": 388.0, "specific_heat_j_kgk": 385.0}),
        ("pp", {"density_kg_m3": 905.0}),
    ],
)
def test_published_spot_values(material_id: str, expected: dict[str, float]) -> None:
    material = get_material(material_id)
    for field, value in expected.items():
        assert getattr(material, field) == value, (material_id, field)


def test_ids_are_unique_snake_case() -> None:
    table = materials_table()
    ids = [row["id"] for row in table["materials"]]
    assert len(ids) == len(set(ids))
    for material_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", material_id), material_id


def test_sources_resolve_to_citations() -> None:
    table = materials_table()
    cited = table["sources"]
    used: set[str] = set()
    for material in list_materials():
        assert material.source_keys, material.id
        assert material.sources == tuple(cited[key] for key in material.source_keys)
        used.update(material.source_keys)
    # every citation is real text and is used by some material
    assert set(cited) == used
    assert all(len(text) > 20 for text in cited.values())


# --- the JSON listing ---------------------------------------------------------------------


def test_materials_table_is_json_and_round_trips() -> None:
    table = materials_table()
    text = json.dumps(table, ensure_ascii=False)
    assert text == json.dumps(materials_table(), ensure_ascii=False)
    assert [row["id"] for row in table["materials"]] == [m.id for m in list_materials()]
    assert list(table["sources"]) == sorted(table["sources"])
    reparsed = parse_table(json.loads(text))
    assert tuple(reparsed[key] for key in sorted(reparsed)) == list_materials()


def test_materials_table_returns_a_fresh_copy() -> None:
    table = materials_table()
    table["materials"][0]["density_kg_m3"] = -1.0
    table["sources"].clear()
    assert materials_table()["materials"][0]["density_kg_m3"] > 0
    assert materials_table()["sources"]


# --- validation of table rows --------------------------------------------------------------


def _table_with(material_id: str, **changes: Any) -> dict[str, Any]:
    table = copy.deepcopy(materials_table())
    for row in table["materials"]:
        if row["id"] == material_id:
            for key, value in changes.items():
                if value is _DROP:
                    del row[key]
                else:
                    row[key] = value
    return table


_DROP = object()


def test_the_shipped_table_parses() -> None:
    assert len(parse_table(materials_table())) == len(list_materials())


@pytest.mark.parametrize("field", NUMERIC_FIELDS)
def test_missing_numeric_field_is_rejected(field: str) -> None:
    with pytest.raises(ValueError, match=rf"material pom: missing field '{field}'"):
        parse_table(_table_with("pom", **{field: _DROP}))


@pytest.mark.parametrize("field", NUMERIC_FIELDS)
@pytest.mark.parametrize("bad", [0, -1.5, float("nan"), float("inf")])
def test_non_positive_numeric_field_is_rejected(field: str, bad: float) -> None:
    with pytest.raises(ValueError, match=rf"material steel: {field} must be positive"):
        parse_table(_table_with("steel", **{field: bad}))


@pytest.mark.parametrize("bad", ["7870", None, True, [1.0]])
def test_non_numeric_field_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="material abs: density_kg_m3 must be a number"):
        parse_table(_table_with("abs", density_kg_m3=bad))


@pytest.mark.parametrize("poisson", [0.5, 0.51, 1.2])
def test_poisson_ratio_must_lie_below_one_half(poisson: float) -> None:
    with pytest.raises(ValueError, match=r"material pc: poisson_ratio must lie in \(0, 0.5\)"):
        parse_table(_table_with("pc", poisson_ratio=poisson))


def test_ultimate_below_yield_is_rejected() -> None:
    with pytest.raises(ValueError, match="material aluminum_6061: ultimate_strength_mpa 250"):
        parse_table(_table_with("aluminum_6061", ultimate_strength_mpa=250.0))
    # equal is allowed (materials without a distinct yield point)
    table = parse_table(_table_with("aluminum_6061", ultimate_strength_mpa=276.0))
    assert table["aluminum_6061"].ultimate_strength_mpa == 276.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sources": ["no_such_source"]}, "unknown source 'no_such_source'"),
        ({"sources": []}, "no sources"),
        ({"grade": _DROP}, "missing field 'grade'"),
        ({"processes": ["welding"]}, "unknown process 'welding'"),
        ({"processes": ["sla_printing"]}, "a thermoplastic cannot be made by sla_printing"),
        ({"category": "ceramic"}, "unknown category 'ceramic'"),
        ({"color_srgb": [1.0, 0.5]}, "color_srgb must be three values"),
    ],
)
def test_other_bad_rows_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"material peek: {message}")):
        parse_table(_table_with("peek", **changes))


def test_duplicate_ids_are_rejected() -> None:
    table = materials_table()
    table["materials"].append(dict(table["materials"][0]))
    with pytest.raises(ValueError, match="duplicate material id 'abs'"):
        parse_table(table)
