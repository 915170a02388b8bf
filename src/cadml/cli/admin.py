"""``cadml admin``: users and API keys (run on the server, against its database)."""

from __future__ import annotations

import click

from cadml.runtime import build_runtime
from cadml.services.auth import SCOPES
from cadml.settings import get_settings

__all__ = ["admin"]


def _scopes(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


@click.group()
def admin() -> None:
    """Manage users and API keys in the configured database."""


@admin.command("create-user")
@click.option("--username", "-u", required=True, help="Login name")
@click.option(
    "--password", "-p", default=None, help="Password (prompted for, hidden, when omitted)"
)
@click.option(
    "--scopes",
    "-s",
    default="models:read,models:write",
    show_default=True,
    help=f"Comma-separated scopes from: {', '.join(SCOPES)}",
)
@click.option("--update", is_flag=True, help="Reset password and scopes of an existing user")
def create_user(username: str, password: str | None, scopes: str, update: bool) -> None:
    """Create a user who can log in with POST /api/v1/auth/token."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    runtime = build_runtime(get_settings())
    try:
        user = runtime.accounts.create_user(username, password, _scopes(scopes), update=update)
    finally:
        runtime.stop()
    click.echo(f"user {user.username} ({user.id}) scopes: {', '.join(user.scopes)}", err=True)


@admin.command("create-api-key")
@click.option("--name", "-n", required=True, help="What the key is for, e.g. 'line-3 gateway'")
@click.option(
    "--scopes",
    "-s",
    default="models:read,models:write",
    show_default=True,
    help=f"Comma-separated scopes from: {', '.join(SCOPES)}",
)
@click.option(
    "--user",
    "-u",
    "username",
    default="admin",
    show_default=True,
    help="Owner of the key; 'admin' is created (without a password) if missing",
)
def create_api_key(name: str, scopes: str, username: str) -> None:
    """Create an API key and print it on stdout (it is shown only once).

    Use it as `Authorization: Bearer <key>`:

        KEY=$(cadml admin create-api-key --name demo --scopes models:read,models:write)
    """
    runtime = build_runtime(get_settings())
    try:
        if username == "admin":
            user = runtime.accounts.get_or_create_service_user("admin", ["admin"])
        else:
            user = runtime.accounts.user_by_name(username)
        record, plain = runtime.accounts.create_api_key(user.id, name, _scopes(scopes))
    finally:
        runtime.stop()
    click.echo(
        f"API key '{record.name}' for {user.username}, scopes: {', '.join(record.scopes)}",
        err=True,
    )
    click.echo(plain)
