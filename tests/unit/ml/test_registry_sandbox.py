"""The sandboxed test inference: conversions keep the answers, bad files and limits fail.

Each probe is a fresh interpreter that imports scikit-learn, skl2onnx or torch, so a
probe costs one to three seconds. The conversions are checked twice: by the parity the
probe reports, and here, independently, by running the returned ONNX file in this
process on other inputs than the probe used and comparing with the original model.
"""

from __future__ import annotations

import io
import pickle
import resource
import time
import warnings
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from cadml.errors import ValidationError
from cadml.ml.registry.sandbox import ProbeLimits, ProbeResult, run_probe

CPU_LIMITS = ProbeLimits(cpu_s=4, wall_s=60.0)
"""Room for the child's imports (about 1.5 CPU seconds for skl2onnx and scikit-learn)
and a small conversion, but not for an endless loop. The classifier test below runs
under these same limits, which shows a CPU kill is the payload's doing, not the imports'."""


def _session_outputs(result: ProbeResult, x: np.ndarray) -> list[Any]:
    session = ort.InferenceSession(result.serving_onnx, providers=["CPUExecutionProvider"])
    return list(session.run(None, {session.get_inputs()[0].name: x}))


def _invalid(data: bytes, fmt: str, shape: list[int] | None = None, **kw: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        run_probe(data, fmt, shape, **kw)
    assert caught.value.code == "ML_MODEL_INVALID_FILE"
    assert caught.value.details["format"] == fmt
    return str(caught.value.details["reason"])


def _data(n_features: int = 4, rows: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(rows, n_features))
    return x, x @ np.arange(1.0, n_features + 1.0)


def test_a_pickled_classifier_converts_with_equal_labels() -> None:
    from sklearn.linear_model import LogisticRegression

    x, score = _data()
    labels = np.array(["bolt", "nut", "washer"])[np.digitize(score, [-2.0, 2.0])]
    model = LogisticRegression(max_iter=500).fit(x, labels)

    result = run_probe(pickle.dumps(model), "sklearn", None, CPU_LIMITS)

    assert result.facts["framework"] == "sklearn"
    assert result.facts["estimator"] == "LogisticRegression"
    assert result.facts["inputs"] == [{"name": "input", "dtype": "float32", "shape": [None, 4]}]
    assert result.facts["parity"] == {"labels_equal": True}
    probe = np.random.default_rng(7).normal(size=(50, 4)).astype(np.float32)
    label, probabilities = _session_outputs(result, probe)[:2]
    assert list(label) == list(model.predict(probe))
    np.testing.assert_allclose(probabilities, model.predict_proba(probe), atol=1e-5)


def test_a_pickled_regressor_converts_with_a_tiny_difference() -> None:
    from sklearn.linear_model import Ridge

    x, y = _data()
    model = Ridge(alpha=0.1).fit(x, y)

    result = run_probe(pickle.dumps(model), "sklearn", None)

    assert result.facts["estimator"] == "Ridge"
    assert set(result.facts["parity"]) == {"max_abs_diff"}
    assert result.facts["parity"]["max_abs_diff"] < 1e-5
    probe = np.random.default_rng(7).normal(size=(50, 4)).astype(np.float32)
    got = _session_outputs(result, probe)[0].reshape(-1)
    np.testing.assert_allclose(got, model.predict(probe), atol=1e-5)


def test_a_pickled_isolation_forest_converts_with_equal_labels() -> None:
    from sklearn.ensemble import IsolationForest

    x, _ = _data(n_features=3, rows=200)
    model = IsolationForest(n_estimators=20, random_state=0).fit(x)

    result = run_probe(pickle.dumps(model), "sklearn", None)

    assert result.facts["estimator"] == "IsolationForest"
    assert result.facts["parity"] == {"labels_equal": True}
    probe = np.vstack([x[:40], np.full((5, 3), 8.0)]).astype(np.float32)  # 5 clear outliers
    label = _session_outputs(result, probe)[0].reshape(-1)
    assert list(label) == list(model.predict(probe))
    assert list(label[-5:]) == [-1] * 5


def _torchscript(module: Any) -> bytes:
    import torch

    buffer = io.BytesIO()
    # torch 2.9+ deprecates TorchScript, but users still upload it: that is what we test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(module), buffer)
    return buffer.getvalue()


def _mlp() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).eval()


def test_torchscript_with_an_input_shape_converts_with_a_tiny_difference() -> None:
    import torch

    module = _mlp()

    result = run_probe(_torchscript(module), "torchscript", [2, 6])

    assert result.facts["framework"] == "torch"
    assert result.facts["inputs"] == [{"name": "input", "dtype": "float32", "shape": [None, 6]}]
    assert result.facts["outputs"][0]["shape"] == [None, 2]
    assert result.facts["parity"]["max_abs_diff"] < 1e-5
    # The batch axis is free in the conversion: a batch of 9 runs too.
    probe = np.random.default_rng(7).normal(size=(9, 6)).astype(np.float32)
    with torch.inference_mode():
        expected = module(torch.from_numpy(probe)).numpy()
    np.testing.assert_allclose(_session_outputs(result, probe)[0], expected, atol=1e-5)


def test_torchscript_without_an_input_shape_is_an_invalid_file() -> None:
    reason = _invalid(_torchscript(_mlp()), "torchscript", None)
    assert "input_shape" in reason


def test_a_pickle_that_is_not_an_estimator_is_an_invalid_file() -> None:
    reason = _invalid(pickle.dumps({"weights": [1.0, 2.0]}), "sklearn")
    assert "dict is not a fitted scikit-learn estimator" in reason


def test_an_unfitted_estimator_is_an_invalid_file() -> None:
    from sklearn.linear_model import LogisticRegression

    reason = _invalid(pickle.dumps(LogisticRegression()), "sklearn")
    assert "LogisticRegression is not a fitted scikit-learn estimator" in reason


def test_an_unknown_format_is_an_invalid_file() -> None:
    assert "unknown format 'pmml'" in _invalid(b"\x00", "pmml")


class _Sleeper:
    """Unpickles to ``time.sleep(60)``: a load that never finishes in time."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (time.sleep, (60,))


class _Spinner:
    """Unpickles to ``sum(range(10**12))``: a load that burns CPU for hours."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (sum, (range(10**12),))


def test_a_load_that_sleeps_is_killed_at_the_wall_clock_limit() -> None:
    start = time.monotonic()

    reason = _invalid(pickle.dumps(_Sleeper()), "sklearn", limits=ProbeLimits(wall_s=3))

    elapsed = time.monotonic() - start
    assert reason == "the test inference ran over 3 s"
    assert 3.0 <= elapsed < 15.0


def test_a_busy_load_is_killed_at_the_cpu_limit() -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()

    reason = _invalid(pickle.dumps(_Spinner()), "sklearn", limits=CPU_LIMITS)

    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # RLIMIT_CPU with soft == hard ends in SIGKILL (SIGXCPU when the soft limit is lower).
    assert reason.startswith("the sandbox process died (exit -9)") or "(exit -24)" in reason
    assert child_cpu >= 0.95 * CPU_LIMITS.cpu_s  # it spun up to the limit ...
    assert elapsed < CPU_LIMITS.wall_s / 2  # ... and the wall clock did not end it


def test_a_histogram_gradient_boosting_pickle_converts_with_parity() -> None:
    # skl2onnx 1.20 needs the missing-value-flag workaround for these trees
    from sklearn.ensemble import HistGradientBoostingRegressor

    x = np.random.default_rng(4).normal(size=(300, 5))
    model = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(x, x[:, 0] ** 2)
    result = run_probe(pickle.dumps(model), "sklearn", None)
    assert result.facts["estimator"] == "HistGradientBoostingRegressor"
    assert result.facts["parity"]["max_abs_diff"] < 1e-4
    assert result.serving_onnx
