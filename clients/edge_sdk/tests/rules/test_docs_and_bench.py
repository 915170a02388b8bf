"""The documented examples parse and behave as written; the benchmark runs."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

from cad_ml_edge.rules import AlertEvent, RuleEngine, parse_rule
from cad_ml_edge.wire import TelemetryFrame

SDK = Path(__file__).resolve().parents[2]
DOC = SDK / "docs" / "rules.md"
BENCH = SDK.parents[1] / "bench" / "edge_rules.py"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)


def test_every_documented_rule_parses():
    rules = [doc for doc in map(json.loads, _blocks("json")) if "id" in doc]
    rules += tomllib.loads("\n".join(_blocks("toml")))["rules"]
    parsed = [parse_rule(r) for r in rules]
    assert len(parsed) == 6
    assert {r.kind for r in parsed} == {"threshold", "window", "rate", "geofence"}


def test_documented_alert_frame_is_what_to_frame_gives():
    [frame_doc] = [json.loads(b) for b in _blocks("json") if '"alert"' in b]
    event = AlertEvent.from_frame(frame_doc)
    assert event.to_frame() == frame_doc


def test_documented_hysteresis_table():
    table = {
        ">": (80.5, 78.0, 78.5),
        ">=": (80.0, 77.9, 78.0),
        "<": (79.5, 82.0, 81.5),
        "<=": (80.0, 82.1, 82.0),
    }
    for op, (fire, rearm, not_rearm) in table.items():
        rule = {"id": "r", "field": "sensors.v", "op": op, "value": 80, "hysteresis": 2}
        engine = RuleEngine([rule])
        seq = [fire, not_rearm, fire, rearm, fire]
        fired = [
            bool(engine.process(TelemetryFrame(float(i), "d", {"v": v}))) for i, v in enumerate(seq)
        ]
        assert fired == [True, False, False, False, True], op


@pytest.fixture
def bench_module():
    spec = importlib.util.spec_from_file_location("edge_rules_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["edge_rules_bench"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["edge_rules_bench"]


@pytest.mark.parametrize("windows", ["shared", "distinct"])
def test_bench_runs_and_reports(bench_module, windows: str):
    result = bench_module.bench_rules(n_rules=40, frames=600, windows=windows, repeats=2)
    assert result["n_rules"] == 40 and result["frames"] == 600
    assert sum(result["mix"].values()) == 40
    assert result["p50_us"] > 0 and result["p99_us"] >= result["p50_us"]
    assert result["events"] > 0


def test_bench_rule_mix_is_valid_at_every_size(bench_module):
    for n in (10, 100, 250):
        for windows in ("shared", "distinct"):
            rules = bench_module.mixed_rules(n, windows=windows)
            assert len(rules) == n
            RuleEngine(rules)
