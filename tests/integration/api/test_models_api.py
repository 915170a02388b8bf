"""The model registry and inference over HTTP, on the real app (SQLite and PostgreSQL).

Models are tiny ONNX graphs built with onnx.helper (and one pickled scikit-learn
classifier, converted in the sandbox process); their answers are computed here with
numpy. Each test names its models itself: the app is shared by the module.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import time
from typing import Any

import numpy as np
import onnx
import pytest
import trimesh
from onnx import TensorProto, helper, numpy_helper

CLASSES = ["plate", "shaft"]
W = np.array([[1.0, -1.0], [0.5, 2.0], [-2.0, 0.25]], np.float32)
B = np.array([0.0, 1.0], np.float32)


def _onnx(nodes: list[Any], inputs: list[Any], outputs: list[Any], inits: list[Any]) -> bytes:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="tests"
    ).SerializeToString()


def _linear(w: np.ndarray = W, b: np.ndarray = B) -> bytes:
    """``logits = x @ w + b`` for ``x`` of shape ``(batch, 3)``."""
    value = helper.make_tensor_value_info
    return _onnx(
        [
            helper.make_node("MatMul", ["x", "w"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["logits"]),
        ],
        [value("x", TensorProto.FLOAT, ["batch", 3])],
        [value("logits", TensorProto.FLOAT, ["batch", int(w.shape[1])])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )


def _point_classifier() -> bytes:
    """``logits = [0, 2 max_i |p_i|^2]`` for ``points`` of shape ``(batch, 1024, 3)``.

    The served cloud is scaled into the unit ball with its farthest point at distance 1
    (:mod:`cadml.ml.parts.pointcloud`), so for any part the logits are ``[0, 2]``. (Not
    ``[0, 1]``: a non-negative row summing to 1 is taken for probabilities.)
    """
    value = helper.make_tensor_value_info
    return _onnx(
        [
            helper.make_node("ReduceSumSquare", ["points"], ["r2"], axes=[2], keepdims=0),
            helper.make_node("ReduceMax", ["r2"], ["far"], axes=[1], keepdims=1),
            helper.make_node("MatMul", ["far", "w"], ["logits"]),
        ],
        [value("points", TensorProto.FLOAT, ["batch", 1024, 3])],
        [value("logits", TensorProto.FLOAT, ["batch", 2])],
        [numpy_helper.from_array(np.array([[0.0, 2.0]], np.float32), "w")],
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _headers(
    platform: Any, scopes: tuple[str, ...] = ("models:read", "models:write")
) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.key(list(scopes))}"}


def _upload(
    platform: Any,
    headers: dict[str, str],
    name: str,
    data: bytes,
    fmt: str = "onnx",
    **form: str,
) -> Any:
    return platform.client.post(
        f"/api/v1/model/{name}/versions",
        files={"file": (f"{name}.bin", data, "application/octet-stream")},
        data={"format": fmt, **form},
        headers=headers,
    )


def _classifier(platform: Any, headers: dict[str, str], name: str) -> dict[str, Any]:
    r = _upload(
        platform,
        headers,
        name,
        _linear(),
        task="classification",
        meta=json.dumps({"classes": CLASSES}),
        metrics=json.dumps({"accuracy": 0.93}),
        tags="cnc, prod,cnc",
        description="toy classifier",
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = dict(r.json()["error"])
    assert error["code"] == code
    return error


# -- uploads ---------------------------------------------------------------------------------


def test_an_onnx_upload_is_stored_with_its_schema(platform: Any) -> None:
    headers = _headers(platform)

    body = _classifier(platform, headers, "up-onnx")

    assert (body["name"], body["version"], body["format"], body["framework"]) == (
        "up-onnx",
        1,
        "onnx",
        "onnx",
    )
    assert body["inputs"] == [{"name": "x", "dtype": "float32", "shape": [None, 3]}]
    assert body["outputs"] == [{"name": "logits", "dtype": "float32", "shape": [None, 2]}]
    assert body["sha256"] == hashlib.sha256(_linear()).hexdigest()
    assert body["size_bytes"] == len(_linear())
    assert body["servable"] is True and body["deprecated"] is False
    assert body["tags"] == ["cnc", "prod"] and body["metrics"] == {"accuracy": 0.93}
    assert body["meta"]["classes"] == CLASSES and body["meta"]["onnx"]["producer"] == "tests"
    assert body["download_count"] == 0 and body["aliases"] == []
    assert _classifier(platform, headers, "up-onnx")["version"] == 2


def test_a_sklearn_pickle_upload_is_converted_and_served(platform: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    headers = _headers(platform)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(90, 3))
    labels = np.array(["ok", "worn", "broken"])[np.digitize(x @ [1.0, -1.0, 0.5], [-1.0, 1.0])]
    model = LogisticRegression(max_iter=500).fit(x, labels)

    r = _upload(platform, headers, "up-skl", pickle.dumps(model), "sklearn", task="classification")

    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["format"], body["framework"], body["servable"]) == ("sklearn", "sklearn", True)
    assert body["meta"]["upload_check"]["estimator"] == "LogisticRegression"
    assert body["meta"]["upload_check"]["parity"] == {"labels_equal": True}
    assert body["inputs"] == [{"name": "input", "dtype": "float32", "shape": [None, 3]}]

    probe = rng.normal(size=(7, 3)).astype(np.float32)
    answer = platform.client.post(
        "/api/v1/inference/up-skl", json={"inputs": probe.tolist()}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == list(model.predict(probe))
    np.testing.assert_allclose(
        answer.json()["confidences"], model.predict_proba(probe).max(axis=1), atol=1e-5
    )
    # The upload itself (the pickle) downloads unchanged; ?serving gives the ONNX file.
    original = platform.client.get("/api/v1/model/up-skl/download", headers=headers)
    assert original.content == pickle.dumps(model)
    assert original.headers["content-disposition"].endswith('up-skl-v1.pkl"')
    serving = platform.client.get("/api/v1/model/up-skl/download?serving=true", headers=headers)
    assert original.headers["X-Model-Sha256"] == hashlib.sha256(original.content).hexdigest()
    serving_model = onnx.load_from_string(serving.content)
    assert [i.name for i in serving_model.graph.input] == ["input"]
    assert serving.headers["content-disposition"].endswith('up-skl-v1.onnx"')


def test_a_serving_download_names_the_sha256_of_its_body(platform: Any) -> None:
    from sklearn.linear_model import LinearRegression

    headers = _headers(platform)
    x = np.random.default_rng(3).normal(size=(20, 3))
    model = LinearRegression().fit(x, x @ [1.0, 2.0, 3.0])
    r = _upload(platform, headers, "sha-skl", pickle.dumps(model), "sklearn", task="regression")
    assert r.status_code == 201, r.text

    serving = platform.client.get("/api/v1/model/sha-skl/download?serving=true", headers=headers)

    assert serving.status_code == 200
    assert serving.headers["X-Model-Sha256"] == hashlib.sha256(serving.content).hexdigest()


def test_bad_uploads_are_refused_and_store_nothing(platform: Any) -> None:
    headers = _headers(platform)

    error = _error(
        _upload(platform, headers, "up-bad", b"definitely not onnx"), 422, "ML_MODEL_INVALID_FILE"
    )
    assert error["message_en"].startswith("The uploaded onnx model failed its test inference")
    assert error["message_tr"].startswith("Yüklenen onnx modeli deneme çıkarımında")
    assert error["suggestions"] and error["suggestions"][0]["tr"]

    error = _error(
        _upload(platform, headers, "up-bad", _linear(), "pmml"), 422, "ML_MODEL_UNSUPPORTED_FORMAT"
    )
    assert "pmml" in error["message_en"] and "onnx" in error["details"]["allowed"]

    for bad_name in ("Upper", "-dash-first", "x" * 129):
        _error(_upload(platform, headers, bad_name, _linear()), 422, "ML_MODEL_INVALID_NAME")
    _error(
        _upload(platform, headers, "up-bad", _linear(), task="vision"),
        422,
        "VALIDATION_INVALID_VALUE",
    )
    error = _error(
        _upload(platform, headers, "up-bad", _linear(), metrics="{not json"),
        422,
        "VALIDATION_INVALID_VALUE",
    )
    assert error["details"]["field"] == "metrics"

    missing = platform.client.get("/api/v1/model/up-bad/info", headers=headers)
    _error(missing, 404, "ML_MODEL_NOT_FOUND")
    names = {
        v["name"]
        for v in platform.client.get("/api/v1/model/versions", headers=headers).json()["versions"]
    }
    assert "up-bad" not in names


# -- reading -----------------------------------------------------------------------------------


def test_versions_info_and_downloads(platform: Any) -> None:
    headers = _headers(platform)
    _classifier(platform, headers, "rd-a")
    _classifier(platform, headers, "rd-a")
    other = _linear(b=np.array([5.0, -5.0], np.float32))
    assert _upload(platform, headers, "rd-b", other).status_code == 201

    listed = platform.client.get("/api/v1/model/versions", headers=headers)
    assert listed.status_code == 200
    mine = [
        (v["name"], v["version"])
        for v in listed.json()["versions"]
        if v["name"] in ("rd-a", "rd-b")
    ]
    assert mine == [("rd-a", 1), ("rd-a", 2), ("rd-b", 1)]

    info = platform.client.get("/api/v1/model/rd-a/info", headers=headers).json()
    assert (info["name"], info["task"], info["description"]) == (
        "rd-a",
        "classification",
        "toy classifier",
    )
    assert info["default_version"] == 2 and info["aliases"] == {}
    assert [v["version"] for v in info["versions"]] == [1, 2]

    for expected_count in (1, 2):
        r = platform.client.get("/api/v1/model/rd-a/download?version=1", headers=headers)
        assert r.status_code == 200 and r.content == _linear()
        assert r.headers["X-Model-Version"] == "1"
        assert r.headers["X-Model-Sha256"] == hashlib.sha256(r.content).hexdigest()
        assert r.headers["content-disposition"] == 'attachment; filename="rd-a-v1.onnx"'
        counts = {
            v["version"]: v["download_count"]
            for v in platform.client.get("/api/v1/model/rd-a/info", headers=headers).json()[
                "versions"
            ]
        }
        assert counts == {1: expected_count, 2: 0}
    latest = platform.client.get("/api/v1/model/rd-b/download", headers=headers)
    assert latest.content == other and latest.headers["X-Model-Version"] == "1"
    info = platform.client.get("/api/v1/model/rd-a/info", headers=headers).json()
    assert info["download_count"] == 2
    _error(
        platform.client.get("/api/v1/model/rd-a/download?version=9", headers=headers),
        404,
        "ML_MODEL_NOT_FOUND",
    )


# -- aliases, deprecation -------------------------------------------------------------------------


def test_aliases_rollback_and_deprecation(platform: Any) -> None:
    headers = _headers(platform)
    for _ in range(3):
        _classifier(platform, headers, "al")
    client = platform.client

    def put(alias: str, version: Any) -> Any:
        return client.put(
            f"/api/v1/model/al/aliases/{alias}", json={"version": version}, headers=headers
        )

    def rollback(alias: str = "champion") -> Any:
        return client.post(f"/api/v1/model/al/aliases/{alias}/rollback", headers=headers)

    assert put("champion", 1).json() == {"alias": "champion", "version": 1, "previous": None}
    _error(rollback(), 409, "ML_MODEL_NO_ROLLBACK")
    assert put("champion", 2).json() == {"alias": "champion", "version": 2, "previous": 1}
    assert put("challenger", "champion").json()["version"] == 2  # an alias names a version
    assert rollback().json() == {"alias": "champion", "version": 1, "previous": 2}
    assert rollback().json() == {"alias": "champion", "version": 2, "previous": 1}
    info = client.get("/api/v1/model/al/info", headers=headers).json()
    assert info["default_version"] == 2
    assert info["aliases"]["champion"]["previous_version"] == 1
    assert {v["version"]: v["aliases"] for v in info["versions"]} == {
        1: [],
        2: ["challenger", "champion"],
        3: [],
    }
    _error(put("Champion", 1), 422, "ML_MODEL_INVALID_NAME")
    _error(put("champion", 7), 404, "ML_MODEL_NOT_FOUND")
    _error(rollback("nobody"), 404, "ML_MODEL_NOT_FOUND")

    deprecated = client.post(
        "/api/v1/model/al/versions/3/deprecate", json={"note": "overfits"}, headers=headers
    )
    assert deprecated.status_code == 200
    assert (deprecated.json()["deprecated"], deprecated.json()["deprecation_note"]) == (
        True,
        "overfits",
    )
    error = _error(put("champion", 3), 409, "ML_MODEL_DEPRECATED")
    assert error["message_tr"]

    tags = client.put(
        "/api/v1/model/al/versions/2/tags", json={"tags": ["b", "a", "b"]}, headers=headers
    )
    assert tags.json()["tags"] == ["a", "b"]


def test_default_resolution_skips_a_deprecated_newest_version(platform: Any) -> None:
    headers = _headers(platform)
    _upload(
        platform, headers, "dep", _linear(b=np.array([1.0, 0.0], np.float32)), task="classification"
    )
    _upload(
        platform, headers, "dep", _linear(b=np.array([0.0, 1.0], np.float32)), task="classification"
    )
    zero = {"inputs": [0.0, 0.0, 0.0]}
    assert (
        platform.client.post("/api/v1/inference/dep", json=zero, headers=headers).json()["version"]
        == 2
    )

    r = platform.client.post("/api/v1/model/dep/versions/2/deprecate", json={}, headers=headers)
    assert r.status_code == 200

    answer = platform.client.post("/api/v1/inference/dep", json=zero, headers=headers).json()
    assert (answer["version"], answer["predictions"]) == (1, [0])
    assert (
        platform.client.get("/api/v1/model/dep/info", headers=headers).json()["default_version"]
        == 1
    )
    download = platform.client.get("/api/v1/model/dep/download", headers=headers)
    assert download.headers["X-Model-Version"] == "1"
    by_number = platform.client.post(
        "/api/v1/inference/dep", json={**zero, "version": 2}, headers=headers
    )
    assert by_number.json()["version"] == 2  # still served by number

    lifted = platform.client.post(
        "/api/v1/model/dep/versions/2/deprecate", json={"deprecated": False}, headers=headers
    )
    assert lifted.json()["deprecated"] is False
    assert (
        platform.client.post("/api/v1/inference/dep", json=zero, headers=headers).json()["version"]
        == 2
    )


# -- inference ---------------------------------------------------------------------------------


def test_inference_of_one_sample_and_a_batch(platform: Any) -> None:
    headers = _headers(platform)
    _classifier(platform, headers, "inf")
    x = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.5]], np.float32)
    logits = x.astype(np.float64) @ W + B
    shares = _softmax(logits)

    one = platform.client.post(
        "/api/v1/inference/inf", json={"inputs": x[0].tolist()}, headers=headers
    )
    assert one.status_code == 200, one.text
    assert one.json()["single"] is True and one.json()["batch"] == 1
    assert one.json()["predictions"] == [CLASSES[int(logits[0].argmax())]]

    many = platform.client.post(
        "/api/v1/inference/inf", json={"inputs": x.tolist(), "version": 1}, headers=headers
    ).json()
    assert many["single"] is False and many["version"] == 1
    assert many["predictions"] == [CLASSES[i] for i in logits.argmax(axis=1)]
    np.testing.assert_allclose(many["confidences"], shares.max(axis=1), atol=2e-6)

    bad = platform.client.post(
        "/api/v1/inference/inf", json={"inputs": [[1.0, 2.0]]}, headers=headers
    )
    error = _error(bad, 422, "ML_INFERENCE_BAD_INPUT")
    assert error["details"]["reason"] == "axis 1 must be 3, got 2"
    _error(
        platform.client.post("/api/v1/inference/ghost", json={"inputs": [1.0]}, headers=headers),
        404,
        "ML_MODEL_NOT_FOUND",
    )


def test_a_large_batch_becomes_a_job(platform: Any) -> None:
    headers = _headers(platform)
    _classifier(platform, headers, "big")
    x = np.random.default_rng(4).normal(size=(1100, 3)).astype(np.float32)
    logits = x.astype(np.float64) @ W + B

    r = platform.client.post("/api/v1/inference/big", json={"inputs": x.tolist()}, headers=headers)

    assert r.status_code == 202, r.text
    poll = r.json()["poll"]
    assert poll == f"/api/v1/inference/jobs/{r.json()['id']}"
    deadline = time.monotonic() + 10.0
    while (job := platform.client.get(poll, headers=headers).json())["status"] not in (
        "succeeded",
        "failed",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "succeeded", job
    assert job["result"]["batch"] == 1100
    assert job["result"]["predictions"] == [CLASSES[i] for i in logits.argmax(axis=1)]

    small = platform.client.post(
        "/api/v1/inference/big", json={"inputs": x[:2].tolist(), "async": True}, headers=headers
    )
    assert small.status_code == 202
    _error(
        platform.client.get("/api/v1/inference/jobs/nope", headers=headers), 404, "NOT_FOUND_JOB"
    )


def test_one_long_sample_is_answered_synchronously(platform: Any) -> None:
    headers = _headers(platform)
    value = helper.make_tensor_value_info
    wide = _onnx(
        [helper.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=0)],
        [value("x", TensorProto.FLOAT, ["batch", 2000])],
        [value("y", TensorProto.FLOAT, ["batch"])],
        [],
    )
    assert _upload(platform, headers, "wide", wide).status_code == 201

    r = platform.client.post(
        "/api/v1/inference/wide", json={"inputs": [0.5] * 2000}, headers=headers
    )

    assert r.status_code == 200, r.text
    assert (r.json()["predictions"], r.json()["single"]) == ([0.5], True)


def test_monitoring_counts_the_requests(platform: Any) -> None:
    headers = _headers(platform)
    _classifier(platform, headers, "mon")
    for _ in range(3):
        platform.client.post(
            "/api/v1/inference/mon", json={"inputs": [[0.0, 0.0, 0.0]] * 2}, headers=headers
        )
    platform.client.post("/api/v1/inference/mon", json={"inputs": [1.0]}, headers=headers)

    r = platform.client.get("/api/v1/model/mon/monitoring", headers=headers)

    assert r.status_code == 200
    (version,) = r.json()["versions"]
    assert (version["model"], version["version"]) == ("mon", 1)
    assert (version["requests"], version["errors"], version["samples"]) == (4, 1, 6)
    assert version["error_rate"] == 0.25
    _error(
        platform.client.get("/api/v1/model/ghost/monitoring", headers=headers),
        404,
        "ML_MODEL_NOT_FOUND",
    )


# -- access ------------------------------------------------------------------------------------


def test_scopes_and_authentication(platform: Any) -> None:
    writer = _headers(platform)
    _classifier(platform, writer, "acl")
    reader = _headers(platform, ("models:read",))

    forbidden = _error(_upload(platform, reader, "acl", _linear()), 403, "AUTH_FORBIDDEN")
    assert forbidden["details"]["scope"] == "models:write"
    put = platform.client.put(
        "/api/v1/model/acl/aliases/champion", json={"version": 1}, headers=reader
    )
    _error(put, 403, "AUTH_FORBIDDEN")
    assert platform.client.get("/api/v1/model/acl/info", headers=reader).status_code == 200
    assert (
        platform.client.post(
            "/api/v1/inference/acl", json={"inputs": [0.0, 0.0, 0.0]}, headers=reader
        ).status_code
        == 200
    )

    _error(_upload(platform, {}, "acl", _linear()), 401, "AUTH_REQUIRED")
    _error(platform.client.get("/api/v1/model/versions"), 401, "AUTH_REQUIRED")
    _error(
        platform.client.post("/api/v1/inference/acl", json={"inputs": [0.0, 0.0, 0.0]}),
        401,
        "AUTH_REQUIRED",
    )
    info = platform.client.get("/api/v1/model/acl/info", headers=writer).json()
    assert len(info["versions"]) == 1  # the refused upload stored nothing


# -- part classification -----------------------------------------------------------------------


def test_classify_an_uploaded_stl(platform: Any) -> None:
    headers = _headers(platform)
    r = _upload(
        platform,
        headers,
        "parts-toy",
        _point_classifier(),
        task="classification",
        meta=json.dumps({"classes": CLASSES}),
    )
    assert r.status_code == 201, r.text
    assert r.json()["inputs"] == [{"name": "points", "dtype": "float32", "shape": [None, 1024, 3]}]
    stl = trimesh.creation.box(extents=(40.0, 20.0, 10.0)).export(file_type="stl")

    answer = platform.client.post(
        "/api/v1/inference/classify",
        files={"file": ("box.stl", stl, "model/stl")},
        data={"model": "parts-toy"},
        headers=headers,
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Logits [0, 2]: class 1 with probability e^2 / (1 + e^2).
    assert body["family"] == "shaft" and body["family"] in CLASSES
    assert body["confidence"] == pytest.approx(1.0 / (1.0 + math.exp(-2.0)), abs=1e-5)
    assert (body["model"], body["version"], body["triangles"]) == ("parts-toy", 1, 12)
    monitoring = platform.client.get("/api/v1/model/parts-toy/monitoring", headers=headers).json()
    assert monitoring["versions"][0]["requests"] == 1


def test_classify_needs_exactly_one_of_file_and_design(platform: Any) -> None:
    headers = _headers(platform)
    neither = platform.client.post(
        "/api/v1/inference/classify", data={"model": "parts-toy"}, headers=headers
    )
    assert _error(neither, 422, "VALIDATION_INVALID_VALUE")["details"]["field"] == "file"
    both = platform.client.post(
        "/api/v1/inference/classify",
        files={"file": ("box.stl", b"solid x\nendsolid x\n", "model/stl")},
        data={"design_id": "d-1"},
        headers=headers,
    )
    _error(both, 422, "VALIDATION_INVALID_VALUE")


def test_export_names_the_platform_models_and_needs_a_trained_checkpoint(platform: Any) -> None:
    headers = _headers(platform)
    unknown = platform.client.post("/api/v1/model/quality-rf/export", json={}, headers=headers)
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["code"] == "ML_UNKNOWN_MODEL_KIND"
    assert "part-classifier" in unknown.json()["error"]["message"]
    untrained = platform.client.post(
        "/api/v1/model/part-classifier/export", json={"int8": True}, headers=headers
    )
    assert untrained.status_code == 404, untrained.text
    assert untrained.json()["error"]["code"] == "ML_NO_TRAINED_MODEL"
    reader = _headers(platform, ("models:read",))
    refused = platform.client.post("/api/v1/model/part-classifier/export", json={}, headers=reader)
    assert refused.status_code == 403


def test_inference_shows_in_the_prometheus_metrics(platform: Any) -> None:
    headers = _headers(platform)
    _classifier(platform, headers, "metered")
    ok = platform.client.post(
        "/api/v1/inference/metered", json={"inputs": [[1.0, 2.0, 3.0]]}, headers=headers
    )
    assert ok.status_code == 200, ok.text
    bad = platform.client.post(
        "/api/v1/inference/metered", json={"inputs": [[1.0, 2.0]]}, headers=headers
    )
    assert bad.status_code == 422
    text = platform.client.get("/metrics").text
    assert 'cadml_inference_requests_total{model="metered",outcome="ok",version="1"} 1.0' in text
    assert (
        'cadml_inference_requests_total{model="metered",outcome="ML_INFERENCE_BAD_INPUT",'
        'version=""} 1.0'
    ) in text
    assert 'cadml_inference_duration_seconds_count{model="metered"} 1.0' in text
    assert 'cadml_model_open_alerts{model="metered",version="1"}' in text
