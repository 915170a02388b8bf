"""The metadata database: users, API keys, jobs with their audit trail, and artefacts.

SQLite (a file in the data directory) by default, PostgreSQL in production; the same
SQLAlchemy 2 models and Alembic migrations serve both. Callers build an engine and a
session factory once per process, migrate, and then use the repositories, which return
frozen records rather than live ORM objects::

    engine = make_engine(url)
    upgrade(url)
    jobs = JobRepository(make_session_factory(engine))
    job, created = jobs.create("design.params", body, body_hash, user_id=user.id)

Modules: :mod:`~cadml.db.base` (declarative base, portable types),
:mod:`~cadml.db.models` (tables), :mod:`~cadml.db.engine` (engines),
:mod:`~cadml.db.migrate` (Alembic), :mod:`~cadml.db.job_status` (life cycle),
:mod:`~cadml.db.records` (snapshots) and one repository module per table group.
"""

from cadml.db.api_keys import PREFIX_LENGTH, ApiKeyRepository
from cadml.db.artefacts import ArtefactRepository
from cadml.db.engine import make_engine, make_session_factory, normalize_url
from cadml.db.job_status import ALLOWED_TRANSITIONS, TERMINAL_STATUSES, JobStatus, can_transition
from cadml.db.jobs import JobRepository
from cadml.db.migrate import alembic_config, current_revision, head_revision, upgrade
from cadml.db.records import (
    ApiKeyRecord,
    ArtefactRecord,
    JobRecord,
    JobTransitionRecord,
    UserRecord,
)
from cadml.db.users import UserRepository

__all__ = [
    "ALLOWED_TRANSITIONS",
    "PREFIX_LENGTH",
    "TERMINAL_STATUSES",
    "ApiKeyRecord",
    "ApiKeyRepository",
    "ArtefactRecord",
    "ArtefactRepository",
    "JobRecord",
    "JobRepository",
    "JobStatus",
    "JobTransitionRecord",
    "UserRecord",
    "UserRepository",
    "alembic_config",
    "can_transition",
    "current_revision",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "normalize_url",
    "upgrade",
]
