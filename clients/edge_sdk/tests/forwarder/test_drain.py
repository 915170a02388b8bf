"""End to end: a producer enqueues into a real DurableQueue while the forwarder drains it
over real sockets into an ingest server (or Mosquitto) that keeps failing."""

from __future__ import annotations

import random
import sys
import threading
import time
from typing import Any

import pytest

from cad_ml_edge.forwarder import Forwarder
from cad_ml_edge.queue import DurableQueue
from cad_ml_edge.uplink.backoff import Backoff
from cad_ml_edge.uplink.http import HttpUplink
from cad_ml_edge.uplink.mqtt import MqttUplink
from cad_ml_edge.wire import TelemetryFrame, decode_frames

h = sys.modules["edge_test_forwarder"]  # tests/forwarder/conftest.py
Fault = h.ingest_server.Fault
IngestServer = h.ingest_server.IngestServer
TcpProxy = h.tcp_proxy.TcpProxy
frame = h.frame

DEVICE = "press-1"
PRODUCED_STREAMS = ("alerts", "telemetry", "vibration", "debug")


class Producer(threading.Thread):
    """Enqueues ``total`` records in random batches across the streams; timestamps are
    unique (the platform's dedup key) and each stream's ``seq`` counts up from 0."""

    def __init__(self, queue: DurableQueue, total: int, seed: int, pause_s: float) -> None:
        super().__init__()
        self.queue, self.total, self.pause_s = queue, total, pause_s
        self.rng = random.Random(seed)
        self.produced: dict[tuple[str, float], tuple[str, int]] = {}
        self.next_seq = dict.fromkeys(PRODUCED_STREAMS, 0)

    def run(self) -> None:
        n = 0
        while n < self.total:
            stream = self.rng.choice(PRODUCED_STREAMS)
            size = min(self.rng.randint(1, 60), self.total - n)
            batch = []
            for _ in range(size):
                ts, seq = 1_000_000.0 + n, self.next_seq[stream]
                batch.append(frame(ts, stream, seq, DEVICE))
                self.produced[(DEVICE, ts)] = (stream, seq)
                self.next_seq[stream] += 1
                n += 1
            self.queue.put_many(stream, batch)
            time.sleep(self.rng.uniform(0, self.pause_s))


def first_occurrences(frames: list[TelemetryFrame], stream: str) -> list[int]:
    seen: set[float] = set()
    order = []
    for f in frames:
        if f.status["stream"] == stream and f.timestamp not in seen:
            seen.add(f.timestamp)
            order.append(f.status["seq"])
    return order


def check_exactly_once_in_order(producer: Producer, frames: list[TelemetryFrame]) -> int:
    deduped = {(f.device_id, f.timestamp): f for f in frames}
    assert set(deduped) == set(producer.produced)  # nothing lost, nothing invented
    for key, f in deduped.items():
        assert (f.status["stream"], f.status["seq"]) == producer.produced[key]
    for stream in PRODUCED_STREAMS:
        assert first_occurrences(frames, stream) == list(range(producer.next_seq[stream]))
    return len(frames) - len(deduped)


def wait_until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
def test_flapping_http_uplink_delivers_everything_exactly_once_after_dedup(
    queue: DurableQueue,
) -> None:
    rng = random.Random(6)
    with IngestServer(drop_every=7) as server:
        up = HttpUplink(server.url, device_id=DEVICE, api_key="k", timeout_s=0.5)
        fwd = Forwarder(
            queue,
            up,
            device_id=DEVICE,
            max_batch_segments=8,
            idle_s=0.005,
            backoff=Backoff(base=0.01, cap=0.2),
        )
        stop = threading.Event()
        forwarding = threading.Thread(target=fwd.run, args=(stop,))
        producer = Producer(queue, total=20_000, seed=7, pause_s=0.01)
        forwarding.start()
        producer.start()
        outages = 0
        was_offline = 0
        while producer.is_alive():  # chaos while the producer runs
            time.sleep(rng.uniform(0.05, 0.25))
            roll = rng.random()
            if roll < 0.5:
                server.down()
                outages += 1
                time.sleep(rng.uniform(0.02, 0.3))
                was_offline += fwd.status()["online"] is False
                server.up()
            elif roll < 0.7:
                server.faults.append(Fault("status", status=503))
            elif roll < 0.85:
                server.faults.append(Fault("status", status=429, headers={"Retry-After": "0"}))
            else:
                server.faults.append(Fault("hang", seconds=1.0))
        producer.join()
        wait_until(lambda: queue.status().depth == 0, timeout=60)
        stop.set()
        forwarding.join(5)
        assert not forwarding.is_alive()
        frames = server.frames()
        requests = server.requests
    duplicates = check_exactly_once_in_order(producer, frames)
    status = fwd.status()
    assert status["delivered"] == 20_000  # each segment acknowledged exactly once
    assert status["rejected"] == 0
    assert outages >= 5 and was_offline >= 1
    assert requests > status["batches"]  # failures happened and were retried
    print(
        f"\nflapping HTTP: {outages} outages, {requests} requests for {status['batches']} "
        f"batches, {duplicates} duplicate frames"
    )


@pytest.mark.slow
@pytest.mark.mqtt
def test_flapping_mqtt_uplink_delivers_everything_exactly_once_after_dedup(
    queue: DurableQueue,
) -> None:
    from paho.mqtt import client as mqtt

    rng = random.Random(11)
    got: list[TelemetryFrame] = []
    lock = threading.Lock()

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        with lock:
            got.extend(decode_frames(msg.payload))

    device = f"flap-{rng.randrange(10**9)}"
    subscribed = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sub-{device}")
    sub.on_message = on_message
    sub.on_subscribe = lambda *args: subscribed.set()
    sub.connect("127.0.0.1", 1883)
    sub.loop_start()
    sub.subscribe(f"twin/telemetry/{device}", qos=1)
    assert subscribed.wait(5)
    try:
        with TcpProxy() as proxy:
            up = MqttUplink(port=proxy.port, device_id=device, timeout_s=0.5)
            fwd = Forwarder(
                queue,
                up,
                device_id=device,
                max_batch_segments=8,
                idle_s=0.005,
                backoff=Backoff(base=0.01, cap=0.2),
            )
            stop = threading.Event()
            forwarding = threading.Thread(target=fwd.run, args=(stop,))
            producer = Producer(queue, total=10_000, seed=3, pause_s=0.02)
            forwarding.start()
            producer.start()
            kills = 0
            while producer.is_alive():
                time.sleep(rng.uniform(0.05, 0.2))
                if rng.random() < 0.3:
                    proxy.mode = "swallow"  # PUBLISHes vanish: no PUBACK
                    time.sleep(rng.uniform(0.1, 0.7))
                    proxy.mode = "pass"
                proxy.kill()
                kills += 1
            producer.join()
            wait_until(lambda: queue.status().depth == 0, timeout=60)
            stop.set()
            forwarding.join(5)
            assert not forwarding.is_alive()
        wait_until(lambda: len(got) >= 10_000, timeout=10)
        time.sleep(0.2)  # late duplicates
    finally:
        sub.disconnect()
        sub.loop_stop()
    with lock:
        frames = list(got)
    duplicates = check_exactly_once_in_order(producer, frames)
    assert fwd.status()["delivered"] == 10_000
    assert kills >= 5
    print(f"\nflapping MQTT: {kills} connection kills, {duplicates} duplicate frames")


@pytest.mark.slow
def test_live_critical_data_overtakes_a_normal_backlog(queue: DurableQueue, ingest: Any) -> None:
    # The outage left 10k normal records (100 segments of 100) behind, then 3 alerts.
    for i in range(100):
        queue.put_many(
            "telemetry", [frame(float(100 * i + j), "telemetry", 100 * i + j) for j in range(100)]
        )
    enqueued: dict[int, float] = {}
    for seq in range(3):
        queue.put_many("alerts", [frame(50_000.0 + seq, "alerts", seq)])
        enqueued[seq] = time.monotonic()
    per_record = len(frame(1.0, "telemetry", 1))
    up = HttpUplink(ingest.url, device_id=DEVICE, timeout_s=5)
    fwd = Forwarder(  # ~3 s to drain the backlog at this bandwidth
        queue,
        up,
        device_id=DEVICE,
        max_batch_segments=4,
        idle_s=0.005,
        bandwidth_bytes_per_s=per_record * 10_000 / 3.0,
        burst_s=0.1,
    )
    stop = threading.Event()
    forwarding = threading.Thread(target=fwd.run, args=(stop,))
    forwarding.start()

    def backlog_left() -> int:
        return 10_000 - len([f for f in ingest.frames() if f.status["stream"] == "telemetry"])

    seq = 3
    while backlog_left() > 0:  # live critical data, one alert every 20 ms
        queue.put_many("alerts", [frame(50_000.0 + seq, "alerts", seq)])
        enqueued[seq] = time.monotonic()
        seq += 1
        time.sleep(0.02)
    drained_at = time.monotonic()
    wait_until(lambda: queue.status().depth == 0, timeout=10)
    stop.set()
    forwarding.join(5)

    frames = ingest.frames()
    first_batch = ingest.received[0].frames
    assert [f.status["stream"] for f in first_batch[:3]] == ["alerts"] * 3
    arrived: dict[int, float] = {}
    for received in ingest.received:
        for f in received.frames:
            if f.status["stream"] == "alerts":
                arrived.setdefault(f.status["seq"], received.at)
    assert sorted(arrived) == list(range(seq))
    assert first_occurrences(frames, "alerts") == list(range(seq))
    assert first_occurrences(frames, "telemetry") == list(range(10_000))
    last_backlog = max(i for i, f in enumerate(frames) if f.status["stream"] == "telemetry")
    during_drain = [s for s in range(seq) if enqueued[s] < drained_at - 1.0]
    assert len(during_drain) > 50
    for s in during_drain:  # each alert went out before the backlog was done...
        index = next(
            i
            for i, f in enumerate(frames)
            if f.status.get("seq") == s and f.status["stream"] == "alerts"
        )
        assert index < last_backlog
    latencies = sorted(arrived[s] - enqueued[s] for s in during_drain)
    # ...and promptly: within a few cycles (tens of ms), not after the backlog (~3 s);
    # the bounds leave room for a loaded machine.
    assert latencies[len(latencies) // 2] < 0.25
    assert latencies[-1] < 1.0
    print(
        f"\ncritical latency during a 10k backlog drain: p50 "
        f"{latencies[len(latencies) // 2] * 1e3:.1f} ms, max {latencies[-1] * 1e3:.1f} ms"
    )
