"""Use cases of the model registry: register, resolve, describe, download, alias, deprecate.

Every upload is validated by a test inference before it is stored:

* ONNX runs in this process (an ONNX file is data, not code): the checker, an
  onnxruntime session and one run on a seeded random input give its schema;
* a pickled scikit-learn estimator or a TorchScript file is code, so it is loaded only
  in the sandbox process (:mod:`cadml.ml.registry.sandbox`), which also converts it to
  ONNX and checks the conversion gives the same answers;
* a TFLite file is run once by the LiteRT interpreter in the sandbox; it is stored for
  edge runtimes and not served here.

The platform serves every model through onnxruntime from its ONNX file (the upload for
ONNX, the conversion otherwise: ``serving_key``), so a pickle is never unpickled in the
server. Files live in the artefact store (content-addressed); the registry rows in the
metadata database. A reference to a version is a number, an alias (``champion``,
``challenger``, ...) or nothing: then the ``champion`` alias if set, else the newest
version that is not deprecated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cadml.artefacts.port import ArtefactStore
from cadml.db.model_registry import ModelRegistryRepository
from cadml.db.records import ModelAliasRecord, ModelVersionRecord
from cadml.errors import NotFoundError, ValidationError

__all__ = ["FORMATS", "TASKS", "ModelRegistry", "Registration", "version_dict"]

FORMATS = ("onnx", "sklearn", "torchscript", "tflite")
"""Upload formats the registry validates. TFLite files are run by the LiteRT interpreter
(the ``tflite`` extra) in the sandbox, stored and downloadable for edge runtimes, but not
served by the platform (there is no TFLite-to-ONNX converter without TensorFlow)."""

TASKS = ("classification", "regression", "anomaly", "other")
"""What a model does (kept from its first version)."""

DEFAULT_ALIAS = "champion"
"""The alias a reference without a version resolves to, when set."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_CONTENT_TYPES = {
    "onnx": "application/onnx",
    "sklearn": "application/octet-stream",
    "torchscript": "application/zip",
    "tflite": "application/octet-stream",
}
_SUFFIX = {"onnx": ".onnx", "sklearn": ".pkl", "torchscript": ".pt", "tflite": ".tflite"}


def _check(pattern: re.Pattern[str], value: str, field: str) -> None:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValidationError(
            "ML_MODEL_INVALID_NAME",
            details={"value": value, "field": field, "reason": f"must match {pattern.pattern}"},
        )


@dataclass(frozen=True)
class Registration:
    """What to register besides the file.

    Args:
        task: one of :data:`TASKS`.
        description: a sentence about the model.
        framework: what produced it (``torch``, ``sklearn``, ...); inferred when empty.
        metrics: evaluation figures (accuracy, RMSE, ...).
        training_data: what it was trained on (dataset, time range, rows).
        meta: anything else worth keeping (quantisation, exporter, drift reference).
        tags: free labels.
        input_shape: a TorchScript upload's test input shape.
        created_by: the uploading user's id.
    """

    task: str = "other"
    description: str | None = None
    framework: str = ""
    metrics: dict[str, Any] | None = None
    training_data: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    input_shape: list[int] | None = None
    created_by: str | None = None


def version_dict(record: ModelVersionRecord, aliases: list[str] | None = None) -> dict[str, Any]:
    """The JSON form of a version (what the API returns)."""
    return {
        "name": record.model_name,
        "version": record.version,
        "format": record.format,
        "framework": record.framework,
        "sha256": record.sha256,
        "size_bytes": record.size,
        "servable": record.serving_key is not None,
        "inputs": record.input_schema,
        "outputs": record.output_schema,
        "metrics": record.metrics,
        "training_data": record.training_data,
        "meta": record.meta,
        "tags": list(record.tags),
        "aliases": aliases or [],
        "deprecated": record.deprecated,
        "deprecation_note": record.deprecation_note,
        "download_count": record.download_count,
        "created_at": record.created_at.isoformat(),
    }


class ModelRegistry:
    """The registry's use cases.

    Args:
        repository: the registry tables.
        store: where model files live.
    """

    def __init__(self, repository: ModelRegistryRepository, store: ArtefactStore) -> None:
        self.repository = repository
        self.store = store
        self.generation = 0
        """Bumped by every change made through this object (caches compare it)."""

    def _changed(self) -> None:
        """Count a change; call it after the change is committed."""
        self.generation += 1

    def register(self, name: str, data: bytes, fmt: str, info: Registration) -> ModelVersionRecord:
        """Validate ``data`` by a test inference and store it as the next version of ``name``.

        Raises:
            ValidationError: ``ML_MODEL_INVALID_NAME``, ``ML_MODEL_UNSUPPORTED_FORMAT``,
                ``ML_MODEL_INVALID_FILE`` (nothing is stored then),
                ``VALIDATION_INVALID_VALUE`` for an unknown task.
        """
        from cadml.ml.registry.signature import inspect_onnx

        _check(_NAME, name, "model name")
        if fmt not in FORMATS:
            raise ValidationError(
                "ML_MODEL_UNSUPPORTED_FORMAT",
                details={"format": fmt, "allowed": ", ".join(FORMATS)},
            )
        if info.task not in TASKS:
            raise ValidationError(
                "VALIDATION_INVALID_VALUE",
                details={"field": "task", "reason": f"one of {', '.join(TASKS)}"},
            )
        meta = dict(info.meta or {})
        serving: bytes | None
        if fmt == "onnx":
            serving = data
            framework = info.framework or "onnx"
        else:
            from cadml.ml.registry.sandbox import run_probe

            probe = run_probe(data, fmt, info.input_shape)
            serving = probe.serving_onnx
            framework = info.framework or str(probe.facts.get("framework", fmt))
            meta["upload_check"] = {
                k: probe.facts[k] for k in ("estimator", "inputs", "parity") if k in probe.facts
            }
        if serving is not None:
            signature = inspect_onnx(serving)
            inputs, outputs = signature.inputs, signature.outputs
            meta["test_inference_ms"] = signature.test_ms
            meta["onnx"] = signature.extra
        else:
            inputs, outputs = probe.facts["inputs"], probe.facts["outputs"]
            meta["served"] = False
        stored = self.store.put(data, content_type=_CONTENT_TYPES[fmt])
        serving_key = None
        if serving is not None:
            serving_key = (
                stored.key
                if serving is data
                else self.store.put(serving, content_type="application/onnx").key
            )
        record = self.repository.add_version(
            name,
            info.task,
            info.description,
            {
                "format": fmt,
                "framework": framework,
                "storage_key": stored.key,
                "serving_key": serving_key,
                "sha256": stored.sha256,
                "size": stored.size,
                "input_schema": inputs,
                "output_schema": outputs,
                "metrics": dict(info.metrics or {}),
                "training_data": dict(info.training_data or {}),
                "meta": meta,
                "tags": sorted(set(info.tags)),
                "created_by": info.created_by,
            },
        )
        self._changed()
        return record

    def resolve(self, name: str, ref: str | int | None = None) -> ModelVersionRecord:
        """The version ``ref`` names: a number, an alias, or (None) the default.

        Raises:
            NotFoundError: ``ML_MODEL_NOT_FOUND``.
        """
        if ref is None or ref == "":
            try:
                alias = self.repository.alias(name, DEFAULT_ALIAS)
            except NotFoundError:
                return self.repository.latest(name)
            champion = self.repository.version(name, alias.version)
            # a champion deprecated since it was named is skipped, like any deprecated one
            return self.repository.latest(name) if champion.deprecated else champion
        if isinstance(ref, int) or str(ref).isdigit():
            return self.repository.version(name, int(ref))
        return self.repository.version(name, self.repository.alias(name, str(ref)).version)

    def info(self, name: str) -> dict[str, Any]:
        """A model with all its versions and aliases (JSON form)."""
        model = self.repository.model(name)
        aliases = self.repository.aliases(name)
        by_version: dict[int, list[str]] = {}
        for alias in aliases:
            by_version.setdefault(alias.version, []).append(alias.alias)
        versions = self.repository.versions(name)
        default = self.resolve(name).version if any(not v.deprecated for v in versions) else None
        return {
            "name": model.name,
            "task": model.task,
            "description": model.description,
            "created_at": model.created_at.isoformat(),
            "updated_at": model.updated_at.isoformat(),
            "default_version": default,
            "aliases": {a.alias: _alias_dict(a) for a in aliases},
            "versions": [version_dict(v, by_version.get(v.version)) for v in versions],
            "download_count": sum(v.download_count for v in versions),
        }

    def all_versions(self) -> list[dict[str, Any]]:
        """Every version of every model (JSON form), with its aliases."""
        result = []
        for model in self.repository.models():
            names: dict[int, list[str]] = {}
            for alias in self.repository.aliases(model.name):
                names.setdefault(alias.version, []).append(alias.alias)
            result += [
                version_dict(v, names.get(v.version)) for v in self.repository.versions(model.name)
            ]
        return result

    def download(
        self, name: str, ref: str | int | None = None, serving: bool = False
    ) -> tuple[bytes, str, ModelVersionRecord]:
        """A version's file (or its ONNX serving file), counted as a download.

        Returns:
            ``(bytes, file name, version)``.
        """
        record = self.resolve(name, ref)
        if serving:
            data = self.serving_bytes(record)
            suffix = ".onnx"
        else:
            data = self.store.get(record.storage_key)
            suffix = _SUFFIX[record.format]
        self.repository.count_download(name, record.version)
        return data, f"{name}-v{record.version}{suffix}", record

    def serving_bytes(self, record: ModelVersionRecord) -> bytes:
        """The ONNX file the platform serves for ``record``.

        Raises:
            ValidationError: ``ML_MODEL_NOT_SERVABLE`` when there is none.
        """
        if record.serving_key is None:
            raise ValidationError(
                "ML_MODEL_NOT_SERVABLE",
                details={
                    "name": record.model_name,
                    "version": record.version,
                    "format": record.format,
                    "reason": "TFLite files are stored for edge runtimes, not served here",
                },
            )
        return self.store.get(record.serving_key)

    def set_alias(self, name: str, alias: str, ref: str | int) -> ModelAliasRecord:
        """Point ``alias`` at the version ``ref`` names (a number or another alias)."""
        _check(_ALIAS, alias, "alias")
        record = self.repository.set_alias(name, alias, self.resolve(name, ref).version)
        self._changed()
        return record

    def rollback(self, name: str, alias: str = DEFAULT_ALIAS) -> ModelAliasRecord:
        """Move ``alias`` back to where it pointed before its last move."""
        record = self.repository.rollback_alias(name, alias)
        self._changed()
        return record

    def deprecate(
        self, name: str, version: int, deprecated: bool = True, note: str | None = None
    ) -> ModelVersionRecord:
        """Mark a version deprecated (it stays downloadable by number) or lift that."""
        record = self.repository.set_deprecated(name, version, deprecated, note)
        self._changed()
        return record

    def tag(self, name: str, version: int, tags: list[str]) -> ModelVersionRecord:
        """Replace a version's tags."""
        return self.repository.set_tags(name, version, tags)


def _alias_dict(alias: ModelAliasRecord) -> dict[str, Any]:
    return {
        "version": alias.version,
        "previous_version": alias.previous_version,
        "updated_at": alias.updated_at.isoformat(),
    }
