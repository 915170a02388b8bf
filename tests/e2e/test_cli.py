"""The CLI as a user runs it: help, users, keys, local designs, and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CADML = [sys.executable, "-m", "cadml"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CADML_DATA_DIR": str(tmp_path / "var")}


def run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CADML, *args], env=env, capture_output=True, text=True, timeout=120, **kw
    )


def test_help_teaches_every_command(env):
    out = run(["--help"], env).stdout
    commands = ("serve", "worker", "admin", "design", "physics", "jobs", "db", "twin", "ingest")
    for command in (*commands, "simulate"):
        assert command in out
    for command in ("twin", "ingest", "simulate"):
        assert "Examples:" in run([command, "--help"], env).stdout, command
    assert "CADML_" in out
    params_help = run(["design", "params", "--help"], env).stdout
    assert "--set" in params_help and "prism_with_hole" in params_help
    assert run(["--version"], env).stdout.strip() == "cadml, version 0.1.0"


def test_create_user_then_refuse_duplicate(env):
    ok = run(["admin", "create-user", "-u", "ayse", "-p", "gizli-parola", "-s", "models:read"], env)
    assert ok.returncode == 0, ok.stderr
    assert "ayse" in ok.stderr and "models:read" in ok.stderr
    dup = run(["admin", "create-user", "-u", "ayse", "-p", "x1234567"], env)
    assert dup.returncode == 2
    assert "USER_EXISTS" in dup.stderr and "hint:" in dup.stderr and "tr:" in dup.stderr
    again = run(["admin", "create-user", "-u", "ayse", "-p", "new-pass", "--update"], env)
    assert again.returncode == 0


def test_create_api_key_rejects_unknown_scope_and_user(env):
    bad = run(["admin", "create-api-key", "--name", "k", "--scopes", "models:fly"], env)
    assert bad.returncode == 2 and "VALIDATION_INVALID_VALUE" in bad.stderr
    assert bad.stdout == ""
    ghost = run(["admin", "create-api-key", "--name", "k", "--user", "nobody"], env)
    assert ghost.returncode == 2 and "NOT_FOUND_USER" in ghost.stderr


def test_design_params_rejects_bad_input_and_writes_nothing(env, tmp_path: Path):
    out = tmp_path / "out"
    r = run(
        [
            "design",
            "params",
            "-f",
            "prism_with_hole",
            "-s",
            "length=100",
            "-s",
            "width=50",
            "-s",
            "height=30",
            "-s",
            "hole_diameter=60",
            "-o",
            str(out),
        ],
        env,
    )
    assert r.returncode == 2
    assert "VALIDATION_HOLE_BREAKS_WALL" in r.stderr and "delik" in r.stderr
    assert not out.exists()
    r = run(["design", "params", "-f", "prism_with_hole", "-s", "length", "-o", str(out)], env)
    assert r.returncode == 2 and "NAME=VALUE" in r.stderr


def test_design_params_json_and_families(env, tmp_path: Path):
    out = tmp_path / "part"
    r = run(
        [
            "design",
            "params",
            "-f",
            "prism_with_hole",
            "-s",
            "length=20",
            "-s",
            "width=20",
            "-s",
            "height=5",
            "-s",
            "hole_diameter=6",
            "-s",
            "material=pla",
            "-s",
            "process=fdm_printing",
            "-o",
            str(out),
            "--json",
        ],
        env,
    )
    assert r.returncode == 0, r.stderr
    import json

    summary = json.loads(r.stdout)
    assert summary["metrics"]["volume_mm3"] == pytest.approx(
        20 * 20 * 5 - 3.141592653589793 * 9 * 5, rel=1e-9
    )
    assert sorted(p.suffix.lower() for p in out.iterdir()) == sorted(
        [".step", ".stl", ".glb", ".brep", ".fcstd", ".svg", ".pdf", ".json"]
    )
    fams = run(["design", "families"], env).stdout
    assert "prism_with_hole" in fams and "hole_diameter" in fams


CORPUS = Path(__file__).resolve().parents[1] / "data" / "cad"


def test_design_upload_writes_artefacts_and_reports(env, tmp_path):
    out = tmp_path / "up"
    r = run(
        [
            "design",
            "upload",
            str(CORPUS / "cube2_ascii.stl"),
            "--units",
            "in",
            "-p",
            "fdm_printing",
            "-m",
            "pla",
            "-o",
            str(out),
            "--json",
        ],
        env,
    )
    assert r.returncode == 0, r.stderr
    import json

    summary = json.loads(r.stdout)
    assert summary["metrics"]["volume_mm3"] == pytest.approx((2 * 25.4) ** 3, rel=1e-9)
    assert summary["metrics"]["import"]["units_source"] == "request"
    assert summary["metrics"]["manufacturability"]["process"] == "fdm_printing"
    assert {p.suffix for p in out.iterdir()} >= {".step", ".stl", ".svg", ".pdf", ".json"}
    bad = run(["design", "upload", str(CORPUS / "noise.step"), "-o", str(out)], env)
    assert bad.returncode != 0
    assert "UPLOAD_" in bad.stderr and "Traceback" not in bad.stderr


def test_physics_mass_and_collide(env, tmp_path):
    import json

    r = run(
        [
            "physics",
            "mass",
            str(CORPUS / "cube20_binary.stl"),
            "--units",
            "mm",
            "--density",
            "1000",
            "--json",
        ],
        env,
    )
    assert r.returncode == 0, r.stderr
    mass = json.loads(r.stdout)
    # A 20 mm cube at 1000 kg/m³: 8 g, I = m a²/6 about its centre.
    assert mass["mass_kg"] == pytest.approx(0.008, rel=1e-9)
    assert mass["inertia_kg_m2"][0][0] == pytest.approx(0.008 * 0.02**2 / 6, rel=1e-9)
    assembly = tmp_path / "asm.json"
    shift = [[1, 0, 0, 15], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    source = str(CORPUS / "cube20_binary.stl")
    assembly.write_text(
        json.dumps(
            {
                "parts": [
                    {"id": "a", "file": source},
                    {"id": "b", "file": source, "transform_mm": shift},
                ]
            }
        )
    )
    r = run(["physics", "collide", str(assembly), "--json"], env)
    assert r.returncode == 0, r.stderr
    (pair,) = json.loads(r.stdout)["pairs"]
    assert pair["volume_mm3"] == pytest.approx(5 * 20 * 20, rel=1e-6)
    human = run(["physics", "collide", str(assembly)], env)
    assert "a × b: overlap" in human.stdout
    assert human.stdout.startswith("2 parts, 1 colliding pair\n")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"parts": [{"file": source}]}))
    r = run(["physics", "collide", str(broken)], env)
    assert r.returncode != 0 and "VALIDATION_INVALID_VALUE" in r.stderr
