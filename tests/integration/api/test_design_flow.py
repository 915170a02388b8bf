"""The params flow over HTTP against real workers: submit → job → seven deterministic artefacts."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

PRISM = {
    "family": "prism_with_hole",
    "params": {
        "length": 100,
        "width": 50,
        "height": 30,
        "hole_diameter": 10,
        "material": "aluminum_6061",
        "process": "cnc_milling",
    },
}
KINDS = {"brep", "drawing_pdf", "drawing_svg", "fcstd", "glb", "step", "stl"}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _submit(platform, headers, body=PRISM, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return platform.client.post("/api/v1/designs/params", json=body, headers={**headers, **extra})


def test_params_job_produces_seven_deterministic_artefacts(platform):
    headers = _auth(platform.key(["models:read", "models:write"]))
    digests = []
    for _ in range(2):
        r = _submit(platform, headers)
        assert r.status_code == 202, r.text
        accepted = r.json()
        assert r.headers["Location"] == f"/api/v1/jobs/{accepted['job_id']}"
        assert accepted["request_id"] == r.headers["X-Request-ID"]
        job = platform.wait(accepted["job_id"], headers)
        assert job["status"] == "succeeded", job
        m = job["metrics"]
        exact = 100 * 50 * 30 - 3.141592653589793 * 5**2 * 30
        assert m["volume_mm3"] == pytest.approx(exact, rel=1e-9)
        assert m["mass_kg"] == pytest.approx(exact * 1e-9 * 2700, rel=1e-6)
        assert job["progress_pct"] == 100
        arts = platform.client.get(
            f"/api/v1/jobs/{accepted['job_id']}/artefacts", headers=headers
        ).json()
        assert {a["kind"] for a in arts} == KINDS
        run = {}
        for a in arts:
            d = platform.client.get(a["download_url"], headers=headers)
            assert d.status_code == 200
            assert (
                hashlib.sha256(d.content).hexdigest() == a["sha256"] == d.headers["ETag"].strip('"')
            )
            assert len(d.content) == a["size"]
            assert a["engine_fingerprint"]["build123d"] == "0.13.0"
            run[a["kind"]] = a["sha256"]
        digests.append(run)
    assert digests[0] == digests[1], "same input must give byte-identical artefacts"


def test_conditional_download_answers_304(platform):
    headers = _auth(platform.key(["models:read", "models:write"]))
    job_id = _submit(platform, headers).json()["job_id"]
    platform.wait(job_id, headers)
    art = platform.client.get(f"/api/v1/jobs/{job_id}/artefacts", headers=headers).json()[0]
    r = platform.client.get(
        art["download_url"], headers={**headers, "If-None-Match": f'"{art["sha256"]}"'}
    )
    assert r.status_code == 304 and r.content == b""


def test_idempotency_key_replays_and_conflicts(platform):
    headers = _auth(platform.key(["models:read", "models:write"]))
    key = f"idem-{time.time_ns()}"
    first = _submit(platform, headers, key=key)
    again = _submit(platform, headers, key=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    # 100 and 100.0 are the same request once canonicalised.
    same = json.loads(json.dumps(PRISM))
    same["params"]["length"] = 100.0
    assert _submit(platform, headers, same, key=key).json()["job_id"] == first.json()["job_id"]
    other = json.loads(json.dumps(PRISM))
    other["params"]["length"] = 120
    conflict = _submit(platform, headers, other, key=key)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    platform.wait(first.json()["job_id"], headers)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"length": -5}, 422, "VALIDATION_RANGE_VIOLATION"),
        ({"length": 0}, 422, "VALIDATION_RANGE_VIOLATION"),
        ({"hole_diameter": 50}, 422, "VALIDATION_HOLE_BREAKS_WALL"),
        ({"hole_diameter": 49.5}, 422, "VALIDATION_WALL_TOO_THIN"),
        ({"material": "unobtainium"}, 422, "VALIDATION_UNKNOWN_MATERIAL"),
        ({"process": "welding"}, 422, "VALIDATION_UNKNOWN_PROCESS"),
        (
            {"material": "aluminum_6061", "process": "injection_molding"},
            409,
            "VALIDATION_MATERIAL_PROCESS_CONFLICT",
        ),
        ({"length": "long"}, 422, "VALIDATION_INVALID_VALUE"),
        ({"colour": 3}, 422, "VALIDATION_UNKNOWN_PARAMETER"),
    ],
)
def test_bad_input_gets_a_coded_bilingual_4xx_and_no_job(platform, change, status, code):
    headers = _auth(platform.key(["models:read", "models:write"]))
    before = len(platform.client.get("/api/v1/jobs?limit=500", headers=headers).json())
    body = json.loads(json.dumps(PRISM))
    body["params"].update(change)
    r = platform.client.post(
        "/api/v1/designs/params",
        json=body,
        headers={**headers, "Accept-Language": "tr-TR,tr;q=0.9"},
    )
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert err["message"] == err["message_tr"] != err["message_en"]
    assert err["suggestions"] and err["suggestions"][0]["en"] and err["suggestions"][0]["tr"]
    assert err["request_id"] == r.headers["X-Request-ID"]
    assert r.headers["Content-Language"] == "tr"
    after = len(platform.client.get("/api/v1/jobs?limit=500", headers=headers).json())
    assert after == before, "a rejected request must not create a job"


def test_missing_fields_and_unknown_family(platform):
    headers = _auth(platform.key(["models:write"]))
    r = platform.client.post("/api/v1/designs/params", json={"params": {}}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_MISSING_FIELD"
    assert r.json()["error"]["details"]["field"] == "family"
    body = {"family": "prism_with_hole", "params": {"length": 10, "width": 10}}
    r = platform.client.post("/api/v1/designs/params", json=body, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_MISSING_FIELD"
    r = platform.client.post(
        "/api/v1/designs/params", json={"family": "gear", "params": {}}, headers=headers
    )
    assert r.json()["error"]["code"] == "VALIDATION_UNKNOWN_FAMILY"
    r = platform.client.post(
        "/api/v1/designs/params",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_INVALID_VALUE"


def test_progress_stream_sse_and_resume(platform):
    headers = _auth(platform.key(["models:read", "models:write"]))
    job_id = _submit(platform, headers).json()["job_id"]
    with platform.client.stream(
        "GET", f"/api/v1/jobs/{job_id}/progress/stream", headers=headers
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    ids = [line[3:].strip() for line in text.splitlines() if line.startswith("id:")]
    assert events[-1]["status"] == "succeeded"
    assert events[0]["status"] in ("queued", "running")
    pcts = [e["progress_pct"] for e in events if e["status"] == "running"]
    assert pcts == sorted(pcts) and len(pcts) >= 3
    assert {e["step"] for e in events} >= {"queued", "done"}
    # Resume after the second event: exactly the later events come back.
    with platform.client.stream(
        "GET",
        f"/api/v1/jobs/{job_id}/progress/stream",
        headers={**headers, "Last-Event-ID": ids[1]},
    ) as r:
        resumed = [
            json.loads(line[5:])
            for line in "".join(r.iter_text()).splitlines()
            if line.startswith("data:")
        ]
    assert resumed == events[2:]


def test_progress_websocket(platform):
    token = platform.key(["models:read", "models:write"])
    headers = _auth(token)
    job_id = _submit(platform, headers).json()["job_id"]
    received = []
    with platform.client.websocket_connect(
        f"/api/v1/ws/jobs/{job_id}/progress?access_token={token}"
    ) as ws:
        while True:
            event = ws.receive_json()
            received.append(event)
            if event["status"] in ("succeeded", "failed", "cancelled"):
                break
    assert received[-1]["status"] == "succeeded"
    with platform.client.websocket_connect(f"/api/v1/ws/jobs/{job_id}/progress") as ws:
        assert ws.receive_json()["error"]["code"] == "AUTH_REQUIRED"


def test_jobs_are_private_to_their_owner(platform):
    alice = _auth(platform.user("alice", ["models:read", "models:write"]))
    bob = _auth(platform.user("bob", ["models:read", "models:write"]))
    job_id = _submit(platform, alice).json()["job_id"]
    platform.wait(job_id, alice)
    r = platform.client.get(f"/api/v1/jobs/{job_id}", headers=bob)
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND_JOB"
    art = platform.client.get(f"/api/v1/jobs/{job_id}/artefacts", headers=alice).json()[0]
    r = platform.client.get(art["download_url"], headers=bob)
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND_ARTEFACT"
    assert job_id not in {j["id"] for j in platform.client.get("/api/v1/jobs", headers=bob).json()}


def test_cancel_finished_job_is_a_conflict(platform):
    headers = _auth(platform.key(["models:read", "models:write"]))
    job_id = _submit(platform, headers).json()["job_id"]
    platform.wait(job_id, headers)
    r = platform.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "JOB_INVALID_TRANSITION"


def test_health_and_metrics(platform):
    h = platform.client.get("/api/v1/health")
    assert h.status_code == 200
    body = h.json()
    assert body["status"] == "ok"
    assert body["versions"]["occt"].startswith("8.0")
    assert body["versions"]["build123d"] == "0.13.0"
    assert body["database"]["ok"] and body["artefact_store"]["ok"]
    assert body["workers"]["ready"] == 1
    m = platform.client.get("/metrics")
    assert m.status_code == 200
    assert "cadml_http_requests_total" in m.text and "cadml_workers_ready 1.0" in m.text
    assert platform.client.get("/api/v1/metrics").text.startswith("# HELP")


def test_openapi_documents_every_route(platform):
    spec = platform.client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    for path in (
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/api-keys",
        "/api/v1/designs/params",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/artefacts",
        "/api/v1/artefacts/{artefact_id}/download",
        "/api/v1/jobs/{job_id}/progress/stream",
        "/api/v1/health",
        "/api/v1/metrics",
    ):
        assert path in paths, path
    assert "422" in spec["paths"]["/api/v1/designs/params"]["post"]["responses"]
