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
