"""The public API: input validation, report shape, determinism, wording."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest

from cadml.errors import CATALOG, ValidationError
from cadml.geometry.dfm import PROCESSES_CHECKED, DfmOptions, DfmReport, Finding
from cadml.geometry.dfm.texts import TEXTS
from cadml.physics.materials import PROCESSES, get_material


def test_processes_are_the_platform_ids() -> None:
    assert PROCESSES_CHECKED == PROCESSES


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"process": "laser_cutting"}, "DFM_UNKNOWN_PROCESS", "process"),
        ({"process": "fdm"}, "DFM_UNKNOWN_PROCESS", "process"),
        ({"options": DfmOptions(tool_diameter_mm=0.0)}, "DFM_INVALID_OPTION", "tool_diameter_mm"),
        ({"options": DfmOptions(pull_direction=(0, 0, 0))}, "DFM_INVALID_OPTION", "pull_direction"),
        (
            {"options": DfmOptions(overhang_limit_deg=95.0)},
            "DFM_INVALID_OPTION",
            "overhang_limit_deg",
        ),
        ({"options": DfmOptions(max_samples=10)}, "DFM_INVALID_OPTION", "max_samples"),
        ({"material": "resin_standard"}, "DFM_MATERIAL_PROCESS_CONFLICT", "material"),
        ({"shape": None}, "DFM_INVALID_SHAPE", "shape"),
    ],
)
def test_bad_input_raises_a_coded_validation_error(
    b3d: Any, kwargs: dict[str, Any], code: str, field: str
) -> None:
    from cadml.geometry.dfm import check_manufacturability

    args: dict[str, Any] = {
        "shape": b3d.Box(10, 10, 10).wrapped,
        "process": "cnc_milling",
        "material": "aluminum_6061",
        "options": None,
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as caught:
        check_manufacturability(
            args["shape"], args["process"], get_material(args["material"]), options=args["options"]
        )
    assert caught.value.code == code
    assert caught.value.details["field"] == field
    assert code in CATALOG


def test_a_face_without_a_solid_is_rejected(b3d: Any) -> None:
    from cadml.geometry.dfm import check_manufacturability

    face = b3d.Box(10, 10, 10).faces()[0].wrapped
    with pytest.raises(ValidationError) as caught:
        check_manufacturability(face, "cnc_milling", get_material("steel"))
    assert caught.value.code == "DFM_INVALID_SHAPE"


def test_report_is_byte_identical_across_runs_and_rebuilds(
    dfm: Any, t_undercut: Any, b3d: Any
) -> None:
    low = (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)

    def build() -> Any:
        base = b3d.Box(40, 40, 5, align=low)
        stem = b3d.Pos(0, 0, 5) * b3d.Box(6, 40, 10, align=low)
        bar = b3d.Pos(0, 0, 15) * b3d.Box(20, 40, 4, align=low)
        return base + stem + bar

    for process, material in (("injection_molding", "abs"), ("cnc_milling", "steel")):
        first = json.dumps(dfm.run(t_undercut, process, material).to_dict())
        again = json.dumps(dfm.run(t_undercut, process, material).to_dict())
        rebuilt = json.dumps(dfm.run(build(), process, material).to_dict())
        assert first == again == rebuilt
        assert json.loads(first)["findings"]


def test_report_dict_is_sorted_rounded_and_complete(dfm: Any, pocket_sharp: Any) -> None:
    report = dfm.run(pocket_sharp, "cnc_milling", "aluminum_6061")
    body = report.to_dict()
    assert list(body) == ["process", "material", "ok", "counts", "findings", "stats"]
    assert (body["process"], body["material"], body["ok"]) == (
        "cnc_milling",
        "aluminum_6061",
        False,
    )
    assert body["counts"] == {"error": 4, "warning": 0, "info": 0}
    keys = [(f["severity"], f["rule"], f["faces"]) for f in body["findings"]]
    assert keys == sorted(keys)
    stats = body["stats"]
    assert stats["faces_checked"] == 11 and stats["min_wall_mm"] == 10.0
    assert list(stats) == sorted(stats)
    assert "timings_s" not in body
    timed = report.to_dict(include_timings=True)
    assert timed["timings_s"]["total"] > 0.0


def test_finding_rejects_an_unknown_severity() -> None:
    with pytest.raises(ValueError):
        Finding("x.y", "fatal", "m", "m", "s", "s")


def test_report_is_ok_without_errors() -> None:
    warn = Finding("fdm.overhang", "warning", "a", "b", "c", "d")
    error = Finding("fdm.min_feature", "error", "a", "b", "c", "d")
    assert DfmReport("fdm_printing", "pla", (warn,)).ok
    assert not DfmReport("fdm_printing", "pla", (warn, error)).ok


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("rule", sorted(TEXTS))
def test_every_rule_is_worded_in_both_languages_with_the_same_fields(rule: str) -> None:
    msg_en, msg_tr, sug_en, sug_tr = TEXTS[rule]
    assert msg_en != msg_tr
    assert _fields(msg_en) == _fields(msg_tr)
    assert _fields(sug_en) == _fields(sug_tr)


def test_importing_the_package_does_not_import_the_kernel() -> None:
    import subprocess
    import sys

    script = (
        "import sys, cadml.geometry.dfm\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('OCP', 'build123d')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_report_is_byte_identical_in_another_process(dfm: Any) -> None:
    import subprocess
    import sys

    from cadml.geometry.generators.prism_with_hole import build

    values = {"length": 40.0, "width": 20.0, "height": 10.0, "hole_diameter": 16.0}
    script = (
        "import json\n"
        "from cadml.geometry.dfm import check_manufacturability\n"
        "from cadml.geometry.generators.prism_with_hole import build\n"
        "from cadml.physics.materials import get_material\n"
        f"shape = build({values!r})\n"
        "report = check_manufacturability(shape, 'injection_molding', get_material('abs'))\n"
        "print(json.dumps(report.to_dict()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, text=True, timeout=300
    )
    here = json.dumps(dfm.run(build(values), "injection_molding", "abs").to_dict())
    assert done.stdout.strip() == here
    assert json.loads(here)["findings"]
