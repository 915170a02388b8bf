"""/physics over HTTP against real workers, checked against closed forms."""

from __future__ import annotations

import math

import pytest

PRISM = {
    "family": "prism_with_hole",
    "params": {"length": 100, "width": 50, "height": 30, "hole_diameter": 10},
}
VOLUME_MM3 = 100 * 50 * 30 - math.pi * 5**2 * 30


def _auth(platform) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.key(['models:read', 'models:write'])}"}


def _at(x: float = 0.0, z: float = 0.0) -> list[list[float]]:
    return [[1, 0, 0, x], [0, 1, 0, 0], [0, 0, 1, z], [0, 0, 0, 1]]


@pytest.fixture(scope="module")
def design(platform) -> str:
    headers = _auth(platform)
    r = platform.client.post("/api/v1/designs/params", json=PRISM, headers=headers)
    job = platform.wait(r.json()["job_id"], headers)
    assert job["status"] == "succeeded", job
    return str(job["id"])


def _post(platform, path, body):
    r = platform.client.post(f"/api/v1/physics/{path}?wait=60", json=body, headers=_auth(platform))
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["status"] == "succeeded", job
    return job["metrics"]["result"]


def test_materials_table(platform):
    r = platform.client.get("/api/v1/physics/materials")
    assert r.status_code == 200
    materials = r.json()["materials"]
    assert len(materials) >= 25
    assert {"youngs_modulus_gpa", "poisson_ratio", "thermal_expansion_um_mk"} <= set(materials[0])


def test_mass_properties_of_a_part_and_an_offset_pair(platform, design):
    result = _post(
        platform,
        "mass-properties",
        {
            "parts": [
                {"id": "a", "design_id": design, "material": "steel"},
                {"id": "b", "design_id": design, "density_kg_m3": 2700, "transform_mm": _at(x=200)},
            ]
        },
    )
    a, b = result["parts"]
    assert a["mm"]["volume_mm3"] == pytest.approx(VOLUME_MM3, rel=1e-9)
    assert a["si"]["mass_kg"] == pytest.approx(VOLUME_MM3 * 1e-9 * 7870, rel=1e-9)
    assert b["mm"]["center_of_mass_mm"] == pytest.approx([250, 25, 15], rel=1e-9)
    whole = result["assembly"]["si"]
    ma, mb = a["si"]["mass_kg"], b["si"]["mass_kg"]
    assert whole["mass_kg"] == pytest.approx(ma + mb, rel=1e-12)
    x = (ma * 0.05 + mb * 0.25) / (ma + mb)
    assert whole["center_of_mass_m"][0] == pytest.approx(x, rel=1e-9)
    # Parallel-axis theorem about the common centre of mass, axis z.
    izz = (
        a["si"]["inertia_kg_m2"][2][2]
        + ma * (0.05 - x) ** 2
        + b["si"]["inertia_kg_m2"][2][2]
        + mb * (0.25 - x) ** 2
    )
    assert whole["inertia_kg_m2"][2][2] == pytest.approx(izz, rel=1e-9)


def test_collision_volume_is_exact_on_request(platform, design):
    result = _post(
        platform,
        "collision/check",
        {
            "parts": [
                {"id": "a", "design_id": design},
                {"id": "b", "design_id": design, "transform_mm": _at(x=90)},
                {"id": "c", "design_id": design, "transform_mm": _at(z=40)},
            ],
            "exact": True,
        },
    )
    (pair,) = result["pairs"]
    assert (pair["part_a"], pair["part_b"], pair["kind"]) == ("a", "b", "overlap")
    assert pair["exact_volume_mm3"] == pytest.approx(10 * 50 * 30, rel=1e-9)
    assert pair["volume_mm3"] == pytest.approx(10 * 50 * 30, rel=1e-6)
    assert pair["faces_a"] and pair["faces_b"]


def test_clearance_is_exact_near_contact(platform, design):
    result = _post(
        platform,
        "collision/clearance",
        {
            "parts": [
                {"id": "a", "design_id": design},
                {"id": "c", "design_id": design, "transform_mm": _at(z=30.05)},
            ],
            "pairs": [["a", "c"]],
        },
    )
    (pair,) = result["pairs"]
    assert pair["distance_mm"] == pytest.approx(0.05, abs=1e-9)
    assert (pair["method"], pair["status"]) == ("exact", "clear")


def test_robot_check_is_synchronous(platform):
    r = platform.client.post(
        "/api/v1/physics/robot-check",
        headers=_auth(platform),
        json={
            "payload": {"mass_kg": 5.0, "center_of_mass_m": [0, 0, 0.1]},
            "robot": {"name": "arm", "rated_payload_kg": 4.0},
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["payload"]["feasible"] is False


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("mass-properties", {"parts": [{"design_id": "nope"}]}, 404, "NOT_FOUND_JOB"),
        ("mass-properties", {"parts": []}, 422, "VALIDATION_INVALID_VALUE"),
        ("collision/check", {"parts": [{"design_id": "x"}]}, 422, "VALIDATION_INVALID_VALUE"),
        (
            "collision/clearance",
            {"parts": [{"design_id": "x"}, {"design_id": "y"}]},
            422,
            "VALIDATION_MISSING_FIELD",
        ),
        (
            "robot-check",
            {"payload": {"mass_kg": 1, "center_of_mass_m": [0, 0, 0]}},
            422,
            "VALIDATION_MISSING_FIELD",
        ),
    ],
)
def test_bad_requests(platform, path, body, status, code):
    r = platform.client.post(f"/api/v1/physics/{path}", json=body, headers=_auth(platform))
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
