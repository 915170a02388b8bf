"""Injection-moulding rule: draft angle against the pull direction.

The draft of a surface at a sample is its angle to the pull direction ``p``:
``asin(|n·p|)`` (a wall parallel to ``p`` has 0°, a face across ``p`` 90°). Sample
normals are the exact B-rep normals, so the draft of a planar face is exact. Faces
with any sample below ``min_draft_deg`` are reported with their smallest draft.
Undercuts and wall uniformity live in :mod:`~cadml.geometry.dfm.access` and
:mod:`~cadml.geometry.dfm.walls`.
"""

from __future__ import annotations

import numpy as np

from cadml.geometry.dfm.context import CheckContext, per_face
from cadml.geometry.dfm.report import Finding
from cadml.geometry.dfm.texts import make_finding

__all__ = ["check_draft"]


def check_draft(ctx: CheckContext) -> list[Finding]:
    """Faces with less draft than ``min_draft_deg`` (warnings, measured in degrees)."""
    model = ctx.model
    pull = np.array(ctx.options.pull_direction, dtype=np.float64)
    pull /= np.linalg.norm(pull)
    draft = np.degrees(np.arcsin(np.clip(np.abs(model.normals @ pull), 0.0, 1.0)))
    limit = ctx.options.min_draft_deg
    ctx.stats["min_draft_deg"] = float(draft.min()) if draft.size else 90.0
    mask = draft < limit - 1e-9
    return [
        make_finding(
            ctx.prefix,
            "draft_angle",
            "warning",
            faces=[r.face],
            points=r.points,
            measured=r.value,
            limit=limit,
            unit="deg",
        )
        for r in per_face(model, mask, draft)
    ]
