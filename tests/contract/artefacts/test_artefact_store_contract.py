"""The ArtefactStore contract, run over every implementation (see conftest.py)."""

from __future__ import annotations

import hashlib
import random
import threading

import pytest

from cadml.artefacts import DEFAULT_CHUNK_SIZE, ArtefactStore, StoredObject
from cadml.errors import NotFoundError, StorageError, ValidationError

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def payload(seed: int, size: int) -> bytes:
    """Deterministic pseudo-random bytes."""
    return random.Random(seed).randbytes(size)


def test_implements_the_port(harness):
    assert isinstance(harness.store, ArtefactStore)


def test_put_returns_the_content_address_and_get_returns_the_bytes(harness):
    data = payload(1, 10_000)
    obj = harness.store.put(data, content_type="model/step")
    expected = hashlib.sha256(data).hexdigest()
    assert obj == StoredObject(
        key=expected, sha256=expected, size=10_000, content_type="model/step"
    )
    assert harness.store.get(obj.key) == data
    assert harness.store.exists(obj.key)


def test_empty_artefact_has_the_sha256_of_nothing(harness):
    obj = harness.store.put(b"", content_type="text/plain")
    assert obj.key == EMPTY_SHA256
    assert obj.size == 0
    assert harness.store.get(EMPTY_SHA256) == b""
    assert list(harness.store.iter_chunks(EMPTY_SHA256)) == []


def test_put_is_idempotent(harness):
    data = b"same bytes twice"
    first = harness.store.put(data, content_type="text/plain")
    second = harness.store.put(data, content_type="text/plain")
    assert first == second
    assert harness.store.get(first.key) == data


def test_different_bytes_get_different_keys(harness):
    a = harness.store.put(b"a", content_type="text/plain")
    b = harness.store.put(b"b", content_type="text/plain")
    assert a.key != b.key
    assert (harness.store.get(a.key), harness.store.get(b.key)) == (b"a", b"b")


def test_missing_key_raises_not_found_with_the_artefact_id(harness):
    key = hashlib.sha256(b"never stored").hexdigest()
    with pytest.raises(NotFoundError) as info:
        harness.store.get(key)
    assert info.value.code == "NOT_FOUND_ARTEFACT"
    assert info.value.details["artefact_id"] == key
    assert not harness.store.exists(key)


def test_iter_chunks_fails_on_a_missing_key_before_any_iteration(harness):
    key = hashlib.sha256(b"never stored").hexdigest()
    with pytest.raises(NotFoundError) as info:
        harness.store.iter_chunks(key)
    assert info.value.code == "NOT_FOUND_ARTEFACT"


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "ABC",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "",
    ],
)
def test_malformed_keys_are_never_found(harness, key):
    harness.store.put(b"", content_type="text/plain")  # the upper-case key's lower-case twin
    assert not harness.store.exists(key)
    with pytest.raises(NotFoundError):
        harness.store.get(key)
    with pytest.raises(NotFoundError):
        harness.store.iter_chunks(key)
    harness.store.delete(key)  # a no-op, not an error


def test_iter_chunks_streams_the_bytes_in_bounded_chunks(harness):
    data = payload(2, 3 * 65_536 + 3_393)
    obj = harness.store.put(data, content_type="model/stl")
    chunks = list(harness.store.iter_chunks(obj.key, chunk_size=65_536))
    assert b"".join(chunks) == data
    assert all(0 < len(chunk) <= 65_536 for chunk in chunks)
    assert len(chunks) >= 4
    small = list(harness.store.iter_chunks(obj.key, chunk_size=1000))
    assert b"".join(small) == data
    assert max(len(chunk) for chunk in small) <= 1000


def test_iter_chunks_default_chunk_size_is_64_kib(harness):
    data = payload(3, 5 * DEFAULT_CHUNK_SIZE)
    obj = harness.store.put(data, content_type="model/stl")
    chunks = list(harness.store.iter_chunks(obj.key))
    assert DEFAULT_CHUNK_SIZE == 65_536
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= DEFAULT_CHUNK_SIZE


def test_iter_chunks_rejects_a_non_positive_chunk_size(harness):
    obj = harness.store.put(b"x", content_type="text/plain")
    with pytest.raises(ValidationError):
        harness.store.iter_chunks(obj.key, chunk_size=0)


@pytest.mark.parametrize("damage", ["other length", "same length"])
def test_corrupt_object_fails_the_integrity_check(harness, damage):
    data = payload(4, 4096)
    obj = harness.store.put(data, content_type="model/step")
    bad = b"evil" if damage == "other length" else bytes([data[0] ^ 1]) + data[1:]
    harness.corrupt(obj.key, bad)
    with pytest.raises(StorageError) as info:
        harness.store.get(obj.key)
    assert info.value.code == "STORAGE_INTEGRITY_ERROR"
    assert info.value.details["key"] == obj.key
    stream = harness.store.iter_chunks(obj.key, chunk_size=1024)
    with pytest.raises(StorageError) as info:
        list(stream)
    assert info.value.code == "STORAGE_INTEGRITY_ERROR"


def test_storing_the_same_bytes_again_repairs_a_corrupt_object(harness):
    data = payload(5, 4096)
    obj = harness.store.put(data, content_type="model/step")
    harness.corrupt(obj.key, bytes([data[0] ^ 1]) + data[1:])
    harness.store.put(data, content_type="model/step")
    assert harness.store.get(obj.key) == data


def test_delete_removes_and_is_idempotent(harness):
    obj = harness.store.put(b"short-lived", content_type="text/plain")
    harness.store.delete(obj.key)
    assert not harness.store.exists(obj.key)
    with pytest.raises(NotFoundError):
        harness.store.get(obj.key)
    harness.store.delete(obj.key)
    assert harness.store.put(b"short-lived", content_type="text/plain") == obj
    assert harness.store.get(obj.key) == b"short-lived"


def test_check_passes_on_a_fresh_store_and_the_store_then_works(harness):
    harness.store.check()
    obj = harness.store.put(b"after check", content_type="text/plain")
    harness.store.check()
    assert harness.store.get(obj.key) == b"after check"


def test_describe_names_backend_and_location_without_secrets(harness):
    facts = harness.store.describe()
    assert facts["backend"] == harness.name
    assert isinstance(facts["location"], str) and facts["location"]
    assert "secret" not in repr(facts)


def test_a_second_instance_sees_the_same_objects(harness):
    obj = harness.store.put(payload(6, 777), content_type="model/gltf-binary")
    other = harness.peer()
    assert other.exists(obj.key)
    assert other.get(obj.key) == payload(6, 777)
    other.delete(obj.key)
    assert not harness.store.exists(obj.key)


def test_concurrent_puts_from_eight_threads(harness):
    shared = payload(7, 100_000)
    results: list[StoredObject] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        try:
            barrier.wait()
            for round_ in range(5):
                results.append(harness.store.put(shared, content_type="model/step"))
                own = payload(100 + index * 10 + round_, 10_000)
                obj = harness.store.put(own, content_type="model/step")
                assert harness.store.get(obj.key) == own
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 40 and len(set(results)) == 1
    assert harness.store.get(results[0].key) == shared
