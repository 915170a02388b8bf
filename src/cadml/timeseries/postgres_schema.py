"""The PostgreSQL time-series schema: tables, session temp tables, versioning, migration.

Schema version 2 (``ts_schema_version``)::

    ts_frames(device_id, ts_ns, event_key, names text[], vals float8[], status jsonb)
        PRIMARY KEY (device_id, ts_ns, event_key); names[i] = "sensors.t" ↔ vals[i]
    ts_rollup_1m / ts_rollup_1h(device_id, field, bucket, n, total, low, high, squares)
        PRIMARY KEY (device_id, field, bucket); bucket = ts_ns div period_ns
    ts_device_state(device_id, last_seen_ns, status jsonb, status_ns)
    ts_field_state(device_id, field, value, ts_ns)

Version 1 (before the version table existed) kept the numeric fields as ``fields jsonb``
(``{"sensors.t": 1.5}``); :func:`ensure_schema` converts such a ``ts_frames`` in place
(one ``UPDATE``; the rollup and state tables are unchanged) and records version 2. A
database with a newer version than this code knows is refused.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FRAME_COLUMNS",
    "ROLLUP_TABLES",
    "SCHEMA_VERSION",
    "SESSION_SETUP",
    "SchemaTooNewError",
    "ensure_schema",
]

SCHEMA_VERSION = 2
"""The layout this code writes and reads."""

ROLLUP_TABLES = {60.0: "ts_rollup_1m", 3600.0: "ts_rollup_1h"}
"""Rollup period (s) → table."""

FRAME_COLUMNS = "device_id, names, ts_ns, vals, event_key, status"
"""The column order of the binary ``COPY`` rows (see :mod:`postgres_write`)."""

_C = 'COLLATE "C"'

_TABLES = [
    f"""CREATE TABLE IF NOT EXISTS ts_frames (
        device_id text {_C} NOT NULL, ts_ns bigint NOT NULL, event_key text {_C} NOT NULL,
        names text[] {_C} NOT NULL, vals float8[] NOT NULL, status jsonb NOT NULL,
        PRIMARY KEY (device_id, ts_ns, event_key))""",
    *(
        f"""CREATE TABLE IF NOT EXISTS {table} (
        device_id text {_C} NOT NULL, field text {_C} NOT NULL, bucket bigint NOT NULL,
        n bigint NOT NULL, total float8 NOT NULL, low float8 NOT NULL, high float8 NOT NULL,
        squares float8 NOT NULL, PRIMARY KEY (device_id, field, bucket))"""
        for table in ROLLUP_TABLES.values()
    ),
    f"""CREATE TABLE IF NOT EXISTS ts_device_state (
        device_id text {_C} PRIMARY KEY, last_seen_ns bigint NOT NULL, status jsonb,
        status_ns bigint)""",
    f"""CREATE TABLE IF NOT EXISTS ts_field_state (
        device_id text {_C} NOT NULL, field text {_C} NOT NULL, value float8 NOT NULL,
        ts_ns bigint NOT NULL, PRIMARY KEY (device_id, field))""",
]

SESSION_SETUP = [
    # the duplicate path: the batch is copied here, then inserted ON CONFLICT DO NOTHING
    f"""CREATE TEMP TABLE IF NOT EXISTS ts_stage_v2 (device_id text {_C}, names text[] {_C},
        ts_ns bigint, vals float8[], event_key text {_C}, status jsonb) ON COMMIT DELETE ROWS""",
]
"""Run on every new connection."""

_MIGRATE_V1 = [
    f"ALTER TABLE ts_frames ADD COLUMN names text[] {_C}, ADD COLUMN vals float8[]",
    """UPDATE ts_frames SET (names, vals) = (
        SELECT coalesce(array_agg(key ORDER BY ord), '{}'),
               coalesce(array_agg(value::float8 ORDER BY ord), '{}')
        FROM jsonb_each_text(fields) WITH ORDINALITY AS e(key, value, ord))""",
    "ALTER TABLE ts_frames ALTER COLUMN names SET NOT NULL, ALTER COLUMN vals SET NOT NULL, "
    "DROP COLUMN fields",
]


class SchemaTooNewError(RuntimeError):
    """The database was created by a newer version of the store."""


def _has_column(conn: Any, table: str, column: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND column_name = %s",
        (table, column),
    ).fetchone()
    return row is not None


def ensure_schema(conn: Any) -> bool:
    """Create or upgrade the schema inside the caller's transaction (under a lock).

    Args:
        conn: a psycopg connection inside a transaction.

    Returns:
        True when a version-1 ``ts_frames`` was converted.

    Raises:
        SchemaTooNewError: the recorded version is newer than :data:`SCHEMA_VERSION`.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('cadml.timeseries.schema'))")
    conn.execute("CREATE TABLE IF NOT EXISTS ts_schema_version (version int NOT NULL)")
    row = conn.execute("SELECT max(version) FROM ts_schema_version").fetchone()
    version = row[0] if row is not None else None
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the time-series schema is version {version}; this code knows {SCHEMA_VERSION}"
        )
    migrated = False
    if version is None and _has_column(conn, "ts_frames", "fields"):
        for statement in _MIGRATE_V1:
            conn.execute(statement)
        migrated = True
    for statement in _TABLES:
        conn.execute(statement)
    if version != SCHEMA_VERSION:
        conn.execute("DELETE FROM ts_schema_version")
        conn.execute("INSERT INTO ts_schema_version VALUES (%s)", (SCHEMA_VERSION,))
    return migrated
