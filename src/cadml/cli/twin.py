"""``cadml twin``: the device registry, state, history and retention from the command line.

Runs against the configured databases directly (like ``cadml admin``), so use it on the
server or with the same CADML_* settings.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cadml.runtime import Runtime, build_runtime
from cadml.settings import get_settings
from cadml.twin.mqtt_auth import (
    DEFAULT_TOPIC_TEMPLATE,
    acl_file,
    mosquitto_hash,
    password_file,
)
from cadml.twin.query import parse_fields, parse_time, parse_window
from cadml.twin.simulator import device_ids

__all__ = ["twin"]


@contextmanager
def _runtime() -> Iterator[Runtime]:
    runtime = build_runtime(get_settings())
    try:
        yield runtime
    finally:
        runtime.stop()


def _tags(values: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--tag")
        tags[name.strip()] = value.strip()
    return tags


@click.group()
def twin() -> None:
    """Digital twin: devices, their state and telemetry history.

    \b
    Examples:
      cadml twin devices register press-7 --type hydraulic_press --tag line=2
      cadml twin devices register --count 50 --prefix sim- --type cnc --keys-out keys.json
      cadml twin state press-7
      cadml twin history press-7 --limit 20 --fields temperature
      cadml twin aggregate temperature --device press-7 --window 5m --fn mean --start -1h
    """


@twin.group()
def devices() -> None:
    """Register, list, re-key and remove devices."""


@devices.command("register")
@click.argument("device_id", required=False)
@click.option("--type", "device_type", required=True, help="Device type, e.g. cnc_mill")
@click.option("--name", default=None, help="A human-readable name")
@click.option("--tag", "tags", multiple=True, help="NAME=VALUE (repeatable)")
@click.option(
    "--mqtt-username",
    default=None,
    help="Broker user of the device (a password is generated; see mosquitto-auth)",
)
@click.option("--retention-raw-days", type=float, default=None, help="Keep raw frames this long")
@click.option("--retention-rollup-days", type=float, default=None, help="Keep rollups this long")
@click.option("--count", type=click.IntRange(1, 100_000), default=None, help="Register N devices")
@click.option(
    "--prefix", default="sim-", show_default=True, help="With --count: PREFIX001, PREFIX002, ..."
)
@click.option(
    "--keys-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write {device_id: key} JSON here (for `cadml simulate --http --keys`)",
)
def register(
    device_id: str | None,
    device_type: str,
    name: str | None,
    tags: tuple[str, ...],
    mqtt_username: str | None,
    retention_raw_days: float | None,
    retention_rollup_days: float | None,
    count: int | None,
    prefix: str,
    keys_out: Path | None,
) -> None:
    """Register DEVICE_ID (or --count devices named like `cadml simulate` names them).

    Each key is shown only once; it goes in `Authorization: Bearer <key>` of the
    device's ingest requests.
    """
    if (device_id is None) == (count is None):
        raise click.UsageError("give a DEVICE_ID or --count N (not both)")
    if mqtt_username is not None and count is not None:
        raise click.UsageError("--mqtt-username names one device; leave it out with --count")
    ids = [device_id] if device_id is not None else device_ids(prefix, count or 0)
    keys: dict[str, str] = {}
    with _runtime() as runtime:
        for one in ids:
            done = runtime.twin_devices.register(
                one,
                type=device_type,
                name=name,
                tags=_tags(tags),
                mqtt_username=mqtt_username,
                retention_raw_days=retention_raw_days,
                retention_rollup_days=retention_rollup_days,
            )
            keys[one] = done.api_key
            if done.mqtt_password is not None:
                click.echo(f"mqtt password of {mqtt_username}: {done.mqtt_password}", err=True)
    if keys_out is not None:
        keys_out.write_text(json.dumps(keys, indent=2) + "\n")
        keys_out.chmod(0o600)
        click.echo(f"registered {len(keys)} device(s); keys in {keys_out}", err=True)
    elif len(keys) == 1:
        click.echo(next(iter(keys.values())))
    else:
        click.echo(json.dumps(keys, indent=2))


@devices.command("list")
@click.option("--type", "device_type", default=None, help="Only this type")
@click.option("--json", "as_json", is_flag=True, help="Print JSON")
def list_devices(device_type: str | None, as_json: bool) -> None:
    """List registered devices."""
    with _runtime() as runtime:
        rows, total = runtime.twin_devices.devices.list(type=device_type, limit=100_000)
    if as_json:
        click.echo(
            json.dumps(
                [{"id": r.id, "type": r.type, "name": r.name, "tags": r.tags} for r in rows],
                indent=2,
            )
        )
        return
    for r in rows:
        tags = ",".join(f"{k}={v}" for k, v in r.tags.items())
        click.echo(f"{r.id:<32} {r.type:<20} {r.key_prefix}…  {tags}")
    click.echo(f"{total} device(s)", err=True)


@devices.command("rotate-key")
@click.argument("device_id")
def rotate_key(device_id: str) -> None:
    """Give DEVICE_ID a new key (printed once); the old key stops working."""
    with _runtime() as runtime:
        click.echo(runtime.twin_devices.rotate_key(device_id).api_key)


@devices.command("rotate-mqtt-password")
@click.argument("device_id")
def rotate_mqtt_password(device_id: str) -> None:
    """Give DEVICE_ID a new MQTT password (printed once); re-run mosquitto-auth after."""
    with _runtime() as runtime:
        click.echo(runtime.twin_devices.rotate_mqtt_password(device_id))


@devices.command("delete")
@click.argument("device_id")
def delete(device_id: str) -> None:
    """Remove DEVICE_ID from the registry (its telemetry stays until retention)."""
    with _runtime() as runtime:
        runtime.twin_devices.devices.require(device_id)
        runtime.twin_devices.delete(device_id)
    click.echo(f"deleted {device_id}", err=True)


def _echo_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _relative(value: str | None, field: str, now: float) -> float | None:
    """A time: unix seconds, ISO 8601, or relative to now like -1h, -30m, -2d."""
    if value is not None and value.startswith("-"):
        return now - parse_window(value[1:])
    return parse_time(value, field)


@twin.command("state")
@click.argument("device_id")
def state(device_id: str) -> None:
    """Print DEVICE_ID's last values, status and presence as JSON."""
    with _runtime() as runtime:
        view = runtime.twin.state(device_id)
    s = view.state
    _echo_json(
        {
            "device_id": device_id,
            "registered": view.registered,
            "presence": view.presence,
            "last_seen": None if s is None else s.last_seen,
            "fields": {} if s is None else {k: v.value for k, v in s.fields.items()},
            "status": {} if s is None else s.status,
        }
    )


@twin.command("history")
@click.argument("device_id")
@click.option("--start", default=None, help="Unix s, ISO 8601 or relative (-1h)")
@click.option("--stop", default=None, help="Unix s, ISO 8601 or relative (-10m)")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--fields", default=None, help="Comma-separated, e.g. temperature,metrics.cycle")
def history(
    device_id: str, start: str | None, stop: str | None, limit: int, fields: str | None
) -> None:
    """Print DEVICE_ID's newest frames as JSON lines (newest first)."""
    now = time.time()
    with _runtime() as runtime:
        page = runtime.twin.history(
            device_id,
            start=_relative(start, "start", now),
            stop=_relative(stop, "stop", now),
            limit=limit,
            fields=parse_fields(fields),
        )
    for frame in page.frames:
        click.echo(json.dumps(frame.to_dict(), ensure_ascii=False))


@twin.command("aggregate")
@click.argument("field")
@click.option("--device", "device_id", default=None, help="One device (default: all)")
@click.option("--window", default="5m", show_default=True, help="30s, 5m, 1h, 1d")
@click.option(
    "--fn",
    type=click.Choice(["mean", "min", "max", "sum", "count", "stddev"]),
    default="mean",
    show_default=True,
)
@click.option("--start", default="-1d", show_default=True, help="Unix s, ISO 8601 or -1h")
@click.option("--stop", default=None, help="Default: now")
def aggregate(
    field: str, device_id: str | None, window: str, fn: str, start: str, stop: str | None
) -> None:
    """Print windowed aggregates of FIELD as `start<TAB>value<TAB>count` lines."""
    now = time.time()
    t0 = _relative(start, "start", now) or 0.0
    t1 = _relative(stop, "stop", now) or now
    with _runtime() as runtime:
        points = runtime.twin.aggregate(
            field, window_s=parse_window(window), fn=fn, start=t0, stop=t1, device_id=device_id
        )
    for p in points:
        click.echo(f"{p.start:.0f}\t{p.value:.6g}\t{p.count}")


@twin.command("mosquitto-auth")
@click.option(
    "--passwd",
    "passwd_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write Mosquitto's password_file here",
)
@click.option(
    "--acl",
    "acl_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write Mosquitto's acl_file here",
)
@click.option(
    "--topic",
    default=DEFAULT_TOPIC_TEMPLATE,
    show_default=True,
    help="Each device's topic ({device_id} is replaced)",
)
@click.option("--ingest-user", default=None, help="Broker user of the ingestors (reads all)")
@click.option(
    "--ingest-password",
    envvar="CADML_MQTT_PASSWORD",
    default=None,
    help="Password of --ingest-user [env CADML_MQTT_PASSWORD]",
)
def mosquitto_auth(
    passwd_path: Path,
    acl_path: Path,
    topic: str,
    ingest_user: str | None,
    ingest_password: str | None,
) -> None:
    """Render Mosquitto's password and ACL files from the device registry.

    Each device with an MQTT user name may publish only to its own topic; the ingest
    user may read them all. Point mosquitto.conf at the files and reload:

    \b
      cadml twin mosquitto-auth --passwd /etc/mosquitto/cadml.passwd \
          --acl /etc/mosquitto/cadml.acl --ingest-user ingest
      # mosquitto.conf: allow_anonymous false, password_file ..., acl_file ...
      kill -HUP $(pidof mosquitto)
    """
    if (ingest_user is None) != (ingest_password is None):
        raise click.UsageError("--ingest-user and --ingest-password go together")
    with _runtime() as runtime:
        creds = runtime.twin_devices.devices.mqtt_credentials()
    users = [(user, hashed) for _, user, hashed in creds]
    readers = []
    if ingest_user is not None and ingest_password is not None:
        users.append((ingest_user, mosquitto_hash(ingest_password)))
        readers.append(ingest_user)
    acl = acl_file([(d, u) for d, u, _ in creds], topic, ingest_users=readers)
    for path, text in ((passwd_path, password_file(users)), (acl_path, acl)):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.chmod(0o600)
        tmp.replace(path)
    click.echo(f"{len(creds)} device(s) written to {passwd_path} and {acl_path}", err=True)


@twin.command("retention")
def retention() -> None:
    """Apply every device's retention now (raw frames and rollups)."""
    with _runtime() as runtime:
        deleted = runtime.twin.apply_retention()
    click.echo(
        f"deleted {sum(deleted.values())} raw frame(s) of {len(deleted)} device(s)", err=True
    )
