"""Build the configured time-series store from the settings (composition roots call this).

``CADML_TWIN_STORE`` picks the adapter: ``sqlite`` (default; the file at
``CADML_TWIN_SQLITE_PATH`` or ``data_dir/twin.db``), ``postgres``
(``CADML_TWIN_POSTGRES_URL``) or ``influx`` (``CADML_TWIN_INFLUX_URL`` and
``CADML_TWIN_INFLUX_DB``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cadml.errors import ConfigurationError
from cadml.timeseries.port import TimeSeriesStore

if TYPE_CHECKING:
    from cadml.settings import Settings

__all__ = ["build_timeseries_store"]


def build_timeseries_store(settings: Settings) -> TimeSeriesStore:
    """The store ``settings.twin_store`` names, connected and with its schema in place.

    Raises:
        ConfigurationError: ``CONFIG_INVALID`` for an unknown store or a missing URL.
        StorageError: ``TWIN_STORE_UNAVAILABLE`` when the database cannot be reached.
    """
    kind = settings.twin_store
    if kind == "sqlite":
        from cadml.timeseries.sqlite import SqliteTimeSeriesStore

        return SqliteTimeSeriesStore(settings.resolved_twin_sqlite_path())
    if kind == "postgres":
        if not settings.twin_postgres_url:
            raise ConfigurationError(
                "CONFIG_INVALID",
                details={"reason": "CADML_TWIN_STORE=postgres needs CADML_TWIN_POSTGRES_URL "
                         "(postgresql://user:password@host:5432/dbname)"},
            )  # fmt: skip
        from cadml.timeseries.postgres import PostgresTimeSeriesStore

        return PostgresTimeSeriesStore(settings.twin_postgres_url)
    if kind == "influx":
        if not settings.twin_influx_url or not settings.twin_influx_db:
            raise ConfigurationError(
                "CONFIG_INVALID",
                details={"reason": "CADML_TWIN_STORE=influx needs CADML_TWIN_INFLUX_URL "
                         "and CADML_TWIN_INFLUX_DB"},
            )  # fmt: skip
        from cadml.timeseries.influx import InfluxTimeSeriesStore

        return InfluxTimeSeriesStore(settings.twin_influx_url, settings.twin_influx_db)
    raise ConfigurationError(
        "CONFIG_INVALID",
        details={"reason": f"CADML_TWIN_STORE={kind!r} is not one of sqlite, postgres, influx"},
    )
