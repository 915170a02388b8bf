"""The uplink contract: SendResult and the Uplink protocol."""

from __future__ import annotations

import doctest
import subprocess
import sys

from cad_ml_edge import uplink
from cad_ml_edge.uplink import base


def test_doctests() -> None:
    assert doctest.testmod(base).failed == 0


def test_package_exports_and_no_paho_at_import() -> None:
    assert uplink.__all__ == sorted(uplink.__all__)
    assert all(hasattr(uplink, name) for name in uplink.__all__)
    code = (
        "import sys, cad_ml_edge.uplink, cad_ml_edge.forwarder; "
        "assert not [m for m in sys.modules if m.startswith('paho')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_rejection_carries_status_and_detail() -> None:
    result = base.SendResult(accepted=False, status=413, detail="too large")
    assert result.error is not None
    assert result.error.details == {"status": 413, "detail": "too large"}
    assert "413" in result.error.message() and "too large" in result.error.message("tr")
    assert not isinstance(object(), base.Uplink)
