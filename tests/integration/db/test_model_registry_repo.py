"""The model-registry repository on SQLite and PostgreSQL: numbering, aliases, downloads.

Every test names its models with a random suffix: the PostgreSQL database is shared by
the whole session.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cadml.db import UserRecord
from cadml.db.model_registry import ModelRegistryRepository
from cadml.db.records import ModelVersionRecord
from cadml.errors import ConflictError, NotFoundError

THREADS = 4
PER_THREAD = 5


@pytest.fixture
def repo(session_factory: sessionmaker[Session]) -> ModelRegistryRepository:
    """The repository on the test's database (SQLite file or the shared PostgreSQL)."""
    return ModelRegistryRepository(session_factory)


def _name(prefix: str = "m") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def _fields(**overrides: Any) -> dict[str, Any]:
    key = f"sha256/{secrets.token_hex(8)}"
    fields: dict[str, Any] = {
        "format": "onnx",
        "framework": "onnx",
        "storage_key": key,
        "serving_key": key,
        "sha256": secrets.token_hex(32),
        "size": 321,
        "input_schema": [{"name": "x", "dtype": "float32", "shape": [None, 3]}],
        "output_schema": [{"name": "y", "dtype": "float32", "shape": [None, 2]}],
        "metrics": {"accuracy": 0.9},
        "training_data": {"rows": 100},
        "meta": {"classes": ["a", "b"], "nested": {"k": [1, 2]}},
        "tags": ["b", "a"],
        "created_by": None,
    }
    fields.update(overrides)
    return fields


def _add(repo: ModelRegistryRepository, name: str, n: int = 1) -> list[ModelVersionRecord]:
    return [repo.add_version(name, "classification", None, _fields()) for _ in range(n)]


def _not_found(call: Callable[[], object]) -> dict[str, Any]:
    with pytest.raises(NotFoundError) as caught:
        call()
    assert caught.value.code == "ML_MODEL_NOT_FOUND"
    return caught.value.details


def test_versions_are_numbered_per_model_independently(repo: ModelRegistryRepository) -> None:
    a, b = _name("a"), _name("b")
    numbers = [
        repo.add_version(a, "regression", None, _fields()).version,
        repo.add_version(a, "regression", None, _fields()).version,
        repo.add_version(b, "regression", None, _fields()).version,
        repo.add_version(a, "regression", None, _fields()).version,
        repo.add_version(b, "regression", None, _fields()).version,
    ]

    assert numbers == [1, 2, 1, 3, 2]
    assert [v.version for v in repo.versions(a)] == [1, 2, 3]
    assert [v.version for v in repo.versions(b)] == [1, 2]
    everything = [(v.model_name, v.version) for v in repo.versions() if v.model_name in (a, b)]
    assert everything == sorted(everything)  # by model, then version
    assert [m.name for m in repo.models() if m.name in (a, b)] == sorted([a, b])


def test_a_version_stores_its_columns(repo: ModelRegistryRepository, user: UserRecord) -> None:
    name = _name()
    fields = _fields(created_by=user.id, serving_key=None, format="sklearn")
    stored = repo.add_version(name, "anomaly", "detects leaks", fields)

    again = repo.version(name, 1)
    assert again == stored
    assert (again.format, again.serving_key, again.size) == ("sklearn", None, 321)
    assert again.input_schema == fields["input_schema"]
    assert again.meta == fields["meta"] and again.metrics == {"accuracy": 0.9}
    assert again.tags == ("b", "a")  # stored as given; the service sorts them
    assert (again.deprecated, again.deprecation_note, again.download_count) == (False, None, 0)
    assert again.created_by == user.id
    assert again.created_at.tzinfo is not None


def test_the_first_version_creates_the_model_and_fixes_its_task(
    repo: ModelRegistryRepository, user: UserRecord
) -> None:
    name = _name()
    _not_found(lambda: repo.model(name))

    repo.add_version(name, "classification", "first words", _fields(created_by=user.id))
    created = repo.model(name)
    assert (created.task, created.description, created.owner_id) == (
        "classification",
        "first words",
        user.id,
    )

    repo.add_version(name, "regression", None, _fields())
    kept = repo.model(name)
    assert (kept.task, kept.description) == ("classification", "first words")
    assert kept.updated_at >= created.updated_at and kept.created_at == created.created_at

    repo.add_version(name, "regression", "second words", _fields())
    assert repo.model(name).description == "second words"
    assert repo.model(name).task == "classification"


def test_latest_skips_deprecated_versions(repo: ModelRegistryRepository) -> None:
    name = _name()
    _add(repo, name, 3)
    assert repo.latest(name).version == 3

    deprecated = repo.set_deprecated(name, 3, True, "leaks the test set")
    assert (deprecated.deprecated, deprecated.deprecation_note) == (True, "leaks the test set")
    assert repo.latest(name).version == 2
    assert repo.latest(name, include_deprecated=True).version == 3

    repo.set_deprecated(name, 1, True, None)
    repo.set_deprecated(name, 2, True, None)
    assert "not deprecated" in _not_found(lambda: repo.latest(name))["what"]
    assert repo.latest(name, include_deprecated=True).version == 3

    lifted = repo.set_deprecated(name, 3, False, "ignored when lifting")
    assert (lifted.deprecated, lifted.deprecation_note) == (False, None)
    assert repo.latest(name).version == 3


def test_set_alias_remembers_the_previous_version_and_rollback_toggles(
    repo: ModelRegistryRepository,
) -> None:
    name = _name()
    _add(repo, name, 3)

    first = repo.set_alias(name, "champion", 1)
    assert (first.version, first.previous_version) == (1, None)
    moved = repo.set_alias(name, "champion", 3)
    assert (moved.version, moved.previous_version) == (3, 1)
    assert repo.alias(name, "champion") == moved

    back = repo.rollback_alias(name, "champion")
    assert (back.version, back.previous_version) == (1, 3)
    forth = repo.rollback_alias(name, "champion")
    assert (forth.version, forth.previous_version) == (3, 1)

    # Pointing an alias where it already points is no move: the history stays.
    same = repo.set_alias(name, "champion", 3)
    assert (same.version, same.previous_version) == (3, 1)

    repo.set_alias(name, "challenger", 2)
    listed = [(a.alias, a.version, a.previous_version) for a in repo.aliases(name)]
    assert listed == [("challenger", 2, None), ("champion", 3, 1)]


def test_rollback_without_history_is_a_conflict(repo: ModelRegistryRepository) -> None:
    name = _name()
    _add(repo, name, 2)
    repo.set_alias(name, "champion", 2)

    with pytest.raises(ConflictError) as caught:
        repo.rollback_alias(name, "champion")

    assert caught.value.code == "ML_MODEL_NO_ROLLBACK"
    assert caught.value.details == {"name": name, "alias": "champion"}
    assert repo.alias(name, "champion").version == 2  # unchanged


def test_an_alias_cannot_point_at_a_deprecated_version(repo: ModelRegistryRepository) -> None:
    name = _name()
    _add(repo, name, 2)
    repo.set_alias(name, "champion", 1)
    repo.set_deprecated(name, 2, True, "bad")

    with pytest.raises(ConflictError) as caught:
        repo.set_alias(name, "champion", 2)

    assert caught.value.code == "ML_MODEL_DEPRECATED"
    assert caught.value.details == {"name": name, "version": 2, "alias": "champion"}
    alias = repo.alias(name, "champion")
    assert (alias.version, alias.previous_version) == (1, None)  # the failed move left no trace


def test_rollback_onto_a_deprecated_version_is_refused(repo: ModelRegistryRepository) -> None:
    name = _name()
    _add(repo, name, 2)
    repo.set_alias(name, "champion", 1)
    repo.set_alias(name, "champion", 2)
    repo.set_deprecated(name, 1, True, "bad")

    with pytest.raises(ConflictError) as caught:
        repo.rollback_alias(name, "champion")

    assert caught.value.code == "ML_MODEL_DEPRECATED"


def test_unknown_models_versions_and_aliases_are_not_found(
    repo: ModelRegistryRepository,
) -> None:
    ghost, name = _name("ghost"), _name()
    _add(repo, name, 1)

    assert _not_found(lambda: repo.model(ghost)) == {"name": ghost, "what": "registration"}
    assert _not_found(lambda: repo.version(ghost, 1))["name"] == ghost
    assert _not_found(lambda: repo.latest(ghost))["name"] == ghost
    assert _not_found(lambda: repo.version(name, 2)) == {"name": name, "what": "version 2"}
    assert _not_found(lambda: repo.alias(name, "champion")) == {
        "name": name,
        "what": "alias 'champion'",
    }
    assert _not_found(lambda: repo.set_alias(name, "champion", 7))["what"] == "version 7"
    assert _not_found(lambda: repo.rollback_alias(name, "champion"))["what"] == ("alias 'champion'")
    assert _not_found(lambda: repo.set_deprecated(name, 9, True, None))["what"] == "version 9"
    assert _not_found(lambda: repo.set_tags(name, 9, ["x"]))["what"] == "version 9"
    assert repo.versions(ghost) == [] and repo.aliases(ghost) == []


def test_tags_are_replaced_sorted_and_unique(repo: ModelRegistryRepository) -> None:
    name = _name()
    _add(repo, name, 1)

    assert repo.set_tags(name, 1, ["prod", "cnc", "prod"]).tags == ("cnc", "prod")
    assert repo.version(name, 1).tags == ("cnc", "prod")
    assert repo.set_tags(name, 1, []).tags == ()


def test_count_download_is_atomic_across_threads(repo: ModelRegistryRepository) -> None:
    name = _name()
    _add(repo, name, 2)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def download() -> None:
        start.wait()
        try:
            for _ in range(PER_THREAD):
                repo.count_download(name, 1)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=download) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert repo.version(name, 1).download_count == THREADS * PER_THREAD
    assert repo.version(name, 2).download_count == 0


def test_concurrent_new_versions_get_distinct_consecutive_numbers(
    repo: ModelRegistryRepository,
) -> None:
    name = _name()
    start = threading.Barrier(THREADS)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def register() -> None:
        start.wait()
        try:
            for _ in range(PER_THREAD):
                numbers.append(repo.add_version(name, "other", None, _fields()).version)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    total = THREADS * PER_THREAD
    assert sorted(numbers) == list(range(1, total + 1))
    assert [v.version for v in repo.versions(name)] == list(range(1, total + 1))
    assert repo.model(name).task == "other"


def test_records_are_frozen_snapshots(repo: ModelRegistryRepository) -> None:
    name = _name()
    record = _add(repo, name, 1)[0]

    record.meta["classes"].append("c")
    record.meta["nested"]["k"].clear()
    record.input_schema[0]["shape"][1] = 99
    record.metrics["accuracy"] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.deprecated = True  # type: ignore[misc]

    fresh = repo.version(name, 1)
    assert fresh.meta == {"classes": ["a", "b"], "nested": {"k": [1, 2]}}
    assert fresh.input_schema[0]["shape"] == [None, 3]
    assert fresh.metrics == {"accuracy": 0.9}
    assert fresh.deprecated is False
    # Two reads are equal values but never share their dicts.
    again = repo.version(name, 1)
    assert again == fresh and again.meta is not fresh.meta


def test_a_version_by_an_unknown_user_is_refused_not_retried(repo: ModelRegistryRepository) -> None:
    # a foreign-key failure is the caller's mistake, not a numbering race: no retries,
    # and no misleading idempotency message
    from cadml.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        repo.add_version("m", "regression", None, _fields(created_by="no-such-user"))
    assert info.value.code == "VALIDATION_INVALID_VALUE"
    assert repo.versions("m") == []
