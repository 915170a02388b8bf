"""``cadml jobs``: look at jobs in the configured database."""

from __future__ import annotations

import json

import click

from cadml.runtime import build_runtime
from cadml.settings import get_settings

__all__ = ["jobs"]


@click.group()
def jobs() -> None:
    """Inspect jobs."""


@jobs.command("list")
@click.option(
    "--status",
    type=click.Choice(["queued", "running", "succeeded", "failed", "cancelled"]),
    default=None,
)
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
def list_cmd(status: str | None, limit: int, as_json: bool) -> None:
    """List the newest jobs of all users."""
    runtime = build_runtime(get_settings())
    try:
        records = runtime.jobs.list_all(limit=limit, offset=0, status=status)
    finally:
        runtime.stop()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": j.id,
                        "kind": j.kind,
                        "status": str(j.status),
                        "created_at": j.created_at.isoformat() if j.created_at else None,
                        "error": (j.error or {}).get("code"),
                    }
                    for j in records
                ],
                indent=2,
            )
        )
        return
    if not records:
        click.echo("no jobs")
        return
    click.echo(f"{'ID':36}  {'KIND':14}  {'STATUS':9}  {'CREATED':19}  ERROR")
    for j in records:
        created = j.created_at.strftime("%Y-%m-%d %H:%M:%S") if j.created_at else ""
        code = (j.error or {}).get("code", "")
        click.echo(f"{j.id:36}  {j.kind:14}  {j.status!s:9}  {created:19}  {code}")
