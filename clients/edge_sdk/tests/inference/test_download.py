"""download_model against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from cad_ml_edge.errors import ModelError
from cad_ml_edge.inference import ModelStore, download_model, model_download_url

PATH = "/api/v1/model/rul/download?version=v2"


@pytest.fixture
def store(tmp_path, models):
    store = ModelStore(tmp_path / "models")
    data = models.linear()
    store.install("rul", "v1", data, models.sha(data))
    return store


@pytest.fixture
def v2(models):
    return models.linear(w=models.W * 2)


def failed(exc_info) -> str:
    assert exc_info.value.code == "EDGE_MODEL_DOWNLOAD_FAILED"
    return exc_info.value.details["detail"]


def untouched(store):
    assert (store.current("rul"), store.previous("rul")) == ("v1", None)
    names = sorted(p.name for p in (store.root / "rul").iterdir())
    assert names == ["manifest.json", "v1.onnx"]


def test_url():
    assert model_download_url("http://h:1", "rul", "v2") == "http://h:1" + PATH
    assert model_download_url("http://h:1/", "a/b", "1 0&x") == (
        "http://h:1/api/v1/model/a%2Fb/download?version=1+0%26x"
    )


def test_download_installs_and_switches(model_server, store, models, v2):
    model_server.serve(PATH, v2)
    model = download_model(
        model_server.url, store, "rul", "v2", models.sha(v2), api_key="dev-key-1"
    )
    np.testing.assert_allclose(model.predict([1, 0, 0]), [2.5, 3.5])
    assert (store.current("rul"), store.previous("rul")) == ("v2", "v1")
    ((path, headers),) = model_server.requests
    assert path == PATH
    assert headers["Authorization"] == "Bearer dev-key-1"
    assert headers["Accept"] == "application/octet-stream"


def test_without_a_key_no_authorization_is_sent(model_server, store, models, v2):
    model_server.serve(PATH, v2, mode="nolength")  # body delimited by the close
    download_model(model_server.url + "/", store, "rul", "v2", models.sha(v2))
    assert "Authorization" not in model_server.requests[0][1]
    assert store.current("rul") == "v2"


def test_a_redirect_does_not_carry_the_key(model_server, store, models, v2):
    model_server.serve(PATH, status=302, mode="redirect", location="/blobs/rul-v2")
    model_server.serve("/blobs/rul-v2", v2)
    download_model(model_server.url, store, "rul", "v2", models.sha(v2), api_key="secret")
    (first, second) = model_server.requests
    assert first[1]["Authorization"] == "Bearer secret"
    assert second[0] == "/blobs/rul-v2" and "Authorization" not in second[1]
    assert store.current("rul") == "v2"


def test_a_truncated_body_is_refused(model_server, store, models, v2):
    model_server.serve(PATH, v2, mode="truncate")
    with pytest.raises(ModelError) as info:
        download_model(model_server.url, store, "rul", "v2", models.sha(v2))
    assert failed(info) == f"truncated body: {len(v2) // 2} of {len(v2)} bytes"
    assert info.value.details["url"] == model_server.url + PATH
    untouched(store)


def test_a_broken_chunked_body_is_refused(model_server, store, models, v2):
    model_server.serve(PATH, v2, mode="chunked-cut")
    with pytest.raises(ModelError) as info:
        download_model(model_server.url, store, "rul", "v2", models.sha(v2))
    half = len(v2) // 2
    assert failed(info).startswith(f"connection lost after {half} bytes (IncompleteRead")
    untouched(store)


def test_a_stalled_body_times_out(model_server, store, models, v2):
    model_server.serve(PATH, v2, mode="stall")
    with pytest.raises(ModelError) as info:
        download_model(model_server.url, store, "rul", "v2", models.sha(v2), timeout=0.3)
    assert failed(info).startswith("connection lost after 10 bytes (TimeoutError")
    untouched(store)


def test_a_wrong_sha256_is_refused(model_server, store, models, v2):
    model_server.serve(PATH, v2)
    with pytest.raises(ModelError) as info:
        download_model(model_server.url, store, "rul", "v2", models.sha(b"other"))
    assert info.value.code == "EDGE_MODEL_INVALID"
    assert info.value.details["detail"].startswith("sha256 mismatch")
    untouched(store)


def test_a_bad_version_rolls_back(model_server, store, models):
    bad = models.nan()
    model_server.serve(PATH, bad)
    with pytest.raises(ModelError) as info:
        download_model(model_server.url, store, "rul", "v2", models.sha(bad))
    assert info.value.code == "EDGE_MODEL_ROLLED_BACK"
    untouched(store)


def test_samples_and_check_reach_the_health_check(model_server, store, models, v2):
    model_server.serve(PATH, v2)
    with pytest.raises(ModelError) as info:
        download_model(
            model_server.url,
            store,
            "rul",
            "v2",
            models.sha(v2),
            samples=[[1, 2, 3]],
            check=lambda model: bool(model.predict([1, 0, 0])[0] < 2),
        )
    assert info.value.details["detail"] == "version 'v2': the user check returned False"
    untouched(store)


def test_http_errors(model_server, store, models, v2):
    with pytest.raises(ModelError) as info:
        download_model(model_server.url, store, "rul", "v2", models.sha(v2))
    assert failed(info) == "HTTP 404 no such model"
    model_server.serve(PATH, v2, status=203)
    with pytest.raises(ModelError) as info:
        download_model(model_server.url, store, "rul", "v2", models.sha(v2))
    assert failed(info) == "HTTP 203 Non-Authoritative Information"
    untouched(store)


def test_connection_refused(store, models, v2):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ModelError) as info:
        download_model(f"http://127.0.0.1:{port}", store, "rul", "v2", models.sha(v2))
    assert "Connection refused" in failed(info)
    untouched(store)


def test_only_http_and_https(store, models, v2, tmp_path):
    with pytest.raises(ModelError) as info:
        download_model(f"file://{tmp_path}", store, "rul", "v2", models.sha(v2))
    assert failed(info) == "only http and https URLs are supported"


def test_arguments_are_checked_before_any_request(store, models):
    with pytest.raises(ModelError) as info:
        download_model("http://127.0.0.1:9", store, "../rul", "v2", "0" * 64)
    assert "invalid model name" in info.value.details["detail"]
    with pytest.raises(ModelError) as info:
        download_model("http://127.0.0.1:9", store, "rul", "v2", "xyz")
    assert "sha256 must be 64 hex digits" in info.value.details["detail"]
