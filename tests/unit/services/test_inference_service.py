"""InferenceService over a real ModelRegistry (SQLite in tmp_path, local artefact store).

Models are tiny ONNX graphs built with onnx.helper whose answers are computed here
independently with numpy; onnxruntime itself is never replaced.
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from polling import wait_for

from cadml.artefacts.local import LocalArtefactStore
from cadml.db import make_engine, make_session_factory, upgrade
from cadml.db.model_registry import ModelRegistryRepository
from cadml.errors import NotFoundError, ValidationError
from cadml.ml.monitoring import DriftReference
from cadml.services import inference as inference_module
from cadml.services.inference import CACHE_SIZE, InferenceService
from cadml.services.model_registry import ModelRegistry, Registration

CLASSES = ["bolt", "nut", "washer"]
W_CLASSIFIER = np.array(
    [[1.0, -2.0, 0.5], [0.0, 1.5, -1.0], [2.0, 0.25, 0.0], [-1.0, 0.0, 3.0]], np.float32
)
B_CLASSIFIER = np.array([0.1, -0.2, 0.3], np.float32)


def _linear_onnx(w: np.ndarray, b: np.ndarray, output: str = "logits") -> bytes:
    """``output = x @ w + b`` for ``x`` of shape ``(batch, w.shape[0])``."""
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], [output]),
        ],
        "linear",
        [value("x", TensorProto.FLOAT, ["batch", int(w.shape[0])])],
        [value(output, TensorProto.FLOAT, ["batch", int(w.shape[1])])],
        initializer=[
            numpy_helper.from_array(w.astype(np.float32), "w"),
            numpy_helper.from_array(b.astype(np.float32), "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def _two_input_onnx() -> bytes:
    """``total = a + b`` for two ``(batch, 2)`` inputs."""
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["total"])],
        "pair",
        [value("a", TensorProto.FLOAT, ["n", 2]), value("b", TensorProto.FLOAT, ["n", 2])],
        [value("total", TensorProto.FLOAT, ["n", 2])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _regressor(weights: list[float]) -> bytes:
    w = np.array(weights, np.float32)[:, None]
    return _linear_onnx(w, np.zeros(1, np.float32), output="y")


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[ModelRegistry]:
    """A registry as runtime.py builds it: migrated SQLite plus a local artefact store."""
    url = f"sqlite:///{tmp_path / 'cadml.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield ModelRegistry(
        ModelRegistryRepository(make_session_factory(engine)),
        LocalArtefactStore(tmp_path / "artefacts"),
    )
    engine.dispose()


@pytest.fixture
def service(registry: ModelRegistry) -> Iterator[InferenceService]:
    """The inference service (its job thread is stopped afterwards)."""
    inference = InferenceService(registry)
    yield inference
    inference.close()


@pytest.fixture
def classifier(registry: ModelRegistry) -> str:
    """A three-class linear classifier with named classes."""
    registry.register(
        "parts",
        _linear_onnx(W_CLASSIFIER, B_CLASSIFIER),
        "onnx",
        Registration(task="classification", meta={"classes": CLASSES}),
    )
    return "parts"


@pytest.fixture
def regressor(registry: ModelRegistry) -> str:
    """``y = x1 + 2 x2 + 3 x3 + 4 x4``."""
    registry.register("wear", _regressor([1, 2, 3, 4]), "onnx", Registration(task="regression"))
    return "wear"


def _monitor(service: InferenceService, name: str) -> dict[str, Any]:
    (snapshot,) = service.monitoring(name)
    return snapshot


# -- inputs ----------------------------------------------------------------------------------


def test_one_sample_and_a_batch(service: InferenceService, regressor: str) -> None:
    one = service.predict(regressor, [1.0, 1.0, 1.0, 1.0])
    assert (one["predictions"], one["confidences"]) == ([10.0], None)
    assert (one["single"], one["batch"], one["model"], one["version"]) == (True, 1, "wear", 1)
    assert one["latency_ms"] >= 0.0

    batch = [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.5], [2.0, -1.0, 0.25, 0.0]]
    many = service.predict(regressor, batch)
    assert many["single"] is False and many["batch"] == 3
    assert many["predictions"] == [1.0, 2.0, 0.75]  # exact in float32
    assert many["confidences"] is None

    keyed = service.predict(regressor, {"x": [[0.0, 1.0, 0.0, 0.0]]})
    assert keyed["predictions"] == [2.0] and keyed["single"] is False

    monitor = _monitor(service, regressor)
    assert (monitor["requests"], monitor["errors"], monitor["samples"]) == (3, 0, 5)


@pytest.mark.parametrize(
    ("inputs", "input_name", "reason"),
    [
        ([1.0, 2.0, 3.0], "x", "axis 1 must be 4, got 3"),
        ([[1.0, 2.0, 3.0, 4.0, 5.0]], "x", "axis 1 must be 4, got 5"),
        ([[[1.0, 2.0, 3.0, 4.0]]], "x", "expected shape [None, 4]"),
        ({"y": [1.0, 2.0, 3.0, 4.0]}, "y", "the model has no such input"),
        ({}, "x", "missing"),
        ([1.0, float("nan"), 3.0, 4.0], "x", "contains NaN or infinity"),
        ([[1.0, 2.0, 3.0, float("inf")]], "x", "contains NaN or infinity"),
        (["a", "b", "c", "d"], "x", "not float32 numbers"),
        ([[1.0, 2.0], [1.0, 2.0, 3.0, 4.0]], "x", "not float32 numbers"),
        ([], "x", "axis 1 must be 4, got 0"),
    ],
    ids=[
        "short",
        "long",
        "rank",
        "unknown",
        "missing",
        "nan",
        "inf",
        "text",
        "ragged",
        "empty",
    ],
)
def test_bad_inputs_are_refused_and_counted_as_errors(
    service: InferenceService, regressor: str, inputs: Any, input_name: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.predict(regressor, inputs)

    assert caught.value.code == "ML_INFERENCE_BAD_INPUT"
    assert caught.value.details["name"] == regressor
    assert caught.value.details["input"] == input_name
    assert reason in caught.value.details["reason"]
    monitor = _monitor(service, regressor)
    assert (monitor["requests"], monitor["errors"], monitor["samples"]) == (1, 1, 0)
    assert monitor["error_rate"] == 1.0 and monitor["latency_ms"]["p50"] == 0.0


def test_a_model_with_two_inputs_takes_an_object(
    service: InferenceService, registry: ModelRegistry
) -> None:
    registry.register("pair", _two_input_onnx(), "onnx", Registration())

    answer = service.predict("pair", {"a": [1.0, 2.0], "b": [0.5, 0.25]})
    assert answer["predictions"] == [[1.5, 2.25]] and answer["single"] is True

    refusals = [
        ([[1.0, 2.0]], "inputs", "give an object with a, b"),
        ({"a": [[1.0, 2.0]]}, "b", "missing"),
        ({"a": [[1.0, 2.0]], "b": [[1.0, 2.0], [3.0, 4.0]]}, "b", "inputs differ in batch size"),
    ]
    for inputs, name, reason in refusals:
        with pytest.raises(ValidationError) as caught:
            service.predict("pair", inputs)
        assert (caught.value.details["input"], caught.value.details["reason"]) == (name, reason)
    monitor = _monitor(service, "pair")
    assert (monitor["requests"], monitor["errors"]) == (4, 3)


# -- outputs ---------------------------------------------------------------------------------


def test_a_classifier_gives_class_names_and_softmax_confidences(
    service: InferenceService, classifier: str
) -> None:
    x = np.random.default_rng(3).normal(size=(6, 4)).astype(np.float32)
    logits = x.astype(np.float64) @ W_CLASSIFIER + B_CLASSIFIER
    shares = _softmax(logits)

    answer = service.predict(classifier, x.tolist(), raw=True)

    assert answer["predictions"] == [CLASSES[i] for i in logits.argmax(axis=1)]
    np.testing.assert_allclose(answer["outputs"]["logits"], logits, atol=1e-5)
    np.testing.assert_allclose(answer["confidences"], shares.max(axis=1), atol=2e-6)
    assert len(set(answer["predictions"])) > 1  # the inputs reach more than one class


def test_a_classifier_without_class_names_gives_indices(
    service: InferenceService, registry: ModelRegistry
) -> None:
    registry.register(
        "anon",
        _linear_onnx(W_CLASSIFIER, B_CLASSIFIER),
        "onnx",
        Registration(task="classification"),
    )
    x = np.eye(4, dtype=np.float32)
    logits = x.astype(np.float64) @ W_CLASSIFIER + B_CLASSIFIER

    answer = service.predict("anon", x.tolist())

    assert answer["predictions"] == [int(i) for i in logits.argmax(axis=1)]
    np.testing.assert_allclose(answer["confidences"], _softmax(logits).max(axis=1), atol=2e-6)


def test_a_classifier_that_outputs_probabilities_keeps_them(
    service: InferenceService, registry: ModelRegistry
) -> None:
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["scores"], axis=1)],
        "softmax",
        [value("x", TensorProto.FLOAT, ["n", 3])],
        [value("scores", TensorProto.FLOAT, ["n", 3])],
    )
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    registry.register("probs", data.SerializeToString(), "onnx", Registration("classification"))
    x = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 0.0]])

    answer = service.predict("probs", x.tolist())

    # The rows already sum to one: they are the shares, not softmax'd a second time.
    assert answer["predictions"] == [2, 0]
    np.testing.assert_allclose(answer["confidences"], _softmax(x).max(axis=1), atol=2e-6)


def test_a_one_logit_binary_classifier_tells_its_classes_apart(
    service: InferenceService, registry: ModelRegistry
) -> None:
    w = np.array([[5.0], [0.0]], np.float32)
    registry.register(
        "binary",
        _linear_onnx(w, np.zeros(1, np.float32)),
        "onnx",
        Registration(task="classification", meta={"classes": ["ok", "defect"]}),
    )

    answer = service.predict("binary", [[-3.0, 0.0], [3.0, 0.0]])  # logits -15 and +15

    assert answer["predictions"][0] != answer["predictions"][1]


def test_a_regressor_gives_raw_values_without_confidences(
    service: InferenceService, registry: ModelRegistry
) -> None:
    w = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [0.0, 0.0]], np.float32)
    registry.register(
        "two-out", _linear_onnx(w, np.zeros(2, np.float32), "y"), "onnx", Registration()
    )

    answer = service.predict("two-out", [[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]])

    assert answer["predictions"] == [[4.0, 7.0], [0.0, 0.0]]
    assert answer["confidences"] is None


def test_a_sklearn_classifier_gives_labels_and_its_largest_probability(
    service: InferenceService, registry: ModelRegistry
) -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    x = rng.normal(size=(90, 3))
    labels = np.array(CLASSES)[np.digitize(x @ [1.0, 2.0, -1.0], [-1.0, 1.0])]
    model = LogisticRegression(max_iter=500).fit(x, labels)
    record = registry.register(
        "skl", pickle.dumps(model), "sklearn", Registration(task="classification")
    )
    assert record.serving_key != record.storage_key and record.framework == "sklearn"

    probe = rng.normal(size=(12, 3)).astype(np.float32)
    answer = service.predict("skl", probe.tolist())

    assert answer["predictions"] == list(model.predict(probe))
    np.testing.assert_allclose(
        answer["confidences"], model.predict_proba(probe).max(axis=1), atol=1e-5
    )


# -- sessions, versions ------------------------------------------------------------------------


def _tiny_models(registry: ModelRegistry, count: int) -> list[str]:
    names = [f"tiny-{i}" for i in range(count)]
    for i, name in enumerate(names):
        registry.register(name, _regressor([float(i), 0.0, 0.0, 0.0]), "onnx", Registration())
    return names


def test_the_session_cache_holds_at_most_cache_size_sessions(
    service: InferenceService, registry: ModelRegistry
) -> None:
    names = _tiny_models(registry, CACHE_SIZE + 2)
    for i, name in enumerate(names):
        assert service.predict(name, [1.0, 0.0, 0.0, 0.0])["predictions"] == [float(i)]

    cached = [entry["model"] for entry in service.cached()]
    assert cached == names[2:]  # least recently used first; the first two fell out
    # Monitors outlive the cache.
    assert [_monitor(service, n)["requests"] for n in names] == [1] * len(names)


def test_the_session_cache_evicts_the_least_recently_used(
    service: InferenceService, registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reference cache in front of the LRU (RESOLVE_TTL_S) answers repeated requests
    # without touching the LRU; switched off here so each request reaches it.
    monkeypatch.setattr(inference_module, "RESOLVE_TTL_S", 0.0)
    names = _tiny_models(registry, CACHE_SIZE + 2)
    for name in names:
        service.predict(name, [1.0, 0.0, 0.0, 0.0])

    service.predict(names[2], [1.0, 0.0, 0.0, 0.0])  # touch the oldest: now the newest
    service.predict(names[0], [1.0, 0.0, 0.0, 0.0])  # reload one: evicts names[3]

    cached = [entry["model"] for entry in service.cached()]
    assert cached == [*names[4:], names[2], names[0]]


def test_evicted_sessions_are_released(service: InferenceService, registry: ModelRegistry) -> None:
    import onnxruntime as ort

    def live_sessions() -> int:
        gc.collect()
        # type(), not isinstance(): isinstance reads __class__, which some torch objects
        # answer with a FutureWarning when torch was imported by an earlier test
        return sum(1 for o in gc.get_objects() if type(o) is ort.InferenceSession)

    before = live_sessions()
    names = _tiny_models(registry, CACHE_SIZE + 4)
    for name in names:
        service.predict(name, [1.0, 0.0, 0.0, 0.0])

    assert len(service.cached()) == CACHE_SIZE
    assert live_sessions() - before <= CACHE_SIZE


def test_versions_resolve_by_champion_alias_else_latest(
    service: InferenceService, registry: ModelRegistry
) -> None:
    registry.register("wear", _regressor([1, 0, 0, 0]), "onnx", Registration("regression"))
    registry.register("wear", _regressor([10, 0, 0, 0]), "onnx", Registration("regression"))
    x = [1.0, 0.0, 0.0, 0.0]

    assert (service.predict("wear", x)["version"], service.predict("wear", x)["predictions"]) == (
        2,
        [10.0],
    )
    registry.set_alias("wear", "champion", 1)
    default = service.predict("wear", x)
    assert (default["version"], default["predictions"]) == (1, [1.0])
    assert service.predict("wear", x, ref=2)["predictions"] == [10.0]
    assert service.predict("wear", x, ref="2")["version"] == 2
    assert service.predict("wear", x, ref="champion")["version"] == 1
    assert service.cached() == [{"model": "wear", "version": 2}, {"model": "wear", "version": 1}]
    assert [m["version"] for m in service.monitoring("wear")] == [2, 1]  # newest first

    registry.set_alias("wear", "champion", 2)
    assert service.predict("wear", x)["version"] == 2
    registry.rollback("wear")  # champion back to 1, at once in this process
    assert service.predict("wear", x)["predictions"] == [1.0]


def test_deprecating_the_newest_version_moves_the_default(
    service: InferenceService, registry: ModelRegistry
) -> None:
    registry.register("wear", _regressor([1, 0, 0, 0]), "onnx", Registration("regression"))
    registry.register("wear", _regressor([10, 0, 0, 0]), "onnx", Registration("regression"))
    registry.deprecate("wear", 2, note="drifted")

    assert service.predict("wear", [1.0, 0.0, 0.0, 0.0])["version"] == 1
    assert service.predict("wear", [1.0, 0.0, 0.0, 0.0], ref=2)["version"] == 2  # by number


def test_a_deprecated_champion_is_skipped_by_default_resolution(
    service: InferenceService, registry: ModelRegistry
) -> None:
    registry.register("wear", _regressor([1, 0, 0, 0]), "onnx", Registration("regression"))
    registry.register("wear", _regressor([10, 0, 0, 0]), "onnx", Registration("regression"))
    registry.set_alias("wear", "champion", 2)
    registry.deprecate("wear", 2, note="drifted")

    assert service.predict("wear", [1.0, 0.0, 0.0, 0.0])["version"] == 1


def test_unknown_models_and_unservable_versions(
    service: InferenceService, registry: ModelRegistry, regressor: str
) -> None:
    with pytest.raises(NotFoundError) as caught:
        service.predict("ghost", [1.0])
    assert caught.value.code == "ML_MODEL_NOT_FOUND"
    with pytest.raises(NotFoundError) as caught:
        service.predict(regressor, [1.0, 1.0, 1.0, 1.0], ref="challenger")
    assert caught.value.details["what"] == "alias 'challenger'"
    with pytest.raises(NotFoundError):
        service.monitoring("ghost")

    # A row stored without an ONNX conversion (as an older format would be) is not served.
    stored = registry.repository.version(regressor, 1)
    registry.repository.add_version(
        "raw",
        "other",
        None,
        {
            "format": "sklearn",
            "framework": "sklearn",
            "storage_key": stored.storage_key,
            "serving_key": None,
            "sha256": stored.sha256,
            "size": stored.size,
            "input_schema": stored.input_schema,
            "output_schema": stored.output_schema,
            "metrics": {},
            "training_data": {},
            "meta": {},
            "tags": [],
            "created_by": None,
        },
    )
    with pytest.raises(ValidationError) as refused:
        service.predict("raw", [1.0, 1.0, 1.0, 1.0])
    assert refused.value.code == "ML_MODEL_NOT_SERVABLE"


def test_inputs_are_counted_against_the_drift_reference(
    service: InferenceService, registry: ModelRegistry
) -> None:
    training = np.random.default_rng(0).normal(size=(400, 4))
    reference = DriftReference.from_samples(training)
    registry.register(
        "watched",
        _regressor([1, 1, 1, 1]),
        "onnx",
        Registration(meta={"drift_reference": reference.to_dict()}),
    )

    service.predict("watched", training[:50].tolist())
    service.predict("watched", training[50].tolist())

    drift = _monitor(service, "watched")["drift"]
    assert drift["rows"] == 51 and len(drift["psi"]) == 4


# -- asynchronous batches ----------------------------------------------------------------------


def test_a_submitted_batch_gives_the_same_answer_as_predict(
    service: InferenceService, classifier: str
) -> None:
    x = np.random.default_rng(9).normal(size=(40, 4)).tolist()
    direct = service.predict(classifier, x)

    job = service.submit(classifier, x)
    assert job["version"] == 1 and job["model"] == classifier and len(job["id"]) == 32
    wait_for(lambda: service.job(job["id"])["status"] in ("succeeded", "failed"), 10.0)

    done = service.job(job["id"])
    assert done["status"] == "succeeded", done
    result = done["result"]
    assert (result["predictions"], result["confidences"]) == (
        direct["predictions"],
        direct["confidences"],
    )
    assert (result["version"], result["batch"]) == (1, 40)


def test_a_submitted_bad_batch_fails_with_the_error(
    service: InferenceService, classifier: str
) -> None:
    job = service.submit(classifier, [[1.0, 2.0]])
    wait_for(lambda: service.job(job["id"])["status"] in ("succeeded", "failed"), 10.0)

    done = service.job(job["id"])
    assert done["status"] == "failed"
    assert done["error"]["code"] == "ML_INFERENCE_BAD_INPUT"
    assert done["error"]["message_tr"]


def test_an_unknown_job_is_not_found(service: InferenceService) -> None:
    with pytest.raises(NotFoundError) as caught:
        service.job("no-such-job")
    assert caught.value.code == "NOT_FOUND_JOB"
    assert caught.value.details == {"job_id": "no-such-job"}
