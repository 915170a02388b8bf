"""``cadml ingest``: one MQTT ingest process writing telemetry to the time-series store."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import Any

import click

from cadml.errors import CadmlError
from cadml.mqtt.config import CLIENTS, MqttConfig
from cadml.mqtt.ingestor import MqttIngestor
from cadml.observability import configure_logging
from cadml.settings import get_settings
from cadml.twin.frame import TimeRule
from cadml.twin.pipeline import IngestPipeline

__all__ = ["ingest"]


@click.command(
    epilog="""\b
Examples:
  cadml ingest --mqtt-url mqtt://127.0.0.1:1883
  cadml ingest --mqtt-url mqtts://broker:8883 --store postgres --stats-every 10
  # two processes splitting the load (run each with its own --client-id):
  cadml ingest --share-group ingest --client-id ingest-a &
  cadml ingest --share-group ingest --client-id ingest-b &
  cadml ingest --client paho        # paho-mqtt instead of the built-in lean client

\b
Other settings come from CADML_* variables: CADML_MQTT_USERNAME/PASSWORD,
CADML_MQTT_CLIENT (lean|paho),
CADML_MQTT_CA_FILE/CERT_FILE/KEY_FILE (TLS), CADML_TWIN_SQLITE_PATH,
CADML_TWIN_POSTGRES_URL, CADML_TWIN_QUEUE_FRAMES, CADML_TWIN_BATCH_SIZE,
CADML_TWIN_BATCH_DELAY_MS. Exit codes: 0 after a clean stop, 2 when the broker
or the store cannot be used, 1 when the drain did not finish.
""",
)
@click.option("--mqtt-url", help="mqtt://host:1883 or mqtts://host:8883 [CADML_MQTT_URL]")
@click.option("--topic", help="Topic filter; last level = device id [twin/telemetry/+]")
@click.option("--share-group", help="Subscribe as $share/GROUP/... [CADML_MQTT_SHARE_GROUP]")
@click.option("--client-id", help="Stable session id [CADML_MQTT_CLIENT_ID or host name]")
@click.option(
    "--store",
    type=click.Choice(["sqlite", "postgres", "influx"]),
    default=None,
    help="Time-series store [CADML_TWIN_STORE or sqlite]",
)
@click.option(
    "--stats-every",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Print the counters every SECONDS (0: only at exit)",
)
@click.option(
    "--mqtt-protocol",
    type=click.Choice(["5", "3.1.1"]),
    default="5",
    show_default=True,
    help="MQTT version (3.1.1 caps unacknowledged messages at the broker's 20)",
)
@click.option(
    "--client",
    "client",
    type=click.Choice(list(CLIENTS)),
    default=None,
    help="MQTT client: lean (built-in, batched reads and acks) or paho [CADML_MQTT_CLIENT or lean]",
)
def ingest(
    mqtt_url: str | None,
    topic: str | None,
    share_group: str | None,
    client_id: str | None,
    store: str | None,
    stats_every: float,
    mqtt_protocol: str,
    client: str | None,
) -> None:
    """Ingest telemetry from MQTT into the time-series store until SIGTERM or Ctrl-C.

    Subscribes at QoS 1 in a persistent session and acknowledges each message only after
    its frames are committed, so a crash or kill loses nothing: the broker redelivers and
    the store ignores duplicates. On SIGTERM/SIGINT it stops reading, commits and
    acknowledges what it holds, and exits 0.
    """
    settings = get_settings()
    updates: dict[str, Any] = {
        "mqtt_url": mqtt_url,
        "mqtt_topic": topic,
        "mqtt_share_group": share_group,
        "mqtt_client_id": client_id,
        "twin_store": store,
    }
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    configure_logging(settings.log_level, settings.log_json)
    config = MqttConfig.from_settings(settings).with_options(
        protocol=5 if mqtt_protocol == "5" else 4, client=client
    )

    from cadml.timeseries.factory import build_timeseries_store

    ts_store = build_timeseries_store(settings)
    pipeline = IngestPipeline(
        ts_store,
        max_queue_frames=settings.twin_queue_frames,
        batch_size=settings.twin_batch_size,
        max_delay_s=settings.twin_batch_delay_ms / 1000.0,
        time_rule=TimeRule(settings.twin_max_future_s, settings.twin_max_age_s),
    )
    ingestor = MqttIngestor(config, pipeline, max_payload_bytes=settings.twin_max_payload_bytes)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    pipeline.start()
    try:
        ingestor.start()
    except CadmlError:
        pipeline.stop()
        ts_store.close()
        raise
    click.echo(
        f"cadml ingest: {config.url} {config.subscription} ({config.client} client, id "
        f"{config.session_client_id}) -> store {ts_store.name}; SIGTERM/Ctrl-C stops",
        err=True,
    )
    while not stop.wait(stats_every or 3600.0):
        if stats_every:
            click.echo(f"ingest: {pipeline.counters().summary()}", err=True)
    acked = ingestor.stop(timeout_s=30.0)
    drained = pipeline.stop(drain=True, timeout_s=30.0)
    ts_store.close()
    stats = ingestor.stats()
    click.echo(
        f"ingest stopped: {pipeline.counters().summary()} messages={stats.messages} "
        f"acked={stats.acked} reconnects={max(0, stats.connects - 1)}",
        err=True,
    )
    if not (acked and drained):
        click.echo("ingest: messages left unacknowledged (the broker redelivers them)", err=True)
        sys.exit(1)
