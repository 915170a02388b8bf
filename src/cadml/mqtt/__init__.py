"""The MQTT adapter: broker configuration and the telemetry ingest transport.

Two clients: the lean built-in subscriber (:mod:`cadml.mqtt.lean_client`, default) and
paho-mqtt; :class:`MqttIngestor` runs either (``client="lean"|"paho"``).
"""

from cadml.mqtt.acks import AckSlot, AckTracker
from cadml.mqtt.config import CLIENTS, DEFAULT_CLIENT, MqttConfig, default_client_id, parse_mqtt_url
from cadml.mqtt.ingestor import IngestorStats, MqttIngestor
from cadml.mqtt.lean_client import LeanClient

__all__ = [
    "CLIENTS",
    "DEFAULT_CLIENT",
    "AckSlot",
    "AckTracker",
    "IngestorStats",
    "LeanClient",
    "MqttConfig",
    "MqttIngestor",
    "default_client_id",
    "parse_mqtt_url",
]
