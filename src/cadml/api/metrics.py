"""Prometheus metrics of the API process (one registry per app, so tests stay isolated)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ApiMetrics"]


@dataclass
class ApiMetrics:
    """The API's instruments, registered in their own registry."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    jobs_submitted: Counter
    workers_ready: Gauge
    queue_depth: Gauge
    inference_requests: Counter
    inference_latency: Histogram
    model_drift_psi: Gauge
    model_open_alerts: Gauge

    @classmethod
    def create(cls) -> ApiMetrics:
        """A fresh registry with every instrument."""
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            requests=Counter(
                "cadml_http_requests_total",
                "HTTP requests",
                ["method", "route", "status"],
                registry=registry,
            ),
            latency=Histogram(
                "cadml_http_request_duration_seconds",
                "HTTP request latency",
                ["method", "route"],
                registry=registry,
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            ),
            jobs_submitted=Counter(
                "cadml_jobs_submitted_total", "Jobs created", ["kind"], registry=registry
            ),
            workers_ready=Gauge("cadml_workers_ready", "Warm geometry workers", registry=registry),
            queue_depth=Gauge(
                "cadml_job_queue_depth", "Jobs waiting for a worker", registry=registry
            ),
            inference_requests=Counter(
                "cadml_inference_requests_total",
                "Inference requests by model, version and outcome (ok or the error code)",
                ["model", "version", "outcome"],
                registry=registry,
            ),
            inference_latency=Histogram(
                "cadml_inference_duration_seconds",
                "Model run time of an inference request (checks and outputs included)",
                ["model"],
                registry=registry,
                buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
            ),
            model_drift_psi=Gauge(
                "cadml_model_drift_psi",
                "Largest input-column PSI against the training reference",
                ["model", "version"],
                registry=registry,
            ),
            model_open_alerts=Gauge(
                "cadml_model_open_alerts",
                "Open monitoring alerts (latency, errors, drift) of a served model version",
                ["model", "version"],
                registry=registry,
            ),
        )
