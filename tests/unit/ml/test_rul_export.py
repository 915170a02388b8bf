"""``cadml ml rul --export``: the fitted models as ONNX, checked against scikit-learn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from click.testing import CliRunner

from cadml.cli.main import cli
from cadml.ml.rul import RulConfig, load_cmapss, load_rul, run_rul
from cadml.services.ml_rul_export import EXPORT_TOLERANCE, export_rul


def _args(files, *extra: str) -> list[str]:
    return [
        "ml", "rul", "--train", str(files.train), "--test", str(files.test),
        "--rul", str(files.rul), *extra,
    ]  # fmt: skip


def _fitted(files, model: str) -> tuple[dict, object]:
    fitted: dict = {}
    report = run_rul(
        load_cmapss(files.train),
        load_cmapss(files.test),
        load_rul(files.rul),
        RulConfig(model=model, within=20),
        fitted=fitted,
    )
    return fitted, report


@pytest.mark.parametrize("model", ["rf", "gbr"])
def test_exported_models_answer_like_scikit_learn(cmapss_files, tmp_path: Path, model: str):
    # gbr: scikit-learn's histogram gradient boosting, exported through the workaround of
    # skl2onnx 1.20's boolean missing-value flags (cadml.ml.export.sklearn_onnx)
    fitted, report = _fitted(cmapss_files, model)
    exported = export_rul(fitted, tmp_path, None, report, 20)
    assert exported["missed"] == [] and exported["registered"] == []
    regressor = exported["models"]["regressor"]
    # independently: the ONNX file's RUL on the test units' last rows vs scikit-learn's
    session = ort.InferenceSession(regressor["file"], providers=["CPUExecutionProvider"])
    onnx_rul = session.run(None, {"input": fitted["rows"]})[0].reshape(-1)
    sklearn_rul = fitted["regressor"].predict(fitted["rows"])
    assert np.abs(onnx_rul - sklearn_rul).max() == pytest.approx(regressor["max_abs_diff"])
    assert regressor["max_abs_diff"] <= EXPORT_TOLERANCE
    assert regressor["onnx_rmse"] == pytest.approx(report.rmse, abs=EXPORT_TOLERANCE)
    classifier = exported["models"]["classifier"]
    assert classifier["labels_equal"] is True and classifier["max_abs_diff"] <= EXPORT_TOLERANCE
    assert 0 < regressor["p50_ms"] <= regressor["p95_ms"]


def test_cli_exports_and_registers(cmapss_files, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CADML_DATA_DIR", str(tmp_path / "var"))
    from cadml.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli,
            _args(
                cmapss_files,
                "--within",
                "20",
                "--export",
                str(tmp_path / "onnx"),
                "--register",
                "fd001-rul",
                "--json",
            ),
        )
        assert result.exit_code == 0, result.output
        body = json.loads(result.stdout)
        assert body["export"]["registered"] == [
            {"name": "fd001-rul", "version": 1},
            {"name": "fd001-rul-within-20", "version": 1},
        ]
        assert (tmp_path / "onnx" / "rul-regressor.onnx").is_file()
        text = CliRunner().invoke(cli, _args(cmapss_files, "--export", str(tmp_path / "onnx2")))
        assert text.exit_code == 0, text.output
        assert "ONNX export (INT8 does not apply to tree ensembles)" in text.stdout
    finally:
        get_settings.cache_clear()


def test_register_without_export_is_a_usage_error(cmapss_files):
    result = CliRunner().invoke(cli, _args(cmapss_files, "--register", "x"))
    assert result.exit_code == 2 and "--register needs --export DIR" in result.output
