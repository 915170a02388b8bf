"""``cadml simulate``: publish realistic CNC telemetry over MQTT or HTTP, or write it to a file.

The machines are :class:`cadml.twin.simulator.MachineSimulator` s; the sinks and the
pacer are in :mod:`cadml.cli.publishers`.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from cadml.cli.publishers import (
    HttpPublisher,
    JsonLinesSink,
    MqttPublisher,
    Pacer,
    PublisherUnavailableError,
    Sink,
    load_device_keys,
    parse_mqtt_url,
)
from cadml.twin.frame import CODECS, TelemetryFrame
from cadml.twin.simulator import FaultKind, MachineSimulator, device_ids

__all__ = ["parse_duration", "parse_start", "simulate"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_STATS_EVERY_S = 10.0


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``5m``, ``1h30m``, ``2d`` or ``500ms``.

    Raises:
        ValueError: not a positive duration.

    Examples:
        >>> parse_duration("1h30m"), parse_duration("45"), parse_duration("250ms")
        (5400.0, 45.0, 0.25)
    """
    text = text.strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _DURATION.finditer(text):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(text) or not text:
            raise ValueError(f"{text!r} is not a duration like 90, 90s, 5m, 1h30m or 2d") from None
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{text!r} is not a positive duration")
    return seconds


def parse_start(text: str, now: float) -> float:
    """Unix seconds from ``now``, ``-1d`` (relative to now), ISO 8601 (UTC if naive) or a number.

    Raises:
        ValueError: none of those.

    Examples:
        >>> parse_start("-1h", now=10_000.0)
        6400.0
        >>> parse_start("2024-01-01T00:00:00", now=0.0)
        1704067200.0
    """
    text = text.strip()
    if text.lower() == "now":
        return now
    if text.startswith("-"):
        return now - parse_duration(text[1:])
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a start time: use now, -1d, 2024-05-01T08:00:00 or unix seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _parse_faults(text: str) -> float:
    if text.strip().lower() in ("none", "off", "0"):
        return 0.0
    try:
        rate = float(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: give faults per device-hour (e.g. 0.5) or none"
        ) from None
    if not (rate >= 0 and math.isfinite(rate)):
        raise click.BadParameter("the fault rate must be ≥ 0")
    return rate


def _parse_kinds(text: str | None) -> tuple[FaultKind, ...]:
    if not text:
        return tuple(FaultKind)
    kinds = []
    for name in text.split(","):
        try:
            kinds.append(FaultKind(name.strip()))
        except ValueError:
            valid = ", ".join(k.value for k in FaultKind)
            raise click.BadParameter(f"unknown fault {name!r}; use {valid}") from None
    return tuple(kinds)


def _unavailable(exc: PublisherUnavailableError) -> None:
    """Report an unreachable target like ``cadml`` reports platform errors, and exit 2."""
    from cadml.errors import CATALOG, ServiceUnavailableError

    if exc.code in CATALOG:
        err = ServiceUnavailableError(exc.code, details={"url": exc.url, "reason": exc.reason})
        click.secho(f"error {exc.code}: {err.message('en')}", fg="red", err=True)
        click.echo(f"  tr: {err.message('tr')}", err=True)
        for suggestion in err.suggestions:
            click.echo(f"  hint: {suggestion.en}", err=True)
    else:
        what = "MQTT broker" if exc.code.startswith("TWIN_MQTT") else "platform"
        click.secho(
            f"error {exc.code}: cannot reach the {what} at {exc.url}: {exc.reason}",
            fg="red",
            err=True,
        )
        hint = (
            "start Mosquitto (`make services`) or pass --mqtt-url mqtt://HOST:PORT"
            if what == "MQTT broker"
            else "start the server (`cadml serve`) or pass --url http://HOST:PORT"
        )
        click.echo(f"  hint: {hint}; --dry-run --out FILE needs no server", err=True)
    sys.exit(2)


@contextmanager
def _open_out(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8") as stream:
        yield stream


class _Progress:
    """A tqdm bar on a terminal, a stats line every few seconds otherwise, or nothing."""

    def __init__(self, total: int | None, sink: Sink, quiet: bool) -> None:
        self._sink = sink
        self._bar: Any = None
        self._quiet = quiet
        self._t0 = time.monotonic()
        self._next = self._t0 + _STATS_EVERY_S
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, unit="frame", file=sys.stderr, mininterval=0.5, dynamic_ncols=True
            )

    def update(self, frames: int, lag_s: float) -> None:
        if self._bar is not None:
            self._bar.update(frames)
            return
        if self._quiet:
            return
        now = time.monotonic()
        if now >= self._next:
            self._next = now + _STATS_EVERY_S
            s = self._sink.stats
            rate = s.sent / max(now - self._t0, 1e-9)
            click.echo(
                f"[{now - self._t0:7.1f} s] sent {s.sent} acked {s.acked} failed {s.failed} "
                f"({rate:.1f} frames/s, lag {lag_s:.3f} s)",
                err=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@dataclass(frozen=True, slots=True)
class _RunResult:
    send_s: float  # from the first tick to the end of the last one
    total_s: float  # including the wait for acknowledgements
    ticks: int
    max_lag_s: float
    interrupted: bool


def _run(
    sims: list[MachineSimulator],
    sink: Sink,
    *,
    ticks: int | None,
    batch: int,
    realtime: bool,
    quiet: bool,
    ack_timeout_s: float,
) -> _RunResult:
    """Step every machine once per tick and send each device's frames in batches."""
    pacer = Pacer(sims[0].period_s) if realtime else None
    buffers: dict[str, list[TelemetryFrame]] = {s.device_id: [] for s in sims}
    progress = _Progress(ticks * len(sims) if ticks is not None else None, sink, quiet)
    t0 = time.monotonic()
    max_lag = lag = 0.0
    interrupted = False
    tick = 0
    try:
        while ticks is None or tick < ticks:
            if pacer is not None:
                lag = pacer.wait(tick)
                max_lag = max(max_lag, lag)
            for sim in sims:
                buffer = buffers[sim.device_id]
                buffer.append(sim.step())
                if len(buffer) >= batch:
                    sink.send(sim.device_id, buffer)
                    buffers[sim.device_id] = []
            tick += 1
            progress.update(len(sims), lag)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            for device_id, buffer in buffers.items():
                if buffer:
                    sink.send(device_id, buffer)
            send_s = time.monotonic() - t0
            if pacer is not None and tick > 0:
                # tick k is due at k × period: n ticks span n periods, the last one included
                send_s = max(send_s, tick * pacer.period_s)
            sink.flush(ack_timeout_s)
        finally:
            sink.close()
            progress.close()
    total_s = max(time.monotonic() - t0, send_s)
    return _RunResult(send_s, total_s, tick, max_lag, interrupted)


def _summary(
    sims: list[MachineSimulator], sink: Sink, target: str, run: _RunResult, realtime: bool
) -> None:
    s = sink.stats

    def echo(text: str) -> None:
        click.echo(text, err=True)

    rate = sum(sim.rate_hz for sim in sims)
    echo(
        f"simulate: {len(sims)} device(s) × {sims[0].rate_hz:g} Hz → {target}"
        + (" (interrupted)" if run.interrupted else "")
    )
    echo(
        f"  frames   sent {s.sent}, acked {s.acked}, failed {s.failed} "
        f"in {s.messages} message(s), {s.bytes / 1024:.1f} KiB"
    )
    achieved = s.sent / run.send_s if run.send_s > 0 else float("inf")
    pace = f"target {rate:g}, max lag {run.max_lag_s:.3f} s" if realtime else "as fast as possible"
    echo(f"  sending  {achieved:.1f} frames/s over {run.send_s:.2f} s ({pace})")
    acked_rate = s.acked / run.total_s if run.total_s > 0 else float("inf")
    echo(
        f"  acked    {acked_rate:.1f} frames/s over {run.total_s:.2f} s"
        + ("" if s.pending == 0 and s.failed == 0 else f" ({s.sent - s.acked} not acknowledged)")
    )
    if run.ticks:
        first = datetime.fromtimestamp(sims[0].start, UTC).isoformat(timespec="milliseconds")
        last_ts = sims[0].timestamp(run.ticks - 1)
        last = datetime.fromtimestamp(last_ts, UTC).isoformat(timespec="milliseconds")
        echo(f"  time     {first} → {last} ({run.ticks} frame(s) per device)")
    windows = [w for sim in sims for w in sim.fault_windows()]
    kinds = Counter(str(w.kind) for w in windows)
    detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    echo(f"  faults   {len(windows)} injected" + (f" ({detail})" if detail else ""))
    for reason, count in s.errors.most_common(5):
        echo(f"  error    {reason}: {count} frame(s)")


_EPILOG = """\b
Examples:
  # 5 machines at 10 Hz each to the local Mosquitto, until Ctrl-C
  cadml simulate --devices 5 --rate 10 --mqtt
\b
  # 1,000 frames per device, 50 frames per MQTT message, JSON payloads
  cadml simulate --devices 20 --rate 100 --mqtt --count 1000 --batch 50 --codec json
\b
  # through the HTTP API with one key per device (JSON {"sim-001": "KEY", ...})
  cadml simulate --devices 3 --rate 1 --http --url http://127.0.0.1:8000 --keys keys.json
\b
  # back-fill a day of 1 Hz history as fast as possible, then stop at now
  cadml simulate --devices 2 --rate 1 --mqtt --start -1d --no-realtime
\b
  # no broker: 10 minutes of frames as JSON lines, and the fault labels
  cadml simulate --dry-run --devices 2 --rate 5 --duration 10m --faults 6 \\
      --out frames.jsonl --labels faults.jsonl
\b
The same --seed, --start and device ids give the same frames, and ingest is idempotent
on (device_id, timestamp), so re-running a back-fill does not duplicate data.
Exit status: 0 all frames acknowledged, 1 some failed, 2 bad usage or target unreachable.
"""


@click.command("simulate", epilog=_EPILOG)
@click.option(
    "--devices",
    "-n",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Number of simulated machines.",
)
@click.option(
    "--rate", type=float, default=1.0, show_default=True, help="Frames per second per device."
)
@click.option("--mqtt", "use_mqtt", is_flag=True, help="Publish to the MQTT broker.")
@click.option("--http", "use_http", is_flag=True, help="POST to the platform's HTTP ingest.")
@click.option("--dry-run", is_flag=True, help="Write JSON lines to --out instead of publishing.")
@click.option(
    "--mqtt-url",
    default=None,
    help="Broker URL [default: CADML_MQTT_URL or mqtt://127.0.0.1:1883].",
)
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Platform base URL for --http.",
)
@click.option(
    "--api-key",
    envvar="CADML_SIM_API_KEY",
    default=None,
    help="Bearer key for every device (--http) [env CADML_SIM_API_KEY].",
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON file of per-device keys: {device_id: key}.",
)
@click.option("--duration", default=None, help="Simulated time per device: 90s, 5m, 1h, 1d.")
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=None,
    help="Frames per device (wins over --duration).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--faults", default="0.5", show_default=True, help="Injected faults per device-hour, or none."
)
@click.option(
    "--fault-kinds",
    default=None,
    help="Comma list of " + ", ".join(k.value for k in FaultKind) + " [default: all].",
)
@click.option(
    "--device-prefix",
    default="sim-",
    show_default=True,
    help="Device ids are PREFIX001, PREFIX002, ...",
)
@click.option(
    "--codec",
    type=click.Choice(CODECS),
    default="msgpack",
    show_default=True,
    help="Payload encoding.",
)
@click.option(
    "--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Frames per message."
)
@click.option(
    "--topic",
    default="twin/telemetry/{device_id}",
    show_default=True,
    help="MQTT topic template; {device_id} is replaced.",
)
@click.option("--qos", type=click.IntRange(0, 2), default=1, show_default=True, help="MQTT QoS.")
@click.option(
    "--start",
    default="now",
    show_default=True,
    help="First timestamp: now, -1d, 2024-05-01T08:00:00 (UTC) or unix seconds.",
)
@click.option(
    "--realtime/--no-realtime",
    default=None,
    help="Pace frames at --rate, or send as fast as possible "
    "[default: real time, except --dry-run and a past --start].",
)
@click.option("--out", default="-", show_default=True, help="--dry-run output (- = stdout).")
@click.option(
    "--labels",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the injected fault windows (ground truth) as JSON lines here.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="HTTP requests in flight.",
)
@click.option(
    "--ack-timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for outstanding acknowledgements at the end.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
def simulate(
    devices: int,
    rate: float,
    use_mqtt: bool,
    use_http: bool,
    dry_run: bool,
    mqtt_url: str | None,
    url: str,
    api_key: str | None,
    keys_file: Path | None,
    duration: str | None,
    count: int | None,
    seed: int,
    faults: str,
    fault_kinds: str | None,
    device_prefix: str,
    codec: str,
    batch: int,
    topic: str,
    qos: int,
    start: str,
    realtime: bool | None,
    out: str,
    labels: Path | None,
    concurrency: int,
    ack_timeout: float,
    quiet: bool,
) -> None:
    """Publish realistic CNC machine telemetry: temperature, vibration RMS, spindle current.

    Every device is a seeded model of a machining-centre spindle running jobs:
    temperature follows load with a thermal time constant, vibration drifts upwards with
    bearing wear, current follows load. Faults (bearing_fault, overheating,
    current_spike, sensor_dropout, sensor_stuck) are injected at random and labelled in
    status.fault. Frames go to MQTT topic twin/telemetry/DEVICE (QoS 1, MsgPack), to
    POST /api/v1/twin/DEVICE/telemetry, or to a JSON-lines file. Timestamps are exactly
    START + k/RATE; in real time, sending keeps that pace without drift.
    """
    if sum((use_mqtt, use_http, dry_run)) != 1:
        raise click.UsageError("choose exactly one of --mqtt, --http or --dry-run")
    if not (rate > 0 and math.isfinite(rate)):
        raise click.BadParameter("must be a positive frames/s", param_hint="--rate")
    try:
        topic_ok = "{device_id}" in topic and topic.format(device_id="d") != ""
    except (KeyError, IndexError, ValueError):
        topic_ok = False
    if not topic_ok:
        raise click.BadParameter("needs {device_id} and no other {field}", param_hint="--topic")
    fault_rate = _parse_faults(faults)
    kinds = _parse_kinds(fault_kinds)
    now = time.time()
    try:
        start_ts = round(parse_start(start, now), 6)
        duration_s = parse_duration(duration) if duration is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if realtime is None:
        realtime = not dry_run and start_ts >= now - 1.0
    ticks: int | None
    if count is not None:
        ticks = count
    elif duration_s is not None:
        ticks = max(1, math.ceil(duration_s * rate - 1e-9))
    elif start_ts < now - 1.0:
        ticks = max(1, math.floor((now - start_ts) * rate))  # back-fill up to now
    elif realtime:
        ticks = None
    else:
        raise click.UsageError("without --realtime, give --count, --duration or a past --start")

    ids = device_ids(device_prefix, devices)
    keys: dict[str, str] = {}
    if keys_file is not None:
        try:
            keys = load_device_keys(keys_file)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--keys") from None
    if use_http and api_key is None:
        missing = [d for d in ids if d not in keys]
        if missing:
            raise click.UsageError(
                f"no API key for {len(missing)} device(s), e.g. {missing[0]}: "
                "give --api-key or list them in --keys"
            )

    sims = [
        MachineSimulator(
            d,
            rate_hz=rate,
            start=start_ts,
            seed=seed,
            fault_rate_per_h=fault_rate,
            fault_kinds=kinds,
        )
        for d in ids
    ]
    with _open_out(out) if dry_run else _nullcontext() as stream:
        sink: Sink
        try:
            if dry_run:
                assert stream is not None
                sink = JsonLinesSink(stream)
                target = f"{out} (dry run, JSON lines)"
            elif use_mqtt:
                sink, target = _mqtt_sink(mqtt_url, topic, qos, codec, batch)
            else:
                sink = HttpPublisher(
                    url, keys=keys, default_key=api_key, codec=codec, concurrency=concurrency
                )
                target = f"{url} ({codec}, {batch} frame(s)/request)"
        except PublisherUnavailableError as exc:
            _unavailable(exc)
            return
        run = _run(
            sims,
            sink,
            ticks=ticks,
            batch=batch,
            realtime=realtime,
            quiet=quiet,
            ack_timeout_s=ack_timeout,
        )
    if labels is not None:
        with labels.open("w", encoding="utf-8") as fh:
            for sim in sims:
                for window in sim.fault_windows():
                    fh.write(json.dumps({"device_id": sim.device_id, **window.to_dict()}) + "\n")
    if not quiet:
        _summary(sims, sink, target, run, realtime)
    if sink.stats.failed:
        sys.exit(1)


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield None


def _mqtt_sink(
    mqtt_url: str | None, topic: str, qos: int, codec: str, batch: int
) -> tuple[Sink, str]:
    from cadml.settings import get_settings

    settings = get_settings()
    url = mqtt_url or settings.mqtt_url or "mqtt://127.0.0.1:1883"
    try:
        parsed = parse_mqtt_url(url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mqtt-url") from None
    if parsed.username is None and settings.mqtt_username:
        from dataclasses import replace

        parsed = replace(parsed, username=settings.mqtt_username, password=settings.mqtt_password)
    sink = MqttPublisher(
        parsed,
        topic_template=topic,
        qos=qos,
        codec=codec,
        ca_file=settings.mqtt_ca_file,
        cert_file=settings.mqtt_cert_file,
        key_file=settings.mqtt_key_file,
    )
    return sink, f"{parsed.display} {topic} ({codec}, QoS {qos}, {batch} frame(s)/message)"
