"""Alembic migrations of the metadata database, shipped inside the package.

Run them with :func:`cadml.db.migrate.upgrade`; no ``alembic.ini`` is needed. For the
``alembic`` command-line tool or for autogenerating a new revision, build a config
with :func:`cadml.db.migrate.alembic_config`.
"""

__all__: list[str] = []
