"""The classifier inputs of one part: its feature vector and canonical point cloud.

The same code prepares training parts (:mod:`.dataset`) and parts sent for
classification (an uploaded STL, a design's mesh), so what a model sees in service is
what it was trained on. Random draws (surface points, D2 pairs) use a fixed seed: the
same mesh always gets the same inputs, hence the same answer.

Examples:
    >>> import numpy as np
    >>> v = np.array([[x, y, z] for x in (0, 40) for y in (0, 20) for z in (0, 10)], float)
    >>> t = [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
    ...      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]
    >>> d = describe_mesh(v, t)
    >>> d.features.shape, d.points.shape, d.points.dtype.name
    ((24,), (1024, 3), 'float32')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cadml.ml.parts.features import part_features
from cadml.ml.parts.frame import mesh_frame
from cadml.ml.parts.pointcloud import POINTS, in_frame, sample_surface

__all__ = ["PartInputs", "describe_mesh"]


@dataclass(frozen=True)
class PartInputs:
    """The two models' inputs for one part.

    Args:
        features: ``(24,)`` float32 feature vector (:mod:`.features`).
        points: ``(POINTS, 3)`` float32 canonical surface cloud (:mod:`.pointcloud`).
    """

    features: npt.NDArray[np.float32]
    points: npt.NDArray[np.float32]


def describe_mesh(
    vertices: npt.ArrayLike, triangles: npt.ArrayLike, points: int = POINTS, seed: int = 0
) -> PartInputs:
    """Feature vector and canonical cloud of a closed mesh in mm.

    Raises:
        ValueError: for a mesh without area or volume.
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    rng = np.random.default_rng(seed)
    features = part_features(v, t, rng)
    centre, axes = mesh_frame(v, t)
    cloud = in_frame(sample_surface(v, t, points, rng), centre, axes).astype(np.float32)
    return PartInputs(features, cloud)
