"""Users and API keys."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest

from cadml.db import ApiKeyRepository, UserRecord, UserRepository
from cadml.errors import ConflictError, NotFoundError, ValidationError


def _key_hash() -> str:
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def test_create_and_read_a_user(users: UserRepository) -> None:
    name = f"ayşe-{secrets.token_hex(4)}"
    created = users.create_user(name, "bcrypt$hash", ["jobs:write", "designs:read", "jobs:write"])

    assert created.username == name and created.is_active
    assert created.scopes == ("designs:read", "jobs:write")
    assert users.get(created.id) == created
    assert users.get_by_username(name) == created
    assert users.get_by_username(name.upper()) is None


def test_duplicate_username_is_a_conflict(users: UserRepository, user: UserRecord) -> None:
    with pytest.raises(ConflictError) as caught:
        users.create_user(user.username, None, [])
    assert caught.value.code == "USER_EXISTS"
    assert caught.value.details == {"username": user.username}


def test_update_password_scopes_and_activity(users: UserRepository, user: UserRecord) -> None:
    assert users.set_password_hash(user.id, "new").password_hash == "new"
    assert users.set_password_hash(user.id, None).password_hash is None
    assert users.set_scopes(user.id, ["admin"]).scopes == ("admin",)
    assert not users.set_active(user.id, False).is_active
    stored = users.get(user.id)
    assert (stored.password_hash, stored.scopes, stored.is_active) == (None, ("admin",), False)
    assert stored.created_at == user.created_at


def test_unknown_user(users: UserRepository) -> None:
    with pytest.raises(NotFoundError, match="NOT_FOUND_USER"):
        users.get("missing")
    with pytest.raises(NotFoundError, match="NOT_FOUND_USER"):
        users.set_scopes("missing", [])
    assert users.get_by_username("missing-" + secrets.token_hex(4)) is None


def test_api_key_life_cycle(api_keys: ApiKeyRepository, user: UserRecord) -> None:
    key_hash = _key_hash()
    key = api_keys.create(user.id, "line-3 gateway", "cadml_ab12cd", key_hash, ["telemetry:write"])

    assert (key.user_id, key.name, key.prefix, key.scopes) == (
        user.id,
        "line-3 gateway",
        "cadml_ab12cd",
        ("telemetry:write",),
    )
    assert key.last_used_at is None and not key.is_revoked
    assert api_keys.get_by_hash(key_hash) == key
    assert api_keys.get_by_hash(_key_hash()) is None

    used_at = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=3)))
    api_keys.touch_last_used(key.id, used_at)
    touched = api_keys.get_by_hash(key_hash)
    assert touched is not None and touched.last_used_at == used_at
    assert touched.last_used_at.tzinfo is UTC and touched.last_used_at.hour == 0

    assert api_keys.revoke(key.id)
    assert not api_keys.revoke(key.id)
    assert api_keys.get_by_hash(key_hash) is None
    [listed] = api_keys.list_for_user(user.id)
    assert listed.is_revoked and listed.id == key.id
    assert api_keys.list_for_user(user.id, include_revoked=False) == []


def test_revoke_is_scoped_to_the_owner(
    api_keys: ApiKeyRepository, users: UserRepository, user: UserRecord
) -> None:
    other = users.create_user(f"{user.username}-2", None)
    key = api_keys.create(user.id, "k", "cadml_x", _key_hash())

    assert not api_keys.revoke(key.id, user_id=other.id)
    assert not api_keys.revoke("missing")
    assert api_keys.revoke(key.id, user_id=user.id)


def test_api_key_validation(api_keys: ApiKeyRepository, user: UserRecord) -> None:
    key_hash = _key_hash()
    api_keys.create(user.id, "k", "p", key_hash)
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        api_keys.create(user.id, "k2", "p", key_hash)  # same hash twice
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        api_keys.create(user.id, "k", "x" * 13, _key_hash())
    with pytest.raises(ValidationError, match="VALIDATION_INVALID_VALUE"):
        api_keys.create(user.id, "k", "p", "not-a-sha256")
    with pytest.raises(NotFoundError, match="NOT_FOUND_USER"):
        api_keys.create("missing", "k", "p", _key_hash())
    assert len(api_keys.list_for_user(user.id)) == 1
