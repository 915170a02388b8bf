"""What only the local store promises: its layout, OS errors, and many processes at once."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cadml.artefacts import LocalArtefactStore
from cadml.errors import NotFoundError, StorageError


def test_layout_is_two_levels_of_hex_prefixes(tmp_path):
    store = LocalArtefactStore(tmp_path)
    obj = store.put(b"layout", content_type="text/plain")
    key = hashlib.sha256(b"layout").hexdigest()
    assert (tmp_path / key[:2] / key[2:4] / key).read_bytes() == b"layout"
    assert obj.key == key
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [key]


def test_describe_gives_the_absolute_root(tmp_path):
    assert LocalArtefactStore(tmp_path).describe() == {
        "backend": "local",
        "location": str(tmp_path.absolute()),
    }


def test_os_errors_become_storage_errors_with_the_cause(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    store = LocalArtefactStore(blocker)
    with pytest.raises(StorageError) as info:
        store.put(b"x", content_type="text/plain")
    assert info.value.code == "STORAGE_WRITE_FAILED"
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(StorageError) as info:
        store.check()
    assert info.value.code == "STORAGE_WRITE_FAILED"
    with pytest.raises(StorageError) as info:
        store.get(hashlib.sha256(b"x").hexdigest())
    assert info.value.code == "STORAGE_READ_FAILED"


def test_a_file_deleted_after_the_lookup_ends_the_stream_with_not_found(tmp_path):
    store = LocalArtefactStore(tmp_path)
    obj = store.put(b"vanishing", content_type="text/plain")
    stream = store.iter_chunks(obj.key)
    store.delete(obj.key)
    with pytest.raises(NotFoundError):
        next(iter(stream))


_WRITER = textwrap.dedent(
    """
    import random, sys
    from pathlib import Path
    from cadml.artefacts import LocalArtefactStore

    root, seed = Path(sys.argv[1]), int(sys.argv[2])
    store = LocalArtefactStore(root)
    order = list(range(12))
    random.Random(seed).shuffle(order)
    for _ in range(3):
        for index in order:
            store.put(random.Random(index).randbytes(262_144), content_type="model/step")
    """
)


def test_four_processes_write_while_a_reader_never_sees_a_partial_object(tmp_path):
    root = tmp_path / "shared"
    blobs = [__import__("random").Random(i).randbytes(262_144) for i in range(12)]
    keys = [hashlib.sha256(blob).hexdigest() for blob in blobs]
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(root), str(seed)]) for seed in range(4)
    ]
    reader = LocalArtefactStore(root)
    complete_reads = 0
    deadline = time.monotonic() + 120
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        for key, blob in zip(keys, blobs, strict=True):
            try:
                assert reader.get(key) == blob  # a partial file would fail the sha256 check
                complete_reads += 1
            except NotFoundError:
                pass
    assert [w.wait(timeout=60) for w in writers] == [0, 0, 0, 0]
    assert [reader.get(key) for key in keys] == blobs
    leftovers = [p for p in Path(root).rglob("*") if p.is_file() and p.name not in keys]
    assert leftovers == []
    assert complete_reads > 0
