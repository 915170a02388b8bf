"""The API key repository.

Only a key's sha256 (``key_hash``) and its first characters (``prefix``, shown to users
so they can tell keys apart) are stored. Generating keys and hashing them is the
caller's job (``cadml.api``). Methods return frozen
:class:`~cadml.db.records.ApiKeyRecord` snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cadml.db.base import new_id, utc_now
from cadml.db.models import ApiKey, User
from cadml.db.records import ApiKeyRecord
from cadml.db.transaction import read_session, write_session
from cadml.errors import NotFoundError, ValidationError

__all__ = ["PREFIX_LENGTH", "ApiKeyRepository"]

PREFIX_LENGTH = 12
"""Most characters of a key that may be stored in clear as its ``prefix``."""

_HASH_LENGTH = 64


class ApiKeyRepository:
    """API keys of users.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def create(
        self,
        user_id: str,
        name: str,
        prefix: str,
        key_hash: str,
        scopes: Iterable[str] = (),
    ) -> ApiKeyRecord:
        """Store a new key.

        Args:
            user_id: the owner.
            name: a label chosen by the user, e.g. ``"line-3 gateway"``.
            prefix: the key's first characters (at most :data:`PREFIX_LENGTH`).
            key_hash: the lowercase sha256 hex digest of the whole key (64 characters).
            scopes: the scopes the key carries (stored sorted, without duplicates).

        Returns:
            The stored key.

        Raises:
            NotFoundError: ``NOT_FOUND_USER`` if the user does not exist.
            ValidationError: ``VALIDATION_INVALID_VALUE`` for a too long prefix, a hash
                that is not a sha256 hex digest, or a hash already stored.
        """
        if len(prefix) > PREFIX_LENGTH:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "prefix", "reason": f"longer than {PREFIX_LENGTH}"},
            )
        if len(key_hash) != _HASH_LENGTH or not _is_hex(key_hash):
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "key_hash", "reason": "not a sha256 hex digest"},
            )
        if isinstance(scopes, str):
            raise TypeError("scopes must be an iterable of scope names, not one string")
        key = ApiKey(
            id=new_id(),
            user_id=user_id,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            scopes=sorted(set(scopes)),
            created_at=utc_now(),
        )
        try:
            with write_session(self._sessions) as session:
                if session.get(User, user_id) is None:
                    raise NotFoundError("NOT_FOUND_USER", details={"username": user_id})
                session.add(key)
                session.flush()
                return ApiKeyRecord.from_row(key)
        except IntegrityError as error:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "key_hash", "reason": "a key with this hash already exists"},
            ) from error

    def get_by_hash(self, key_hash: str) -> ApiKeyRecord | None:
        """The unrevoked key whose sha256 is ``key_hash``, or None."""
        with read_session(self._sessions) as session:
            row = session.scalars(
                select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            ).first()
            return None if row is None else ApiKeyRecord.from_row(row)

    def touch_last_used(self, key_id: str, at: datetime | None = None) -> None:
        """Record that a key was just used (``at`` defaults to now, UTC).

        A key that does not exist is ignored: this runs after authentication, and a
        key revoked in between needs no bookkeeping.
        """
        with write_session(self._sessions) as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id)
                .values(last_used_at=at or utc_now())
                .execution_options(synchronize_session=False)
            )

    def revoke(self, key_id: str, user_id: str | None = None) -> bool:
        """Revoke a key so that :meth:`get_by_hash` no longer finds it.

        Args:
            key_id: the key.
            user_id: when given, only revoke the key if this user owns it.

        Returns:
            True if an active key was revoked now; False if no such active key exists
            (unknown, owned by someone else, or already revoked).
        """
        query = update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        if user_id is not None:
            query = query.where(ApiKey.user_id == user_id)
        with write_session(self._sessions) as session:
            result = session.execute(
                query.values(revoked_at=utc_now()).execution_options(synchronize_session=False)
            )
            return cast(CursorResult[Any], result).rowcount == 1

    def list_for_user(self, user_id: str, include_revoked: bool = True) -> list[ApiKeyRecord]:
        """A user's keys, oldest first."""
        query = select(ApiKey).where(ApiKey.user_id == user_id)
        if not include_revoked:
            query = query.where(ApiKey.revoked_at.is_(None))
        with read_session(self._sessions) as session:
            rows = session.scalars(query.order_by(ApiKey.created_at, ApiKey.id))
            return [ApiKeyRecord.from_row(row) for row in rows]


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text)
