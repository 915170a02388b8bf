"""A QoS 1 test publisher: one telemetry frame per message, timestamps ``base + i * step``.

Run as a script (``python mqtt_publisher.py PORT DEVICE COUNT BASE STEP``) so a burst can
go on while the test kills and restarts the ingestor; it exits 0 once the broker has
acknowledged every message, and prints ``published N``.
"""

from __future__ import annotations

import sys
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from cadml.twin.frame import TelemetryFrame, encode_frames

__all__ = ["expected_timestamps", "publish_frames"]


def expected_timestamps(count: int, base: float, step: float) -> set[float]:
    """The timestamps :func:`publish_frames` sends."""
    return {base + i * step for i in range(count)}


def publish_frames(
    port: int,
    device: str,
    count: int,
    base: float,
    step: float,
    *,
    client_id: str = "",
    tls: dict[str, str] | None = None,
) -> int:
    """Publish ``count`` frames at QoS 1 and wait until the broker acknowledged them all."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    if tls is not None:
        client.tls_set(ca_certs=tls["ca"], certfile=tls["cert"], keyfile=tls["key"])
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = []
        for i in range(count):
            frame = TelemetryFrame(base + i * step, device, {"seq": float(i)})
            infos.append(client.publish(f"twin/telemetry/{device}", encode_frames([frame]), qos=1))
        for info in infos:
            info.wait_for_publish(120)
    finally:
        client.disconnect()
        client.loop_stop()
    return count


if __name__ == "__main__":
    port, device, count, base, step = sys.argv[1:6]
    started = time.monotonic()
    n = publish_frames(int(port), device, int(count), float(base), float(step))
    print(f"published {n} in {time.monotonic() - started:.1f} s", flush=True)
