"""Closed-form test parts of the DFM checks, built with build123d (mm)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from cadml.physics.materials import get_material


def run(shape: Any, process: str, material: str, **options: Any) -> Any:
    """The DFM report of a build123d part (or an OCP shape)."""
    from cadml.geometry.dfm import DfmOptions, check_manufacturability

    wrapped = getattr(shape, "wrapped", shape)
    return check_manufacturability(
        wrapped, process, get_material(material), options=DfmOptions(**options)
    )


def rules(report: Any, rule: str) -> list[Any]:
    """The findings of one rule."""
    return [f for f in report.findings if f.rule == rule]


@pytest.fixture(scope="session")
def b3d() -> Any:
    """The build123d module (imported once)."""
    import build123d

    return build123d


def _low(b3d: Any) -> tuple[Any, Any, Any]:
    return (b3d.Align.CENTER, b3d.Align.CENTER, b3d.Align.MIN)


@pytest.fixture(scope="session")
def pocket_sharp(b3d: Any) -> Any:
    """40 x 40 x 20 block with a 20 x 20 x 10 pocket with sharp vertical corners."""
    return b3d.Box(40, 40, 20) - b3d.Pos(0, 0, 5) * b3d.Box(20, 20, 10)


@pytest.fixture(scope="session")
def pocket_filleted(b3d: Any) -> Any:
    """The same pocket with 3.5 mm vertical corner fillets (tool radius 3 mm)."""
    cutter = b3d.fillet(b3d.Box(20, 20, 10).edges().filter_by(b3d.Axis.Z), 3.5)
    return b3d.Box(40, 40, 20) - b3d.Pos(0, 0, 5) * cutter


@pytest.fixture(scope="session")
def t_undercut(b3d: Any) -> Any:
    """A base plate carrying a T (stem 6 wide, bar 20 wide), extruded 40 along Y."""
    low = _low(b3d)
    base = b3d.Box(40, 40, 5, align=low)
    stem = b3d.Pos(0, 0, 5) * b3d.Box(6, 40, 10, align=low)
    bar = b3d.Pos(0, 0, 15) * b3d.Box(20, 40, 4, align=low)
    return base + stem + bar


@pytest.fixture(scope="session")
def t_free(b3d: Any) -> Any:
    """The T alone (no base plate): its bar undersides are visible from below."""
    low = _low(b3d)
    return b3d.Box(6, 40, 10, align=low) + b3d.Pos(0, 0, 10) * b3d.Box(20, 40, 4, align=low)


def leaning_block(b3d: Any, angle_deg: float) -> Any:
    """A 20 x 15 block, 10 high, whose +X face leans out by ``angle_deg`` from vertical."""
    offset = 10.0 * math.tan(math.radians(angle_deg))
    with b3d.BuildPart() as part:
        with b3d.BuildSketch(b3d.Plane.XZ):
            b3d.Polygon((0, 0), (20, 0), (20 + offset, 10), (0, 10), align=None)
        b3d.extrude(amount=-15)
    return part.part


@pytest.fixture(scope="session")
def dfm(b3d: Any) -> Any:
    """Helpers: ``run(shape, process, material, **options)``, ``rules(report, rule)``,
    ``leaning(angle_deg)``."""
    from types import SimpleNamespace

    return SimpleNamespace(run=run, rules=rules, leaning=lambda angle: leaning_block(b3d, angle))
