"""The API process validates requests without importing the kernel."""

from __future__ import annotations

import json
import subprocess
import sys

from cadml.geometry.kernel import engine_fingerprint

SCRIPT = """
import json, sys
import cadml.designs, cadml.physics, cadml.geometry, cadml.geometry.generators
import cadml.geometry.io, cadml.geometry.kernel, cadml.geometry.mesh, cadml.geometry.results
import cadml.geometry.importers, cadml.geometry.dfm, cadml.geometry.drawing
import cadml.designs.upload, cadml.designs.check, cadml.designs.catalog, cadml.api.app
cadml.designs.catalog.describe_families()
canonical = cadml.designs.canonicalize_params_request(
    {"family": "prism_with_hole",
     "params": {"length": 10, "width": 10, "height": 10, "hole_diameter": 2}})
kernel = sorted(m for m in sys.modules if m.split(".")[0] in ("OCP", "build123d"))
print(json.dumps({"kernel": kernel, "family": canonical["family"]}))
"""


def test_validation_imports_no_kernel() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, check=True, timeout=120
    )
    report = json.loads(completed.stdout)
    assert report == {"kernel": [], "family": "prism_with_hole"}


def test_engine_fingerprint_names_the_real_occt() -> None:
    fingerprint = engine_fingerprint()
    assert set(fingerprint) == {"build123d", "cadml", "numpy", "occt", "ocp", "python", "zlib"}
    major, minor, patch = fingerprint["occt"].split(".")
    assert (major, minor) == ("8", "0") and patch.isdigit()
