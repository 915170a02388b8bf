"""Progress updates, listing, counting and the start-up recovery query."""

from __future__ import annotations

import pytest

from cadml.db import JobRepository, JobStatus, UserRecord, UserRepository
from cadml.errors import NotFoundError, ValidationError


def test_update_progress_while_unfinished(jobs: JobRepository, user: UserRecord) -> None:
    job, _ = jobs.create("k", {}, "h", user.id)

    assert jobs.update_progress(job.id, 12.5, "mesh", "meshing faces")
    queued = jobs.get(job.id)
    assert (queued.progress_pct, queued.step, queued.message) == (12.5, "mesh", "meshing faces")
    jobs.transition(job.id, JobStatus.RUNNING, reason="picked")
    assert jobs.update_progress(job.id, 60.0, "export")
    running = jobs.get(job.id)
    assert (running.progress_pct, running.step, running.message) == (60.0, "export", None)
    assert len(jobs.transitions(job.id)) == 2  # progress is not audited


def test_late_progress_never_overwrites_a_final_state(
    jobs: JobRepository, user: UserRecord
) -> None:
    job, _ = jobs.create("k", {}, "h", user.id)
    jobs.transition(job.id, JobStatus.RUNNING, reason="picked")
    done = jobs.transition(job.id, JobStatus.SUCCEEDED, reason="done")

    assert not jobs.update_progress(job.id, 10.0, "late")
    assert jobs.get(job.id) == done


def test_update_progress_rejects_bad_input(jobs: JobRepository, user: UserRecord) -> None:
    job, _ = jobs.create("k", {}, "h", user.id)
    with pytest.raises(NotFoundError, match="NOT_FOUND_JOB"):
        jobs.update_progress("missing", 1.0)
    for pct in (-0.1, 100.5):
        with pytest.raises(ValidationError) as caught:
            jobs.update_progress(job.id, pct)
        assert caught.value.code == "VALIDATION_RANGE_VIOLATION"
    assert jobs.get(job.id).progress_pct == 0.0


def test_list_for_user_is_newest_first_and_paged(
    jobs: JobRepository, user: UserRecord, users: UserRepository
) -> None:
    created = [jobs.create("k", {"i": i}, "h", user.id)[0] for i in range(5)]
    other = users.create_user(f"{user.username}-other", None)
    jobs.create("k", {}, "h", other.id)
    jobs.transition(created[1].id, JobStatus.RUNNING, reason="picked")

    newest_first = [j.id for j in reversed(created)]
    assert [j.id for j in jobs.list_for_user(user.id)] == newest_first
    assert [j.id for j in jobs.list_for_user(user.id, limit=2, offset=1)] == newest_first[1:3]
    assert [j.id for j in jobs.list_for_user(user.id, status="running")] == [created[1].id]
    assert jobs.count_for_user(user.id) == 5
    assert jobs.count_for_user(user.id, JobStatus.QUEUED) == 4
    assert jobs.count_for_user(other.id) == 1
    assert jobs.list_for_user("nobody") == []


def test_list_all_spans_users(jobs: JobRepository, user: UserRecord) -> None:
    mine, _ = jobs.create("k", {}, "h", user.id)
    anonymous, _ = jobs.create("k", {}, "h", None)

    newest = [j.id for j in jobs.list_all(limit=2)]
    assert newest == [anonymous.id, mine.id]
    assert anonymous.id not in [j.id for j in jobs.list_all(status=JobStatus.RUNNING, limit=1000)]


def test_listing_rejects_bad_pages(jobs: JobRepository, user: UserRecord) -> None:
    with pytest.raises(ValidationError, match="VALIDATION_RANGE_VIOLATION"):
        jobs.list_for_user(user.id, limit=0)
    with pytest.raises(ValidationError, match="VALIDATION_RANGE_VIOLATION"):
        jobs.list_all(limit=1001)
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        jobs.list_all(offset=-1)
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        jobs.list_all(status="paused")


def test_ids_in_status_finds_interrupted_work(jobs: JobRepository, user: UserRecord) -> None:
    queued = [jobs.create("k", {"i": i}, "h", user.id)[0] for i in range(3)]
    running = jobs.transition(queued[0].id, JobStatus.RUNNING, reason="picked")

    in_queue = jobs.ids_in_status(JobStatus.QUEUED)
    in_flight = jobs.ids_in_status("running")

    assert [i for i in in_queue if i in {q.id for q in queued}] == [q.id for q in queued[1:]]
    assert running.id in in_flight and running.id not in in_queue
    for job_id in in_flight:
        if job_id == running.id:
            jobs.fail(job_id, {"code": "JOB_INTERRUPTED"}, "platform restarted")
    assert running.id not in jobs.ids_in_status(JobStatus.RUNNING)
    assert running.id in jobs.ids_in_status(JobStatus.FAILED)


def test_records_are_detached_copies(jobs: JobRepository, user: UserRecord) -> None:
    job, _ = jobs.create("k", {"nested": {"a": 1}}, "h", user.id)
    job.request["nested"]["a"] = 2
    with pytest.raises(AttributeError):
        job.status = JobStatus.RUNNING  # type: ignore[misc]
    assert jobs.get(job.id).request == {"nested": {"a": 1}}
