"""Uploads and manufacturability checks over HTTP against real workers."""

from __future__ import annotations

import math

import pytest

PRISM = {
    "family": "prism_with_hole",
    "params": {"length": 100, "width": 50, "height": 30, "hole_diameter": 10},
}
PRISM_VOLUME = 100 * 50 * 30 - math.pi * 5**2 * 30
KINDS = {"brep", "drawing_pdf", "drawing_svg", "fcstd", "glb", "step", "stl"}


def _auth(platform) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.key(['models:read', 'models:write'])}"}


def _cube_stl(edge: float) -> bytes:
    """An ASCII STL of the cube [0, edge]³, 12 triangles, normals outward."""
    v = [(x * edge, y * edge, z * edge) for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    lines = ["solid cube"]
    for a, b, c, d in quads:
        for tri in ((a, b, c), (a, c, d)):
            lines.append("  facet normal 0 0 0\n    outer loop")
            lines.extend(f"      vertex {v[i][0]} {v[i][1]} {v[i][2]}" for i in tri)
            lines.append("    endloop\n  endfacet")
    lines.append("endsolid cube")
    return "\n".join(lines).encode()


def _upload(platform, headers, name, data, **form):
    return platform.client.post(
        "/api/v1/designs/upload",
        files={"file": (name, data, "application/octet-stream")},
        data={k: str(v) for k, v in form.items()},
        headers=headers,
    )


def _design(platform, headers, body=PRISM):
    r = platform.client.post("/api/v1/designs/params", json=body, headers=headers)
    assert r.status_code == 202, r.text
    job = platform.wait(r.json()["job_id"], headers)
    assert job["status"] == "succeeded", job
    return job


def _download(platform, headers, job_id, kind):
    arts = platform.client.get(f"/api/v1/jobs/{job_id}/artefacts", headers=headers).json()
    (art,) = [a for a in arts if a["kind"] == kind]
    return platform.client.get(art["download_url"], headers=headers).content


def test_every_params_job_carries_a_report_and_a_drawing(platform):
    headers = _auth(platform)
    job = _design(platform, headers)
    report = job["metrics"]["manufacturability"]
    assert report["process"] == "cnc_milling"
    assert isinstance(report["ok"], bool)
    svg = _download(platform, headers, job["id"], "drawing_svg")
    assert svg.lstrip().startswith(b"<?xml") or svg.lstrip().startswith(b"<svg")
    pdf = _download(platform, headers, job["id"], "drawing_pdf")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_a_step_round_trip_keeps_the_exact_volume(platform):
    headers = _auth(platform)
    step = _download(platform, headers, _design(platform, headers)["id"], "step")
    r = _upload(platform, headers, "prism.step", step)
    assert r.status_code == 202, r.text
    job = platform.wait(r.json()["job_id"], headers, timeout=120)
    assert job["status"] == "succeeded", job
    m = job["metrics"]
    assert m["volume_mm3"] == pytest.approx(PRISM_VOLUME, rel=1e-9)
    assert m["import"]["format"] == "step"
    assert m["import"]["units"] == "mm"
    assert m["import"]["units_source"] == "file"
    arts = platform.client.get(f"/api/v1/jobs/{job['id']}/artefacts", headers=headers).json()
    assert {a["kind"] for a in arts} == KINDS
    assert {a["filename"] for a in arts} >= {"prism.step", "prism.stl", "prism.drawing.pdf"}


def test_an_stl_in_inches_is_scaled_and_an_unknown_unit_is_inferred_with_a_warning(platform):
    headers = _auth(platform)
    r = _upload(platform, headers, "cube.stl", _cube_stl(2.0), units="in")
    job = platform.wait(r.json()["job_id"], headers, timeout=120)
    assert job["status"] == "succeeded", job
    assert job["metrics"]["volume_mm3"] == pytest.approx((2 * 25.4) ** 3, rel=1e-9)
    assert job["metrics"]["import"]["units_source"] == "request"
    r = _upload(platform, headers, "cube.stl", _cube_stl(20.0))
    job = platform.wait(r.json()["job_id"], headers, timeout=120)
    assert job["status"] == "succeeded", job
    assert job["metrics"]["import"]["units_source"] == "inferred"
    assert "UPLOAD_UNITS_INFERRED" in {w["code"] for w in job["metrics"]["warnings"]}


@pytest.mark.parametrize(
    ("name", "data", "form", "status", "code"),
    [
        ("empty.step", b"", {}, 422, "UPLOAD_EMPTY_FILE"),
        ("part.docx", b"PK\x03\x04", {}, 415, "UPLOAD_UNSUPPORTED_FORMAT"),
        ("plate.dxf", b"0\nEOF\n", {}, 422, "UPLOAD_DXF_THICKNESS_REQUIRED"),
        (
            "cube.stl",
            b"solid x\nendsolid x\n",
            {"units": "furlong"},
            422,
            "VALIDATION_INVALID_VALUE",
        ),
    ],
)
def test_requests_wrong_on_their_face_are_refused_before_a_job(
    platform, name, data, form, status, code
):
    headers = _auth(platform)
    before = len(platform.client.get("/api/v1/jobs", headers=headers).json())
    r = _upload(platform, headers, name, data, **form)
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code
    assert body["message_tr"] and body["suggestions"]
    assert len(platform.client.get("/api/v1/jobs", headers=headers).json()) == before


def test_an_unreadable_file_fails_its_job_with_a_code_and_no_artefacts(platform):
    headers = _auth(platform)
    r = _upload(platform, headers, "noise.step", bytes(range(256)) * 40)
    assert r.status_code == 202, r.text
    job = platform.wait(r.json()["job_id"], headers, timeout=120)
    assert job["status"] == "failed"
    assert job["error"]["code"].startswith("UPLOAD_")
    assert job["error"]["message_tr"]
    arts = platform.client.get(f"/api/v1/jobs/{job['id']}/artefacts", headers=headers).json()
    assert arts == []


def test_check_a_design_for_another_process(platform):
    headers = _auth(platform)
    design = _design(platform, headers)
    r = platform.client.post(
        f"/api/v1/designs/{design['id']}/check?wait=60",
        json={"process": "injection_molding", "material": "abs"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["kind"] == "design.check"
    assert job["status"] == "succeeded", job
    report = job["metrics"]["manufacturability"]
    assert (report["process"], report["material"]) == ("injection_molding", "abs")
    # A block with vertical walls has no draft: the moulding rules must say so.
    assert any(
        f["rule"].startswith("molding.draft") or "draft" in f["rule"] for f in report["findings"]
    )


def test_check_refuses_unknown_unfinished_and_conflicting_requests(platform):
    headers = _auth(platform)
    r = platform.client.post(
        "/api/v1/designs/nope/check", json={"process": "cnc_milling"}, headers=headers
    )
    assert r.status_code == 404
    failed = _upload(platform, headers, "noise.stl", b"solid\n garbage \n")
    job = platform.wait(failed.json()["job_id"], headers, timeout=120)
    assert job["status"] == "failed"
    r = platform.client.post(
        f"/api/v1/designs/{job['id']}/check", json={"process": "cnc_milling"}, headers=headers
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "VALIDATION_DESIGN_NOT_READY"
    design = _design(platform, headers)
    r = platform.client.post(
        f"/api/v1/designs/{design['id']}/check",
        json={"process": "sla_printing", "material": "steel"},
        headers=headers,
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "VALIDATION_MATERIAL_PROCESS_CONFLICT"


def test_families_endpoint_lists_every_family_with_a_schema(platform):
    r = platform.client.get("/api/v1/designs/families")
    assert r.status_code == 200
    families = {f["family"]: f for f in r.json()["families"]}
    assert set(families) == {
        "prism_with_hole",
        "plate",
        "flange",
        "shaft",
        "spur_gear",
        "l_bracket",
        "enclosure",
        "din933",
        "iso4032",
        "din625",
    }
    for fam in families.values():
        schema = fam["schema"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert set(schema["required"]) <= set(schema["properties"])
        assert fam["example"]["params"], fam["family"]
