"""The production artefact store: any S3-compatible object store, through boto3.

Objects live at ``<prefix><sha256>`` in one bucket, which is created on first use if
it is missing. S3 makes a single ``PutObject`` visible all at once, so readers never
see a partial object; the SHA-256 also travels as ``x-amz-checksum-sha256`` so the
server rejects an upload damaged in transit. Foreign exceptions become
:class:`~cadml.errors.StorageError` (``STORAGE_WRITE_FAILED`` / ``STORAGE_READ_FAILED``)
with the botocore exception as ``__cause__``.

Storing bytes that are already there costs one ``HeadObject``: the upload is skipped
when the object's length and its ``x-amz-meta-sha256`` match, and repeated otherwise.

boto3 is an optional extra (``pip install 'cadml[s3]'``) and is imported only when a
store is built. The constructor takes plain values; the composition root reads them
from the settings.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
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
from cadml.errors import ConfigurationError, StorageError

__all__ = ["S3ArtefactStore"]

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


class S3ArtefactStore:
    """Artefacts as objects in an S3 bucket (AWS, MinIO, Ceph RGW, Garage, moto...).

    Args:
        bucket: the bucket name; created on first use when missing.
        endpoint_url: the server's URL, e.g. ``"http://127.0.0.1:9000"``; ``None`` for AWS.
        region: the signing region (and the bucket's location when it is created).
        access_key: the access key id; ``None`` lets boto3 find credentials itself.
        secret_key: the secret access key.
        prefix: prepended to every object name.
        connect_timeout_s: seconds to wait for a TCP connection.
        read_timeout_s: seconds to wait for data on an open connection.
        max_attempts: attempts per request, retries included (botocore "standard" mode).

    Raises:
        ConfigurationError: ``CONFIG_INVALID`` when boto3 is not installed.
    """

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "sha256/",
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        try:
            import boto3.session
            import botocore.config
            import botocore.exceptions
        except ImportError as exc:
            raise ConfigurationError(
                "CONFIG_INVALID",
                details={"reason": "the S3 artefact store needs boto3: pip install 'cadml[s3]'"},
            ) from exc
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.prefix = prefix
        self._client_error: type[Exception] = botocore.exceptions.ClientError
        self._backend_errors: tuple[type[Exception], ...] = (
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        )
        config = botocore.config.Config(
            signature_version="s3v4",
            # Path-style URLs work with every S3-compatible server; virtual hosts need DNS.
            s3={"addressing_style": "path"},
            retries={"max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            # We send our own SHA-256; botocore's default CRC trailers (aws-chunked
            # uploads) are refused by some S3-compatible servers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # A private session: boto3's default session is not safe to share between threads.
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def _object_name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _is_missing(self, exc: Exception) -> bool:
        if not isinstance(exc, self._client_error):
            return False
        response: dict[str, Any] = getattr(exc, "response", {}) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in _MISSING_CODES or status == 404

    def _ensure_bucket(self, *, force: bool = False) -> None:
        if self._bucket_ready and not force:
            return
        with self._bucket_lock:
            if self._bucket_ready and not force:
                return
            try:
                self._client.head_bucket(Bucket=self.bucket)
            except self._backend_errors as exc:
                if not self._is_missing(exc):
                    raise _failed("STORAGE_WRITE_FAILED", exc) from exc
                self._create_bucket()
            self._bucket_ready = True

    def _create_bucket(self) -> None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._client.create_bucket(**kwargs)
        except self._backend_errors as exc:
            response: dict[str, Any] = getattr(exc, "response", {}) or {}
            code = response.get("Error", {}).get("Code", "")
            if code != "BucketAlreadyOwnedByYou":  # another process created it first
                raise _failed("STORAGE_WRITE_FAILED", exc) from exc

    def put(self, data: bytes, *, content_type: str) -> StoredObject:
        """Store ``data`` under its SHA-256 (see :class:`ArtefactStore`)."""
        key = compute_key(data)
        stored = StoredObject(key=key, sha256=key, size=len(data), content_type=content_type)
        name = self._object_name(key)
        self._ensure_bucket()
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=name)
            # Our own uploads carry their digest as metadata; anything else (a foreign
            # or damaged write) is replaced, which is how re-running a job repairs it.
            if (
                int(head.get("ContentLength", -1)) == len(data)
                and head.get("Metadata", {}).get("sha256") == key
            ):
                return stored
        except self._backend_errors as exc:
            if not self._is_missing(exc):
                raise _failed("STORAGE_WRITE_FAILED", exc) from exc
        checksum = base64.b64encode(bytes.fromhex(key)).decode("ascii")
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
                ChecksumSHA256=checksum,
                Metadata={"sha256": key},
            )
        except self._backend_errors as exc:
            raise _failed("STORAGE_WRITE_FAILED", exc) from exc
        return stored

    def _open(self, key: str) -> Any:
        if not is_valid_key(key):
            raise not_found(key)
        try:
            return self._client.get_object(Bucket=self.bucket, Key=self._object_name(key))["Body"]
        except self._backend_errors as exc:
            if self._is_missing(exc):
                raise not_found(key) from exc
            raise _failed("STORAGE_READ_FAILED", exc) from exc

    def get(self, key: str) -> bytes:
        """Download and verify the bytes under ``key`` (see :class:`ArtefactStore`)."""
        body = self._open(key)
        try:
            data: bytes = body.read()
        except self._backend_errors as exc:
            raise _failed("STORAGE_READ_FAILED", exc) from exc
        finally:
            body.close()
        return verified(key, data)

    def iter_chunks(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Stream the bytes under ``key`` and verify them (see :class:`ArtefactStore`)."""
        check_chunk_size(chunk_size)
        body = self._open(key)
        return self._stream(key, body, chunk_size)

    def _stream(self, key: str, body: Any, chunk_size: int) -> Iterator[bytes]:
        digest = hashlib.sha256()
        try:
            for chunk in body.iter_chunks(chunk_size):
                digest.update(chunk)
                yield chunk
        except self._backend_errors as exc:
            raise _failed("STORAGE_READ_FAILED", exc) from exc
        finally:
            body.close()
        actual = digest.hexdigest()
        if actual != key:
            raise integrity_error(key, actual)

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key`` (see :class:`ArtefactStore`)."""
        if not is_valid_key(key):
            return False
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._object_name(key))
        except self._backend_errors as exc:
            if self._is_missing(exc):
                return False
            raise _failed("STORAGE_READ_FAILED", exc) from exc
        return True

    def delete(self, key: str) -> None:
        """Remove the object under ``key`` if there is one (see :class:`ArtefactStore`)."""
        if not is_valid_key(key):
            return
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._object_name(key))
        except self._backend_errors as exc:
            if not self._is_missing(exc):
                raise _failed("STORAGE_WRITE_FAILED", exc) from exc

    def check(self) -> None:
        """Reach the server and make sure the bucket exists, creating it if needed.

        Raises:
            StorageError: ``STORAGE_WRITE_FAILED`` when the server cannot be reached or
                the bucket can be neither found nor created.
        """
        self._ensure_bucket(force=True)

    def describe(self) -> dict[str, Any]:
        """Backend, ``s3://bucket/prefix`` location, endpoint and region (never credentials)."""
        return {
            "backend": "s3",
            "location": f"s3://{self.bucket}/{self.prefix}",
            "endpoint_url": self.endpoint_url,
            "region": self.region,
        }

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()


def _failed(code: str, exc: Exception) -> StorageError:
    return StorageError(code, details={"reason": f"{type(exc).__name__}: {exc}"})
