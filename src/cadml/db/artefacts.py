"""The artefact repository: read access to the files jobs produced.

Artefact rows are written only by :meth:`cadml.db.jobs.JobRepository.complete`, in the
same transaction that marks their job succeeded, so a listed artefact always belongs to
a finished, successful job. Methods return frozen
:class:`~cadml.db.records.ArtefactRecord` snapshots.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cadml.db.models import Artefact
from cadml.db.records import ArtefactRecord
from cadml.db.transaction import read_session
from cadml.errors import NotFoundError

__all__ = ["ArtefactRepository"]


class ArtefactRepository:
    """Artefact metadata.

    Args:
        session_factory: from :func:`cadml.db.engine.make_session_factory`.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def get(self, artefact_id: str) -> ArtefactRecord:
        """The artefact with id ``artefact_id``.

        Raises:
            NotFoundError: ``NOT_FOUND_ARTEFACT`` if there is none.
        """
        with read_session(self._sessions) as session:
            row = session.get(Artefact, artefact_id)
            if row is None:
                raise NotFoundError("NOT_FOUND_ARTEFACT", details={"artefact_id": artefact_id})
            return ArtefactRecord.from_row(row)

    def list_for_job(self, job_id: str) -> list[ArtefactRecord]:
        """A job's artefacts ordered by kind (empty for an unfinished or unknown job)."""
        with read_session(self._sessions) as session:
            rows = session.scalars(
                select(Artefact).where(Artefact.job_id == job_id).order_by(Artefact.kind)
            )
            return [ArtefactRecord.from_row(row) for row in rows]
