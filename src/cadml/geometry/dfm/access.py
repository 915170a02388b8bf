"""Visibility along an axis: 3-axis tool access (CNC) and undercuts (moulding).

A sample is reachable from direction ``a`` when its outward normal does not face away
from ``a`` (``n·a >= -1e-9``; walls parallel to ``a`` count as reachable, a tool or a
mould half slides along them) and a ray from the sample, lifted off the surface by
``2δ + 1 µm``, travels along ``a`` without hitting the part. A sample reachable from
neither ``+a`` nor ``-a`` is hidden. A face is reported when its hidden samples cover at
least ``HIDDEN_FRACTION`` of it, so single grazing rays along edges do not raise alarms.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cadml.geometry.dfm.context import CheckContext, per_face
from cadml.geometry.dfm.model import PartModel
from cadml.geometry.dfm.report import Finding
from cadml.geometry.dfm.texts import make_finding

__all__ = ["HIDDEN_FRACTION", "check_tool_access", "check_undercuts", "hidden_samples"]

HIDDEN_FRACTION = 0.01
"""Share of a face's area that must be hidden before the face is reported."""


def hidden_samples(model: PartModel, axis: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Which samples are reachable from neither ``+axis`` nor ``-axis``.

    Args:
        model: the sampled part.
        axis: ``(3,)`` unit direction.

    Returns:
        ``(S,)`` boolean mask of hidden samples.
    """
    lift = 2.0 * model.deflection_mm + 1e-3
    reachable = np.zeros(model.points.shape[0], dtype=bool)
    for sign in (1.0, -1.0):
        direction = sign * axis
        facing = model.normals @ direction >= -1e-9
        rows = np.nonzero(facing)[0]
        if rows.size == 0:
            continue
        origins = model.points[rows] + lift * model.normals[rows]
        t, _ = model.ray_tree.cast(origins, np.broadcast_to(direction, origins.shape), 0.0)
        reachable[rows[~np.isfinite(t)]] = True
    return ~reachable


def _hidden_findings(
    ctx: CheckContext, axis: tuple[float, float, float], text: str, severity: str, stat: str
) -> list[Finding]:
    model = ctx.model
    hidden = hidden_samples(model, np.array(axis))
    records = [r for r in per_face(model, hidden, model.weights) if r.fraction >= HIDDEN_FRACTION]
    ctx.stats[stat] = float(sum(r.area_mm2 for r in records))
    return [
        make_finding(
            ctx.prefix,
            text,
            severity,
            faces=[r.face],
            points=r.points,
            measured=r.area_mm2,
            unit="mm2",
        )
        for r in records
    ]


def check_tool_access(ctx: CheckContext) -> list[Finding]:
    """CNC: faces a 3-axis machine cannot reach from +Z or -Z (errors)."""
    return _hidden_findings(ctx, (0.0, 0.0, 1.0), "tool_access", "error", "hidden_area_mm2")


def check_undercuts(ctx: CheckContext, pull: tuple[float, float, float]) -> list[Finding]:
    """Moulding: faces hidden from both mould halves along ``pull`` (warnings)."""
    return _hidden_findings(ctx, pull, "undercut", "warning", "undercut_area_mm2")
