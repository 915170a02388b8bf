"""ONNX export of the learned detectors: the graph outputs the same score as Python.

Each parity test prints its max abs difference (``pytest -rP`` shows it) and records
it as a test property; the tolerance is in the assertion message. Seen here over the
5,000 rows: Isolation Forest (30 trees) 1.1e-7, One-Class SVM 3.6e-6, LSTM autoencoder
1.8e-7. The forest's tolerance is wider (5e-3) because the graph compares float32
inputs with float32 split thresholds: a row within rounding of a split goes down the
other branch of that tree (the 100-tree default forest showed 1.1e-3 on one row).
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from cadml.errors import CadmlError, ValidationError
from cadml.ml.anomaly import (
    BaseDetector,
    IsolationForestDetector,
    LstmAutoencoderDetector,
    OneClassSvmDetector,
    OnnxScorer,
    ZScoreDetector,
    onnx_scores,
    to_onnx,
)
from cadml.ml.anomaly.synthetic import SyntheticTelemetry, synthetic_telemetry

# (detector factory, max abs diff allowed, share of rows whose verdict may differ)
CASES = {
    # 30 trees rather than 100 keep the conversion short (the graph grows with the trees).
    "isolation_forest": (lambda: IsolationForestDetector(n_estimators=30), 5e-3, 0.001),
    "one_class_svm": (OneClassSvmDetector, 1e-5, 0.001),
    "lstm_autoencoder": (LstmAutoencoderDetector, 1e-5, 0.001),
}


@pytest.fixture(scope="module")
def data() -> SyntheticTelemetry:
    return synthetic_telemetry(seed=0)


@pytest.fixture(scope="module")
def exported(data: SyntheticTelemetry) -> dict[str, tuple[BaseDetector, object]]:
    train = data.values[: data.normal_rows]
    out = {}
    for kind, (build, _, _) in CASES.items():
        detector = build().fit(train)
        out[kind] = (detector, to_onnx(detector, train))
    return out


@pytest.mark.parametrize("kind", sorted(CASES))
def test_onnx_scores_match_python(
    kind: str,
    data: SyntheticTelemetry,
    exported: dict[str, tuple[BaseDetector, object]],
    record_property: pytest.RecordProperty,
) -> None:
    detector, model = exported[kind]
    python = detector.score(data.values)
    onnx_side = onnx_scores(model, data.values)  # type: ignore[arg-type]
    diff = float(np.abs(python - onnx_side).max())
    record_property("max_abs_diff", diff)
    print(f"{kind}: ONNX max abs diff {diff:.3g} over {len(python)} rows")
    _, tolerance, verdicts = CASES[kind]
    assert diff <= tolerance, f"{kind}: ONNX max abs diff {diff:.3g} > {tolerance:g}"
    differ = int(((python > detector.threshold) != (onnx_side > detector.threshold)).sum())
    assert differ <= verdicts * len(python), f"{kind}: {differ} verdicts differ"


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_graph_takes_any_batch_and_outputs_only_the_score(
    kind: str, data: SyntheticTelemetry, exported: dict[str, tuple[BaseDetector, object]]
) -> None:
    detector, model = exported[kind]
    graph = onnx.load_from_string(model.data)  # type: ignore[attr-defined]
    onnx.checker.check_model(graph)
    assert [o.name for o in graph.graph.output] == ["score"]
    session = ort.InferenceSession(model.data, providers=["CPUExecutionProvider"])  # type: ignore[attr-defined]
    w = detector.window
    for batch in (1, 7):
        rows = data.values[: batch + w - 1].astype(np.float32)
        feed = rows if w == 1 else np.stack([rows[i : i + w] for i in range(batch)])
        (scores,) = session.run(None, {model.input_name: feed})  # type: ignore[attr-defined]
        assert scores.shape == (batch,)
        assert scores.min() >= 0.0 and scores.max() <= 1.0


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_scorer_scores_one_row_like_the_detector(
    kind: str, data: SyntheticTelemetry, exported: dict[str, tuple[BaseDetector, object]]
) -> None:
    detector, model = exported[kind]
    scorer = OnnxScorer(model)  # type: ignore[arg-type]
    for end in (3100, 3158, 4400):  # a normal row, a spike, inside the level shift
        rows = data.values[end - detector.window + 1 : end + 1]
        assert scorer.score_one(rows) == pytest.approx(detector.score_one(rows), abs=5e-3)
    with pytest.raises(ValidationError):
        scorer.score_one(data.values[: detector.window - 1])


def test_sklearn_graphs_target_opset_17_and_the_forest_needs_ml_opset_3(exported: dict) -> None:
    for kind in ("isolation_forest", "one_class_svm"):
        _, model = exported[kind]
        opsets = {o.domain: o.version for o in onnx.load_from_string(model.data).opset_import}
        assert opsets[""] == 17, opsets
        # skl2onnx writes the ai.onnx.ml version a graph needs, up to the target (3):
        # TreeEnsemble of the forest needs 3, the SVM's scaler 1.
        assert opsets["ai.onnx.ml"] == (3 if kind == "isolation_forest" else 1), opsets
        assert model.exporter == "skl2onnx" and model.input_name == "rows"


def test_the_autoencoder_exports_from_a_single_window(data: SyntheticTelemetry) -> None:
    train = data.values[:400]
    detector = LstmAutoencoderDetector(window=8, hidden=8, epochs=2).fit(train)
    model = to_onnx(detector, train[:8])  # exactly one window
    assert model.exporter in ("dynamo", "legacy")
    assert (model.input_name, model.window, model.fields) == ("windows", 8, 2)
    diff = np.abs(onnx_scores(model, train) - detector.score(train)).max()
    assert diff < 1e-5, f"max abs diff {diff:.3g}"
    with pytest.raises(ValidationError) as info:
        to_onnx(detector, train[:7])
    assert info.value.code == "ML_ANOMALY_INVALID_DATA"


def test_zscore_and_unfitted_detectors_are_refused(data: SyntheticTelemetry) -> None:
    with pytest.raises(ValidationError) as info:
        to_onnx(ZScoreDetector().fit(data.values[:100]), data.values[:10])
    assert info.value.code == "ML_ANOMALY_EXPORT_UNSUPPORTED"
    with pytest.raises(ValidationError) as info:
        to_onnx(OneClassSvmDetector(), data.values[:10])
    assert info.value.code == "ML_ANOMALY_NOT_FITTED"


def test_a_converter_failure_is_a_coded_error(data: SyntheticTelemetry) -> None:
    detector = OneClassSvmDetector().fit(data.values[:200])
    detector.pipeline = object()  # nothing skl2onnx can convert
    with pytest.raises(CadmlError) as info:
        to_onnx(detector, data.values[:10])
    assert info.value.code == "ML_EXPORT_FAILED"
    assert info.value.details["model"] == "one_class_svm"
