"""Platform settings, read from ``CADML_*`` environment variables (and ``.env``).

Only composition roots (``cadml.api``, ``cadml.cli``) call :func:`get_settings`; everything
below them receives plain values. Nothing is read at import time.

Examples:
    >>> s = Settings(data_dir="/tmp/x")
    >>> s.resolved_database_url()
    'sqlite:////tmp/x/cadml.db'
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cadml.errors import ConfigurationError

__all__ = ["DEV_SECRET", "Settings", "get_settings"]

DEV_SECRET = "dev-insecure-secret-change-me"  # refused outside development


class Settings(BaseSettings):
    """Everything the platform can be configured with. Defaults need no external server."""

    model_config = SettingsConfigDict(env_prefix="CADML_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(default=Path("var"), description="Embedded DB and artefacts live here")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    # metadata database
    database_url: str | None = Field(default=None, description="Default: SQLite in data_dir")

    # artefacts
    artefact_store: Literal["local", "s3"] = "local"
    artefact_dir: Path | None = None
    s3_endpoint_url: str | None = None
    s3_bucket: str = "cadml-artefacts"
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None

    # jobs
    job_backend: Literal["pool", "celery"] = "pool"
    workers: int = Field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)), ge=1)
    job_wall_limit_s: float = Field(default=120.0, gt=0)
    job_cpu_limit_s: int = Field(default=120, gt=0)
    job_memory_limit_mb: int = Field(default=2048, gt=0)
    celery_broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    celery_result_backend: str | None = None
    celery_queue: str = "cadml.geometry"

    # cache, rate limits, progress pub/sub
    redis_url: str | None = None
    rate_limit_per_minute: int = Field(default=120, ge=1)

    # security
    secret_key: str = DEV_SECRET
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 7 * 24 * 3600

    # digital twin: time-series store
    twin_store: Literal["sqlite", "postgres", "influx"] = "sqlite"
    twin_sqlite_path: Path | None = Field(default=None, description="Default: data_dir/twin.db")
    twin_postgres_url: str | None = Field(default=None, description="postgresql://... (twin data)")
    twin_influx_url: str = "http://127.0.0.1:8086"
    twin_influx_db: str = "cadml"
    # digital twin: ingest pipeline
    twin_queue_frames: int = Field(default=200_000, ge=1, description="Bounded ingest queue")
    twin_batch_size: int = Field(default=5_000, ge=1, description="Frames per store commit")
    twin_batch_delay_ms: float = Field(default=20.0, gt=0, le=1000, description="Max batch wait")
    twin_max_future_s: float = Field(default=300.0, ge=0, description="Clock-skew allowance")
    twin_max_age_s: float = Field(default=30 * 86400.0, ge=0, description="0 accepts any age")
    twin_max_payload_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    twin_ingest_rate_per_minute: int = Field(default=6000, ge=1, description="Per device")
    twin_retention_raw_days: float | None = Field(default=None, gt=0, description="None: keep")
    twin_retention_rollup_days: float | None = Field(default=None, gt=0, description="None: keep")
    twin_retention_by_type: dict[str, tuple[float | None, float | None]] = Field(
        default_factory=dict, description='JSON {"type": [raw_days, rollup_days]}'
    )
    twin_retention_interval_s: float = Field(default=3600.0, gt=0, description="Retention pass")
    twin_heartbeat_timeout_s: float = Field(default=60.0, gt=0, description="Offline after this")
    # digital twin: MQTT transport (ingest runs when mqtt_url is set)
    mqtt_url: str | None = Field(default=None, description="mqtt://host:1883 or mqtts://host:8883")
    mqtt_topic: str = "twin/telemetry/+"
    mqtt_share_group: str | None = Field(default=None, description="$share/<group>/... if set")
    mqtt_client_id: str | None = None
    mqtt_client: Literal["lean", "paho"] = Field(
        default="lean", description="lean: cadml's bulk-reading MQTT 5 client; paho: paho-mqtt"
    )
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None

    # artefact determinism: the timestamp written into every STEP header
    step_timestamp: str = "2000-01-01T00:00:00"

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL of the metadata database."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cadml.db').as_posix()}"

    def resolved_artefact_dir(self) -> Path:
        """The directory of the local artefact store."""
        return self.artefact_dir or self.data_dir / "artefacts"

    def resolved_twin_sqlite_path(self) -> Path:
        """The embedded time-series database file."""
        return self.twin_sqlite_path or self.data_dir / "twin.db"

    def check_secure(self) -> None:
        """Refuse development secrets outside development and test mode.

        Raises:
            ConfigurationError: ``CONFIG_INSECURE_SECRET`` when the default secret is used
                in production.
        """
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ConfigurationError(
                "CONFIG_INSECURE_SECRET", details={"setting": "CADML_SECRET_KEY"}
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use. Tests call ``cache_clear()``."""
    return Settings()
