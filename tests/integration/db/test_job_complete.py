"""complete(): artefacts and success in one transaction; artefacts die with their job."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from cadml.db import ArtefactRepository, JobRecord, JobRepository, JobStatus, UserRecord
from cadml.db.models import Artefact, JobTransition
from cadml.errors import ConflictError, NotFoundError, StorageError, ValidationError


def _running_job(jobs: JobRepository, user: UserRecord) -> JobRecord:
    job, _ = jobs.create("design.params", {"family": "plate"}, "h", user.id)
    return jobs.transition(job.id, JobStatus.RUNNING, reason="picked", worker="w1")


def _count(engine: Engine, model: type, job_id: str) -> int:
    with engine.connect() as connection:
        column = model.job_id  # type: ignore[attr-defined]
        return int(
            connection.scalar(select(func.count()).select_from(model).where(column == job_id)) or 0
        )


def test_complete_stores_artefacts_and_succeeds(
    jobs: JobRepository, artefacts: ArtefactRepository, user: UserRecord, artefact_spec
) -> None:
    job = _running_job(jobs, user)
    specs = [artefact_spec("stl"), artefact_spec("glb"), artefact_spec("step")]
    metrics = {"volume_m3": 1.25e-5, "faces": 6}

    done, stored = jobs.complete(job.id, specs, metrics)

    assert done.status is JobStatus.SUCCEEDED
    assert done.metrics == metrics and done.progress_pct == 100.0
    assert done.finished_at is not None and done.started_at == job.started_at
    assert [a.kind for a in stored] == ["glb", "step", "stl"]
    assert artefacts.list_for_job(job.id) == stored
    by_kind = {spec["kind"]: spec for spec in specs}
    for record in stored:
        spec = by_kind[record.kind]
        assert (record.sha256, record.size, record.storage_key) == (
            spec["sha256"],
            spec["size"],
            spec["storage_key"],
        )
        assert record.engine_fingerprint == spec["engine_fingerprint"]
        assert record.meta == spec["meta"]
        assert record.job_id == job.id
        assert artefacts.get(record.id) == record
    trail = jobs.transitions(job.id)
    assert (trail[-1].from_status, trail[-1].to_status) == (JobStatus.RUNNING, JobStatus.SUCCEEDED)


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.FAILED, JobStatus.SUCCEEDED])
def test_complete_in_a_wrong_status_inserts_nothing(
    jobs: JobRepository,
    user: UserRecord,
    engine: Engine,
    artefact_spec,
    status: JobStatus,
) -> None:
    job, _ = jobs.create("design.params", {}, "h", user.id)
    if status is JobStatus.FAILED:
        jobs.fail(job.id, {"code": "WORKER_CRASHED"}, "crash")
    elif status is JobStatus.SUCCEEDED:
        jobs.transition(job.id, JobStatus.RUNNING, reason="picked")
        jobs.complete(job.id, [artefact_spec("stl")], {})
    before = jobs.get(job.id)
    trail = jobs.transitions(job.id)
    artefacts_before = _count(engine, Artefact, job.id)

    with pytest.raises(ConflictError) as caught:
        jobs.complete(job.id, [artefact_spec("step"), artefact_spec("glb")], {"x": 1})

    assert caught.value.code == "JOB_INVALID_TRANSITION"
    assert jobs.get(job.id) == before
    assert jobs.transitions(job.id) == trail
    assert _count(engine, Artefact, job.id) == artefacts_before


def test_a_duplicate_kind_rolls_back_the_whole_completion(
    jobs: JobRepository,
    artefacts: ArtefactRepository,
    user: UserRecord,
    engine: Engine,
    artefact_spec,
) -> None:
    job = _running_job(jobs, user)

    with pytest.raises(StorageError) as caught:
        jobs.complete(
            job.id, [artefact_spec("step"), artefact_spec("stl"), artefact_spec("stl")], {"x": 1}
        )

    assert caught.value.code == "STORAGE_WRITE_FAILED"
    assert "['stl']" in caught.value.details["reason"]
    after = jobs.get(job.id)
    assert after == job  # still running, no metrics, no finished_at
    assert after.status is JobStatus.RUNNING and after.metrics is None
    assert [t.to_status for t in jobs.transitions(job.id)] == [JobStatus.QUEUED, JobStatus.RUNNING]
    assert artefacts.list_for_job(job.id) == []
    assert _count(engine, Artefact, job.id) == 0

    # The job can still complete properly afterwards.
    done, stored = jobs.complete(job.id, [artefact_spec("step"), artefact_spec("stl")], {"x": 1})
    assert done.status is JobStatus.SUCCEEDED and len(stored) == 2


def test_malformed_artefacts_are_rejected_before_any_write(
    jobs: JobRepository, user: UserRecord, artefact_spec
) -> None:
    job = _running_job(jobs, user)
    missing = artefact_spec("stl")
    del missing["sha256"]
    with pytest.raises(ValidationError) as caught:
        jobs.complete(job.id, [artefact_spec("step"), missing], {})
    assert caught.value.code == "VALIDATION_MISSING_FIELD"
    assert caught.value.details == {"field": "sha256"}
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        jobs.complete(job.id, [artefact_spec("stl", colour="red")], {})
    assert jobs.get(job.id) == job


def test_artefacts_and_audit_rows_are_deleted_with_their_job(
    jobs: JobRepository,
    artefacts: ArtefactRepository,
    user: UserRecord,
    engine: Engine,
    artefact_spec,
) -> None:
    job = _running_job(jobs, user)
    _, stored = jobs.complete(job.id, [artefact_spec("stl"), artefact_spec("step")], {})
    keep = _running_job(jobs, user)
    _, kept = jobs.complete(keep.id, [artefact_spec("stl")], {})
    assert _count(engine, Artefact, job.id) == 2
    assert _count(engine, JobTransition, job.id) == 3

    jobs.delete(job.id)

    assert _count(engine, Artefact, job.id) == 0
    assert _count(engine, JobTransition, job.id) == 0
    assert artefacts.list_for_job(job.id) == []
    for record in stored:
        with pytest.raises(NotFoundError) as caught:
            artefacts.get(record.id)
        assert caught.value.code == "NOT_FOUND_ARTEFACT"
    with pytest.raises(NotFoundError, match="NOT_FOUND_JOB"):
        jobs.get(job.id)
    with pytest.raises(NotFoundError, match="NOT_FOUND_JOB"):
        jobs.delete(job.id)
    assert artefacts.list_for_job(keep.id) == kept
