"""The embedded artefact store: a content-addressed directory tree.

Layout: ``root/ab/cd/<sha256>`` where ``ab`` and ``cd`` are the first four hex digits,
which keeps directories small. A write goes to a uniquely named temporary file in the
object's own directory, is fsynced, and is renamed over the final name with
:func:`os.replace`; the directory is then fsynced so the rename survives a crash.
Rename is atomic on POSIX file systems, so readers in any process see either no file
or the complete file, and two processes storing the same bytes at once both succeed.
Storing bytes that are already there costs one read and hash of the existing file; it
writes only when that file is damaged.

Examples:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = LocalArtefactStore(Path(tmp))
    ...     obj = store.put(b"solid", content_type="model/step")
    ...     (obj.size, store.get(obj.key), store.exists(obj.key))
    (5, b'solid', True)
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cadml.artefacts.port import (
    DEFAULT_CHUNK_SIZE,
    StoredObject,
    check_chunk_size,
    compute_key,
    integrity_error,
    is_valid_key,
    not_found,
    verified,
)
from cadml.errors import StorageError

__all__ = ["LocalArtefactStore"]


class LocalArtefactStore:
    """Artefacts as files under one directory, safe for many processes at once.

    Args:
        root: the store's directory; created on first write if missing.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` (it may not exist).

        Raises:
            NotFoundError: ``NOT_FOUND_ARTEFACT`` for a malformed key, which can
                never name a stored object.
        """
        if not is_valid_key(key):
            raise not_found(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes, *, content_type: str) -> StoredObject:
        """Store ``data`` atomically under its SHA-256 (see :class:`ArtefactStore`)."""
        key = compute_key(data)
        path = self.path_for(key)
        stored = StoredObject(key=key, sha256=key, size=len(data), content_type=content_type)
        if self._holds(path, key):
            return stored
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{key[:8]}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise _write_failed(exc) from exc
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
            _fsync_dir(path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise _write_failed(exc) from exc
        return stored

    @staticmethod
    def _holds(path: Path, key: str) -> bool:
        # Re-hash an existing file instead of trusting its name: storing the same bytes
        # again (re-running a deterministic job) is how a damaged object gets repaired.
        digest = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(DEFAULT_CHUNK_SIZE * 16):
                    digest.update(chunk)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _write_failed(exc) from exc
        return digest.hexdigest() == key

    def get(self, key: str) -> bytes:
        """Read and verify the bytes under ``key`` (see :class:`ArtefactStore`)."""
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise not_found(key) from exc
        except OSError as exc:
            raise _read_failed(exc) from exc
        return verified(key, data)

    def iter_chunks(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Stream the bytes under ``key`` and verify them (see :class:`ArtefactStore`)."""
        check_chunk_size(chunk_size)
        path = self.path_for(key)
        try:
            path.stat()
        except FileNotFoundError as exc:
            raise not_found(key) from exc
        except OSError as exc:
            raise _read_failed(exc) from exc
        return self._stream(key, path, chunk_size)

    def _stream(self, key: str, path: Path, chunk_size: int) -> Iterator[bytes]:
        digest = hashlib.sha256()
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:  # deleted between the lookup and the first chunk
            raise not_found(key) from exc
        except OSError as exc:
            raise _read_failed(exc) from exc
        with handle:
            while True:
                try:
                    chunk = handle.read(chunk_size)
                except OSError as exc:
                    raise _read_failed(exc) from exc
                if not chunk:
                    break
                digest.update(chunk)
                yield chunk
        actual = digest.hexdigest()
        if actual != key:
            raise integrity_error(key, actual)

    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key`` (see :class:`ArtefactStore`)."""
        if not is_valid_key(key):
            return False
        try:
            return self.path_for(key).is_file()
        except OSError as exc:
            raise _read_failed(exc) from exc

    def delete(self, key: str) -> None:
        """Remove the file under ``key`` if there is one (see :class:`ArtefactStore`)."""
        if not is_valid_key(key):
            return
        try:
            self.path_for(key).unlink(missing_ok=True)
        except OSError as exc:
            raise _write_failed(exc) from exc

    def check(self) -> None:
        """Create the root if needed and prove it writable with a throw-away file.

        Raises:
            StorageError: ``STORAGE_WRITE_FAILED`` naming the operating-system error.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root, prefix=".health.") as probe:
                probe.write(b"ok")
                probe.flush()
        except OSError as exc:
            raise _write_failed(exc) from exc

    def describe(self) -> dict[str, Any]:
        """``{"backend": "local", "location": <absolute root>}``."""
        return {"backend": "local", "location": str(self.root.absolute())}


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_failed(exc: OSError) -> StorageError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError("STORAGE_QUOTA_EXCEEDED", details={"reason": str(exc)})
    return StorageError("STORAGE_WRITE_FAILED", details={"reason": f"{type(exc).__name__}: {exc}"})


def _read_failed(exc: OSError) -> StorageError:
    return StorageError("STORAGE_READ_FAILED", details={"reason": f"{type(exc).__name__}: {exc}"})
