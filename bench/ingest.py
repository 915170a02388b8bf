"""Benchmark: MQTT telemetry ingest (``cadml.mqtt.MqttIngestor`` + ``IngestPipeline``).

Starts a private Mosquitto (a free port, ``max_queued_messages 0``) unless ``--broker``
is given, ``--ingestors`` ingest processes (on ``$share/bench/...`` when more than one)
writing to ``--store``, and ``--publishers`` publisher processes that send QoS 1
messages at a fixed total ``--rate`` for ``--seconds`` (one frame per message, like an
edge device; ``--frames-per-message`` batches). Each frame carries its publish time as
its timestamp; the ingestors record ``commit time - timestamp`` for every committed
frame (end-to-end: publish → broker → ingestor → visible in the store).

After the run a raw paho subscriber drains ``--limit`` preloaded messages from the same
broker (receive + decode): its rate is printed as the limit of paho on this machine.

Prints the offered rate (messages sent / sending time), the sustained rate two ways:
strictly (frames committed / time from the first publish to the last commit, so one
end-to-end latency at each end counts against it) and in the steady state (frames
committed while the publishers were sending, after a warm-up of min(2 s, seconds/4),
per second: equal to the offered rate when the ingestors keep up), the backlog when
the publishers stopped and how long it took to drain, latency p50/p95/p99, and
received/written/duplicates/dropped/rejected and the store's count; loss = published -
distinct frames in the store.

``--client lean|paho|both`` picks the ingestors' MQTT client (``both``, the default: one
run with each, printed side by side).

``--compare-clients N`` instead preloads N messages in a persistent session and measures
how fast each client drains them: a raw paho subscriber (receive + decode: "the limit"
of paho in one Python process), a raw lean-client subscriber (the same with
:class:`cadml.mqtt.lean_client.LeanClient`), aiomqtt (the same), and the full ingestor
with each client (manual acks after the commit, memory store; the lean one also with the
SQLite store); CPU µs per message from
``time.process_time``.

The publishers speak MQTT 3.1.1 over a raw socket with pre-built packets, so publishing
costs far less CPU than paho's publish path and does not mask the ingest side.

Usage: python bench/ingest.py [--rate 10000] [--seconds 10] [--ingestors 1]
       [--store sqlite|memory|postgres|influx] [--publishers 1] [--client lean|paho|both]
       [--compare-clients 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import msgpack

TOPIC = "twin/telemetry/"


# -- a minimal QoS 1 publisher (raw socket) ------------------------------------------------


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(s: str) -> bytes:
    b = s.encode()
    return struct.pack("!H", len(b)) + b


class RawPublisher:
    """MQTT 3.1.1 QoS 1 publisher over a plain socket; counts PUBACKs in a reader thread."""

    def __init__(self, port: int, client_id: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = _utf8("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 0) + _utf8(client_id)
        self.sock.sendall(b"\x10" + _remaining_length(len(body)) + body)
        connack = self._recv_exact(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise RuntimeError(f"CONNACK refused: {connack!r}")
        self.acked = 0
        self.mid = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return buf

    def _read(self) -> None:
        pending = 0
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            pending += len(data)
            self.acked += pending // 4  # every packet we get is a 4-byte PUBACK
            pending %= 4

    def packet(self, topic: bytes, payload: bytes) -> bytes:
        """One PUBLISH (QoS 1) with the next packet id."""
        self.mid = self.mid % 65535 + 1
        rest = topic + struct.pack("!H", self.mid) + payload
        return b"\x32" + _remaining_length(len(rest)) + rest

    def close(self) -> None:
        """Send DISCONNECT and close."""
        try:
            self.sock.sendall(b"\xe0\x00")
        finally:
            self.sock.close()


def _frame(device: str, seq: int, ts: float) -> dict[str, Any]:
    return {
        "timestamp": ts,
        "device_id": device,
        "sensors": {"temperature": 60.0 + seq % 10, "pressure": 5.1, "vibration": 0.02},
        "metrics": {"rpm": 1450.0},
        "status": {},
    }


_MARK = 1234.5678125


def _template(packb: Any, device: str, seq: int) -> tuple[bytes, bytes]:
    """A frame's MsgPack bytes split around its timestamp's 8 bytes (float 64).

    Publishers stand for many devices on other hosts; building the payload from a
    template keeps their CPU (on this shared 2-core machine) off the ingest figures. The
    bytes are exactly what ``packb(_frame(device, seq, ts))`` gives.
    """
    mark = b"\xcb" + struct.pack("!d", _MARK)
    payload = packb(_frame(device, seq, _MARK))
    at = payload.index(mark) + 1
    assert payload.count(mark) == 1
    return payload[:at], payload[at + 8 :]


def publisher_main(
    port: int,
    index: int,
    rate: float,
    seconds: float,
    devices: int,
    per_message: int,
    out: Any,
    tick_s: float = 0.005,
) -> None:
    """Publish at ``rate`` messages/s for ``seconds``; report counts through ``out``.

    Messages due are sent every ``tick_s`` in one write (at 20,000 msg/s and 5 ms, 100
    messages a write: the many devices behind a gateway, not one socket write each).
    """
    pub = RawPublisher(port, f"bench-pub-{index}-{os.getpid()}")
    topics = [_utf8(f"{TOPIC}p{index}-d{d}") for d in range(devices)]
    names = [f"p{index}-d{d}" for d in range(devices)]
    packb = msgpack.Packer(use_bin_type=True).pack
    templates = [[_template(packb, name, seq) for seq in range(10)] for name in names]
    pack_double = struct.Struct("!d").pack
    sent = 0
    seq = 0
    last = [0.0] * devices
    sent_at = [time.time()]
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int(rate * (now - start)) - sent
        if due <= 0 or sent - pub.acked > 30_000:
            time.sleep(tick_s)
            continue
        chunks = []
        wall = time.time()
        for _ in range(min(due, 2000)):
            d = sent % devices
            if per_message == 1:
                # the publish time, made unique per device (identity is (device, timestamp))
                ts = last[d] = max(wall, last[d] + 1e-6)
                head, tail = templates[d][seq % 10]
                payload = head + pack_double(ts) + tail
                seq += 1
            else:
                frames = []
                for _ in range(per_message):
                    ts = last[d] = max(wall, last[d] + 1e-6)
                    frames.append(_frame(names[d], seq, ts))
                    seq += 1
                payload = packb(frames)
            chunks.append(pub.packet(topics[d], payload))
            sent += 1
        pub.sock.sendall(b"".join(chunks))
        sent_at.append(time.time())
    deadline = time.monotonic() + 60
    while pub.acked < sent and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.monotonic() - start
    pub.close()
    out.put(
        {
            "kind": "publisher",
            "sent": sent,
            "acked": pub.acked,
            "frames": seq,
            "s": elapsed,
            "send_start": sent_at[0],
            "send_end": sent_at[-1],
            "cpu_s": time.process_time(),
        }
    )


# -- the ingest side ----------------------------------------------------------------------


def _build_store(kind: str, workdir: str) -> Any:
    if kind == "memory":
        from cadml.timeseries.memory import MemoryTimeSeriesStore

        return MemoryTimeSeriesStore()
    if kind == "sqlite":
        from cadml.timeseries.sqlite import SqliteTimeSeriesStore

        return SqliteTimeSeriesStore(Path(workdir) / "twin.db")
    from cadml.settings import Settings
    from cadml.timeseries.factory import build_timeseries_store  # type: ignore[import-not-found]

    return build_timeseries_store(Settings(twin_store=kind))  # type: ignore[arg-type]


def ingestor_main(
    port: int,
    index: int,
    shared: bool,
    store_kind: str,
    workdir: str,
    stop: Any,
    out: Any,
    progress: Any,
    client: str = "lean",
    batch_delay_s: float = 0.02,
) -> None:
    """One ingest process: MqttIngestor + pipeline; reports counters and latencies."""
    from cadml.mqtt import MqttConfig, MqttIngestor
    from cadml.twin.pipeline import IngestPipeline

    store = _build_store(store_kind, workdir)
    pipeline = IngestPipeline(
        store, max_queue_frames=200_000, batch_size=5_000, max_delay_s=batch_delay_s
    )
    latencies: list[float] = []
    first_commit: list[float] = []
    last_commit = [0.0]
    commits: list[tuple[float, int]] = []

    def record(frames: list[Any]) -> None:
        now = time.time()
        if not first_commit:
            first_commit.append(now)
        last_commit[0] = now
        commits.append((now, len(frames)))
        latencies.extend([now - f.timestamp for f in frames])
        progress.value += len(frames)

    pipeline.add_listener(record)
    pipeline.start()
    config = MqttConfig(
        port=port,
        client_id=f"bench-ingest-{index}",
        share_group="bench" if shared else None,
    )
    ingestor = MqttIngestor(config, pipeline, client=client)
    ingestor.start()
    out.put({"kind": "ready", "index": index})
    cpu0 = time.process_time()
    stop.wait()
    ingestor.stop(timeout_s=30)
    pipeline.stop(timeout_s=30)
    c = pipeline.counters()
    stats = ingestor.stats()
    count = store.count() if store_kind != "memory" else c.written
    store.close()
    out.put(
        {
            "kind": "ingestor",
            "index": index,
            "counters": c.as_dict(),
            "messages": stats.messages,
            "acked": stats.acked,
            "latencies": latencies,
            "last_commit": last_commit[0],
            "commits": commits,
            "cpu_s": time.process_time() - cpu0,
            "store_count": count,
        }
    )


def _start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    conf = workdir / "mosquitto.conf"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false",
             "max_queued_messages 0", f"log_dest file {workdir}/mosquitto.log",
             "log_type error", "log_type warning"]  # fmt: skip
    if os.geteuid() == 0:
        lines.append("user root")
    conf.write_text("\n".join(lines) + "\n")
    proc = subprocess.Popen([binary, "-c", str(conf)])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """One fixed-rate run; returns the figures (also printed)."""
    ctx = mp.get_context("spawn")
    workdir = Path(tempfile.mkdtemp(prefix="cadml-bench-ingest-"))
    broker, port = _start_broker(workdir)
    out = ctx.Queue()
    stop = ctx.Event()
    progress = [ctx.Value("q", 0, lock=False) for _ in range(args.ingestors)]
    try:
        ingestors = [
            ctx.Process(
                target=ingestor_main,
                args=(
                    port,
                    i,
                    args.ingestors > 1,
                    args.store,
                    str(workdir),
                    stop,
                    out,
                    progress[i],
                    args.client,
                    args.batch_delay_ms / 1000.0,
                ),
                daemon=True,  # an error in this process must not leave them running
            )
            for i in range(args.ingestors)
        ]
        for p in ingestors:
            p.start()
        for _ in ingestors:
            assert out.get(timeout=120)["kind"] == "ready"
        t0 = time.time()
        publishers = [
            ctx.Process(
                target=publisher_main,
                args=(
                    port,
                    i,
                    args.rate / args.publishers,
                    args.seconds,
                    args.devices,
                    args.frames_per_message,
                    out,
                    args.tick_ms / 1000.0,
                ),
                daemon=True,
            )
            for i in range(args.publishers)
        ]
        for p in publishers:
            p.start()
        pubs = [out.get(timeout=args.seconds + 180) for _ in publishers]
        frames = sum(p["frames"] for p in pubs)
        # let the ingestors catch up: until every frame is committed or nothing moves for 10 s
        last, still_since = -1, time.monotonic()
        while sum(v.value for v in progress) < frames and time.monotonic() - still_since < 10:
            done = sum(v.value for v in progress)
            if done != last:
                last, still_since = done, time.monotonic()
            time.sleep(0.05)
        stop.set()
        results = [out.get(timeout=300) for _ in ingestors]
        for p in publishers + ingestors:
            p.join(30)
        limit = (0.0, 0.0)
        if args.limit:  # the same broker and machine, right after the run
            _preload(port, "bench-limit", args.limit)
            limit = _drain_paho(port, "bench-limit", args.limit)
    finally:
        broker_cpu = _cpu_seconds(broker.pid)
        if broker.poll() is not None:
            print(f"!! the benchmark's broker exited during the run (code {broker.returncode})")
        log = workdir / "mosquitto.log"
        if log.exists() and log.stat().st_size:
            print("broker log (errors, warnings):", log.read_text()[-1500:])
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    lat = [x for r in results for x in r["latencies"]]
    last = max(r["last_commit"] for r in results)
    written = sum(r["counters"]["written"] for r in results)
    dup = sum(r["counters"]["duplicates"] for r in results)
    dropped = sum(sum(r["counters"]["dropped"].values()) for r in results)
    rejected = sum(sum(r["counters"]["rejected"].values()) for r in results)
    stored = results[0]["store_count"] if args.store == "sqlite" else written
    sent = sum(p["sent"] for p in pubs)
    # steady state: commits while the publishers were sending, after a warm-up
    send_start = min(p["send_start"] for p in pubs)
    send_end = max(p["send_end"] for p in pubs)
    steady_from = send_start + min(2.0, args.seconds / 4)
    commits = [c for r in results for c in r["commits"]]
    steady = sum(n for t, n in commits if steady_from <= t <= send_end)
    by_end = sum(n for t, n in commits if t <= send_end)
    figures = {
        "target_msgs_s": args.rate,
        "published_msgs": sent,
        "published_frames": frames,
        "publish_rate": sent / max(p["s"] for p in pubs),
        "offered_msgs_s": sent / (send_end - send_start),
        "sustained_frames_s": written / (last - t0) if last > t0 else 0.0,
        "steady_commit_frames_s": steady / (send_end - steady_from),
        "backlog_at_send_end": frames - by_end,
        "drain_after_send_end_s": max(0.0, last - send_end),
        "p50_ms": _pct(lat, 0.50) * 1e3,
        "p95_ms": _pct(lat, 0.95) * 1e3,
        "p99_ms": _pct(lat, 0.99) * 1e3,
        "received": sum(r["counters"]["received"] for r in results),
        "written": written,
        "duplicates": dup,
        "dropped": dropped,
        "rejected": rejected,
        "stored": stored,
        "lost": frames - stored,
        "ingestor_cpu_us_per_msg": sum(r["cpu_s"] for r in results) / max(1, sent) * 1e6,
        "per_ingestor_msgs": [r["messages"] for r in results],
        # where the machine's CPU went (seconds): is the box, not the ingestor, the limit?
        "cpu_s_ingestors": sum(r["cpu_s"] for r in results),
        "cpu_s_publishers": sum(p["cpu_s"] for p in pubs),
        "cpu_s_broker": broker_cpu,
        "wall_s": last - t0,
        # "the limit": a raw paho subscriber (receive + decode, auto-ack) on this machine
        "paho_raw_limit_msgs_s": limit[0],
    }
    os.system("uptime")  # the machine is shared: the load at the end of the run
    print(
        f"client={args.client} store={args.store} ingestors={args.ingestors} "
        f"batch_delay={args.batch_delay_ms:g} ms "
        f"publishers={args.publishers} "
        f"frames/msg={args.frames_per_message} target={args.rate:.0f} msg/s x {args.seconds:g} s"
    )
    for k, v in figures.items():
        print(f"  {k:26s} {v:.1f}" if isinstance(v, float) else f"  {k:26s} {v}")
    return figures


# -- client comparison --------------------------------------------------------------------


def _preload(port: int, client_id: str, n: int) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.subscribe(f"{TOPIC}+", qos=1)
    for _ in range(20):
        c.loop(0.05)
    c.disconnect()
    pub = RawPublisher(port, f"preload-{client_id}")
    packb = msgpack.Packer(use_bin_type=True).pack
    topic = _utf8(f"{TOPIC}dev-1")
    for start in range(0, n, 1000):
        now = time.time()
        chunk = [
            pub.packet(topic, packb(_frame("dev-1", i, now + i * 1e-6)))
            for i in range(start, min(n, start + 1000))
        ]
        pub.sock.sendall(b"".join(chunk))
    while pub.acked < n:
        time.sleep(0.01)
    pub.close()


def _drain_paho(port: int, client_id: str, n: int) -> tuple[float, float]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from cadml.twin.frame import decode_batch

    got = [0]

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        decode_batch(msg.payload, device_id=msg.topic.rsplit("/", 1)[-1])
        got[0] += 1

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 600
    props.ReceiveMaximum = 10_000
    t0, c0 = time.perf_counter(), time.process_time()
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    while got[0] < n:
        c.loop(0.05)
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    c.disconnect()
    return n / t, cpu / n * 1e6


def _drain_lean(port: int, client_id: str, n: int) -> tuple[float, float]:
    from cadml.mqtt.config import MqttConfig
    from cadml.mqtt.lean_client import LeanClient
    from cadml.mqtt.packets import Publish
    from cadml.twin.frame import decode_batch

    got = [0]
    acks: list[int] = []
    done = threading.Event()

    def on_messages(batch: list[Publish]) -> None:
        for topic, payload, mid, _dup in batch:
            decode_batch(payload, device_id=topic.decode().rsplit("/", 1)[-1])
            acks.append(mid)
        got[0] += len(batch)
        if got[0] >= n:
            done.set()

    def take_acks() -> list[int]:
        out = acks[:]
        del acks[: len(out)]
        return out

    client = LeanClient(
        MqttConfig(port=port, client_id=client_id), on_messages=on_messages, take_acks=take_acks
    )
    t0, c0 = time.perf_counter(), time.process_time()
    client.start()
    done.wait(600)
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    client.stop()
    return n / t, cpu / n * 1e6


def _drain_aiomqtt(port: int, client_id: str, n: int) -> tuple[float, float]:
    import aiomqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from cadml.twin.frame import decode_batch

    async def main() -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 600
        props.ReceiveMaximum = 10_000
        got = 0
        async with aiomqtt.Client(
            "127.0.0.1", port, identifier=client_id, protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False, properties=props,
        ) as client:  # fmt: skip
            async for msg in client.messages:
                decode_batch(bytes(msg.payload), device_id=str(msg.topic).rsplit("/", 1)[-1])  # type: ignore[arg-type]
                got += 1
                if got >= n:
                    return

    t0, c0 = time.perf_counter(), time.process_time()
    asyncio.run(main())
    return n / (time.perf_counter() - t0), (time.process_time() - c0) / n * 1e6


def _drain_ingestor(
    port: int, client_id: str, n: int, client: str, store_kind: str = "memory"
) -> tuple[float, float]:
    from cadml.mqtt import MqttConfig, MqttIngestor
    from cadml.twin.pipeline import IngestPipeline

    workdir = tempfile.mkdtemp(prefix="cadml-bench-drain-")
    store = _build_store(store_kind, workdir)
    pipeline = IngestPipeline(store, max_queue_frames=200_000)
    pipeline.start()
    ingestor = MqttIngestor(MqttConfig(port=port, client_id=client_id), pipeline, client=client)
    t0, c0 = time.perf_counter(), time.process_time()
    ingestor.start()
    while pipeline.counters().accounted < n:
        time.sleep(0.002)
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    ingestor.stop()
    pipeline.stop()
    store.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return n / t, cpu / n * 1e6


def compare_clients(n: int, rounds: int, skip_aiomqtt: bool = False) -> None:
    """Drain rate and CPU per message of paho, aiomqtt and the ingestor (medians)."""
    workdir = Path(tempfile.mkdtemp(prefix="cadml-bench-clients-"))
    broker, port = _start_broker(workdir)
    clients = {
        "paho raw (the limit)": _drain_paho,
        "lean raw": _drain_lean,
        "aiomqtt": _drain_aiomqtt,
        "ingestor lean": lambda p, c, k: _drain_ingestor(p, c, k, "lean"),
        "ingestor paho": lambda p, c, k: _drain_ingestor(p, c, k, "paho"),
        "ingestor lean sqlite": lambda p, c, k: _drain_ingestor(p, c, k, "lean", "sqlite"),
    }
    if skip_aiomqtt:
        del clients["aiomqtt"]
    figures: dict[str, list[tuple[float, float]]] = {k: [] for k in clients}
    try:
        for r in range(rounds):
            for name, drain in clients.items():
                cid = f"cmp-{name.split(' (')[0].replace(' ', '-')}-{r}"
                _preload(port, cid, n)
                figures[name].append(drain(port, cid, n))
    finally:
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"drain of {n} preloaded QoS 1 messages (1 frame each), median of {rounds} rounds")
    os.system("uptime")
    for name, values in figures.items():
        rate = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {name:22s} {rate:9.0f} msg/s  {cpu:6.1f} CPU µs/msg")


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=10_000, help="messages/s in total")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--ingestors", type=int, default=1)
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument(
        "--store", default="sqlite", choices=["sqlite", "memory", "postgres", "influx"]
    )
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--frames-per-message", type=int, default=1)
    parser.add_argument(
        "--tick-ms", type=float, default=5.0, help="publishers send what is due every TICK ms"
    )
    parser.add_argument(
        "--batch-delay-ms", type=float, default=20.0, help="the pipeline's max_delay (ms)"
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=20_000,
        metavar="N",
        help="after a fixed-rate run, drain N preloaded messages with a raw paho "
        "subscriber on the same broker and print its rate (the limit); 0 skips it",
    )
    parser.add_argument("--compare-clients", type=int, default=0, metavar="N")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--client", default="both", choices=["lean", "paho", "both"], help="the MQTT client"
    )
    parser.add_argument("--skip-aiomqtt", action="store_true", help="with --compare-clients")
    args = parser.parse_args()
    if args.compare_clients:
        compare_clients(args.compare_clients, args.rounds, args.skip_aiomqtt)
        return
    if args.client != "both":
        run(args)
        return
    table = {}
    for client in ("lean", "paho"):
        table[client] = run(argparse.Namespace(**{**vars(args), "client": client}))
    keys = ["sustained_frames_s", "p50_ms", "p95_ms", "p99_ms", "received", "written",
            "dropped", "lost", "ingestor_cpu_us_per_msg"]  # fmt: skip
    print(f"{'':26s} {'lean':>12s} {'paho':>12s}")
    for k in keys:
        row = [table[c][k] for c in ("lean", "paho")]
        cells = [f"{v:12.1f}" if isinstance(v, float) else f"{v:12d}" for v in row]
        print(f"  {k:24s} " + " ".join(cells))


if __name__ == "__main__":
    main()
