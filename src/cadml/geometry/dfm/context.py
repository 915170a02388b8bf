"""What every rule receives: the sampled part, the options in force, shared measurements.

Measurements several rules need (the ray wall thickness) are computed once, on first
use, and cached on the context. :func:`per_face` turns a per-sample mask and value into
one record per face, which is how findings are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cadml.geometry.dfm.model import PartModel
from cadml.geometry.dfm.options import DfmOptions
from cadml.geometry.dfm.thickness import Thickness, measure_thickness

__all__ = ["CheckContext", "FaceRecord", "per_face"]

MAX_POINTS = 3
"""Most locations listed in one finding."""


@dataclass(eq=False)
class CheckContext:
    """Inputs and shared measurements of one check.

    Args:
        model: the sampled part.
        process: the process id.
        prefix: the rule-id prefix of the process.
        material_id: the material id (for messages).
        min_wall_mm: the minimum wall in force (option, else the material's).
        options: the validated options.
    """

    model: PartModel
    process: str
    prefix: str
    material_id: str
    min_wall_mm: float
    options: DfmOptions
    stats: dict[str, object] = field(default_factory=dict)
    _wall: Thickness | None = None

    @property
    def wall(self) -> Thickness:
        """Ray wall thickness at every sample (measured on first use)."""
        if self._wall is None:
            self._wall = measure_thickness(self.model)
        return self._wall


@dataclass(frozen=True)
class FaceRecord:
    """The flagged samples of one face.

    Args:
        face: the face id.
        value: the extreme value over the flagged samples.
        points: up to :data:`MAX_POINTS` sample points, the extreme first.
        area_mm2: area the flagged samples stand for.
        fraction: ``area_mm2`` over the face's sampled area.
    """

    face: int
    value: float
    points: tuple[tuple[float, float, float], ...]
    area_mm2: float
    fraction: float


def per_face(
    model: PartModel,
    mask: npt.NDArray[np.bool_],
    values: npt.NDArray[np.float64],
    *,
    extreme: str = "min",
) -> list[FaceRecord]:
    """Group flagged samples by face, sorted by face id.

    Args:
        model: the sampled part.
        mask: ``(S,)`` which samples are flagged.
        values: ``(S,)`` the value measured at each sample.
        extreme: ``min`` or ``max``: which value represents the face.
    """
    records: list[FaceRecord] = []
    face_area = np.bincount(model.sample_face, weights=model.weights, minlength=model.face_count)
    sign = 1.0 if extreme == "min" else -1.0
    for fid in np.unique(model.sample_face[mask]).tolist():
        rows = np.nonzero(mask & (model.sample_face == fid))[0]
        order = rows[np.lexsort((rows, sign * values[rows]))]
        chosen = order[:MAX_POINTS]
        area = float(model.weights[rows].sum())
        records.append(
            FaceRecord(
                face=int(fid),
                value=float(values[order[0]]),
                points=tuple((float(p[0]), float(p[1]), float(p[2])) for p in model.points[chosen]),
                area_mm2=area,
                fraction=area / float(face_area[fid]) if face_area[fid] > 0 else 0.0,
            )
        )
    return records
