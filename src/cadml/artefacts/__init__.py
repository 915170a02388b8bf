"""Artefact storage: a content-addressed port with a local and an S3 implementation.

:class:`ArtefactStore` is the port; :class:`LocalArtefactStore` is the embedded
default and :class:`S3ArtefactStore` (optional extra ``s3``) the production adapter.
Importing this package does not import boto3.
"""

from cadml.artefacts.local import LocalArtefactStore
from cadml.artefacts.port import (
    DEFAULT_CHUNK_SIZE,
    ArtefactStore,
    StoredObject,
    compute_key,
    is_valid_key,
)
from cadml.artefacts.s3 import S3ArtefactStore

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ArtefactStore",
    "LocalArtefactStore",
    "S3ArtefactStore",
    "StoredObject",
    "compute_key",
    "is_valid_key",
]
