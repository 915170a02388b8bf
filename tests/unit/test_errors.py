"""The error catalogue: every code is complete, bilingual, renderable and has one status."""

from __future__ import annotations

import string

import pytest

from cadml.api.errors import HTTP_STATUS, preferred_language, status_for
from cadml.errors import (
    CATALOG,
    AuthError,
    CadmlError,
    JobError,
    NotFoundError,
    ValidationError,
    error_from_dict,
)

CODES = sorted(CATALOG)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", CODES)
def test_every_code_has_two_languages_a_status_and_matching_fields(code):
    spec = CATALOG[code]
    assert spec.message_en.strip() and spec.message_tr.strip()
    assert spec.message_en != spec.message_tr, "Turkish text must be a translation"
    assert code in HTTP_STATUS, f"{code} has no HTTP status in cadml.api.errors"
    assert 400 <= HTTP_STATUS[code] <= 599
    # Both languages use the same placeholders, so details fill both.
    assert _fields(spec.message_en) == _fields(spec.message_tr)
    for s in spec.suggestions:
        assert s.en.strip() and s.tr.strip() and s.en != s.tr


def test_status_table_names_no_unknown_code():
    assert set(HTTP_STATUS) <= set(CATALOG)


def test_missing_details_render_as_question_mark_not_keyerror():
    err = ValidationError("VALIDATION_RANGE_VIOLATION", details={"field": "width"})
    assert err.message() == "width must be between ? and ? ?; got ?."


def test_to_dict_carries_both_languages_and_suggestions():
    err = ValidationError(
        "VALIDATION_WALL_TOO_THIN",
        details={"wall": 0.3, "material": "abs", "min_wall": 1.2},
        job_id="j1",
    )
    body = err.to_dict("tr", request_id="r1")
    assert body["code"] == "VALIDATION_WALL_TOO_THIN"
    assert body["message"] == body["message_tr"]
    assert "0.3 mm" in body["message_en"] and "0.3 mm" in body["message_tr"]
    assert body["suggestions"][0]["tr"]
    assert (body["request_id"], body["job_id"]) == ("r1", "j1")
    assert isinstance(err, ValueError)


def test_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError):
        CadmlError("NO_SUCH_CODE")


def test_error_from_dict_rebuilds_the_right_class():
    assert isinstance(error_from_dict({"code": "AUTH_TOKEN_EXPIRED"}), AuthError)
    assert isinstance(error_from_dict({"code": "WORKER_CPU_LIMIT"}), JobError)
    assert isinstance(error_from_dict({"code": "ML_NO_TRAINED_MODEL"}), NotFoundError)
    assert isinstance(error_from_dict({"code": "ML_CALIBRATION_TOO_SMALL"}), ValidationError)
    export_failed = error_from_dict({"code": "ML_EXPORT_FAILED"})
    assert type(export_failed) is CadmlError and export_failed.code == "ML_EXPORT_FAILED"
    unknown = error_from_dict({"code": "FROM_A_NEWER_WORKER"})
    assert unknown.code == "INTERNAL_ERROR"
    assert unknown.details == {"original_code": "FROM_A_NEWER_WORKER"}


def test_status_for_unknown_codes_falls_back_by_prefix():
    assert status_for("VALIDATION_SOMETHING_NEW") == 422
    assert status_for("WHATEVER") == 500


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("tr", "tr"),
        ("tr-TR", "tr"),
        ("en-US,en;q=0.9", "en"),
        ("fr, tr;q=0.8, en;q=0.7", "tr"),
        ("en;q=0.2, tr;q=0.3", "tr"),
        ("", "en"),
        ("tr;q=bogus, en;q=0.1", "en"),
    ],
)
def test_accept_language(header, lang):
    assert preferred_language(header) == lang
