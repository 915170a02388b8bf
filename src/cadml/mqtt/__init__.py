"""The MQTT adapter: broker configuration and the telemetry ingest transport (paho-mqtt)."""

from cadml.mqtt.acks import AckSlot, AckTracker
from cadml.mqtt.config import MqttConfig, default_client_id, parse_mqtt_url
from cadml.mqtt.ingestor import IngestorStats, MqttIngestor

__all__ = [
    "AckSlot",
    "AckTracker",
    "IngestorStats",
    "MqttConfig",
    "MqttIngestor",
    "default_client_id",
    "parse_mqtt_url",
]
