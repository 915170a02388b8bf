"""``cad-ml-edge``: run the gateway agent, or show its status.

Examples::

    cad-ml-edge run --config /etc/cad-ml-edge/edge.toml
    cad-ml-edge status --config /etc/cad-ml-edge/edge.toml [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from cad_ml_edge import __version__
from cad_ml_edge.config import EdgeConfig, load_config
from cad_ml_edge.errors import EdgeError

__all__ = ["main", "run", "show_status"]

_TICK_S = 0.01
_STATUS_EVERY_S = 1.0


def run(config: EdgeConfig, stop: threading.Event) -> dict[str, Any]:
    """Run buffer, rules, source and forwarder until ``stop`` is set; returns final status."""
    from cad_ml_edge.agent import EdgeAgent
    from cad_ml_edge.sources import FrameServer, read_jsonl

    agent = EdgeAgent(config)
    forwarder = threading.Thread(target=agent.forwarder.run, args=(stop,), daemon=True)
    forwarder.start()
    server = None
    if config.source.kind == "http":
        server = FrameServer(config.source.host, config.source.port, agent.ingest, agent.status)
        server.start()
        logging.getLogger("cad_ml_edge").info(
            "accepting frames on http://%s:%d/frames", config.source.host, server.port
        )
    else:
        reader = threading.Thread(
            target=lambda: (read_jsonl(sys.stdin, agent.ingest), stop.set()), daemon=True
        )
        reader.start()
    ticks_per_status = max(1, int(_STATUS_EVERY_S / _TICK_S))
    tick = 0
    try:
        while not stop.wait(_TICK_S):
            agent.tick()
            tick += 1
            if tick % ticks_per_status == 0:
                agent.write_status()
    finally:
        if server is not None:
            server.stop()
        forwarder.join(timeout=10)
        agent.flush()
        final = agent.status()
        agent.close()
    return final


def show_status(config: EdgeConfig) -> dict[str, Any]:
    """The last status a running agent wrote, or the buffer's status if none is running."""
    if config.status_path.exists():
        status: dict[str, Any] = json.loads(config.status_path.read_text("utf-8"))
        return status
    if not config.queue_path.exists():
        return {
            "device_id": config.device_id,
            "buffer": {"depth": 0, "bytes": 0},
            "note": f"no buffer yet at {config.queue_path}; has the agent run?",
        }
    from cad_ml_edge.queue import DurableQueue

    with DurableQueue(config.queue_path, max_bytes=config.buffer.max_bytes) as queue:
        q = queue.status()
    return {
        "device_id": config.device_id,
        "buffer": {"depth": q.depth, "bytes": q.bytes, "oldest_age_s": q.oldest_age_s},
    }


def _print_status(status: dict[str, Any]) -> None:
    buf = status.get("buffer", {})
    print(f"device      {status.get('device_id')}")
    print(
        f"buffered    {buf.get('depth', 0)} records, {buf.get('bytes', 0)} bytes, "
        f"oldest {buf.get('oldest_age_s') or 0:.1f} s"
    )
    if "capacity_pct" in buf:
        print(
            f"capacity    {buf['capacity_pct']:.1f} %   dropped {buf.get('dropped', {})}   "
            f"rejected {buf.get('rejected', {})}"
        )
    up = status.get("uplink")
    if up:
        print(
            f"uplink      {'online' if up.get('online') else 'offline'}, delivered "
            f"{up.get('delivered', 0)}, last error: {up.get('last_error') or '-'}"
        )
    if "note" in status:
        print(f"note        {status['note']}")
    if "frames_in" in status:
        print(f"rules       {status['frames_in']} frames in, {status['alerts_raised']} alerts")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cad-ml-edge",
        description="CAD-ML Platform edge agent: buffers machine telemetry durably, "
        "evaluates rules locally and forwards everything to the platform.",
    )
    parser.add_argument("--version", action="version", version=f"cad-ml-edge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run the agent (buffer + uplink + rules)")
    run_p.add_argument("--config", "-c", required=True, help="path to edge.toml")
    run_p.add_argument("--log-level", default="INFO")
    status_p = sub.add_parser("status", help="show buffer depth, uplink state and counters")
    status_p.add_argument("--config", "-c", required=True, help="path to edge.toml")
    status_p.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for configuration or runtime errors)."""
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "status":
            status = show_status(config)
            if args.json:
                print(json.dumps(status, indent=2, sort_keys=True))
            else:
                _print_status(status)
            return 0
        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        run(config, stop)
        return 0
    except EdgeError as exc:
        print(f"error {exc.code}: {exc.message('en')}", file=sys.stderr)
        print(f"  tr: {exc.message('tr')}", file=sys.stderr)
        print(f"  hint: {exc.suggestion}", file=sys.stderr)
        return 2
