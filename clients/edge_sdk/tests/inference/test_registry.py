"""ModelStore: sha256 check, atomic switch, previous version kept, health check, rollback."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from cad_ml_edge.errors import ModelError
from cad_ml_edge.inference import ModelStore, check_health
from cad_ml_edge.inference.health import synthetic_feed
from cad_ml_edge.inference.registry import check_name, check_sha256


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def files(store, name="rul"):
    return sorted(p.name for p in (store.root / name).iterdir())


def install(store, models, version, data=None, name="rul", **kwargs):
    data = models.linear() if data is None else data
    return store.install(name, version, data, models.sha(data), **kwargs)


def code_and_detail(exc_info):
    return exc_info.value.code, exc_info.value.details["detail"]


# -- install and switch -----------------------------------------------------------------


def test_install_makes_the_version_current(store, models):
    model = install(store, models, "v1")
    assert store.current("rul") == "v1" and store.previous("rul") is None
    assert model.name == "rul"
    np.testing.assert_allclose(model.predict([1, 0, 0]), [1.5, 1.5])
    assert files(store) == ["manifest.json", "v1.onnx"]
    manifest = json.loads((store.root / "rul" / "manifest.json").read_text())
    assert manifest["format"] == 1 and manifest["previous"] is None
    assert manifest["current"]["version"] == "v1"
    assert manifest["current"]["sha256"] == models.sha(models.linear())
    assert abs(manifest["current"]["installed_at"] - time.time()) < 60


def test_new_versions_keep_the_previous_one_and_prune_older(store, models):
    w2 = models.W * 2
    install(store, models, "v1")
    install(store, models, "v2", models.linear(w=w2))
    assert (store.current("rul"), store.previous("rul")) == ("v2", "v1")
    install(store, models, "v3", models.linear(w=models.W * 3))
    assert (store.current("rul"), store.previous("rul")) == ("v3", "v2")
    assert files(store) == ["manifest.json", "v2.onnx", "v3.onnx"]
    np.testing.assert_allclose(store.load_current("rul").predict([1, 0, 0]), [3.5, 5.5])


def test_models_are_kept_apart_by_name(store, models):
    install(store, models, "v1", name="a")
    install(store, models, "v7", name="b", data=models.two_inputs())
    assert store.current("a") == "v1" and store.current("b") == "v7"
    assert store.load_current("b").inputs[1].name == "k"


def test_sha256_mismatch_installs_nothing(store, models):
    install(store, models, "v1")
    data = models.linear(w=models.W * 2)
    with pytest.raises(ModelError) as info:
        store.install("rul", "v2", data, models.sha(b"something else"))
    code, detail = code_and_detail(info)
    assert code == "EDGE_MODEL_INVALID" and detail.startswith("sha256 mismatch: expected ")
    assert store.current("rul") == "v1"
    assert files(store) == ["manifest.json", "v1.onnx"]


def test_sha256_is_case_insensitive(store, models):
    data = models.linear()
    store.install("rul", "v1", data, models.sha(data).upper())
    assert store.current("rul") == "v1"


@pytest.mark.parametrize("digest", ["abc", "g" * 64, "", None])
def test_sha256_format(store, models, digest):
    with pytest.raises(ModelError) as info:
        store.install("rul", "v1", models.linear(), digest)
    assert "sha256 must be 64 hex digits" in info.value.details["detail"]
    assert not (store.root / "rul").exists()


@pytest.mark.parametrize("bad", ["../etc", ".hidden", "", "a/b", "x" * 129, 7])
def test_names_and_versions_stay_inside_the_store(store, models, bad):
    with pytest.raises(ModelError) as info:
        store.install(bad, "v1", b"", "0" * 64)
    assert "invalid model name" in info.value.details["detail"]
    with pytest.raises(ModelError) as info:
        store.install("rul", bad, b"", "0" * 64)
    assert "invalid model version" in info.value.details["detail"]
    assert not store.root.exists()


def test_check_helpers():
    assert check_name("a.b_c-1") == "a.b_c-1"
    assert check_sha256("A" * 64) == "a" * 64


def test_a_file_that_does_not_load_installs_nothing(store, models):
    install(store, models, "v1")
    junk = b"not an onnx model"
    with pytest.raises(ModelError) as info:
        store.install("rul", "v2", junk, models.sha(junk))
    code, detail = code_and_detail(info)
    assert code == "EDGE_MODEL_INVALID" and "not a loadable ONNX model" in detail
    assert store.current("rul") == "v1"
    assert files(store) == ["manifest.json", "v1.onnx"]


def test_versions_are_immutable(store, models):
    install(store, models, "v1")
    other = models.linear(w=models.W * 2)
    with pytest.raises(ModelError) as info:
        store.install("rul", "v1", other, models.sha(other))
    assert "versions are immutable" in info.value.details["detail"]
    np.testing.assert_allclose(store.load_current("rul").predict([1, 0, 0]), [1.5, 1.5])


def test_reinstalling_the_current_version_keeps_the_previous(store, models):
    install(store, models, "v1")
    install(store, models, "v2", models.linear(w=models.W * 2))
    install(store, models, "v2", models.linear(w=models.W * 2))
    assert (store.current("rul"), store.previous("rul")) == ("v2", "v1")


def test_reinstalling_the_previous_version_swaps_them(store, models):
    install(store, models, "v1")
    install(store, models, "v2", models.linear(w=models.W * 2))
    install(store, models, "v1")
    assert (store.current("rul"), store.previous("rul")) == ("v1", "v2")
    assert files(store) == ["manifest.json", "v1.onnx", "v2.onnx"]


def test_store_threads(tmp_path, models):
    store = ModelStore(tmp_path, threads=2)
    assert install(store, models, "v1").threads == 2
    assert store.load_current("rul").threads == 2
    assert store.load_current("rul", threads=1).threads == 1
    assert store.path("rul", "v1") == tmp_path / "rul" / "v1.onnx"


# -- health check and automatic rollback ------------------------------------------------


def test_nan_outputs_roll_back_to_the_previous_version(store, models):
    install(store, models, "v1")
    with pytest.raises(ModelError) as info:
        install(store, models, "v2", models.nan())
    err = info.value
    assert err.code == "EDGE_MODEL_ROLLED_BACK"
    assert err.details["previous"] == "v1"
    assert err.details["detail"] == "version 'v2': sample 0: output 'y' has 2 non-finite value(s)"
    assert "rolled back to v1" in err.message("en") and "v1 sürümüne" in err.message("tr")
    assert store.current("rul") == "v1" and store.previous("rul") is None
    assert files(store) == ["manifest.json", "v1.onnx"]
    np.testing.assert_allclose(store.load_current("rul").predict([1, 0, 0]), [1.5, 1.5])


def test_a_failing_first_install_leaves_nothing(store, models):
    with pytest.raises(ModelError) as info:
        install(store, models, "v1", models.nan())
    assert info.value.code == "EDGE_MODEL_ROLLED_BACK"
    assert info.value.details["previous"] == "no version (none installed)"
    assert store.current("rul") is None and files(store) == []
    with pytest.raises(ModelError) as info:
        store.load_current("rul")
    assert info.value.details["detail"] == "no version is installed"


def test_samples_drive_the_health_check(store, models):
    seen = []

    def check(model):
        seen.append(model.predict([0, 0, 1]))
        return True

    install(store, models, "v1", samples=[[1, 2, 3], np.zeros(3, dtype=np.float32)], check=check)
    np.testing.assert_allclose(seen[0], [5.5, 5.5])
    assert store.current("rul") == "v1"


def test_samples_that_do_not_fit_the_schema_reject_the_version(store, models):
    with pytest.raises(ModelError) as info:
        install(store, models, "v1", samples=[[1, 2]])
    assert info.value.code == "EDGE_MODEL_ROLLED_BACK"
    assert "cannot use the samples: input 'x': dim 0 must be 3" in info.value.details["detail"]


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (lambda model: False, "the user check returned False"),
        (lambda model: None, "the user check returned None"),
        (lambda model: 1 / 0, "the user check raised ZeroDivisionError: division by zero"),
    ],
)
def test_a_failing_user_check_rolls_back(store, models, check, expected):
    install(store, models, "v1")
    with pytest.raises(ModelError) as info:
        install(store, models, "v2", models.linear(w=models.W * 2), check=check)
    assert info.value.details["detail"] == f"version 'v2': {expected}"
    assert store.current("rul") == "v1"


def test_the_user_check_is_skipped_once_the_model_failed(store, models):
    calls = []
    with pytest.raises(ModelError):
        install(store, models, "v1", models.nan(), check=lambda model: calls.append(1) or True)
    assert calls == []


def test_outputs_must_have_their_declared_shape(store, models):
    with pytest.raises(ModelError) as info:
        install(store, models, "v1", models.nonzero())
    assert info.value.details["detail"] == (
        "version 'v1': sample 0: output 'y' has shape (2, 3), the model declares [2, 5]"
    )


def test_a_sample_that_fails_inference(store, models):
    with pytest.raises(ModelError) as info:
        install(store, models, "v1", models.free_inner(), samples=[[1, 1], [1, 1, 1]])
    detail = info.value.details["detail"]
    assert detail.startswith("version 'v1': sample 0: inference failed")
    assert "sample 1" not in detail  # the second sample is fine


def test_unshaped_inputs_need_samples(store, models):
    with pytest.raises(ModelError) as info:
        install(store, models, "v1", models.unshaped())
    assert "input 'x' declares no shape; pass samples" in info.value.details["detail"]
    install(store, models, "v1", models.unshaped(), samples=[np.ones(4, dtype=np.float32)])
    assert store.current("rul") == "v1"


def test_non_tensor_and_string_outputs_pass(store, models):
    install(store, models, "v1", models.sequence_out())
    install(store, models, "s1", models.strings(), name="words")
    assert store.current("rul") == "v1" and store.current("words") == "s1"


def test_a_failed_reinstall_of_the_current_version_keeps_its_file(store, models):
    install(store, models, "v1")
    with pytest.raises(ModelError):
        install(store, models, "v1", check=lambda model: False)
    assert store.current("rul") == "v1"
    np.testing.assert_allclose(store.load_current("rul").predict([1, 0, 0]), [1.5, 1.5])


def test_check_health_directly(model_file, models):
    from cad_ml_edge.inference import OnnxModel

    model = OnnxModel.load(model_file(models.strings()))
    assert synthetic_feed(model)["x"].tolist() == [""]
    assert check_health(model) == []
    bad = OnnxModel.load(model_file(models.nan(), "nan.onnx"))
    assert check_health(bad, samples=[[1, 2, 3], [0, 0, 0]]) == [
        "sample 0: output 'y' has 2 non-finite value(s)",
        "sample 1: output 'y' has 2 non-finite value(s)",
    ]


# -- rollback() and load_current() --------------------------------------------------------


def test_rollback_swaps_current_and_previous(store, models):
    install(store, models, "v1")
    install(store, models, "v2", models.linear(w=models.W * 2))
    assert store.rollback("rul") == "v1"
    assert (store.current("rul"), store.previous("rul")) == ("v1", "v2")
    np.testing.assert_allclose(store.load_current("rul").predict([1, 0, 0]), [1.5, 1.5])
    assert store.rollback("rul") == "v2"
    np.testing.assert_allclose(store.load_current("rul").predict([1, 0, 0]), [2.5, 3.5])


def test_rollback_without_a_previous_version(store, models):
    with pytest.raises(ModelError) as info:
        store.rollback("rul")
    assert info.value.details["detail"] == "there is no previous version to roll back to"
    install(store, models, "v1")
    with pytest.raises(ModelError):
        store.rollback("rul")
    assert store.current("rul") == "v1"


def test_rollback_refuses_a_missing_previous_file(store, models):
    install(store, models, "v1")
    install(store, models, "v2", models.linear(w=models.W * 2))
    (store.root / "rul" / "v1.onnx").unlink()
    with pytest.raises(ModelError) as info:
        store.rollback("rul")
    assert "version 'v1': file" in info.value.details["detail"]
    assert info.value.details["detail"].endswith("is missing")
    assert store.current("rul") == "v2"


def test_a_corrupt_file_is_detected_on_load(store, models):
    install(store, models, "v1")
    install(store, models, "v2", models.linear(w=models.W * 2))
    path = store.root / "rul" / "v1.onnx"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError) as info:
        store.rollback("rul")
    assert "the store is corrupt" in info.value.details["detail"]
    assert store.current("rul") == "v2"
    (store.root / "rul" / "v2.onnx").write_bytes(b"tampered")
    with pytest.raises(ModelError) as info:
        store.load_current("rul")
    assert "the store is corrupt" in info.value.details["detail"]


@pytest.mark.parametrize(
    "manifest",
    [
        b"{not json",
        b"[]",
        b'{"current": null}',
        b'{"current": {"version": "../x", "sha256": "' + b"0" * 64 + b'", "installed_at": 1},'
        b' "previous": null}',
        b'{"current": {"version": "v1", "sha256": "' + b"0" * 64 + b'", "installed_at": "x"},'
        b' "previous": null}',
    ],
)
def test_an_unreadable_manifest_is_an_error(store, models, manifest):
    folder = store.root / "rul"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_bytes(manifest)
    with pytest.raises(ModelError) as info:
        store.current("rul")
    assert "manifest" in info.value.details["detail"] and "is unreadable" in str(info.value)
    with pytest.raises(ModelError):
        install(store, models, "v1")


# -- crash safety ------------------------------------------------------------------------


def test_leftovers_of_a_crash_never_become_current(store, models):
    install(store, models, "v1")
    folder = store.root / "rul"
    data = models.linear(w=models.W * 2)
    # a crash while writing the next version, while writing the manifest, and between
    # the rename and the manifest switch
    (folder / ".tmp-abc.part").write_bytes(data[: len(data) // 3])
    (folder / ".tmp-def.json").write_text('{"current": {"version": "v2"')
    (folder / "v2.onnx").write_bytes(data)
    assert store.current("rul") == "v1"
    np.testing.assert_allclose(store.load_current("rul").predict([1, 0, 0]), [1.5, 1.5])
    install(store, models, "v3", models.linear(w=models.W * 3))
    assert files(store) == ["manifest.json", "v1.onnx", "v3.onnx"]


def test_an_orphan_with_another_digest_is_overwritten(store, models):
    install(store, models, "v1")
    (store.root / "rul" / "v2.onnx").write_bytes(b"half of something")
    data = models.linear(w=models.W * 2)
    install(store, models, "v2", data)
    assert (store.root / "rul" / "v2.onnx").read_bytes() == data


def test_a_broken_stream_leaves_no_file(store, models):
    install(store, models, "v1")
    data = models.linear(w=models.W * 2)

    def chunks():
        yield data[:100]
        raise ConnectionResetError("peer went away")

    with pytest.raises(ModelError) as info:
        store.install_stream("rul", "v2", chunks(), models.sha(data))
    assert "peer went away" in info.value.details["detail"]
    assert files(store) == ["manifest.json", "v1.onnx"]

    def interrupted():
        yield data[:100]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.install_stream("rul", "v2", interrupted(), models.sha(data))
    assert files(store) == ["manifest.json", "v1.onnx"]


def test_a_full_disk_installs_nothing(store, models):
    install(store, models, "v1")
    data = models.big(1)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, old_limit[1]))
    try:
        with pytest.raises(ModelError) as info:
            install(store, models, "v2", data)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert "cannot write" in info.value.details["detail"]
    assert "File too large" in info.value.details["detail"]
    assert files(store) == ["manifest.json", "v1.onnx"]
    assert store.current("rul") == "v1"


def test_a_manifest_that_cannot_be_written(store, models):
    install(store, models, "v1")
    install(store, models, "v2", models.linear(w=models.W * 2))
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, old_limit[1]))  # smaller than a manifest
    try:
        with pytest.raises(ModelError) as info:
            store.rollback("rul")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert "cannot write" in info.value.details["detail"]
    assert (store.current("rul"), store.previous("rul")) == ("v2", "v1")
    assert files(store) == ["manifest.json", "v1.onnx", "v2.onnx"]


def test_a_manifest_that_is_a_directory(store, models):
    (store.root / "rul" / "manifest.json").mkdir(parents=True)
    with pytest.raises(ModelError) as info:
        store.current("rul")
    assert "Is a directory" in info.value.details["detail"]


CHILD = textwrap.dedent(
    """
    import sys
    from cad_ml_edge.inference import ModelStore

    root, a, b = sys.argv[1:4]
    blobs = [open(a, "rb").read(), open(b, "rb").read()]
    import hashlib
    digests = [hashlib.sha256(x).hexdigest() for x in blobs]
    store = ModelStore(root)
    print("ready", flush=True)
    i = int(sys.argv[4])
    while True:
        k = i % 2
        store.install("big", f"v{i}", blobs[k], digests[k])
        print(f"v{i}", flush=True)
        i += 1
    """
)


def test_sigkill_during_installs_never_corrupts_the_store(tmp_path, models):
    a = tmp_path / "a.onnx"
    b = tmp_path / "b.onnx"
    a.write_bytes(models.big(4, scale=1.0))
    b.write_bytes(models.big(4, scale=2.0))
    root = tmp_path / "store"
    rng = np.random.default_rng(7)
    start = 0
    interrupted = 0  # kills that left a partial temp file or an unswitched version
    for _ in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), str(a), str(b), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout.readline().strip() == "ready"
        assert child.stdout.readline().strip() == f"v{start}"  # installing in a loop now
        time.sleep(float(rng.uniform(0.0, 0.1)))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        last = int([f"v{start}", *out.split()][-1][1:])
        store = ModelStore(root)
        current = store.current("big")
        # the last acknowledged install, or the next one if the kill came after the
        # manifest switch but before the acknowledgement
        assert current in (f"v{last}", f"v{last + 1}")
        n = int(current[1:])
        previous = None if n == 0 else f"v{n - 1}"
        assert store.previous("big") == previous
        y = store.load_current("big").predict([1.0, 1.0])
        assert float(y[0]) == (2.0 if n % 2 == 0 else 4.0)
        names = {p.name for p in (root / "big").iterdir()}
        expected = {"manifest.json", f"v{n}.onnx", f"{previous}.onnx"} - {"None.onnx"}
        interrupted += names != expected
        start = n + 1
    assert interrupted > 0  # some kills did land mid-install
    # the store still takes installs, sweeping whatever the kills left
    store = ModelStore(root)
    data = models.linear()
    store.install("big", "final", data, models.sha(data))
    assert sorted(p.name for p in (root / "big").iterdir()) == [
        "final.onnx",
        "manifest.json",
        f"v{start - 1}.onnx",
    ]
