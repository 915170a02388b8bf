"""Model versions on the gateway's disk, switched atomically, with rollback.

Layout under ``root``, one folder per model name::

    <root>/<name>/manifest.json     {"format": 1, "current": {...}, "previous": {...}}
    <root>/<name>/<version>.onnx    the current and the previous version only
    <root>/<name>/.tmp-*            files being written (deleted on the next install)

A new version is written to a temporary file, fsynced, checked against its sha256 and
renamed into place; then loaded and health-checked (:mod:`cad_ml_edge.inference.health`);
only then does ``manifest.json`` change, by writing a temporary file and ``os.replace``.
The manifest is the only pointer: a file that a crash left half written, or renamed but
never named by the manifest, never becomes current, and the next install removes it.
A version that fails its check is deleted and the current one stays (``rolled back``).

Versions are immutable: installing a version that the manifest knows with another
sha256 is refused. One process owns a store (a lock serialises this process's threads).
POSIX only: directories are fsynced after renames.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cad_ml_edge.errors import ModelError
from cad_ml_edge.inference.health import HealthCheck, check_health
from cad_ml_edge.inference.model import OnnxModel

__all__ = ["ModelStore", "check_name", "check_sha256"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_MANIFEST = "manifest.json"
_TEMP_PREFIX = ".tmp-"
_CHUNK = 1 << 20


def _invalid(model: str, detail: str) -> ModelError:
    return ModelError("EDGE_MODEL_INVALID", model=model, detail=detail)


def check_name(name: str, what: str = "name") -> str:
    """Check a model name or version: 1-128 of ``A-Z a-z 0-9 . _ -``, not starting with a dot.

    Examples:
        >>> check_name("bearing-rul")
        'bearing-rul'

    Raises:
        ModelError: ``EDGE_MODEL_INVALID`` otherwise (it also keeps paths inside the store).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise _invalid(str(name), f"invalid model {what} {name!r}: use 1-128 of A-Z a-z 0-9 . _ -")
    return name


def check_sha256(sha256: str, model: str = "?") -> str:
    """Check a hex sha256 digest and return it in lower case.

    Raises:
        ModelError: ``EDGE_MODEL_INVALID`` when it is not 64 hex digits.
    """
    digest = sha256.lower() if isinstance(sha256, str) else ""
    if not _SHA256.match(digest):
        raise _invalid(model, f"sha256 must be 64 hex digits, got {sha256!r}")
    return digest


@dataclass(frozen=True)
class _Entry:
    version: str
    sha256: str
    installed_at: float


def _entry(raw: Any) -> _Entry | None:
    if raw is None:
        return None
    version, sha256, installed_at = raw["version"], raw["sha256"], raw["installed_at"]
    if not (
        isinstance(version, str)
        and _NAME.match(version)
        and isinstance(sha256, str)
        and _SHA256.match(sha256)
        and isinstance(installed_at, int | float)
    ):
        raise ValueError(f"bad entry {raw!r}")
    return _Entry(version, sha256, float(installed_at))


@contextmanager
def _removed_on_error(tmp: str, name: str) -> Iterator[None]:
    """Delete ``tmp`` if the block fails; report OS errors (disk full) as ModelError."""
    try:
        yield
    except OSError as exc:
        os.unlink(tmp)
        raise _invalid(name, f"cannot write {tmp}: {exc}") from exc
    except BaseException:
        os.unlink(tmp)
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ModelStore:
    """Versions of named ONNX models under one folder.

    Args:
        root: the store's folder (created when needed).
        threads: onnxruntime intra-op threads for the models it loads.

    Examples:
        >>> store = ModelStore("/var/lib/cad-ml-edge/models")
        >>> store.current("bearing-rul") is None
        True
    """

    def __init__(self, root: str | Path, *, threads: int = 1) -> None:
        self.root = Path(root)
        self.threads = threads
        self._lock = threading.Lock()

    def _folder(self, name: str) -> Path:
        return self.root / check_name(name)

    def path(self, name: str, version: str) -> Path:
        """The file of one version (whether or not it is installed)."""
        return self._folder(name) / f"{check_name(version, 'version')}.onnx"

    # -- manifest -------------------------------------------------------------------

    def _read(self, name: str) -> tuple[_Entry | None, _Entry | None]:
        path = self._folder(name) / _MANIFEST
        try:
            data = json.loads(path.read_bytes())
            return _entry(data["current"]), _entry(data["previous"])
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _invalid(name, f"the store's manifest {path} is unreadable ({exc})") from exc

    def _write(self, name: str, current: _Entry, previous: _Entry | None) -> None:
        folder = self._folder(name)
        body = {
            "format": 1,
            "current": asdict(current),
            "previous": None if previous is None else asdict(previous),
        }
        fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".json", dir=folder)
        with _removed_on_error(tmp, name):
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(body, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / _MANIFEST)
        _fsync_dir(folder)

    def current(self, name: str) -> str | None:
        """The current version of a model, or ``None`` when none is installed."""
        current, _ = self._read(name)
        return None if current is None else current.version

    def previous(self, name: str) -> str | None:
        """The version used before the current one, or ``None``."""
        _, previous = self._read(name)
        return None if previous is None else previous.version

    # -- install --------------------------------------------------------------------

    def _write_temp(self, name: str, chunks: Iterable[bytes], sha256: str) -> Path:
        folder = self._folder(name)
        fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".part", dir=folder)
        with _removed_on_error(tmp, name):
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            got = digest.hexdigest()
            if got != sha256:
                raise _invalid(name, f"sha256 mismatch: expected {sha256}, got {got}")
        return Path(tmp)

    def _sweep(self, name: str, keep: set[str]) -> None:
        for path in self._folder(name).iterdir():
            stale_temp = path.name.startswith(_TEMP_PREFIX)
            stale_version = path.suffix == ".onnx" and path.stem not in keep
            if stale_temp or stale_version:
                path.unlink(missing_ok=True)

    def install(
        self,
        name: str,
        version: str,
        data: bytes,
        sha256: str,
        *,
        samples: Sequence[Any] | None = None,
        check: HealthCheck | None = None,
    ) -> OnnxModel:
        """Install a version from bytes and make it current if it is healthy.

        Args:
            name: the model's name.
            version: the new version's name.
            data: the ``.onnx`` file's bytes.
            sha256: their expected hex digest.
            samples: single samples for the health check (see
                :func:`~cad_ml_edge.inference.health.check_health`).
            check: a user check on the loaded model; a false result or an exception
                rejects the version.

        Returns:
            The new current model, loaded.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` for a bad name, a sha256 mismatch, an
                immutable version's new content or a file that does not load (nothing is
                installed); ``EDGE_MODEL_ROLLED_BACK`` when the health check fails (the
                current version stays current).
        """
        return self.install_stream(name, version, [data], sha256, samples=samples, check=check)

    def install_stream(
        self,
        name: str,
        version: str,
        chunks: Iterable[bytes],
        sha256: str,
        *,
        samples: Sequence[Any] | None = None,
        check: HealthCheck | None = None,
    ) -> OnnxModel:
        """Install a version from an iterable of byte chunks (streamed to disk).

        An exception raised by ``chunks`` (a broken download) deletes the partial file
        and propagates; nothing is installed. Otherwise as :meth:`install`.
        """
        check_name(name)
        check_name(version, "version")
        sha256 = check_sha256(sha256, name)
        with self._lock:
            folder = self._folder(name)
            folder.mkdir(parents=True, exist_ok=True)
            current, previous = self._read(name)
            known = {e.version: e.sha256 for e in (current, previous) if e is not None}
            if known.get(version, sha256) != sha256:
                raise _invalid(
                    name,
                    f"version {version!r} is installed with sha256 {known[version]}; "
                    "versions are immutable, publish a new version",
                )
            self._sweep(name, set(known))
            tmp = self._write_temp(name, chunks, sha256)
            final = self.path(name, version)
            os.replace(tmp, final)
            _fsync_dir(folder)
            try:
                model = OnnxModel.load(final, threads=self.threads, name=name)
            except ModelError:
                self._sweep(name, set(known))
                raise
            problems = check_health(model, samples, check)
            if problems:
                self._sweep(name, set(known))
                raise ModelError(
                    "EDGE_MODEL_ROLLED_BACK",
                    model=name,
                    previous=current.version if current else "no version (none installed)",
                    detail=f"version {version!r}: " + "; ".join(problems),
                )
            entry = _Entry(version, sha256, time.time())
            if current is not None and current.version != version:
                previous = current
            self._write(name, entry, previous)
            self._sweep(name, {entry.version} | ({previous.version} if previous else set()))
            return model

    # -- switch back and load -------------------------------------------------------

    def _load(self, name: str, entry: _Entry, threads: int | None = None) -> OnnxModel:
        path = self.path(name, entry.version)
        try:
            got = _file_sha256(path)
        except FileNotFoundError as exc:
            raise _invalid(name, f"version {entry.version!r}: file {path} is missing") from exc
        if got != entry.sha256:
            raise _invalid(
                name,
                f"version {entry.version!r}: file {path} has sha256 {got}, "
                f"the manifest says {entry.sha256}; the store is corrupt",
            )
        return OnnxModel.load(path, threads=threads or self.threads, name=name)

    def rollback(self, name: str) -> str:
        """Make the previous version current again (the current one becomes previous).

        Returns:
            The version now current.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` when there is no previous version or its
                file is missing, corrupt or does not load.
        """
        with self._lock:
            current, previous = self._read(name)
            if previous is None:
                raise _invalid(name, "there is no previous version to roll back to")
            self._load(name, previous)
            self._write(name, previous, current)
            return previous.version

    def load_current(self, name: str, *, threads: int | None = None) -> OnnxModel:
        """Load the current version after checking its file against the manifest's sha256.

        Args:
            name: the model's name.
            threads: onnxruntime intra-op threads; the store's by default.

        Raises:
            ModelError: ``EDGE_MODEL_INVALID`` when nothing is installed or the file is
                missing, corrupt or does not load.
        """
        with self._lock:
            current, _ = self._read(name)
            if current is None:
                raise _invalid(name, "no version is installed")
            return self._load(name, current, threads)
