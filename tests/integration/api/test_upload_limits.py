"""A slow upload hits the job's wall-clock limit cleanly; a crashed reader gets a useful code."""

from __future__ import annotations

import trimesh

from cadml.services.job_events import JobEvents


def _auth(platform) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.key(['models:read', 'models:write'])}"}


def test_a_slow_file_hits_the_time_limit_and_the_next_upload_still_works(make_platform):
    platform = make_platform(job_wall_limit_s=1.0)
    headers = _auth(platform)
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=40.0)  # 20,480 triangles
    big = sphere.export(file_type="stl")
    r = platform.client.post(
        "/api/v1/designs/upload",
        files={"file": ("sphere.stl", big, "model/stl")},
        data={"units": "mm"},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    job = platform.wait(r.json()["job_id"], headers, timeout=120)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "TIMEOUT_WORKER"
    assert job["error"]["message_tr"]
    arts = platform.client.get(f"/api/v1/jobs/{job['id']}/artefacts", headers=headers).json()
    assert arts == []
    # The killed worker was replaced: a small file goes through.
    small = trimesh.creation.box(extents=(10, 20, 30)).export(file_type="stl")
    r = platform.client.post(
        "/api/v1/designs/upload",
        files={"file": ("box.stl", small, "model/stl")},
        data={"units": "mm"},
        headers=headers,
    )
    job = platform.wait(r.json()["job_id"], headers, timeout=180)
    assert job["status"] == "succeeded", job
    assert abs(job["metrics"]["volume_mm3"] - 6000.0) < 1e-9 * 6000.0


def test_a_worker_crash_while_reading_an_upload_is_reported_as_a_corrupt_file(make_platform):
    platform = make_platform()
    runtime = platform.runtime
    events = JobEvents(runtime.jobs, runtime.bus)
    principal = runtime.accounts.get_or_create_service_user("crash", ["admin"])
    # Two jobs that the queue never runs, left where a worker would have died.
    reading, _ = runtime.jobs.create(
        kind="design.upload",
        request={"upload": {"format": "step"}},
        request_hash="a" * 64,
        user_id=principal.id,
    )
    building, _ = runtime.jobs.create(
        kind="design.params", request={}, request_hash="b" * 64, user_id=principal.id
    )
    for job in (reading, building):
        runtime.jobs.transition(job.id, "running", reason="test", worker="pid:1")
        runtime.jobs.update_progress(job.id, 1.0, "import", "Reading part.step")
        events.on_failure(job.id, {"code": "WORKER_CRASHED", "details": {"exitcode": -11}})
    failed = runtime.jobs.get(reading.id)
    assert failed.error["code"] == "UPLOAD_CORRUPT_FILE"
    assert "crashed" in failed.error["message_en"]
    assert runtime.jobs.get(building.id).error["code"] == "WORKER_CRASHED"
