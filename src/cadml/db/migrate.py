"""Run the packaged Alembic migrations programmatically.

The migrations live in :mod:`cadml.db.migrations`; :func:`alembic_config` builds an
Alembic :class:`~alembic.config.Config` for them from a URL, so no ``alembic.ini`` is
needed. The same config drives the Alembic commands, e.g. to autogenerate a revision
after changing :mod:`cadml.db.models`::

    from alembic import command
    command.revision(alembic_config(url), message="add x", autogenerate=True)

:func:`upgrade` is safe to call from several processes at once (the API and each worker
call it at start-up): the migration transaction takes a database lock (see
``migrations/env.py``), and for an SQLite file an exclusive ``flock`` on
``<database>.migrate.lock`` is held around the whole upgrade as well, so a slow
migration makes other processes wait rather than time out on the busy timeout.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection

from cadml.db.engine import make_engine, normalize_url
from cadml.errors import ServiceUnavailableError

__all__ = ["MIGRATIONS_DIR", "alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
"""The directory of ``env.py`` and ``versions/`` inside the installed package."""


def alembic_config(url: str | URL) -> Config:
    """An Alembic config for the packaged migrations and the database at ``url``.

    Args:
        url: the database URL (plain ``postgresql://`` is rewritten to psycopg 3).

    Returns:
        A config usable with every :mod:`alembic.command`.
    """
    rendered = normalize_url(url).render_as_string(hide_password=False)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    # ConfigParser interpolates '%'; a password may contain one.
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def upgrade(
    url: str | URL, revision: str = "head", *, connection: Connection | None = None
) -> None:
    """Migrate the database at ``url`` to ``revision`` (the newest by default).

    Creates the SQLite file (and its directory) when missing. Idempotent: upgrading a
    database that is already at the revision does nothing.

    Args:
        url: the database URL.
        revision: the target revision.
        connection: an open connection (not inside a transaction) to migrate through
            instead of a new engine; needed for an in-memory SQLite database, whose
            contents live only in its one connection. It must come from
            :func:`cadml.db.engine.make_engine`.

    Raises:
        ServiceUnavailableError: ``DB_UNAVAILABLE`` if the database cannot be reached.
    """
    parsed = normalize_url(url)
    config = alembic_config(parsed)
    if connection is not None:
        config.attributes["connection"] = connection
    with _migration_file_lock(parsed):
        command.upgrade(config, revision)


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at, or None if it was never migrated.

    Raises:
        ServiceUnavailableError: ``DB_UNAVAILABLE`` if the database cannot be reached.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of the package.

    Examples:
        >>> head_revision() >= "0001"
        True
    """
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise RuntimeError(f"no migration found in {MIGRATIONS_DIR}")
    return head


@contextmanager
def _migration_file_lock(url: URL) -> Iterator[None]:
    database = url.database or ""
    if (
        url.get_backend_name() != "sqlite"
        or database in ("", ":memory:")
        or database.startswith("file:")
    ):
        yield
        return
    path = Path(database).expanduser()
    make_engine(url).dispose()  # creates the directory, or raises DB_UNAVAILABLE
    lock_path = path.with_name(path.name + ".migrate.lock")
    try:
        lock_file = open(lock_path, "a")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise ServiceUnavailableError(
            "DB_UNAVAILABLE", details={"reason": f"cannot create {lock_path}: {error}"}
        ) from error
    with lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
