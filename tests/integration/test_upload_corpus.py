"""Every file of the upload corpus (tests/data/cad) gives exactly its expected outcome.

``tests/data/cad/expected.json`` maps each file (path relative to the corpus) to
``{"ok": true, "volume_mm3": ..., "units": ..., "units_source": ..., "warnings": [...]}``
or ``{"error": "UPLOAD_..."}``, with optional import ``options``. Volumes are closed-form
values of the generated parts (see ``make_corpus.py``); the exact error code is
asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cadml.errors import CadmlError, GeometryError, ValidationError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "cad"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())
_NOT_CAD = {"expected.json", "LICENSES.md", "make_corpus.py"}


def _corpus_files() -> set[str]:
    return {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in _NOT_CAD and "__pycache__" not in p.parts
    }


def test_the_table_names_every_corpus_file_and_nothing_else() -> None:
    assert _corpus_files() == set(EXPECTED)


def test_the_corpus_stays_small() -> None:
    total = sum((CORPUS / name).stat().st_size for name in _corpus_files())
    assert total < 5 * 1024 * 1024


def test_the_corpus_has_both_outcomes_for_every_format() -> None:
    ok = {name.rsplit(".", 1)[-1].lower() for name, e in EXPECTED.items() if e.get("ok")}
    assert ok >= {"step", "iges", "brep", "stl", "obj", "3mf", "dxf", "fcstd"}
    assert sum("error" in e for e in EXPECTED.values()) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str) -> None:
    from OCP.BRepCheck import BRepCheck_Analyzer

    from cadml.geometry.importers import ImportOptions, import_cad
    from cadml.geometry.metrics import solids_of

    expected = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    options = ImportOptions(**expected.get("options", {}))
    if "error" in expected:
        with pytest.raises(CadmlError) as caught:
            import_cad(data, Path(name).name, options)
        error = caught.value
        assert error.code == expected["error"], error.details
        assert isinstance(error, (ValidationError, GeometryError))
        assert error.message("tr") != error.message("en")
        return
    part = import_cad(data, Path(name).name, options)
    assert part.units == expected["units"]
    assert part.units_source == expected["units_source"]
    assert sorted(w["code"] for w in part.warnings) == sorted(expected["warnings"])
    assert part.report["volume_mm3"] == pytest.approx(
        expected["volume_mm3"], rel=expected.get("rel", 1e-7)
    )
    assert solids_of(part.shape)
    json.dumps(part.report)  # JSON-ready, as the job metrics need
    assert BRepCheck_Analyzer(part.shape).IsValid()
    for warning in part.warnings:
        assert warning["message_en"] and warning["message_tr"]
        assert "?" not in warning["message_en"], warning
