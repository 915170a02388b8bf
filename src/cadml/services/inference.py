"""Serving registered models: cached onnxruntime sessions, input checks, monitoring.

A request names a model and optionally a version or alias (:meth:`ModelRegistry.resolve`).
The version's ONNX serving file is loaded once into an onnxruntime session and kept in
an LRU cache of :data:`CACHE_SIZE` sessions (a new version gets its own entry; an old one
falls out when unused). Inputs are checked against the version's schema: one sample (the
schema's rank minus the batch axis) or a batch; fixed dimensions must match; values are
cast to the input's type. The answer carries the predictions, a confidence per sample
where the model gives one, the latency and the version that answered.

How outputs become predictions:

* a label output next to a probability output (scikit-learn classifiers): the label,
  with the largest probability as the confidence;
* a 2-D float output of a classification model: the arg-max class (its name when the
  version's metadata lists ``classes``) with its probability: the row itself when the
  output is named as probabilities, or is not named as logits and every row is already a
  distribution; else the softmax of the logits (a single logit column is a binary
  classifier: its sigmoid is the second class's probability);
* anything else: the first output's values per sample, without a confidence.

Every request is recorded by the version's :class:`~cadml.ml.monitoring.ModelMonitor`
(latency, errors, input drift against the training reference stored in the version's
metadata as ``drift_reference``). Batches larger than :data:`SYNC_LIMIT` samples go to an
in-process asynchronous job (:meth:`InferenceService.submit`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from cadml.db.records import ModelVersionRecord
from cadml.errors import CadmlError, NotFoundError, ValidationError
from cadml.ml.monitoring.drift import DriftReference
from cadml.ml.monitoring.model_stats import ModelMonitor, Thresholds
from cadml.services.model_registry import ModelRegistry

__all__ = ["CACHE_SIZE", "SYNC_LIMIT", "InferenceService"]

CACHE_SIZE = 8
"""Sessions kept loaded."""

SYNC_LIMIT = 1024
"""Largest batch answered synchronously."""

RESOLVE_TTL_S = 2.0
"""How long a resolved reference (alias or default) is reused without asking the
database. A change made through this process's registry takes effect at once; one made
by another process (a second API worker, the CLI) within this time."""

_JOBS_KEPT = 200


@dataclass
class _Loaded:
    record: ModelVersionRecord
    task: str
    session: Any
    monitor: ModelMonitor


def _bad(name: str, input_name: str, reason: str) -> ValidationError:
    return ValidationError(
        "ML_INFERENCE_BAD_INPUT", details={"name": name, "input": input_name, "reason": reason}
    )


def _class_shares(rows: np.ndarray, output_name: str) -> np.ndarray:
    """Class probabilities of a classification output.

    As given when the output is named as probabilities, or when it is not named as logits
    and every row is already a distribution (non-negative, summing to 1); else the softmax
    of the logits (the sigmoid of a single logit column, read as the second class's
    probability)."""
    name = output_name.lower()
    is_distribution = bool(np.all(rows >= 0.0) and np.allclose(rows.sum(axis=1), 1.0, atol=1e-4))
    if "prob" in name or ("logit" not in name and rows.shape[1] > 1 and is_distribution):
        return rows
    if rows.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-rows[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    shifted = np.exp(rows - rows.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


class InferenceService:
    """Runs registered models.

    Args:
        registry: the model registry.
        thresholds: alert thresholds of every monitor.
        threads: onnxruntime intra-op threads per session.
    """

    def __init__(
        self, registry: ModelRegistry, thresholds: Thresholds | None = None, threads: int = 1
    ) -> None:
        self.registry = registry
        self.thresholds = thresholds or Thresholds()
        self.threads = threads
        self._cache: OrderedDict[tuple[str, int], _Loaded] = OrderedDict()
        self._monitors: dict[tuple[str, int], ModelMonitor] = {}
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._pool: ThreadPoolExecutor | None = None
        # reference -> (when, registry generation, resolved version); never a session, so
        # the LRU cache alone bounds the loaded sessions
        self._resolved: dict[tuple[str, str], tuple[float, int, int]] = {}

    # -- loading -------------------------------------------------------------------------
    def _monitor(self, record: ModelVersionRecord) -> ModelMonitor:
        key = (record.model_name, record.version)
        monitor = self._monitors.get(key)
        if monitor is None:
            raw = record.meta.get("drift_reference")
            reference = DriftReference.from_dict(raw) if raw else None
            monitor = ModelMonitor(record.model_name, record.version, self.thresholds, reference)
            self._monitors[key] = monitor
        return monitor

    def _load(self, name: str, ref: str | int | None) -> _Loaded:
        key_ref = (name, "" if ref is None else str(ref))
        now = time.monotonic()
        generation = self.registry.generation
        hit = self._resolved.get(key_ref)
        if hit is not None and now - hit[0] < RESOLVE_TTL_S and hit[1] == generation:
            with self._lock:
                cached = self._cache.get((name, hit[2]))
                if cached is not None:
                    self._cache.move_to_end((name, hit[2]))
                    return cached
        loaded = self._open(name, ref)
        with self._lock:
            self._resolved[key_ref] = (now, generation, loaded.record.version)
            if len(self._resolved) > 16 * CACHE_SIZE:
                self._resolved.clear()
        return loaded

    def _open(self, name: str, ref: str | int | None) -> _Loaded:
        import onnxruntime as ort

        record = self.registry.resolve(name, ref)
        key = (record.model_name, record.version)
        with self._lock:
            loaded = self._cache.get(key)
            if loaded is not None:
                self._cache.move_to_end(key)
                return loaded
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(
            self.registry.serving_bytes(record), options, providers=["CPUExecutionProvider"]
        )
        task = self.registry.repository.model(name).task
        with self._lock:
            loaded = self._cache.setdefault(
                key, _Loaded(record, task, session, self._monitor(record))
            )
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return loaded

    def cached(self) -> list[dict[str, Any]]:
        """The loaded sessions, least recently used first."""
        with self._lock:
            return [{"model": k[0], "version": k[1]} for k in self._cache]

    # -- inputs and outputs ----------------------------------------------------------------
    @staticmethod
    def _feed(record: ModelVersionRecord, inputs: Any) -> tuple[dict[str, np.ndarray], bool, int]:
        specs = record.input_schema
        if not isinstance(inputs, dict):
            if len(specs) != 1:
                names = ", ".join(s["name"] for s in specs)
                raise _bad(record.model_name, "inputs", f"give an object with {names}")
            inputs = {specs[0]["name"]: inputs}
        unknown = set(inputs) - {s["name"] for s in specs}
        if unknown:
            raise _bad(record.model_name, sorted(unknown)[0], "the model has no such input")
        feed: dict[str, np.ndarray] = {}
        single, batch = False, -1
        for spec in specs:
            if spec["name"] not in inputs:
                raise _bad(record.model_name, spec["name"], "missing")
            try:
                array = np.asarray(inputs[spec["name"]], dtype=np.dtype(spec["dtype"]))
            except (TypeError, ValueError) as exc:
                raise _bad(record.model_name, spec["name"], f"not {spec['dtype']} numbers") from exc
            shape = spec["shape"] or []
            if array.ndim == len(shape) - 1:
                array, single = array[None], True
            if array.ndim != len(shape):
                raise _bad(
                    record.model_name,
                    spec["name"],
                    f"expected shape {shape} (or one sample without the first axis), "
                    f"got {list(array.shape)}",
                )
            for axis, (want, got) in enumerate(zip(shape, array.shape, strict=True)):
                if want is not None and axis > 0 and want != got:
                    raise _bad(
                        record.model_name, spec["name"], f"axis {axis} must be {want}, got {got}"
                    )
            if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
                raise _bad(record.model_name, spec["name"], "contains NaN or infinity")
            if batch not in (-1, array.shape[0]):
                raise _bad(record.model_name, spec["name"], "inputs differ in batch size")
            batch = array.shape[0]
            feed[spec["name"]] = np.ascontiguousarray(array)
        if batch == 0:
            raise _bad(record.model_name, specs[0]["name"], "the batch is empty")
        return feed, single, batch

    @staticmethod
    def _answer(
        loaded: _Loaded, names: list[str], outputs: list[np.ndarray]
    ) -> tuple[list[Any], list[float] | None]:
        by_name = {n: np.asarray(o) for n, o in zip(names, outputs, strict=True)}
        label = next((by_name[n] for n in names if "label" in n.lower()), None)
        probabilities = next(
            (by_name[n] for n in names if "prob" in n.lower() and by_name[n].ndim == 2), None
        )
        if label is not None and probabilities is not None:
            return label.reshape(-1).tolist(), probabilities.max(axis=1).round(6).tolist()
        first = by_name[names[0]]
        if loaded.task == "classification" and first.ndim == 2 and first.dtype.kind == "f":
            classes = loaded.record.meta.get("classes")
            shares = _class_shares(first.astype(np.float64), names[0])
            best = shares.argmax(axis=1)
            named = [classes[i] if classes else int(i) for i in best]
            return named, shares.max(axis=1).round(6).tolist()
        rows = first.reshape(first.shape[0], -1)
        return (rows[:, 0].tolist() if rows.shape[1] == 1 else rows.tolist()), None

    def samples(self, name: str, inputs: Any, ref: str | int | None = None) -> int:
        """How many samples ``inputs`` holds, read against the model's input rank (one
        sample has one axis fewer than the schema), without converting them."""
        record = self._load(name, ref).record
        first = next(iter(inputs.values()), []) if isinstance(inputs, dict) else inputs
        spec = record.input_schema[0] if record.input_schema else {"shape": []}
        depth, probe = 0, first
        while isinstance(probe, list) and probe:
            depth, probe = depth + 1, probe[0]
        rank = len(spec["shape"] or [])
        return len(first) if isinstance(first, list) and depth >= rank else 1

    # -- serving -----------------------------------------------------------------------------
    def predict(
        self, name: str, inputs: Any, ref: str | int | None = None, raw: bool = False
    ) -> dict[str, Any]:
        """Run ``inputs`` (one sample or a batch) through a model version.

        Args:
            name: the model.
            inputs: one sample or a batch (nested lists), or an object by input name.
            ref: a version number or alias (default: champion, else newest).
            raw: also return every output tensor as nested lists (``outputs``).

        Returns:
            ``{"model", "version", "predictions", "confidences", "latency_ms", "batch",
            "single"}`` (and ``outputs`` when ``raw``).

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND``.
            ValidationError: ``ML_INFERENCE_BAD_INPUT``, ``ML_MODEL_NOT_SERVABLE``.
        """
        loaded = self._load(name, ref)
        record = loaded.record
        start = time.perf_counter()
        try:
            feed, single, batch = self._feed(record, inputs)
            names = [o.name for o in loaded.session.get_outputs()]
            outputs = loaded.session.run(None, feed)
            predictions, confidences = self._answer(loaded, names, outputs)
        except CadmlError:
            loaded.monitor.record((time.perf_counter() - start) * 1e3, ok=False)
            raise
        except Exception as exc:
            loaded.monitor.record((time.perf_counter() - start) * 1e3, ok=False)
            raise _bad(name, "inputs", f"the model failed on them: {str(exc)[:200]}") from exc
        latency_ms = (time.perf_counter() - start) * 1e3
        first_input = next(iter(feed.values()))
        loaded.monitor.record(latency_ms, ok=True, samples=batch, inputs=first_input)
        answer: dict[str, Any] = {
            "model": record.model_name,
            "version": record.version,
            "predictions": predictions,
            "confidences": confidences,
            "latency_ms": round(latency_ms, 3),
            "batch": batch,
            "single": single,
        }
        if raw:
            answer["outputs"] = {
                n: np.asarray(o).tolist() for n, o in zip(names, outputs, strict=True)
            }
        return answer

    def all_monitoring(self) -> list[dict[str, Any]]:
        """The monitors of every served model version."""
        with self._lock:
            monitors = list(self._monitors.values())
        return [m.snapshot() for m in monitors]

    def monitoring(self, name: str) -> list[dict[str, Any]]:
        """The monitors of every served version of ``name`` (newest version first)."""
        self.registry.repository.model(name)  # unknown model: ML_MODEL_NOT_FOUND
        with self._lock:
            monitors = [m for (n, _), m in self._monitors.items() if n == name]
        return [m.snapshot() for m in sorted(monitors, key=lambda m: -m.version)]

    # -- asynchronous batches ------------------------------------------------------------------
    def submit(self, name: str, inputs: Any, ref: str | int | None = None) -> dict[str, Any]:
        """Queue a large batch; poll :meth:`job` with the returned id."""
        record = self.registry.resolve(name, ref)
        job_id = uuid.uuid4().hex
        job = {"id": job_id, "model": name, "version": record.version, "status": "queued"}
        answer = dict(job)  # the worker thread changes ``job`` from now on
        with self._lock:
            self._jobs[job_id] = job
            while len(self._jobs) > _JOBS_KEPT:
                self._jobs.popitem(last=False)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="inference-job")
        self._pool.submit(self._run_job, job, name, inputs, record.version)
        return answer

    def _run_job(self, job: dict[str, Any], name: str, inputs: Any, version: int) -> None:
        job["status"] = "running"
        try:
            job["result"] = self.predict(name, inputs, version)
            job["status"] = "succeeded"
        except CadmlError as err:
            job["status"], job["error"] = "failed", err.to_dict()
        except Exception as exc:  # keep the worker thread alive, report the failure
            job["status"], job["error"] = "failed", {"code": "INTERNAL_ERROR", "message": str(exc)}

    def job(self, job_id: str) -> dict[str, Any]:
        """An asynchronous batch's state (with ``result`` when it succeeded).

        Raises:
            NotFoundError: ``NOT_FOUND_JOB``.
        """
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError("NOT_FOUND_JOB", details={"job_id": job_id})
        return dict(job)

    def close(self) -> None:
        """Stop the job thread (pending jobs finish first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
