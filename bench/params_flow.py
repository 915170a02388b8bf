"""Benchmark: the params flow end to end over the API, and the geometry peer (FreeCAD).

Prints, in one run on this machine:

1. warm latency of one params job over HTTP (submit → succeeded seen by a polling client):
   median and p95 over ``--jobs`` sequential jobs, plus the in-worker time;
2. throughput with every worker busy (``--burst`` jobs submitted at once): jobs/s;
3. FreeCAD 0.20 in-process making the same part and writing FCStd, STEP, STL and BREP,
   beside our in-worker time: the whole job (which also draws the part and checks its
   manufacturability) and the steps that do the peer's work (build, check, mesh and the
   five exports, from the job's own step durations), with the ratio of the latter.

Usage: python bench/params_flow.py [--jobs 50] [--burst 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from freecad_peer import time_alternating, time_cadml_inworker

PRISM = {
    "family": "prism_with_hole",
    "params": {
        "length": 100,
        "width": 50,
        "height": 30,
        "hole_diameter": 10,
        "material": "aluminum_6061",
        "process": "cnc_milling",
    },
}
POLL_S = 0.002


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def start_server(data_dir: Path, port: int, workers: int) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "CADML_DATA_DIR": str(data_dir),
        "CADML_PORT": str(port),
        "CADML_WORKERS": str(workers),
        "CADML_RATE_LIMIT_PER_MINUTE": "1000000",
        "CADML_LOG_LEVEL": "WARNING",
    }
    cadml = [sys.executable, "-m", "cadml"]
    key = subprocess.run(
        [
            *cadml,
            "admin",
            "create-api-key",
            "--name",
            "bench",
            "--scopes",
            "models:read,models:write",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    proc = subprocess.Popen(
        [*cadml, "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(data_dir / "server.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health").json()["workers"]["ready"] == workers:
                return proc, key
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become ready: see " + str(data_dir / "server.log"))


def one_job(client: httpx.Client) -> tuple[float, dict]:
    t0 = time.perf_counter()
    job_id = client.post("/api/v1/designs/params", json=PRISM).json()["job_id"]
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            elapsed = (time.perf_counter() - t0) * 1000
            if job["status"] != "succeeded":
                raise RuntimeError(f"job failed: {job}")
            return elapsed, job
        time.sleep(POLL_S)


async def burst(base: str, key: str, n: int) -> float:
    """Submit ``n`` jobs at once; jobs/s until the last one succeeded.

    Completion is read from the job list (one request per 50 ms), so the client does not
    steal the CPU the workers are measured on.
    """
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        t0 = time.perf_counter()
        posts = await asyncio.gather(
            *[client.post("/api/v1/designs/params", json=PRISM) for _ in range(n)]
        )
        pending = {r.json()["job_id"] for r in posts}
        while pending:
            await asyncio.sleep(0.05)
            jobs = (await client.get("/api/v1/jobs", params={"limit": 500})).json()
            for job in jobs:
                if job["id"] in pending and job["status"] in ("failed", "cancelled"):
                    raise RuntimeError(f"burst job {job['id']} ended {job['status']}")
                if job["status"] == "succeeded":
                    pending.discard(job["id"])
        return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50, help="sequential jobs for latency")
    parser.add_argument("--burst", type=int, default=100, help="jobs submitted at once")
    parser.add_argument("--workers", type=int, default=2, help="geometry worker processes")
    parser.add_argument(
        "--peer-repeats", type=int, default=100, help="alternating cadml/FreeCAD runs"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cadml-bench-") as tmp:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc, key = start_server(Path(tmp), port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as client:
                for _ in range(5):
                    one_job(client)  # warm every worker and the HTTP path
                latencies, inworker = [], []
                for _ in range(args.jobs):
                    ms, job = one_job(client)
                    latencies.append(ms)
                    inworker.append(sum(job["metrics"]["durations_ms"].values()))
                steps = job["metrics"]["durations_ms"]
            throughput = asyncio.run(burst(base, key, args.burst))
        except BaseException:
            print((Path(tmp) / "server.log").read_text()[-5000:], file=sys.stderr)
            raise
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)

    try:
        ours, same, freecad = time_alternating(PRISM, args.peer_repeats)
    except Exception as exc:  # FreeCAD missing: still print our figures
        print(f"FreeCAD peer unavailable: {exc}", file=sys.stderr)
        ours, same, freecad = time_cadml_inworker(PRISM, args.peer_repeats), [], []
    ratios = [a / b for a, b in zip(same, freecad, strict=False)]

    figures = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "workers": args.workers,
        "api_p50_ms": statistics.median(latencies),
        "api_p95_ms": pct(latencies, 0.95),
        "inworker_p50_ms": statistics.median(inworker),
        "burst_jobs": args.burst,
        "jobs_per_s": throughput,
        "cadml_inworker_all_outputs_p50_ms": statistics.median(ours),
        "cadml_same_work_p50_ms": statistics.median(same) if same else None,
        "freecad_p50_ms": statistics.median(freecad) if freecad else None,
        "last_job_steps_ms": steps,
    }
    print(f"params flow over HTTP, {args.jobs} warm jobs, {args.workers} workers")
    print(
        f"  submit→succeeded  p50 {figures['api_p50_ms']:8.1f} ms   "
        f"p95 {figures['api_p95_ms']:8.1f} ms   (goal: p50 < 150 ms)"
    )
    print(
        f"  in-worker total   p50 {figures['inworker_p50_ms']:8.1f} ms   steps: "
        + ", ".join(f"{k} {v:.1f}" for k, v in steps.items())
    )
    print(f"  throughput, {args.burst} jobs at once: {throughput:6.1f} jobs/s")
    print(f"geometry peer, same part, {args.peer_repeats} warm runs each, alternating")
    print(
        f"  cadml in-worker, everything (+ drawing, DFM report) p50 "
        f"{figures['cadml_inworker_all_outputs_p50_ms']:7.2f} ms"
    )
    if freecad:
        print(
            f"  cadml, the peer's work (build, check, mesh, STEP/STL/GLB/BREP/FCStd) p50 "
            f"{figures['cadml_same_work_p50_ms']:7.2f} ms"
        )
        ratio = statistics.median(ratios)
        figures["ratio_cadml_over_freecad"] = ratio
        figures["ratio_p25_p75"] = [pct(ratios, 0.25), pct(ratios, 0.75)]
        print(
            f"  FreeCAD 0.20 in-process (FCStd, STEP, STL, BREP) p50 "
            f"{figures['freecad_p50_ms']:7.2f} ms"
        )
        print(
            f"  ratio cadml (peer's work) / FreeCAD, median of pairs: {ratio:.2f}  (goal: <= 1; "
            f"quartiles {pct(ratios, 0.25):.2f}-{pct(ratios, 0.75):.2f})"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
