"""Per-model serving statistics: counts, latency percentiles, error rate, drift, alerts.

One :class:`ModelMonitor` per served model version, updated by every inference request
(thread-safe: the API serves requests from a thread pool). Latency percentiles come from
the last :data:`LATENCY_WINDOW` requests; the error rate from the last
:data:`ERROR_WINDOW` requests; drift from every input since the monitor started
(:mod:`.drift`). After each request the thresholds are checked and a crossing opens an
alert; the alert closes when the figure is back under its threshold, so one excursion
gives one alert, however many requests it lasts.

Examples:
    >>> m = ModelMonitor("part-classifier", 3, Thresholds(p95_latency_ms=10.0))
    >>> for ms in (1.0, 2.0, 30.0, 40.0):
    ...     m.record(ms, ok=True)
    >>> s = m.snapshot()
    >>> s["requests"], s["latency_ms"]["p50"], [a["kind"] for a in s["alerts"]]
    (4, 16.0, ['latency'])
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cadml.ml.monitoring.drift import PSI_ALERT, DriftCounts, DriftReference

__all__ = ["ERROR_WINDOW", "LATENCY_WINDOW", "ModelMonitor", "Thresholds"]

LATENCY_WINDOW = 1000
ERROR_WINDOW = 200
_MIN_ERROR_REQUESTS = 20
_MIN_DRIFT_ROWS = 500
_ALERT_HISTORY = 100
_CHECK_EVERY = 16
"""Requests between threshold checks (a check computes percentiles and PSI)."""


@dataclass(frozen=True)
class Thresholds:
    """When a monitor raises an alert.

    Args:
        p95_latency_ms: p95 latency above this.
        error_rate: share of failed requests (of the last :data:`ERROR_WINDOW`, once there
            are at least 20) above this.
        psi: the largest column PSI above this (once 500 input rows were seen).
    """

    p95_latency_ms: float = 250.0
    error_rate: float = 0.05
    psi: float = PSI_ALERT


class ModelMonitor:
    """Statistics of one served model version.

    Args:
        name: the model's name.
        version: the version.
        thresholds: alert thresholds.
        reference: the training inputs' drift reference, if the version has one.
    """

    def __init__(
        self,
        name: str,
        version: int,
        thresholds: Thresholds | None = None,
        reference: DriftReference | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.thresholds = thresholds or Thresholds()
        self.drift = DriftCounts(reference) if reference is not None else None
        self._lock = threading.Lock()
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._outcomes: deque[bool] = deque(maxlen=ERROR_WINDOW)
        self.requests = 0
        self.errors = 0
        self.samples = 0
        self.started = time.time()
        self._open: dict[str, dict[str, Any]] = {}
        self.alerts: deque[dict[str, Any]] = deque(maxlen=_ALERT_HISTORY)

    def record(
        self, latency_ms: float, ok: bool, samples: int = 1, inputs: np.ndarray | None = None
    ) -> None:
        """Count one request (its latency, outcome, batch size and first input)."""
        with self._lock:
            self.requests += 1
            self.errors += 0 if ok else 1
            self.samples += samples if ok else 0
            self._outcomes.append(ok)
            if ok:
                self._latencies.append(latency_ms)
            if ok and inputs is not None and self.drift is not None:
                self.drift.add(inputs)
            if self.requests % _CHECK_EVERY == 0 or not ok:
                self._check()

    def _figures(self) -> dict[str, float]:
        latencies = np.asarray(self._latencies) if self._latencies else np.zeros(1)
        outcomes = list(self._outcomes)
        error_rate = outcomes.count(False) / len(outcomes) if outcomes else 0.0
        psi = float(self.drift.psi().max()) if self.drift is not None else 0.0
        return {
            "p50": float(np.percentile(latencies, 50)),
            "p95": float(np.percentile(latencies, 95)),
            "p99": float(np.percentile(latencies, 99)),
            "error_rate": error_rate,
            "psi": psi,
        }

    def _check(self) -> None:
        figures = self._figures()
        t = self.thresholds
        drift_rows = self.drift.rows if self.drift is not None else 0
        crossing = {
            "latency": (
                bool(self._latencies) and figures["p95"] > t.p95_latency_ms,
                figures["p95"],
                t.p95_latency_ms,
            ),
            "errors": (
                len(self._outcomes) >= _MIN_ERROR_REQUESTS and figures["error_rate"] > t.error_rate,
                figures["error_rate"],
                t.error_rate,
            ),
            "drift": (
                drift_rows >= _MIN_DRIFT_ROWS and figures["psi"] > t.psi,
                figures["psi"],
                t.psi,
            ),
        }
        for kind, (crossed, value, limit) in crossing.items():
            if crossed and kind not in self._open:
                alert = {
                    "kind": kind,
                    "value": round(value, 6),
                    "threshold": limit,
                    "opened_at": time.time(),
                    "closed_at": None,
                }
                self._open[kind] = alert
                self.alerts.append(alert)
            elif not crossed and kind in self._open:
                self._open.pop(kind)["closed_at"] = time.time()

    def snapshot(self) -> dict[str, Any]:
        """The monitor's figures (JSON form); checks the thresholds first."""
        with self._lock:
            self._check()
            figures = self._figures()
            drift: dict[str, Any] | None = None
            if self.drift is not None:
                psi, kl = self.drift.psi(), self.drift.kl()
                drift = {
                    "rows": self.drift.rows,
                    "psi_max": round(float(psi.max()), 6),
                    "kl_max": round(float(kl.max()), 6),
                    "psi": [round(float(v), 6) for v in psi],
                    "kl": [round(float(v), 6) for v in kl],
                }
            return {
                "model": self.name,
                "version": self.version,
                "requests": self.requests,
                "errors": self.errors,
                "samples": self.samples,
                "error_rate": round(figures["error_rate"], 6),
                "latency_ms": {k: round(figures[k], 3) for k in ("p50", "p95", "p99")},
                "drift": drift,
                "thresholds": asdict(self.thresholds),
                "open_alerts": sorted(self._open),
                "alerts": [dict(a) for a in self.alerts],
                "since": self.started,
            }
