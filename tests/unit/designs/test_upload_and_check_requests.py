"""Canonical upload and check requests (pure Python, no kernel)."""

from __future__ import annotations

from typing import Any

import pytest

from cadml.designs import design_cache_key
from cadml.designs.check import OPTION_NAMES, canonicalize_check_request
from cadml.designs.upload import (
    MAX_UPLOAD_BYTES,
    canonicalize_upload_request,
    check_upload_size,
    part_name,
)
from cadml.errors import ValidationError

SHA = "ab" * 32


def upload(filename: str = "part.stl", size: int = 100, **fields: Any) -> dict[str, Any]:
    return canonicalize_upload_request(
        filename=filename, size=size, sha256=SHA, key=SHA, fields=fields
    )


def upload_error(filename: str = "part.stl", size: int = 100, **fields: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        upload(filename, size, **fields)
    return info.value


def test_upload_defaults_and_types() -> None:
    c = upload()
    assert c == {
        "upload": {"filename": "part.stl", "format": "stl", "sha256": SHA, "size": 100, "key": SHA},
        "options": {
            "units": None,
            "dxf_thickness_mm": None,
            "z_up": False,
            "center": False,
            "heal": True,
        },
        "material": "aluminum_6061",
        "process": "cnc_milling",
    }


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("a.STEP", "step"),
        ("a.stp", "step"),
        ("a.igs", "iges"),
        ("a.IGES", "iges"),
        ("a.brp", "brep"),
        ("a.brep", "brep"),
        ("a.obj", "obj"),
        ("a.3mf", "3mf"),
        ("a.FCStd", "fcstd"),
    ],
)
def test_format_from_extension(filename: str, fmt: str) -> None:
    assert upload(filename)["upload"]["format"] == fmt


def test_options_are_parsed_from_form_strings() -> None:
    c = upload(
        "plate.dxf",
        units="IN",
        dxf_thickness_mm="3.0000001",
        z_up="true",
        center="1",
        heal="false",
        material=" PLA ",
        process="FDM_Printing",
    )
    assert c["options"] == {
        "units": "in",
        "dxf_thickness_mm": 3.0,
        "z_up": True,
        "center": True,
        "heal": False,
    }
    assert (c["material"], c["process"]) == ("pla", "fdm_printing")


def test_thickness_is_dropped_for_other_formats_so_equal_uploads_share_a_key() -> None:
    assert upload(dxf_thickness_mm=5) == upload()
    assert design_cache_key(upload(z_up=True)) != design_cache_key(upload())


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"size": 0}, "UPLOAD_EMPTY_FILE", "file"),
        ({"size": MAX_UPLOAD_BYTES + 1}, "UPLOAD_TOO_LARGE", "file"),
        ({"filename": "part.docx"}, "UPLOAD_UNSUPPORTED_FORMAT", "file"),
        ({"filename": "no_extension"}, "UPLOAD_UNSUPPORTED_FORMAT", "file"),
        ({"filename": "plate.dxf"}, "UPLOAD_DXF_THICKNESS_REQUIRED", "dxf_thickness_mm"),
        (
            {"filename": "plate.dxf", "dxf_thickness_mm": "-1"},
            "VALIDATION_RANGE_VIOLATION",
            "dxf_thickness_mm",
        ),
        (
            {"filename": "plate.dxf", "dxf_thickness_mm": "thick"},
            "VALIDATION_INVALID_VALUE",
            "dxf_thickness_mm",
        ),
        ({"units": "furlong"}, "VALIDATION_INVALID_VALUE", "units"),
        ({"z_up": "maybe"}, "VALIDATION_INVALID_VALUE", "z_up"),
        ({"colour": "red"}, "VALIDATION_UNKNOWN_PARAMETER", "colour"),
        ({"material": "unobtainium"}, "VALIDATION_UNKNOWN_MATERIAL", "material"),
        ({"process": "casting"}, "VALIDATION_UNKNOWN_PROCESS", "process"),
    ],
)
def test_bad_uploads_get_specific_codes(kwargs: dict[str, Any], code: str, field: str) -> None:
    err = upload_error(**kwargs)
    assert err.code == code
    assert err.details.get("field") == field


def test_size_check_and_part_names() -> None:
    check_upload_size(1)
    assert part_name("C:\\\\work\\\\Gear Box.step") == "Gear_Box"
    assert part_name("...stl") == "part"
    assert part_name("ü.step") == "part"


def test_check_request_canonical_form() -> None:
    c = canonicalize_check_request(
        "job-1",
        "key",
        {
            "process": " Injection_Molding ",
            "material": "ABS",
            "options": {"pull_direction": [0, 0, 2], "min_draft_deg": 1.5},
        },
    )
    assert c == {
        "design_job_id": "job-1",
        "brep_key": "key",
        "process": "injection_molding",
        "material": "abs",
        "options": {"min_draft_deg": 1.5, "pull_direction": [0.0, 0.0, 1.0]},
    }


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "VALIDATION_MISSING_FIELD", "process"),
        ({"process": "cnc_milling", "colour": 1}, "VALIDATION_UNKNOWN_PARAMETER", "colour"),
        (
            {"process": "cnc_milling", "options": {"speed": 1}},
            "VALIDATION_UNKNOWN_PARAMETER",
            "options.speed",
        ),
        (
            {"process": "cnc_milling", "options": {"tool_diameter_mm": 0}},
            "VALIDATION_INVALID_VALUE",
            "options.tool_diameter_mm",
        ),
        (
            {"process": "cnc_milling", "options": {"pull_direction": [0, 0, 0]}},
            "VALIDATION_INVALID_VALUE",
            "options.pull_direction",
        ),
        ({"process": "cnc_milling", "options": []}, "VALIDATION_INVALID_VALUE", "options"),
        (
            {"process": "sla_printing", "material": "steel"},
            "VALIDATION_MATERIAL_PROCESS_CONFLICT",
            "process",
        ),
    ],
)
def test_bad_checks_get_specific_codes(body: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        canonicalize_check_request("job-1", "key", body, default_material="steel")
    assert info.value.code == code
    assert info.value.details.get("field") == field


def test_check_options_match_the_dfm_options() -> None:
    import dataclasses

    from cadml.geometry.dfm import DfmOptions

    assert set(OPTION_NAMES) <= {f.name for f in dataclasses.fields(DfmOptions)}
