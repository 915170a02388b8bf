"""``cadml db``: database migrations."""

from __future__ import annotations

import click

from cadml.db.migrate import current_revision, upgrade
from cadml.runtime import worker_config
from cadml.settings import get_settings

__all__ = ["db"]


@click.group()
def db() -> None:
    """Inspect and migrate the metadata database (CADML_DATABASE_URL)."""


@db.command("upgrade")
def upgrade_cmd() -> None:
    """Apply all migrations (the server also does this at start-up)."""
    url = worker_config(get_settings())["database_url"]
    upgrade(url)
    click.echo(f"database at revision {current_revision(url)}")


@db.command("current")
def current_cmd() -> None:
    """Print the current migration revision."""
    click.echo(current_revision(worker_config(get_settings())["database_url"]) or "empty")
