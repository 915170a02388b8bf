"""What only the S3 store promises: bucket creation, object naming, error translation."""

from __future__ import annotations

import hashlib
import sys
import uuid

import botocore.exceptions
import pytest

from cadml.artefacts import S3ArtefactStore
from cadml.errors import ConfigurationError, NotFoundError, StorageError


def bucket_name() -> str:
    return f"cadml-test-{uuid.uuid4().hex[:16]}"


def test_missing_bucket_is_created_on_first_put(s3_factory):
    bucket = bucket_name()
    store = s3_factory(bucket)
    obj = store.put(b"first object", content_type="model/step")
    head = store._client.head_object(Bucket=bucket, Key=f"sha256/{obj.key}")
    assert head["ContentLength"] == len(b"first object")
    assert head["ContentType"] == "model/step"
    assert head["Metadata"] == {"sha256": obj.key}


def test_prefix_names_the_objects(s3_factory):
    bucket = bucket_name()
    store = s3_factory(bucket, prefix="cad/v1/")
    obj = store.put(b"prefixed", content_type="text/plain")
    listing = store._client.list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in listing["Contents"]] == [f"cad/v1/{obj.key}"]
    assert store.describe()["location"] == f"s3://{bucket}/cad/v1/"


def test_non_us_east_1_region_creates_a_located_bucket(s3_factory):
    bucket = bucket_name()
    store = s3_factory(bucket, region="eu-central-1")
    store.check()
    location = store._client.get_bucket_location(Bucket=bucket)["LocationConstraint"]
    assert location == "eu-central-1"


def test_invalid_bucket_name_is_a_write_failure(s3_factory):
    store = s3_factory("x")  # S3 bucket names have at least three characters
    with pytest.raises(StorageError) as info:
        store.put(b"data", content_type="text/plain")
    assert info.value.code == "STORAGE_WRITE_FAILED"
    assert isinstance(info.value.__cause__, botocore.exceptions.ClientError)


def test_a_missing_bucket_means_not_found_when_reading(s3_factory):
    store = s3_factory(bucket_name())
    key = hashlib.sha256(b"anything").hexdigest()
    assert not store.exists(key)
    with pytest.raises(NotFoundError):
        store.get(key)
    store.delete(key)


def test_unreachable_server_errors_are_translated(s3_factory, closed_port):
    store = s3_factory(
        bucket_name(),
        endpoint_url=f"http://127.0.0.1:{closed_port}",
        max_attempts=1,
        connect_timeout_s=1.0,
    )
    key = hashlib.sha256(b"data").hexdigest()
    with pytest.raises(StorageError) as info:
        store.put(b"data", content_type="text/plain")
    assert info.value.code == "STORAGE_WRITE_FAILED"
    assert isinstance(info.value.__cause__, botocore.exceptions.EndpointConnectionError)
    for call in (store.get, store.exists, store.iter_chunks):
        with pytest.raises(StorageError) as info:
            call(key)
        assert info.value.code == "STORAGE_READ_FAILED"
        assert isinstance(info.value.__cause__, botocore.exceptions.BotoCoreError)
    with pytest.raises(StorageError) as info:
        store.delete(key)
    assert info.value.code == "STORAGE_WRITE_FAILED"
    with pytest.raises(StorageError):
        store.check()


def test_without_boto3_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.setitem(sys.modules, "boto3.session", None)
    with pytest.raises(ConfigurationError) as info:
        S3ArtefactStore("bucket-name")
    assert "cadml[s3]" in info.value.message()
