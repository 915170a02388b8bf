"""The artefact-store port: content-addressed, immutable blobs.

An artefact is stored under the lowercase hex SHA-256 of its bytes, so storing the
same bytes twice is a no-op and a reader can always check what it got. Every
implementation behaves as the contract suite in ``tests/contract/artefacts`` says:

* ``put`` is idempotent and atomic: a reader sees the whole object or nothing.
* ``get`` verifies the hash and raises ``STORAGE_INTEGRITY_ERROR`` on a mismatch;
  a missing key raises ``NOT_FOUND_ARTEFACT`` (``details["artefact_id"]``).
* ``iter_chunks`` looks the object up when called (so a missing key fails before a
  download starts) and checks the hash after the last chunk.

Examples:
    >>> compute_key(b"abc")[:16]
    'ba7816bf8f01cfea'
    >>> is_valid_key(compute_key(b"abc")), is_valid_key("../etc/passwd")
    (True, False)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from cadml.errors import NotFoundError, StorageError, ValidationError

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ArtefactStore",
    "StoredObject",
    "check_chunk_size",
    "compute_key",
    "integrity_error",
    "is_valid_key",
    "not_found",
    "verified",
]

DEFAULT_CHUNK_SIZE = 1 << 16
"""Bytes per chunk of a streamed download (64 KiB)."""

_KEY_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredObject:
    """What the store knows about one stored artefact.

    Args:
        key: the lowercase hex SHA-256 of the bytes; also the artefact's id.
        sha256: the same digest, kept apart so callers never derive it from the key.
        size: length in bytes.
        content_type: the MIME type given to :meth:`ArtefactStore.put`.
    """

    key: str
    sha256: str
    size: int
    content_type: str


def compute_key(data: bytes) -> str:
    """The content address of ``data``: its lowercase hex SHA-256.

    Args:
        data: the artefact's bytes.

    Returns:
        64 lowercase hex characters.
    """
    return hashlib.sha256(data).hexdigest()


def is_valid_key(key: str) -> bool:
    """Whether ``key`` has the shape of a content address (64 lowercase hex characters).

    Stores use this before turning a key into a path or object name, so that a key
    taken from a URL can never escape the store.
    """
    return isinstance(key, str) and _KEY_RE.fullmatch(key) is not None


def not_found(key: str) -> NotFoundError:
    """The ``NOT_FOUND_ARTEFACT`` error for ``key``."""
    return NotFoundError("NOT_FOUND_ARTEFACT", details={"artefact_id": key})


def integrity_error(key: str, actual_sha256: str) -> StorageError:
    """The ``STORAGE_INTEGRITY_ERROR`` error for an object whose bytes do not hash to ``key``."""
    return StorageError(
        "STORAGE_INTEGRITY_ERROR", details={"key": key, "actual_sha256": actual_sha256}
    )


@runtime_checkable
class ArtefactStore(Protocol):
    """A content-addressed store of immutable artefacts.

    Implementations are safe to share between threads.
    """

    def put(self, data: bytes, *, content_type: str) -> StoredObject:
        """Store ``data`` under its SHA-256; storing existing bytes again is a no-op.

        Args:
            data: the artefact's bytes.
            content_type: its MIME type, e.g. ``"model/step"``.

        Returns:
            The stored object's description.

        Raises:
            StorageError: ``STORAGE_WRITE_FAILED`` when the backend fails.
        """
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes stored under ``key`` after checking their hash.

        Raises:
            NotFoundError: ``NOT_FOUND_ARTEFACT`` when nothing is stored under ``key``.
            StorageError: ``STORAGE_INTEGRITY_ERROR`` when the bytes do not hash to
                ``key``; ``STORAGE_READ_FAILED`` when the backend fails.
        """
        ...

    def iter_chunks(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Stream the bytes under ``key`` in chunks of at most ``chunk_size`` bytes.

        The lookup happens when this is called; the hash is checked after the last
        chunk, so a corrupt object aborts the stream instead of ending it quietly.

        Raises:
            NotFoundError: ``NOT_FOUND_ARTEFACT`` (when called).
            StorageError: ``STORAGE_INTEGRITY_ERROR`` (after the last chunk) or
                ``STORAGE_READ_FAILED``.
        """
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key`` (False for malformed keys).

        Raises:
            StorageError: ``STORAGE_READ_FAILED`` when the backend fails.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the object under ``key``; removing a missing object is a no-op.

        Raises:
            StorageError: ``STORAGE_WRITE_FAILED`` when the backend fails.
        """
        ...

    def check(self) -> None:
        """Health check: return when the store can be written and read.

        Raises:
            StorageError: when it cannot.
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Non-secret facts for health pages: ``backend`` and ``location`` at least."""
        ...


def check_chunk_size(chunk_size: int) -> None:
    """Reject a non-positive streaming chunk size.

    Raises:
        ValidationError: ``VALIDATION_INVALID_VALUE``.
    """
    if chunk_size <= 0:
        raise ValidationError(
            "VALIDATION_INVALID_VALUE",
            details={"field": "chunk_size", "reason": f"must be positive, got {chunk_size}"},
        )


def verified(key: str, data: bytes) -> bytes:
    """``data`` if its sha256 is ``key``.

    Raises:
        StorageError: ``STORAGE_INTEGRITY_ERROR`` otherwise.
    """
    actual = compute_key(data)
    if actual != key:
        raise integrity_error(key, actual)
    return data
