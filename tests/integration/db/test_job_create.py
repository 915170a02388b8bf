"""Idempotent job creation, including threads racing on one key."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select

from cadml.db import JobRecord, JobRepository, JobStatus, UserRecord, UserRepository
from cadml.db.models import Job
from cadml.errors import ConflictError, NotFoundError

RACERS = 8


def test_create_queues_a_job_with_its_audit_row(jobs: JobRepository, user: UserRecord) -> None:
    body = {"family": "bracket", "length_mm": 40.0}
    job, created = jobs.create("design.params", body, "h1", user.id, None, "req-1")

    assert created
    assert job.status is JobStatus.QUEUED
    assert (job.kind, job.request, job.request_hash) == ("design.params", body, "h1")
    assert (job.user_id, job.request_id, job.idempotency_key) == (user.id, "req-1", None)
    assert job.progress_pct == 0.0
    assert job.started_at is job.finished_at is None
    assert job.created_at.utcoffset().total_seconds() == 0
    assert jobs.get(job.id) == job
    [audit] = jobs.transitions(job.id)
    assert (audit.from_status, audit.to_status, audit.reason) == (None, JobStatus.QUEUED, "created")


def test_same_key_and_body_returns_the_same_job(jobs: JobRepository, user: UserRecord) -> None:
    first, created_first = jobs.create("design.params", {"a": 1}, "h1", user.id, "key-1")
    again, created_again = jobs.create("design.params", {"a": 1}, "h1", user.id, "key-1")

    assert (created_first, created_again) == (True, False)
    assert again == first
    assert len(jobs.transitions(first.id)) == 1


def test_same_key_other_body_is_a_conflict(jobs: JobRepository, user: UserRecord) -> None:
    first, _ = jobs.create("design.params", {"a": 1}, "h1", user.id, "key-1")

    with pytest.raises(ConflictError) as caught:
        jobs.create("design.params", {"a": 2}, "h2", user.id, "key-1")

    assert caught.value.code == "IDEMPOTENCY_CONFLICT"
    assert caught.value.details == {"key": "key-1"}
    assert "key-1" in caught.value.message("tr")
    with pytest.raises(ConflictError, match="IDEMPOTENCY_CONFLICT"):
        jobs.create("design.prompt", {"a": 1}, "h1", user.id, "key-1")  # other kind
    assert jobs.count_for_user(user.id) == 1
    assert jobs.get(first.id).request == {"a": 1}


def test_keys_are_scoped_per_user(jobs: JobRepository, users: UserRepository) -> None:
    alice = users.create_user(f"alice-{secrets.token_hex(4)}", None)
    bob = users.create_user(f"bob-{secrets.token_hex(4)}", None)

    a, a_created = jobs.create("k", {"x": 1}, "h", alice.id, "shared-key")
    b, b_created = jobs.create("k", {"x": 2}, "other", bob.id, "shared-key")

    assert a_created and b_created and a.id != b.id


def test_anonymous_jobs_honour_keys_too(jobs: JobRepository) -> None:
    key = f"anon-{secrets.token_hex(8)}"
    first, created = jobs.create("k", {"x": 1}, "h", None, key)
    again, created_again = jobs.create("k", {"x": 1}, "h", None, key)

    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.user_id is None
    with pytest.raises(ConflictError, match="IDEMPOTENCY_CONFLICT"):
        jobs.create("k", {"x": 2}, "h2", None, key)


def test_without_key_every_call_creates(jobs: JobRepository, user: UserRecord) -> None:
    a, _ = jobs.create("k", {"x": 1}, "h", user.id)
    b, _ = jobs.create("k", {"x": 1}, "h", user.id)
    assert a.id != b.id
    assert jobs.count_for_user(user.id) == 2


def test_unknown_user_is_not_found(jobs: JobRepository) -> None:
    with pytest.raises(NotFoundError) as caught:
        jobs.create("k", {}, "h", "00000000-0000-0000-0000-000000000000", "key")
    assert caught.value.code == "NOT_FOUND_USER"


@pytest.mark.parametrize("owner", ["user", "anonymous"])
def test_threads_racing_on_one_key_make_one_job(
    jobs: JobRepository, user: UserRecord, engine: Engine, owner: str
) -> None:
    user_id = user.id if owner == "user" else None
    key = f"race-{secrets.token_hex(8)}"
    barrier = threading.Barrier(RACERS)

    def create(_: int) -> tuple[JobRecord, bool]:
        barrier.wait()
        return jobs.create("design.params", {"n": 1}, "same-hash", user_id, key)

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(create, range(RACERS)))

    assert sorted(created for _, created in results) == [False] * (RACERS - 1) + [True]
    assert len({job.id for job, _ in results}) == 1
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count()).select_from(Job).where(Job.idempotency_key == key)
        )
    assert count == 1
    assert len(jobs.transitions(results[0][0].id)) == 1


def test_threads_racing_with_different_bodies_one_wins(
    jobs: JobRepository, user: UserRecord
) -> None:
    key = f"race-{secrets.token_hex(8)}"
    barrier = threading.Barrier(RACERS)

    def create(i: int) -> str:
        barrier.wait()
        try:
            jobs.create("design.params", {"n": i}, f"hash-{i}", user.id, key)
        except ConflictError as error:
            return error.code
        return "created"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = sorted(pool.map(create, range(RACERS)))

    assert outcomes == ["IDEMPOTENCY_CONFLICT"] * (RACERS - 1) + ["created"]
    assert jobs.count_for_user(user.id) == 1
