"""The shared composition root: builds engines, adapters and services from settings.

``cadml.api`` and ``cadml.cli`` call :func:`build_runtime`; worker processes (embedded
pool and Celery) call :func:`create_design_handler` with a plain config dict made by
:func:`worker_config`. Nothing else in the package reads settings or builds clients.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cadml.artefacts.local import LocalArtefactStore
from cadml.artefacts.port import ArtefactStore
from cadml.db.api_keys import ApiKeyRepository
from cadml.db.artefacts import ArtefactRepository
from cadml.db.devices import DeviceRepository
from cadml.db.engine import make_engine, make_session_factory
from cadml.db.jobs import JobRepository
from cadml.db.migrate import upgrade
from cadml.db.model_registry import ModelRegistryRepository
from cadml.db.users import UserRepository
from cadml.errors import CadmlError
from cadml.jobs.port import JobLimits, JobQueue
from cadml.jobs.progress import InMemoryProgressBus, ProgressBus
from cadml.observability import configure_logging
from cadml.ratelimit.memory import InMemoryRateLimiter
from cadml.ratelimit.port import RateLimiter
from cadml.services.accounts import AccountService
from cadml.services.auth import TokenIssuer
from cadml.services.design_jobs import DesignJobService
from cadml.services.design_worker import DesignJobHandler
from cadml.services.inference import InferenceService
from cadml.services.job_events import JobEvents
from cadml.services.model_registry import ModelRegistry
from cadml.services.physics_jobs import PhysicsJobService
from cadml.services.twin import TwinService
from cadml.services.twin_devices import DeviceService
from cadml.services.twin_retention import RetentionScheduler
from cadml.settings import Settings
from cadml.timeseries.port import TimeSeriesStore
from cadml.twin.frame import TimeRule
from cadml.twin.pipeline import IngestPipeline

__all__ = [
    "DESIGN_HANDLER_FACTORY",
    "Runtime",
    "build_job_events",
    "build_runtime",
    "build_store",
    "build_twin_pipeline",
    "create_design_handler",
    "worker_config",
]

log = logging.getLogger(__name__)

DESIGN_HANDLER_FACTORY = "cadml.runtime:create_design_handler"


def build_store(config: dict[str, Any]) -> ArtefactStore:
    """An artefact store from a plain config dict (see :func:`worker_config`)."""
    if config["backend"] == "s3":
        from cadml.artefacts.s3 import S3ArtefactStore

        return S3ArtefactStore(
            bucket=config["bucket"],
            endpoint_url=config.get("endpoint_url"),
            region=config.get("region", "us-east-1"),
            access_key=config.get("access_key"),
            secret_key=config.get("secret_key"),
        )
    return LocalArtefactStore(Path(config["root"]))


def _store_config(settings: Settings) -> dict[str, Any]:
    if settings.artefact_store == "s3":
        return {
            "backend": "s3",
            "bucket": settings.s3_bucket,
            "endpoint_url": settings.s3_endpoint_url,
            "region": settings.s3_region,
            "access_key": settings.s3_access_key,
            "secret_key": settings.s3_secret_key,
        }
    return {"backend": "local", "root": str(settings.resolved_artefact_dir().resolve())}


def worker_config(settings: Settings) -> dict[str, Any]:
    """The plain, picklable config a worker process builds its handler from."""
    url = settings.resolved_database_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        # Workers may run elsewhere (cwd): make relative SQLite paths absolute.
        url = "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())
    return {
        "database_url": url,
        "store": _store_config(settings),
        "step_timestamp": settings.step_timestamp,
        "log_level": settings.log_level,
        "log_json": settings.log_json,
    }


def create_design_handler(config: dict[str, Any]) -> DesignJobHandler:
    """Worker-side factory named by :data:`DESIGN_HANDLER_FACTORY`."""
    configure_logging(config.get("log_level", "INFO"), config.get("log_json", True))
    engine = make_engine(config["database_url"])
    jobs = JobRepository(make_session_factory(engine))
    return DesignJobHandler(jobs, build_store(config["store"]), config["step_timestamp"])


@dataclass
class Runtime:
    """Everything a composition root needs, built once."""

    settings: Settings
    engine: Any
    jobs: JobRepository
    users: UserRepository
    api_keys: ApiKeyRepository
    artefact_records: ArtefactRepository
    store: ArtefactStore
    bus: ProgressBus
    limiter: RateLimiter
    accounts: AccountService
    designs: DesignJobService
    physics: PhysicsJobService
    queue: JobQueue
    twin: TwinService
    twin_devices: DeviceService
    models: ModelRegistry
    inference: InferenceService
    mqtt: Any = None
    retention: RetentionScheduler | None = None
    started: bool = field(default=False)

    def start(self) -> dict[str, int]:
        """Start the job queue and the twin's ingest, and recover jobs a previous process left
        behind. An unreachable MQTT broker is logged; the ingestor keeps retrying."""
        self.queue.start()
        self.twin.pipeline.start()
        if self.retention is not None:
            self.retention.start()
        if self.mqtt is not None:
            try:
                self.mqtt.start()
            except CadmlError as exc:
                log.error("MQTT ingest not started: %s (%s)", exc.code, exc.message("en"))
                self.mqtt = None
        self.started = True
        recovered = self.designs.recover()
        if any(recovered.values()):
            log.info("recovered jobs: %s", recovered)
        return recovered

    def stop(self) -> None:
        """Stop workers and release connections."""
        if self.started:
            if self.mqtt is not None:
                self.mqtt.stop()
            if self.retention is not None:
                self.retention.stop()
            self.twin.pipeline.stop(drain=True)
            self.queue.stop()
            self.inference.close()
            self.started = False
        self.twin.store.close()
        self.bus.close()
        self.engine.dispose()


class _LateBoundService:
    """Lets the queue call back into a service built after it."""

    def __init__(self) -> None:
        self.target: DesignJobService | None = None

    def on_progress(self, job_id: str, status: str, pct: float, step: str, message: str) -> None:
        if self.target is not None:
            self.target.on_progress(job_id, status, pct, step, message)

    def on_failure(self, job_id: str, error: dict[str, Any]) -> None:
        if self.target is not None:
            self.target.on_failure(job_id, error)


def _build_bus(settings: Settings) -> ProgressBus:
    if settings.redis_url:
        from cadml.jobs.progress_redis import RedisProgressBus

        return RedisProgressBus(settings.redis_url)
    return InMemoryProgressBus()


def _build_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        from cadml.ratelimit.redis import RedisRateLimiter

        return RedisRateLimiter(settings.redis_url)
    return InMemoryRateLimiter()


def _build_queue(settings: Settings, callbacks: _LateBoundService) -> JobQueue:
    limits = JobLimits(
        wall_s=settings.job_wall_limit_s,
        cpu_s=settings.job_cpu_limit_s,
        memory_mb=settings.job_memory_limit_mb,
    )
    if settings.job_backend == "celery":
        from cadml.jobs.celery_queue import CeleryJobQueue

        return CeleryJobQueue(
            broker_url=settings.celery_broker_url,
            result_backend=settings.celery_result_backend,
            queue=settings.celery_queue,
            limits=limits,
        )
    from cadml.jobs.pool import WorkerPool

    return WorkerPool(
        DESIGN_HANDLER_FACTORY,
        worker_config(settings),
        sink=callbacks.on_progress,
        on_failure=callbacks.on_failure,
        workers=settings.workers,
        limits=limits,
    )


def build_twin_pipeline(settings: Settings, store: TimeSeriesStore) -> IngestPipeline:
    """An (unstarted) ingest pipeline in front of the time-series store."""
    return IngestPipeline(
        store,
        max_queue_frames=settings.twin_queue_frames,
        batch_size=settings.twin_batch_size,
        max_delay_s=settings.twin_batch_delay_ms / 1000.0,
        time_rule=TimeRule(settings.twin_max_future_s, settings.twin_max_age_s),
    )


def _build_mqtt(settings: Settings, pipeline: IngestPipeline) -> Any:
    if not settings.mqtt_url:
        return None
    from cadml.mqtt.config import MqttConfig
    from cadml.mqtt.ingestor import MqttIngestor

    return MqttIngestor(
        MqttConfig.from_settings(settings),
        pipeline,
        max_payload_bytes=settings.twin_max_payload_bytes,
    )


def _attach_anomaly_monitors(settings: Settings, pipeline: IngestPipeline) -> None:
    """Score live frames with every trained anomaly detector under ``<data_dir>/ml/anomaly``
    (``cadml ml anomaly train``); their alerts go back into the pipeline, so they are
    stored and reach the live WebSocket. Detectors are loaded once, at start."""
    root = settings.data_dir / "ml" / "anomaly"
    if not root.is_dir() or not any(root.iterdir()):
        return  # nothing trained: do not import the ML stack
    from cadml.services.ml_anomaly import AnomalyModels, attach_monitors

    monitors = AnomalyModels(root).monitors()
    if monitors:
        attach_monitors(pipeline, monitors)


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Build the runtime: migrate the database, then wire adapters and services.

    Args:
        settings: the platform settings.
        migrate: run Alembic migrations to head first.
    """
    settings.check_secure()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = worker_config(settings)["database_url"]
    if migrate:
        upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    jobs = JobRepository(sessions)
    users = UserRepository(sessions)
    api_keys = ApiKeyRepository(sessions)
    artefact_records = ArtefactRepository(sessions)
    store = build_store(_store_config(settings))
    bus = _build_bus(settings)
    callbacks = _LateBoundService()
    queue = _build_queue(settings, callbacks)
    designs = DesignJobService(
        jobs, artefact_records, queue, bus, store, recover_queued=settings.job_backend == "pool"
    )
    callbacks.target = designs
    tokens = TokenIssuer(
        settings.secret_key, settings.access_token_ttl_s, settings.refresh_token_ttl_s
    )
    accounts = AccountService(users, api_keys, tokens)
    devices = DeviceRepository(sessions)
    from cadml.timeseries.factory import build_timeseries_store

    timeseries = build_timeseries_store(settings)
    pipeline = build_twin_pipeline(settings, timeseries)
    _attach_anomaly_monitors(settings, pipeline)
    twin = TwinService(
        timeseries,
        pipeline,
        devices,
        heartbeat_timeout_s=settings.twin_heartbeat_timeout_s,
        max_payload_bytes=settings.twin_max_payload_bytes,
        retention_by_type=settings.twin_retention_by_type,
        retention_default=(settings.twin_retention_raw_days, settings.twin_retention_rollup_days),
    )
    models = ModelRegistry(ModelRegistryRepository(sessions), store)
    return Runtime(
        settings=settings,
        engine=engine,
        jobs=jobs,
        users=users,
        api_keys=api_keys,
        artefact_records=artefact_records,
        store=store,
        bus=bus,
        limiter=_build_limiter(settings),
        accounts=accounts,
        designs=designs,
        physics=PhysicsJobService(designs),
        queue=queue,
        twin=twin,
        twin_devices=DeviceService(devices, accounts),
        models=models,
        inference=InferenceService(models),
        mqtt=_build_mqtt(settings, pipeline),
        retention=RetentionScheduler(twin.apply_retention, settings.twin_retention_interval_s),
    )


def build_job_events(settings: Settings, *, migrate: bool = True) -> JobEvents:
    """Progress and failure reporting for a process that runs jobs but serves no API."""
    url = worker_config(settings)["database_url"]
    if migrate:
        upgrade(url)
    return JobEvents(JobRepository(make_session_factory(make_engine(url))), _build_bus(settings))
