"""Part classification: a dataset of generated parts, the MLP and PointNet classifiers.

Submodules: :mod:`.sampling` (random valid parameters), :mod:`.pointcloud` (surface
sampling, canonical frame), :mod:`.features` (pose-invariant feature vector),
:mod:`.dataset` (building and caching), and, importing torch, :mod:`.models`,
:mod:`.training` and :mod:`.checkpoint`. Only the torch-free names are re-exported here,
so importing this package does not import torch.
"""

from cadml.ml.parts.dataset import DatasetSpec, PartDataset, build_dataset
from cadml.ml.parts.features import FEATURE_NAMES, part_features
from cadml.ml.parts.pointcloud import POINTS, canonical_points, sample_surface
from cadml.ml.parts.sampling import random_params

__all__ = [
    "FEATURE_NAMES",
    "POINTS",
    "DatasetSpec",
    "PartDataset",
    "build_dataset",
    "canonical_points",
    "part_features",
    "random_params",
    "sample_surface",
]
