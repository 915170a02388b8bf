"""The export report: derived figures, each target at its boundary, and the text table.

Oracles: ``size_reduction = 1 - int8/fp32`` and ``accuracy_loss_points = 100 (fp32 -
int8)`` by hand; the targets' documented boundaries (reduction ``>= 70 %`` passes, loss
and p95 latency must be strictly below ``1`` point and ``5 ms``), one target at a time
with the others comfortably met.
"""

from __future__ import annotations

import json

import pytest

from cadml.ml.export.measure import summarise_ms
from cadml.ml.export.report import ExportReport, ModelFigures, Targets, format_report

FAST = {"p50_ms": 0.5, "p95_ms": 0.6}


def figures(
    name: str = "pointnet",
    fp32_bytes: int = 10_000,
    int8_bytes: int = 2_500,
    fp32_accuracy: float = 0.9,
    int8_accuracy: float = 0.9,
    p95_ms: float = 0.6,
) -> ModelFigures:
    """Figures that meet every target unless an argument says otherwise."""
    return ModelFigures(
        name,
        "dynamo",
        fp32_bytes,
        int8_bytes,
        fp32_accuracy,
        int8_accuracy,
        {"p50_ms": 1.0, "p95_ms": 1.2},
        {"p50_ms": min(p95_ms, 0.5), "p95_ms": p95_ms},
    )


def test_derived_figures_by_hand() -> None:
    f = figures(fp32_bytes=1000, int8_bytes=300, fp32_accuracy=0.98, int8_accuracy=0.955)
    assert f.size_reduction == 0.7
    assert f.accuracy_loss_points == 2.5
    assert figures(int8_bytes=0).size_reduction == 0.0
    gained = figures(fp32_accuracy=0.9, int8_accuracy=0.92)
    assert gained.accuracy_loss_points == -2.0
    d = f.to_dict()
    assert d["size_reduction"] == 0.7 and d["accuracy_loss_points"] == 2.5
    assert d["name"] == "pointnet" and d["int8_latency"] == {"p50_ms": 0.5, "p95_ms": 0.6}
    json.dumps(d)  # JSON-ready


def test_all_targets_met() -> None:
    assert Targets().missed(figures(), latency=True) == []


@pytest.mark.parametrize(
    ("int8_bytes", "missed"),
    [(3000, False), (2999, False), (3001, True), (10_000, True)],
)
def test_size_target_boundary(int8_bytes: int, missed: bool) -> None:
    # fp32 10,000 bytes: 3,000 is exactly 70 % smaller, 3,001 is 69.99 %
    result = Targets().missed(figures(int8_bytes=int8_bytes), latency=True)
    assert (result != []) == missed
    if missed:
        assert len(result) == 1 and result[0].startswith("INT8 size reduction")
        assert "(target >= 70 %)" in result[0]


@pytest.mark.parametrize(
    ("int8_accuracy", "missed"),
    [(0.9901, False), (0.99, True), (0.985, True), (1.0, False)],
)
def test_accuracy_target_boundary(int8_accuracy: float, missed: bool) -> None:
    # fp32 100 %: 0.99 points lost passes, 1.0 point fails (the loss must stay below 1)
    f = figures(fp32_accuracy=1.0, int8_accuracy=int8_accuracy)
    for latency in (True, False):  # the accuracy target applies to every model
        result = Targets().missed(f, latency=latency)
        assert (result != []) == missed
        if missed:
            assert len(result) == 1 and result[0].startswith("accuracy loss")
            assert "(target < 1)" in result[0]


def test_accuracy_loss_of_exactly_one_point_from_inexact_floats_fails() -> None:
    # 100 * (0.8 - 0.79) is 1.0000000000000009 in binary: rounded to 1.0, it misses
    f = figures(fp32_accuracy=0.8, int8_accuracy=0.79)
    assert f.accuracy_loss_points == 1.0
    assert Targets().missed(f, latency=False) == ["accuracy loss 1.00 points (target < 1)"]


@pytest.mark.parametrize(("p95_ms", "missed"), [(4.999, False), (5.0, True), (7.5, True)])
def test_latency_target_boundary(p95_ms: float, missed: bool) -> None:
    result = Targets().missed(figures(p95_ms=p95_ms), latency=True)
    assert result == ([f"INT8 p95 latency {p95_ms:.2f} ms (target < 5 ms)"] if missed else [])


def test_size_and_latency_apply_only_to_the_target_models() -> None:
    slow_and_big = figures(int8_bytes=9000, p95_ms=50.0)
    assert len(Targets().missed(slow_and_big, latency=True)) == 2
    assert Targets().missed(slow_and_big, latency=False) == []


def test_without_int8_no_target_applies() -> None:
    f = figures(int8_bytes=0, fp32_accuracy=1.0, int8_accuracy=0.0, p95_ms=0.0)
    assert Targets().missed(f, latency=True) == []


def test_every_target_missed_at_once_is_listed() -> None:
    f = figures(int8_bytes=5000, fp32_accuracy=0.9, int8_accuracy=0.8, p95_ms=9.0)
    assert Targets().missed(f, latency=True) == [
        "accuracy loss 10.00 points (target < 1)",
        "INT8 size reduction 50.0 % (target >= 70 %)",
        "INT8 p95 latency 9.00 ms (target < 5 ms)",
    ]


def test_custom_targets() -> None:
    t = Targets(min_size_reduction=0.8, max_accuracy_loss_points=0.25, max_latency_ms=0.5)
    assert len(t.missed(figures(), latency=True)) == 2  # 75 % smaller, 0.6 ms
    assert t.missed(figures(int8_bytes=2000, p95_ms=0.4), latency=True) == []


def report(*models: ModelFigures) -> ExportReport:
    return ExportReport(
        list(models),
        Targets(),
        target_models=("pointnet",),
        files={"pointnet.fp32": "/x/pointnet.fp32.onnx"},
        evaluation_samples={m.name: 10 for m in models},
        calibration_samples=256,
    )


def test_report_prefixes_misses_with_the_model_and_passes_only_without_any() -> None:
    ok = report(figures(), figures("mlp", int8_bytes=9000, p95_ms=40.0))
    assert ok.missed() == [] and ok.to_dict()["passed"] is True
    bad = report(figures(), figures("mlp", fp32_accuracy=0.9, int8_accuracy=0.85))
    assert bad.missed() == ["mlp: accuracy loss 5.00 points (target < 1)"]
    d = bad.to_dict()
    assert d["passed"] is False and d["missed"] == bad.missed()
    assert [m["name"] for m in d["models"]] == ["pointnet", "mlp"]
    assert d["targets"] == {
        "min_size_reduction": 0.7,
        "max_accuracy_loss_points": 1.0,
        "max_latency_ms": 5.0,
    }
    assert d["target_models"] == ["pointnet"] and d["calibration_samples"] == 256
    json.dumps(d)


def test_format_report_shows_every_row_and_the_result() -> None:
    ok = report(figures(), figures("mlp", fp32_bytes=2048, int8_bytes=1024))
    text = format_report(ok)
    lines = text.splitlines()
    assert lines[0].split() == ["model", "file", "size", "accuracy", "p50", "ms", "p95", "ms"]
    assert lines[1].startswith("pointnet") and " fp32 " in lines[1]
    assert " int8 " in lines[2] and "75.0 % smaller" in lines[2] and "exporter dynamo" in lines[2]
    assert lines[3].startswith("mlp") and "2.0 KiB" in lines[3]
    assert " int8 " in lines[4] and "1.0 KiB" in lines[4] and "50.0 % smaller" in lines[4]
    assert lines[-1] == "result: all targets met"
    missed = report(figures(p95_ms=6.0), figures("mlp", int8_bytes=0))
    text = format_report(missed)
    assert (
        text.splitlines()[-1]
        == "result: MISSED: pointnet: INT8 p95 latency 6.00 ms (target < 5 ms)"
    )
    assert sum(" int8 " in line for line in text.splitlines()) == 1  # no INT8 row for mlp


def test_summarise_ms_percentiles_by_hand() -> None:
    # numpy's linear interpolation: p50 of 1..100 is 50.5, p95 is 95.05
    assert summarise_ms([float(x) for x in range(1, 101)]) == {"p50_ms": 50.5, "p95_ms": 95.05}
    assert summarise_ms([2.0]) == {"p50_ms": 2.0, "p95_ms": 2.0}
