"""The importer package: kernel-free import, and a catalogue entry for every code it uses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from cadml.error_catalog import CATALOG
from cadml.error_catalog.upload import SPECS, STATUS, WARNING_CODES

PACKAGE = Path(__file__).resolve().parents[4] / "src" / "cadml" / "geometry" / "importers"


def test_importing_the_package_loads_no_kernel() -> None:
    script = (
        "import json, sys, cadml.geometry.importers as i\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('OCP', 'build123d', 'ezdxf', 'scipy'))))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert json.loads(out.stdout) == []


def test_every_code_the_importers_use_is_in_the_upload_catalogue() -> None:
    used = set()
    for path in PACKAGE.glob("*.py"):
        used |= set(re.findall(r'"((?:UPLOAD|VALIDATION)_[A-Z_]+)"', path.read_text()))
    upload_codes = {spec.code for spec in SPECS}
    assert used <= set(CATALOG)
    assert {c for c in used if c.startswith("UPLOAD_")} <= upload_codes
    assert set(WARNING_CODES) <= upload_codes


def test_statuses() -> None:
    assert STATUS["UPLOAD_UNSUPPORTED_FORMAT"] == 415
    assert STATUS["UPLOAD_TOO_LARGE"] == 413
    assert set(STATUS) == {spec.code for spec in SPECS}
    assert {
        STATUS[c] for c in STATUS if c not in ("UPLOAD_UNSUPPORTED_FORMAT", "UPLOAD_TOO_LARGE")
    } == {422}
