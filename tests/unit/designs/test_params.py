"""Canonicalisation and validation of params requests."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadml.designs import canonicalize_params_request, design_cache_key
from cadml.errors import ValidationError


def body(**params: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"length": 100, "width": 50, "height": 30, "hole_diameter": 10}
    values.update(params)
    return {"family": "prism_with_hole", "params": {k: v for k, v in values.items() if v != "-"}}


def error_of(request: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        canonicalize_params_request(request)
    return info.value


def test_canonical_form() -> None:
    canonical = canonicalize_params_request(body())
    assert canonical == {
        "family": "prism_with_hole",
        "params": {
            "height": 30.0,
            "hole_diameter": 10.0,
            "length": 100.0,
            "material": "aluminum_6061",
            "process": "cnc_milling",
            "width": 50.0,
        },
    }
    assert list(canonical["params"]) == sorted(canonical["params"])
    assert all(type(canonical["params"][k]) is float for k in ("length", "width", "height"))


def test_rounding_and_case_normalisation() -> None:
    canonical = canonicalize_params_request(
        {
            "family": " Prism_With_Hole ",
            "params": {
                "length": 100.00000049,
                "width": 50,
                "height": 30.0000004,
                "hole_diameter": 9.9999996,
                "material": " ABS ",
                "process": "FDM_printing",
            },
        }
    )
    params = canonical["params"]
    assert canonical["family"] == "prism_with_hole"
    assert (params["length"], params["height"], params["hole_diameter"]) == (100.0, 30.0, 10.0)
    assert (params["material"], params["process"]) == ("abs", "fdm_printing")


def test_input_is_not_modified() -> None:
    request = body(material="PLA", process="fdm_printing")
    before = copy.deepcopy(request)
    canonicalize_params_request(request)
    assert request == before


def test_cache_key_is_sha256_of_sorted_json() -> None:
    canonical = canonicalize_params_request(body())
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    assert design_cache_key(canonical) == hashlib.sha256(text.encode()).hexdigest()


def test_equal_designs_share_a_key_and_different_ones_do_not() -> None:
    a = canonicalize_params_request(body(length=100))
    b = canonicalize_params_request(body(length=100.0000001, material="Aluminum_6061"))
    c = canonicalize_params_request(body(length=100.001))
    assert design_cache_key(a) == design_cache_key(b)
    assert design_cache_key(a) != design_cache_key(c)


# ----------------------------------------------------------------- structure errors


@pytest.mark.parametrize("missing", ["family", "params"])
def test_missing_body_field(missing: str) -> None:
    request = body()
    del request[missing]
    err = error_of(request)
    assert (err.code, err.details["field"]) == ("VALIDATION_MISSING_FIELD", missing)


@pytest.mark.parametrize("missing", ["length", "width", "height", "hole_diameter"])
def test_missing_parameter(missing: str) -> None:
    err = error_of(body(**{missing: "-"}))
    assert (err.code, err.details["field"]) == ("VALIDATION_MISSING_FIELD", missing)
    assert missing in err.message("en") and missing in err.message("tr")


def test_unknown_parameter() -> None:
    err = error_of(body(depth=3))
    assert (err.code, err.details["field"]) == ("VALIDATION_UNKNOWN_PARAMETER", "depth")
    assert "hole_diameter" in err.details["allowed"]


def test_unknown_body_field() -> None:
    request = body()
    request["colour"] = "red"
    err = error_of(request)
    assert (err.code, err.details["field"]) == ("VALIDATION_UNKNOWN_PARAMETER", "colour")


@pytest.mark.parametrize(
    "value", ["100", None, True, False, math.nan, math.inf, -math.inf, [1], {"v": 1}]
)
def test_invalid_numbers(value: Any) -> None:
    if value is None:
        err = error_of(body(length=None))
        assert (err.code, err.details["field"]) == ("VALIDATION_MISSING_FIELD", "length")
        return
    err = error_of(body(length=value))
    assert (err.code, err.details["field"]) == ("VALIDATION_INVALID_VALUE", "length")


@pytest.mark.parametrize("field", ["material", "process"])
@pytest.mark.parametrize("value", [3, "", "   ", ["abs"]])
def test_invalid_choices(field: str, value: Any) -> None:
    err = error_of(body(**{field: value}))
    assert (err.code, err.details["field"]) == ("VALIDATION_INVALID_VALUE", field)


@pytest.mark.parametrize("request_", [[], "prism", 3, None])
def test_body_must_be_an_object(request_: Any) -> None:
    assert error_of(request_).code == "VALIDATION_INVALID_VALUE"


def test_params_must_be_an_object() -> None:
    err = error_of({"family": "prism_with_hole", "params": [100, 50]})
    assert (err.code, err.details["field"]) == ("VALIDATION_INVALID_VALUE", "params")


def test_family_must_be_a_string() -> None:
    err = error_of({"family": 7, "params": {}})
    assert (err.code, err.details["field"]) == ("VALIDATION_INVALID_VALUE", "family")


def test_unknown_family() -> None:
    err = error_of({"family": "gear", "params": {}})
    assert (err.code, err.details["field"]) == ("VALIDATION_UNKNOWN_FAMILY", "family")
    assert "prism_with_hole" in err.details["allowed"]


# ----------------------------------------------------------------------- rule errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("length", 0),
        ("length", -5),
        ("width", 0.09),
        ("height", 1000.1),
        ("length", 1e6),
        ("hole_diameter", 0.05),
        ("height", -0.0),
    ],
)
def test_range_violation(field: str, value: float) -> None:
    err = error_of(body(**{field: value}))
    assert err.code == "VALIDATION_RANGE_VIOLATION"
    assert err.details["field"] == field
    assert (err.details["min"], err.details["max"], err.details["unit"]) == (0.1, 1000.0, "mm")


def test_range_bounds_are_inclusive() -> None:
    request = body(length=1000, width=1000, height=0.1, hole_diameter=0.1)
    assert canonicalize_params_request(request)["params"]["height"] == 0.1
    # 0.09999995 rounds to 0.1 at 1e-6 and is accepted as 0.1.
    assert canonicalize_params_request(body(height=0.09999995))["params"]["height"] == 0.1


@pytest.mark.parametrize(("d", "length", "width"), [(50, 100, 50), (60, 100, 50), (30, 30, 80)])
def test_hole_breaks_wall(d: float, length: float, width: float) -> None:
    err = error_of(body(hole_diameter=d, length=length, width=width))
    assert err.code == "VALIDATION_HOLE_BREAKS_WALL"
    assert err.details["field"] == "hole_diameter"


def test_wall_too_thin_depends_on_material() -> None:
    # Wall (10 - 8.6) / 2 = 0.7 mm: too thin for aluminium (0.8), fine for steel (0.5).
    err = error_of(body(length=10, width=10, hole_diameter=8.6))
    assert err.code == "VALIDATION_WALL_TOO_THIN"
    assert err.details["field"] == "hole_diameter"
    assert err.details["min_wall"] == 0.8
    assert err.details["wall"] == 0.7
    canonicalize_params_request(body(length=10, width=10, hole_diameter=8.6, material="steel"))
    # ABS needs 1.2 mm.
    err = error_of(
        body(length=10, width=10, hole_diameter=7.7, material="abs", process="fdm_printing")
    )
    assert (err.code, err.details["min_wall"]) == ("VALIDATION_WALL_TOO_THIN", 1.2)


def test_wall_exactly_at_the_minimum_is_accepted() -> None:
    # (10 - 8.4) / 2 is 0.7999999999999998 in binary floating point.
    canonical = canonicalize_params_request(body(length=10, width=10, hole_diameter=8.4))
    assert canonical["params"]["hole_diameter"] == 8.4


def test_sheet_metal_height_limit() -> None:
    err = error_of(body(height=12.5, process="sheet_metal"))
    assert err.code == "VALIDATION_PROCESS_LIMIT"
    assert (err.details["field"], err.details["max"]) == ("height", 12.0)
    canonicalize_params_request(body(height=12, process="sheet_metal"))
    canonicalize_params_request(body(height=12.5, process="cnc_milling"))


def test_unknown_material_and_process() -> None:
    err = error_of(body(material="wood"))
    assert (err.code, err.details["field"]) == ("VALIDATION_UNKNOWN_MATERIAL", "material")
    err = error_of(body(process="casting"))
    assert (err.code, err.details["field"]) == ("VALIDATION_UNKNOWN_PROCESS", "process")


def test_material_process_conflict() -> None:
    err = error_of(body(material="aluminum_6061", process="injection_molding"))
    assert (err.code, err.details["field"]) == ("VALIDATION_MATERIAL_PROCESS_CONFLICT", "process")


def test_every_error_has_bilingual_text() -> None:
    err = error_of(body(hole_diameter=60))
    payload = err.to_dict()
    assert payload["message_en"] != payload["message_tr"]
    assert "?" not in payload["message_en"]
    assert payload["details"]["field"] == "hole_diameter"


# -------------------------------------------------------------------------- properties

numbers = st.one_of(
    st.integers(min_value=1, max_value=1000),
    st.floats(min_value=0.1, max_value=1000.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    length = draw(numbers)
    width = draw(numbers)
    height = draw(st.floats(min_value=0.1, max_value=12.0))
    hole = draw(st.floats(min_value=0.0, max_value=1.2)) * min(length, width)
    params: dict[str, Any] = {
        "length": length,
        "width": width,
        "height": height,
        "hole_diameter": hole,
    }
    material = draw(st.sampled_from([None, "steel", "ABS", " pla", "resin_standard"]))
    process = draw(st.sampled_from([None, "cnc_milling", "fdm_printing", "sheet_metal"]))
    if material is not None:
        params["material"] = material
    if process is not None:
        params["process"] = process
    return {"family": "prism_with_hole", "params": params}


@settings(max_examples=300, deadline=None)
@given(requests())
def test_canonicalisation_is_idempotent(request: dict[str, Any]) -> None:
    try:
        canonical = canonicalize_params_request(request)
    except ValidationError as err:
        assert err.details.get("field"), err
        return
    again = canonicalize_params_request(canonical)
    assert again == canonical
    assert design_cache_key(again) == design_cache_key(canonical)
    assert json.loads(json.dumps(canonical)) == canonical
    for key in ("length", "width", "height", "hole_diameter"):
        value = canonical["params"][key]
        assert value == round(value, 6)
        assert abs(value - float(request["params"][key])) <= 5e-7 + 1e-15 * value
