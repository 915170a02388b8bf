"""The user repository: accounts, password hashes and scopes.

Hashing is not done here: callers pass the password hash they computed (bcrypt in
``cadml.api``). Methods return frozen :class:`~cadml.db.records.UserRecord` snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cadml.db.base import new_id, utc_now
from cadml.db.models import User
from cadml.db.records import UserRecord
from cadml.db.transaction import read_session, write_session
from cadml.errors import ConflictError, NotFoundError

__all__ = ["UserRepository"]


class UserRepository:
    """Users of the platform.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def create_user(
        self, username: str, password_hash: str | None, scopes: Iterable[str] = ()
    ) -> UserRecord:
        """Create an active user.

        Args:
            username: unique login name (compared exactly, case-sensitive).
            password_hash: the hash to check passwords against, or None for a user that
                authenticates only with API keys.
            scopes: the RBAC scopes granted, e.g. ``("designs:write", "jobs:read")``.

        Returns:
            The new user.

        Raises:
            ConflictError: ``USER_EXISTS`` if the username is taken.
        """
        user = User(
            id=new_id(),
            username=username,
            password_hash=password_hash,
            scopes=_scope_list(scopes),
            is_active=True,
            created_at=utc_now(),
        )
        try:
            with write_session(self._sessions) as session:
                session.add(user)
                session.flush()
                return UserRecord.from_row(user)
        except IntegrityError as error:
            raise ConflictError("USER_EXISTS", details={"username": username}) from error

    def get(self, user_id: str) -> UserRecord:
        """The user with id ``user_id``.

        Raises:
            NotFoundError: ``NOT_FOUND_USER`` if there is none.
        """
        with read_session(self._sessions) as session:
            row = session.get(User, user_id)
            if row is None:
                raise _user_not_found(user_id)
            return UserRecord.from_row(row)

    def get_by_username(self, username: str) -> UserRecord | None:
        """The user called ``username``, or None (login code must not reveal which)."""
        with read_session(self._sessions) as session:
            row = session.scalars(select(User).where(User.username == username)).first()
            return None if row is None else UserRecord.from_row(row)

    def set_password_hash(self, user_id: str, password_hash: str | None) -> UserRecord:
        """Replace a user's password hash (None disables password login).

        Raises:
            NotFoundError: ``NOT_FOUND_USER`` if there is no such user.
        """
        return self._update(user_id, password_hash=password_hash)

    def set_scopes(self, user_id: str, scopes: Iterable[str]) -> UserRecord:
        """Replace a user's scopes.

        Raises:
            NotFoundError: ``NOT_FOUND_USER`` if there is no such user.
        """
        return self._update(user_id, scopes=_scope_list(scopes))

    def set_active(self, user_id: str, is_active: bool) -> UserRecord:
        """Enable or disable a user (a disabled user cannot log in or use keys).

        Raises:
            NotFoundError: ``NOT_FOUND_USER`` if there is no such user.
        """
        return self._update(user_id, is_active=is_active)

    def _update(self, user_id: str, **values: Any) -> UserRecord:
        with write_session(self._sessions) as session:
            row = session.get(User, user_id)
            if row is None:
                raise _user_not_found(user_id)
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return UserRecord.from_row(row)


def _scope_list(scopes: Iterable[str]) -> list[str]:
    if isinstance(scopes, str):
        raise TypeError("scopes must be an iterable of scope names, not one string")
    return sorted(set(scopes))


def _user_not_found(user_id: str) -> NotFoundError:
    return NotFoundError("NOT_FOUND_USER", details={"username": user_id})
