"""The design pipeline: progress, timings, error codes, clean stdout, warm-up."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import build123d as bd
import pytest
from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox
from OCP.TopoDS import TopoDS_Shape

from cadml.errors import GeometryError, ValidationError
from cadml.geometry.generators import FAMILIES, FamilySpec, ParamSpec
from cadml.geometry.pipeline import STEPS, run_design, warm_up


def test_progress_reports_every_step_in_order(reference_canonical: dict[str, Any]) -> None:
    calls: list[tuple[float, str, str]] = []
    run_design(reference_canonical, lambda p, s, m: calls.append((p, s, m)))
    assert [step for _, step, _ in calls] == [name for name, _ in STEPS]
    percents = [p for p, _, _ in calls]
    assert percents == sorted(percents) and percents[0] == 0.0 and percents[-1] == 88.0
    assert all(message for _, _, message in calls)


def test_durations_and_tolerances(reference_result: Any) -> None:
    durations = reference_result.metrics["durations_ms"]
    assert list(durations) == [name for name, _ in STEPS]
    assert all(v >= 0 for v in durations.values())
    assert reference_result.tolerances == {
        "mesh_linear_deflection_mm": 0.01,
        "mesh_angular_deflection_rad": 0.1,
        "mesh_relative": False,
        "metric_decimals": 6,
    }
    json.dumps(reference_result.metrics)  # JSON-ready


def test_fingerprint(reference_result: Any) -> None:
    fingerprint = reference_result.fingerprint
    assert fingerprint["occt"].startswith("8.0")
    assert fingerprint["ocp"] == "8.0.1.1.0"
    assert fingerprint["build123d"] == "0.13.0"
    assert fingerprint["python"].startswith("3.11")


def test_the_request_is_checked_again(reference_canonical: dict[str, Any]) -> None:
    stale = json.loads(json.dumps(reference_canonical))
    stale["params"]["hole_diameter"] = 60.0
    with pytest.raises(ValidationError) as info:
        run_design(stale)
    assert info.value.code == "VALIDATION_HOLE_BREAKS_WALL"


def _family(name: str, build: Any) -> FamilySpec:
    return FamilySpec(
        name=name,
        description="test family",
        parameters=(ParamSpec("size", "mm", 0.1, 10.0, 1.0, "Size."),),
        validate=lambda values, material: None,
        build=build,
    )


def _request(name: str) -> dict[str, Any]:
    return {
        "family": name,
        "params": {"material": "aluminum_6061", "process": "cnc_milling", "size": 1.0},
    }


def test_kernel_failure_while_building(monkeypatch: pytest.MonkeyPatch) -> None:
    # A zero box makes OCCT raise Standard_DomainError.
    family = _family("zero_box", lambda values: BRepPrimAPI_MakeBox(0.0, 0.0, 0.0).Shape())
    monkeypatch.setitem(FAMILIES, family.name, family)
    with pytest.raises(GeometryError) as info:
        run_design(_request(family.name))
    assert info.value.code == "FC_BOOLEAN_FAILED"
    assert info.value.__cause__ is not None


@pytest.mark.parametrize(
    ("name", "build", "reason"),
    [
        ("null_shape", lambda values: TopoDS_Shape(), "empty"),
        ("face_only", lambda values: bd.Rectangle(1.0, 1.0).wrapped, "no solid"),
    ],
)
def test_invalid_shapes(
    monkeypatch: pytest.MonkeyPatch, name: str, build: Any, reason: str
) -> None:
    family = _family(name, build)
    monkeypatch.setitem(FAMILIES, family.name, family)
    with pytest.raises(GeometryError) as info:
        run_design(_request(family.name))
    assert info.value.code == "FC_GEOM_INVALID_SHAPE"
    assert reason in info.value.details["reason"]


def test_warm_up() -> None:
    assert 0.0 < warm_up() < 60.0


CONTROL = """
from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox
from OCP.STEPControl import STEPControl_Writer, STEPControl_StepModelType
STEPControl_Writer().Transfer(BRepPrimAPI_MakeBox(1, 2, 3).Shape(),
                              STEPControl_StepModelType.STEPControl_AsIs)
"""

SILENT = """
from cadml.geometry.pipeline import warm_up
warm_up()
"""


def test_stdout_stays_clean() -> None:
    # Control: the kernel does print on stdout when left alone ...
    noisy = subprocess.run(
        [sys.executable, "-c", CONTROL], capture_output=True, check=True, timeout=120
    )
    assert b"Statistics on Transfer" in noisy.stdout
    # ... and prints nothing through the pipeline.
    quiet = subprocess.run(
        [sys.executable, "-c", SILENT], capture_output=True, check=True, timeout=240
    )
    assert quiet.stdout == b""
