"""The declarative base and the portable column types of the metadata database.

Every table of the platform derives from :class:`Base`. Its metadata carries a
naming convention, so constraints get stable names on SQLite and PostgreSQL alike
and Alembic migrations can drop or alter them by name.

The portable types keep one schema working on both engines:

* ids are 36-character UUID strings (:data:`ID_LENGTH`, :func:`new_id`);
* :data:`JSONType` is ``JSONB`` on PostgreSQL and ``JSON`` (text) on SQLite, and a
  Python ``None`` is stored as SQL ``NULL`` rather than the JSON literal ``null``;
* :class:`UTCDateTime` accepts only timezone-aware datetimes, stores UTC
  (``timestamptz`` on PostgreSQL, a naive ISO string on SQLite, which sorts
  correctly because every value is UTC) and always returns aware UTC datetimes.

Examples:
    >>> len(new_id())
    36
    >>> utc_now().tzinfo
    datetime.timezone.utc
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "ID_LENGTH",
    "NAMING_CONVENTION",
    "Base",
    "JSONType",
    "UTCDateTime",
    "new_id",
    "utc_now",
]

ID_LENGTH = 36
"""Length of the canonical textual UUID used as primary key (``8-4-4-4-12``)."""

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names used by :class:`Base` (and therefore by the migrations)."""

JSONType: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)
"""A JSON document column: ``JSONB`` on PostgreSQL, ``JSON`` elsewhere."""


def new_id() -> str:
    """A fresh random primary key (UUID4 as its 36-character string).

    Examples:
        >>> a, b = new_id(), new_id()
        >>> a != b and a.count("-") == 4
        True
    """
    return str(uuid.uuid4())


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp stored the same way on every engine.

    Binding a naive datetime raises :class:`ValueError`: a naive value has no
    defined instant, and guessing the local zone is how audit trails go wrong.

    Examples:
        >>> from datetime import timedelta, timezone
        >>> t = UTCDateTime()
        >>> from sqlalchemy.dialects import sqlite
        >>> plus3 = timezone(timedelta(hours=3))
        >>> t.process_bind_param(datetime(2024, 1, 1, 12, tzinfo=plus3), sqlite.dialect())
        datetime.datetime(2024, 1, 1, 9, 0)
        >>> t.process_result_value(datetime(2024, 1, 1, 9), sqlite.dialect())
        datetime.datetime(2024, 1, 1, 9, 0, tzinfo=datetime.timezone.utc)
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on engines without zones)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return value
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table; its metadata uses :data:`NAMING_CONVENTION`."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
