"""The two part classifiers: an MLP on the feature vector and a PointNet on point clouds.

Both take raw inputs and give class logits, so the exported ONNX graphs are the whole
model (no preprocessing outside them beyond :mod:`.features` and :mod:`.pointcloud`):

* :class:`FeatureMLP` standardises its ``(B, 24)`` input with the training set's mean and
  spread (stored as buffers), then two hidden layers.
* :class:`PointNet` (Qi et al. 2017, without the input and feature transforms: the
  clouds arrive in their canonical frame) takes ``(B, N, 3)`` points, applies a shared
  per-point MLP written as ``Conv1d`` with kernel 1 (exported as ``Conv``: the same layers
  as ``Linear``/``MatMul`` ran 3x slower in onnxruntime, and static INT8 quantises ``Conv``
  per channel), max-pools over the points and classifies the global feature. Batch norm
  follows each convolution and is folded into it at export.

torch is imported by this module: import it only where training or export happens.

Examples:
    >>> import torch
    >>> net = PointNet(classes=4).eval()
    >>> net(torch.zeros(2, 128, 3)).shape
    torch.Size([2, 4])
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FeatureMLP", "PointNet"]


class FeatureMLP(nn.Module):
    """An MLP over standardised part features.

    Args:
        inputs: length of the feature vector.
        classes: number of classes.
        hidden: widths of the hidden layers.
        dropout: dropout after each hidden layer while training.
    """

    def __init__(
        self,
        inputs: int = 24,
        classes: int = 10,
        hidden: tuple[int, ...] = (128, 64),
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.mean: torch.Tensor
        self.scale: torch.Tensor
        self.register_buffer("mean", torch.zeros(inputs))
        self.register_buffer("scale", torch.ones(inputs))
        layers: list[nn.Module] = []
        width = inputs
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, classes))
        self.body = nn.Sequential(*layers)

    def set_standardisation(self, features: torch.Tensor) -> None:
        """Store the mean and spread of the training features (``(n, inputs)``)."""
        self.mean.copy_(features.mean(dim=0))
        self.scale.copy_(features.std(dim=0).clamp_min(1e-6))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, classes)`` of raw features ``(B, inputs)``."""
        return self.body((features - self.mean) / self.scale)


class PointNet(nn.Module):
    """PointNet classifier on canonical clouds.

    Args:
        classes: number of classes.
        widths: output channels of the shared per-point layers.
        head: widths of the classifier's hidden layers.
        dropout: dropout in the head while training.
    """

    def __init__(
        self,
        classes: int = 10,
        widths: tuple[int, ...] = (64, 128, 256),
        head: tuple[int, ...] = (512, 256),
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        shared: list[nn.Module] = []
        channels = 3
        for width in widths:
            shared += [nn.Conv1d(channels, width, 1), nn.BatchNorm1d(width), nn.ReLU()]
            channels = width
        self.shared = nn.Sequential(*shared)
        layers: list[nn.Module] = []
        for size in head:
            layers += [nn.Linear(channels, size), nn.ReLU(), nn.Dropout(dropout)]
            channels = size
        layers.append(nn.Linear(channels, classes))
        self.head = nn.Sequential(*layers)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, classes)`` of clouds ``(B, N, 3)``."""
        per_point = self.shared(points.transpose(1, 2))
        return self.head(per_point.amax(dim=2))
