"""The body of one pre-warmed worker process of the embedded pool.

The process is started with the ``spawn`` method (never ``fork``: the parent runs an
event loop and threads). It loads its handler once, warms it up, reports ``ready``,
then serves jobs one at a time over a :func:`multiprocessing.Pipe`:

parent → worker: ``("run", job_id, payload)`` or ``("stop",)``

worker → parent: ``("ready", info)``, ``("init_failed", error)``,
``("progress", job_id, pct, step, message)``, ``("done", job_id, outcome)``,
``("failed", job_id, error_dict)``.

File descriptor 1 is pointed at stderr first: OCCT prints progress text on stdout, and
nothing a kernel prints may reach a JSON-speaking parent.
"""

from __future__ import annotations

import os
import resource
import signal
import traceback
from multiprocessing.connection import Connection
from typing import Any

from cadml.jobs.port import load_handler_factory

__all__ = ["rss_mb", "worker_main"]

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (0.0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE / (1 << 20)
    except (OSError, IndexError, ValueError):
        return 0.0


def _limit_cpu(cpu_s: int) -> None:
    # RLIMIT_CPU counts the process's whole life, so each job gets "used so far + cpu_s".
    # Only the soft limit moves (SIGXCPU); an unprivileged process may not raise a hard
    # limit it has lowered, so the hard limit is left alone.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + cpu_s
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _limit_address_space(memory_mb: int) -> None:
    # A first line of defence; the parent also watches RSS and kills past the limit.
    try:
        with open("/proc/self/statm", "rb") as fh:
            vm_pages = int(fh.read().split()[0])
    except OSError:
        return
    limit = vm_pages * _PAGE + memory_mb * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker_main(
    conn: Connection, factory_path: str, config: dict[str, Any], cpu_s: int, memory_mb: int
) -> None:
    """Run the worker loop until the parent says stop or goes away."""
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        handler = load_handler_factory(factory_path)(config)
        handler.warm_up()
    except BaseException as exc:  # report anything, including SystemExit from an import
        conn.send(("init_failed", {"error": repr(exc), "traceback": traceback.format_exc()}))
        return
    _limit_address_space(memory_mb)
    conn.send(("ready", {"pid": os.getpid(), "rss_mb": rss_mb(os.getpid())}))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "run":
            return
        _, job_id, payload = message
        _limit_cpu(cpu_s)

        def progress(pct: float, step: str, text: str, _job_id: str = job_id) -> None:
            conn.send(("progress", _job_id, float(pct), step, text))

        try:
            outcome = handler.handle(job_id, payload, progress)
        except MemoryError:
            conn.send(
                (
                    "failed",
                    job_id,
                    {"code": "WORKER_MEMORY_LIMIT", "details": {"limit_mb": memory_mb}},
                )
            )
            return  # the heap may be fragmented or half-freed: let the pool recycle us
        except BaseException as exc:
            conn.send(
                (
                    "failed",
                    job_id,
                    {
                        "code": "WORKER_CRASHED",
                        "details": {"reason": f"{type(exc).__name__}: {exc}"},
                    },
                )
            )
            continue
        conn.send(("done", job_id, dict(outcome or {})))
