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
    for command in ("serve", "worker", "admin", "design", "jobs", "db"):
        assert command in out
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
        [".step", ".stl", ".glb", ".brep", ".fcstd", ".json"]
    )
    fams = run(["design", "families"], env).stdout
    assert "prism_with_hole" in fams and "hole_diameter" in fams
