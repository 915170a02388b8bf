"""The whole upload corpus through the API and real workers: never a 5xx, never a dead worker.

Each file of ``tests/data/cad`` is uploaded; the request is refused up front with its
code (``UPLOAD_EMPTY_FILE``...), or its job ends exactly as ``expected.json`` says:
succeeded with the expected volume and every artefact (drawings and manufacturability
report included), or failed with the exact error code. Files run in name order, so good
files follow broken ones on the same module-scoped worker: a broken file that killed or
wedged it would fail the next good one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "data" / "cad"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())
KINDS = {"brep", "drawing_pdf", "drawing_svg", "fcstd", "glb", "step", "stl"}
REFUSED_AT_SUBMIT = {"UPLOAD_EMPTY_FILE", "UPLOAD_TOO_LARGE", "UPLOAD_UNSUPPORTED_FORMAT"}


def _form(expected: dict[str, Any], name: str) -> dict[str, str]:
    form = {k: str(v) for k, v in expected.get("options", {}).items() if v is not None}
    if name.lower().endswith(".dxf") and "dxf_thickness_mm" not in form:
        form["dxf_thickness_mm"] = "5"
    return form


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_through_the_api(platform, name):
    headers = {"Authorization": f"Bearer {platform.key(['models:read', 'models:write'])}"}
    expected = EXPECTED[name]
    r = platform.client.post(
        "/api/v1/designs/upload",
        files={"file": (Path(name).name, (CORPUS / name).read_bytes(), "application/octet-stream")},
        data=_form(expected, name),
        headers=headers,
    )
    assert r.status_code < 500, r.text
    if r.status_code != 202:
        assert expected.get("error") in REFUSED_AT_SUBMIT | {"UPLOAD_DXF_THICKNESS_REQUIRED"}
        assert r.json()["error"]["code"] == expected["error"], r.text
        return
    job = platform.wait(r.json()["job_id"], headers, timeout=180)
    if "error" in expected:
        assert job["status"] == "failed", job
        assert job["error"]["code"] == expected["error"]
        assert job["error"]["message_tr"] and job["error"]["suggestions"]
        return
    assert job["status"] == "succeeded", job
    m = job["metrics"]
    assert m["volume_mm3"] == pytest.approx(expected["volume_mm3"], rel=expected.get("rel", 1e-6))
    assert m["import"]["units"] == expected["units"]
    assert m["import"]["units_source"] == expected["units_source"]
    assert "manufacturability" in m
    arts = platform.client.get(f"/api/v1/jobs/{job['id']}/artefacts", headers=headers).json()
    assert {a["kind"] for a in arts} == KINDS
