"""Transaction scopes used by the repositories.

Each repository call runs in exactly one transaction that commits on success and rolls
back on any exception. :func:`write_session` marks the connection with
:data:`cadml.db.engine.WRITE_TRANSACTION`, so on SQLite the transaction takes the write
lock up front (``BEGIN IMMEDIATE``) and waits for it under the busy timeout instead of
failing half-way through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from cadml.db.engine import WRITE_TRANSACTION

__all__ = ["read_session", "write_session"]


@contextmanager
def write_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a transaction that may write; commits when the block succeeds.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.

    Yields:
        The session. Do not commit it yourself.
    """
    with session_factory() as session, session.begin():
        session.connection(execution_options=WRITE_TRANSACTION)
        yield session


@contextmanager
def read_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in a transaction that only reads.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.

    Yields:
        The session; its transaction ends with the block.
    """
    with session_factory() as session, session.begin():
        yield session
