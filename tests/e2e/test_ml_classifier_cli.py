"""The part classifier's lifecycle as a user runs it: train, export to ONNX and INT8, errors.

The CLI runs as a subprocess with its own data directory. Training uses two families of
130 parts (20 % held out: 52 held-out parts, 208 training parts, so the MLP has 208
training feature vectors for calibration) and 2 PointNet epochs, so the whole file takes
about half a minute; each command's wall time is printed (``pytest -s`` shows it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cadml.ml.export.report import ModelFigures, Targets

CADML = [sys.executable, "-m", "cadml"]
TRAIN = [
    "ml",
    "train-classifier",
    "--family",
    "plate",
    "--family",
    "prism_with_hole",
    "--parts-per-family",
    "130",
    "--epochs",
    "2",
    "--json",
]


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    # Only this data directory: no CADML_* setting of the caller's shell (a shared database
    # URL would register the test's models there); the cwd holds no .env file.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADML_")}
    env["CADML_DATA_DIR"] = str(data_dir)
    start = time.perf_counter()
    result = subprocess.run(
        [*CADML, *args],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=240,
    )
    print(f"cadml {' '.join(args)}: {time.perf_counter() - start:.1f} s, exit {result.returncode}")
    return result


@dataclass(frozen=True)
class Trained:
    data_dir: Path
    result: subprocess.CompletedProcess[str]

    @property
    def ml(self) -> Path:
        return self.data_dir / "ml"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    data_dir = tmp_path_factory.mktemp("classifier") / "var"
    return Trained(data_dir, run(TRAIN, data_dir))


def test_train_classifier_reports_held_out_accuracy(trained: Trained) -> None:
    r = trained.result
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stdout)
    assert summary["classes"] == ["plate", "prism_with_hole"]
    data = summary["dataset"]
    assert (data["parts"], data["held_out_parts"]) == (260, 52)
    assert data["from_cache"] is False and data["spec"]["parts_per_family"] == 130
    assert Path(data["file"]).is_file() and Path(data["file"]).parent == trained.ml / "datasets"
    expected_samples = {"mlp": 52, "pointnet": 52 * data["spec"]["clouds_per_part"]}
    for name, samples in expected_samples.items():
        entry = summary["models"][name]
        evaluation = entry["evaluation"]
        assert evaluation["samples"] == samples
        assert 0.0 <= evaluation["accuracy"] <= 1.0
        confusion = evaluation["confusion"]
        assert sum(map(sum, confusion)) == samples
        correct = confusion[0][0] + confusion[1][1]
        assert evaluation["accuracy"] == pytest.approx(correct / samples, abs=1e-12)
        assert (trained.ml / "classifier" / f"{name}.pt").is_file()
    assert summary["models"]["pointnet"]["epochs"] == 2
    assert len(summary["models"]["pointnet"]["losses"]) == 2
    assert (trained.ml / "classifier" / "training.json").is_file()


def check_export(result: subprocess.CompletedProcess[str], trained: Trained) -> dict[str, Any]:
    """The export's JSON report, its files, and the coupling of ``passed`` and the exit code."""
    # Fails before any report if the export refused to run at all.
    assert "ML_CALIBRATION_TOO_SMALL" not in result.stderr, result.stderr[-1500:]
    report: dict[str, Any] = json.loads(result.stdout)
    if report["passed"]:
        assert result.returncode == 0, result.stderr[-1500:]
        assert report["missed"] == []
    else:
        assert result.returncode != 0 and "ML_EXPORT_GOAL_MISSED" in result.stderr
        assert report["missed"]
    export_dir = trained.ml / "classifier" / "export"
    registered = report.pop("registered")  # the registry's answer, not part of report.json
    assert json.loads((export_dir / "report.json").read_text()) == report
    assert [r["name"] for r in registered] == ["part-classifier", "part-classifier-mlp"]
    for entry in registered:  # a model's first version is champion, later ones challenger
        assert entry["alias"] == ("champion" if entry["version"] == 1 else "challenger")
    assert set(report["files"]) == {"pointnet.fp32", "pointnet.int8", "mlp.fp32", "mlp.int8"}
    for key, path in report["files"].items():
        assert Path(path).is_file() and Path(path).parent == export_dir, key
    assert [m["name"] for m in report["models"]] == ["pointnet", "mlp"]
    assert report["evaluation_samples"] == {"pointnet": 104, "mlp": 52}
    missed = []
    for m in report["models"]:
        name = m["name"]
        assert m["exporter"] in ("dynamo", "legacy")
        assert m["fp32_bytes"] == Path(report["files"][f"{name}.fp32"]).stat().st_size > 0
        assert m["int8_bytes"] == Path(report["files"][f"{name}.int8"]).stat().st_size > 0
        assert m["size_reduction"] == round(1 - m["int8_bytes"] / m["fp32_bytes"], 6) > 0
        for key in ("fp32_accuracy", "int8_accuracy"):
            assert 0.0 <= m[key] <= 1.0
        for key in ("fp32_latency", "int8_latency"):
            assert 0.0 < m[key]["p50_ms"] <= m[key]["p95_ms"]
        fields = {k: v for k, v in m.items() if k not in ("size_reduction", "accuracy_loss_points")}
        figures = ModelFigures(**fields)
        missed += [f"{name}: {text}" for text in Targets().missed(figures, name == "pointnet")]
    assert report["missed"] == missed
    assert report["passed"] == (missed == [])
    summary = json.loads(trained.result.stdout)
    # The fp32 file scores the MLP as torch did at training time (same held-out parts; its
    # logit margins are far larger than float noise).
    mlp = report["models"][1]
    assert mlp["fp32_accuracy"] == summary["models"]["mlp"]["evaluation"]["accuracy"]
    assert (
        report["text"]
        .splitlines()[-1]
        .startswith("result: all targets met" if report["passed"] else "result: MISSED")
    )
    return report


def test_export_int8_with_the_default_calibration(trained: Trained) -> None:
    assert trained.result.returncode == 0
    check_export(run(["ml", "export", "classifier", "--int8", "--json"], trained.data_dir), trained)


def test_export_int8_with_200_calibration_samples(trained: Trained) -> None:
    assert trained.result.returncode == 0
    args = ["ml", "export", "classifier", "--int8", "--calibration", "200", "--json"]
    report = check_export(run(args, trained.data_dir), trained)
    assert report["calibration_samples"] == 200
    assert report["classes"] == ["plate", "prism_with_hole"]


def test_export_refuses_fewer_than_200_calibration_samples_before_any_work(
    trained: Trained,
) -> None:
    assert trained.result.returncode == 0
    r = run(["ml", "export", "classifier", "--int8", "--calibration", "100"], trained.data_dir)
    assert r.returncode != 0
    assert "ML_CALIBRATION_TOO_SMALL" in r.stderr and "100" in r.stderr
    assert "exporting" not in r.stderr and r.stdout == ""


def test_a_second_training_run_reuses_the_dataset(trained: Trained) -> None:
    assert trained.result.returncode == 0
    first = json.loads(trained.result.stdout)
    again = run(TRAIN, trained.data_dir)
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)
    assert summary["dataset"]["from_cache"] is True
    assert summary["dataset"]["file"] == first["dataset"]["file"]
    assert summary["dataset"]["key"] == first["dataset"]["key"]
    assert len(list((trained.ml / "datasets").iterdir())) == 1


def test_export_without_a_trained_model(tmp_path: Path) -> None:
    r = run(["ml", "export", "classifier", "--int8"], tmp_path / "empty")
    assert r.returncode != 0 and "ML_NO_TRAINED_MODEL" in r.stderr
    assert r.stdout == ""


def test_train_refuses_an_unknown_family(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    r = run(["ml", "train-classifier", "--family", "nosuch", "--parts-per-family", "5"], data_dir)
    assert r.returncode != 0 and "VALIDATION_UNKNOWN_FAMILY" in r.stderr
    assert not (data_dir / "ml").exists()  # refused before any work
