"""Same input, same engine: byte-identical artefacts, in one process and across two."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from typing import Any

from cadml.geometry.pipeline import run_design

SCRIPT = """
import hashlib, json, sys
from cadml.geometry.pipeline import run_design
canonical = json.loads(sys.argv[1])
result = run_design(canonical)
metrics = {k: v for k, v in result.metrics.items() if k != "durations_ms"}
print(json.dumps({
    "sha256": {a.kind: hashlib.sha256(a.data).hexdigest() for a in result.artefacts},
    "metrics": metrics,
    "fingerprint": result.fingerprint,
}))
"""


def digests(result: Any) -> dict[str, str]:
    return {a.kind: hashlib.sha256(a.data).hexdigest() for a in result.artefacts}


def without_durations(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k != "durations_ms"}


def test_two_runs_in_one_process_are_identical(reference_canonical: dict[str, Any]) -> None:
    first = run_design(reference_canonical)
    second = run_design(reference_canonical)
    for a, b in zip(first.artefacts, second.artefacts, strict=True):
        assert (a.kind, a.filename) == (b.kind, b.filename)
        assert a.data == b.data, a.kind
    assert without_durations(first.metrics) == without_durations(second.metrics)
    assert first.fingerprint == second.fingerprint


def test_a_separate_process_writes_the_same_bytes(
    reference_canonical: dict[str, Any], reference_result: Any
) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(reference_canonical)],
        capture_output=True,
        check=True,
        timeout=240,
    )
    # The whole stdout is our one JSON line: OCCT printed nothing on it.
    other = json.loads(completed.stdout)
    assert other["sha256"] == digests(reference_result)
    assert other["metrics"] == json.loads(json.dumps(without_durations(reference_result.metrics)))
    assert other["fingerprint"] == reference_result.fingerprint


def test_different_inputs_give_different_artefacts(reference_canonical: dict[str, Any]) -> None:
    changed = json.loads(json.dumps(reference_canonical))
    changed["params"]["hole_diameter"] = 10.5
    a = digests(run_design(reference_canonical))
    b = digests(run_design(changed))
    assert all(a[kind] != b[kind] for kind in a)


def test_material_changes_only_what_it_should(reference_canonical: dict[str, Any]) -> None:
    steel = json.loads(json.dumps(reference_canonical))
    steel["params"]["material"] = "steel"
    a = run_design(reference_canonical)
    b = run_design(steel)
    same = {k for k, v in digests(a).items() if digests(b)[k] == v}
    # Geometry-only formats are unchanged; GLB carries the colour, FCStd the metadata.
    assert same == {"step", "stl", "brep"}
    assert b.metrics["mass_kg"] > 2.9 * a.metrics["mass_kg"]
