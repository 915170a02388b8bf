"""Every allowed and disallowed status transition, with its audit trail."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, update

from cadml.db import ALLOWED_TRANSITIONS, JobRecord, JobRepository, JobStatus, UserRecord
from cadml.db.engine import WRITE_TRANSACTION
from cadml.db.models import Job, JobTransition
from cadml.errors import ConflictError, NotFoundError, ValidationError

S = JobStatus
# The audited path that brings a new job into each status.
PATH_TO: dict[JobStatus, list[JobStatus]] = {
    S.QUEUED: [],
    S.RUNNING: [S.RUNNING],
    S.SUCCEEDED: [S.RUNNING, S.SUCCEEDED],
    S.FAILED: [S.FAILED],
    S.CANCELLED: [S.CANCELLED],
}
ALL_PAIRS = list(itertools.product(JobStatus, JobStatus))


def _job_in(jobs: JobRepository, user: UserRecord, status: JobStatus) -> JobRecord:
    job, _ = jobs.create("design.params", {"s": status.value}, "h", user.id)
    for step in PATH_TO[status]:
        job = jobs.transition(job.id, step, reason=f"to {step}")
    assert job.status is status
    return job


def test_the_allowed_table_is_the_documented_life_cycle() -> None:
    allowed = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert allowed == {
        (S.QUEUED, S.RUNNING),
        (S.QUEUED, S.FAILED),
        (S.QUEUED, S.CANCELLED),
        (S.RUNNING, S.SUCCEEDED),
        (S.RUNNING, S.FAILED),
        (S.RUNNING, S.CANCELLED),
    }


@pytest.mark.parametrize(
    ("from_status", "to_status"), ALL_PAIRS, ids=[f"{a}-{b}" for a, b in ALL_PAIRS]
)
def test_transition(
    jobs: JobRepository, user: UserRecord, from_status: JobStatus, to_status: JobStatus
) -> None:
    job = _job_in(jobs, user, from_status)
    before = jobs.transitions(job.id)

    if to_status in ALLOWED_TRANSITIONS[from_status]:
        after = jobs.transition(job.id, to_status, reason="test move", worker="w-7")
        assert after.status is to_status
        assert after.worker == "w-7"
        assert after.updated_at >= job.updated_at
        audit = jobs.transitions(job.id)
        assert audit[:-1] == before
        last = audit[-1]
        assert (last.from_status, last.to_status, last.reason) == (
            from_status,
            to_status,
            "test move",
        )
        assert last.at == after.updated_at
        if to_status is S.RUNNING:
            assert after.started_at == last.at and after.finished_at is None
        else:
            assert after.finished_at == last.at
            assert after.started_at == job.started_at
        if to_status is S.SUCCEEDED:
            assert after.progress_pct == 100.0
    else:
        with pytest.raises(ConflictError) as caught:
            jobs.transition(job.id, to_status, reason="test move", worker="w-7")
        assert caught.value.code == "JOB_INVALID_TRANSITION"
        assert caught.value.details == {
            "job_id": job.id,
            "from_status": from_status.value,
            "to_status": to_status.value,
        }
        assert caught.value.job_id == job.id
        assert jobs.get(job.id) == job
        assert jobs.transitions(job.id) == before


def test_audit_trail_of_a_full_life(jobs: JobRepository, user: UserRecord) -> None:
    job = _job_in(jobs, user, S.SUCCEEDED)
    trail = [(t.from_status, t.to_status, t.reason) for t in jobs.transitions(job.id)]
    assert trail == [
        (None, S.QUEUED, "created"),
        (S.QUEUED, S.RUNNING, "to running"),
        (S.RUNNING, S.SUCCEEDED, "to succeeded"),
    ]
    times = [t.at for t in jobs.transitions(job.id)]
    assert times == sorted(times)


@pytest.mark.parametrize("from_status", [S.QUEUED, S.RUNNING])
def test_fail_stores_the_error(
    jobs: JobRepository, user: UserRecord, from_status: JobStatus
) -> None:
    job = _job_in(jobs, user, from_status)
    error = {"code": "TIMEOUT_WORKER", "details": {"limit_s": 5}}

    failed = jobs.fail(job.id, error, "wall clock limit")

    assert failed.status is S.FAILED and failed.error == error
    assert jobs.transitions(job.id)[-1].reason == "wall clock limit"
    with pytest.raises(ConflictError, match="JOB_INVALID_TRANSITION"):
        jobs.fail(job.id, error, "again")


def test_missing_job_is_not_found(jobs: JobRepository) -> None:
    with pytest.raises(NotFoundError) as caught:
        jobs.transition("no-such-job", S.RUNNING, reason="x")
    assert caught.value.code == "NOT_FOUND_JOB"
    assert caught.value.details == {"job_id": "no-such-job"}
    with pytest.raises(NotFoundError, match="NOT_FOUND_JOB"):
        jobs.transitions("no-such-job")
    with pytest.raises(NotFoundError, match="NOT_FOUND_JOB"):
        jobs.get("no-such-job")


def test_bad_arguments_are_rejected_before_any_write(jobs: JobRepository, user: UserRecord) -> None:
    job = _job_in(jobs, user, S.QUEUED)
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        jobs.transition(job.id, "paused", reason="x")
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        jobs.transition(job.id, S.RUNNING, reason="x", status="succeeded")
    with pytest.raises(ValidationError, match="VALIDATION_RANGE_VIOLATION"):
        jobs.transition(job.id, S.RUNNING, reason="x", progress_pct=101)
    assert jobs.get(job.id) == job


def test_threads_racing_to_start_one_job_one_wins(jobs: JobRepository, user: UserRecord) -> None:
    job = _job_in(jobs, user, S.QUEUED)
    racers = 8
    barrier = threading.Barrier(racers)

    def start(i: int) -> str:
        barrier.wait()
        try:
            jobs.transition(job.id, S.RUNNING, reason=f"worker {i}", worker=f"w{i}")
        except ConflictError as error:
            return error.code
        return f"w{i}"

    with ThreadPoolExecutor(racers) as pool:
        outcomes = list(pool.map(start, range(racers)))

    winners = [o for o in outcomes if o != "JOB_INVALID_TRANSITION"]
    assert len(winners) == 1
    assert jobs.get(job.id).worker == winners[0]
    trail = jobs.transitions(job.id)
    assert [t.to_status for t in trail] == [S.QUEUED, S.RUNNING]


def test_a_transition_waiting_on_a_concurrent_change_rechecks_the_new_status(
    jobs: JobRepository, user: UserRecord, engine: Engine
) -> None:
    """Another writer starts the job while our cancel waits; cancel then applies to running."""
    job = _job_in(jobs, user, S.QUEUED)
    result: dict[str, object] = {}
    with engine.connect() as other:
        other.execution_options(**WRITE_TRANSACTION)
        transaction = other.begin()
        other.execute(update(Job).where(Job.id == job.id).values(status="running"))
        other.execute(
            JobTransition.__table__.insert().values(
                job_id=job.id,
                from_status="queued",
                to_status="running",
                reason="other",
                at=job.created_at,
            )
        )

        def cancel() -> None:
            try:
                result["job"] = jobs.transition(job.id, S.CANCELLED, reason="user cancel")
            except Exception as error:  # reported below
                result["error"] = error

        thread = threading.Thread(target=cancel)
        thread.start()
        time.sleep(0.5)
        blocked = thread.is_alive()
        transaction.commit()
        thread.join(timeout=30)

    assert blocked, "the cancel did not wait for the concurrent writer"
    assert "error" not in result, result
    cancelled = result["job"]
    assert isinstance(cancelled, JobRecord) and cancelled.status is S.CANCELLED
    trail = [(t.from_status, t.to_status) for t in jobs.transitions(job.id)]
    assert trail == [(None, S.QUEUED), (S.QUEUED, S.RUNNING), (S.RUNNING, S.CANCELLED)]
