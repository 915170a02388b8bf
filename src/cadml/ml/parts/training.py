"""Training and evaluation of the part classifiers on the CPU.

:func:`train_mlp` and :func:`train_pointnet` fit the two models of :mod:`.models` on the
training split of a :class:`~.dataset.PartDataset` with Adam and a cosine learning-rate
schedule, seeded (same data and seed, same weights on the same machine), and return the
model with its :class:`Evaluation` on the held-out parts. PointNet sees one of each
part's clouds per epoch, flipped and jittered (:func:`~.pointcloud.augment`); it is
evaluated on every cloud of every held-out part.

Examples:
    >>> import numpy as np
    >>> e = evaluate_predictions(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), ("a", "b", "c"))
    >>> e.accuracy, e.confusion
    (0.75, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from cadml.ml.parts.dataset import PartDataset
from cadml.ml.parts.models import FeatureMLP, PointNet
from cadml.ml.parts.pointcloud import augment

__all__ = [
    "Evaluation",
    "TrainingRun",
    "evaluate_predictions",
    "predict",
    "train_mlp",
    "train_pointnet",
]

Progress = Callable[[int, int, float], None]
"""Called after each epoch with ``(epoch, epochs, mean training loss)``."""


@dataclass(frozen=True)
class Evaluation:
    """Accuracy on held-out samples.

    Args:
        accuracy: share of samples classified correctly.
        samples: number of samples evaluated.
        confusion: ``confusion[true][predicted]`` counts.
        classes: class names, the order of ``confusion``'s rows and columns.
    """

    accuracy: float
    samples: int
    confusion: list[list[int]]
    classes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "accuracy": self.accuracy,
            "samples": self.samples,
            "classes": list(self.classes),
            "confusion": self.confusion,
        }


@dataclass
class TrainingRun:
    """A trained model and how it was trained.

    Args:
        model: the model, in eval mode.
        evaluation: accuracy on the held-out split.
        epochs: epochs trained.
        seconds: training wall time.
        losses: mean training loss of each epoch.
        settings: the hyper-parameters used.
    """

    model: nn.Module
    evaluation: Evaluation
    epochs: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


def evaluate_predictions(
    truth: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], classes: tuple[str, ...]
) -> Evaluation:
    """Accuracy and confusion matrix of predicted classes against the truth."""
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    accuracy = float((truth == predicted).mean()) if truth.size else 0.0
    return Evaluation(accuracy, int(truth.size), confusion.tolist(), classes)


def predict(model: nn.Module, inputs: npt.NDArray[np.float32], batch: int = 256) -> np.ndarray:
    """Logits of ``inputs`` (first axis = samples), in eval mode, without gradients."""
    model.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(inputs), batch):
            outputs.append(model(torch.from_numpy(inputs[start : start + batch])).numpy())
    return np.concatenate(outputs) if outputs else np.zeros((0, 0), dtype=np.float32)


def _fit(
    model: nn.Module,
    batches: Callable[[np.random.Generator], list[tuple[torch.Tensor, torch.Tensor]]],
    epochs: int,
    learning_rate: float,
    seed: int,
    progress: Progress | None,
) -> list[float]:
    rng = np.random.default_rng(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=max(epochs, 1))
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for inputs, targets in batches(rng):
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(targets)
            count += len(targets)
        schedule.step()
        losses.append(total / max(count, 1))
        if progress is not None:
            progress(epoch, epochs, losses[-1])
    model.eval()
    return losses


def _shuffled(count: int, batch: int, rng: np.random.Generator) -> list[npt.NDArray[np.int64]]:
    # PointNet's batch norm normalises over the points too, so even a batch of one trains
    order = rng.permutation(count)
    return [order[i : i + batch] for i in range(0, count, batch)]


def train_mlp(
    data: PartDataset,
    epochs: int = 150,
    batch: int = 64,
    learning_rate: float = 3e-3,
    seed: int = 0,
    progress: Progress | None = None,
) -> TrainingRun:
    """Train the feature MLP on the training split and evaluate it on the held-out one.

    Args:
        data: the dataset.
        epochs: passes over the training parts.
        batch: parts per step.
        learning_rate: Adam's initial step size (cosine decay to 0).
        seed: seed of initial weights and shuffling.
        progress: called after each epoch.

    Returns:
        The trained model and its evaluation.
    """
    torch.manual_seed(seed)
    start = time.perf_counter()
    (train,) = data.split(held_out=False)
    (test,) = data.split(held_out=True)
    features = torch.from_numpy(data.features[train])
    labels = torch.from_numpy(data.labels[train])
    model = FeatureMLP(features.shape[1], len(data.families))
    model.set_standardisation(features)

    def batches(rng: np.random.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [(features[i], labels[i]) for i in _shuffled(len(train), batch, rng)]

    losses = _fit(model, batches, epochs, learning_rate, seed, progress)
    logits = predict(model, data.features[test])
    evaluation = evaluate_predictions(data.labels[test], logits.argmax(axis=1), data.families)
    settings = {"epochs": epochs, "batch": batch, "learning_rate": learning_rate, "seed": seed}
    return TrainingRun(model, evaluation, epochs, time.perf_counter() - start, losses, settings)


def held_out_clouds(data: PartDataset) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Every cloud of every held-out part, ``(n·k, points, 3)``, with its label."""
    (test,) = data.split(held_out=True)
    clouds = data.clouds[test]
    k = clouds.shape[1]
    return (
        np.ascontiguousarray(clouds.reshape(-1, *clouds.shape[2:])),
        np.repeat(data.labels[test], k),
    )


def train_pointnet(
    data: PartDataset,
    epochs: int = 30,
    batch: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: Progress | None = None,
) -> TrainingRun:
    """Train PointNet on the training split and evaluate it on the held-out one.

    Args:
        data: the dataset.
        epochs: passes over the training parts (one cloud of each part per pass).
        batch: clouds per step.
        learning_rate: Adam's initial step size (cosine decay to 0).
        seed: seed of initial weights, cloud choice, augmentation and shuffling.
        progress: called after each epoch.

    Returns:
        The trained model and its evaluation.
    """
    torch.manual_seed(seed)
    start = time.perf_counter()
    (train,) = data.split(held_out=False)
    model = PointNet(len(data.families))
    clouds, labels = data.clouds[train], data.labels[train]

    def batches(rng: np.random.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
        pick = rng.integers(clouds.shape[1], size=len(train))
        epoch = np.stack([augment(clouds[i, pick[i]], rng) for i in range(len(train))])
        tensor = torch.from_numpy(epoch.astype(np.float32))
        target = torch.from_numpy(labels)
        return [(tensor[i], target[i]) for i in _shuffled(len(train), batch, rng)]

    losses = _fit(model, batches, epochs, learning_rate, seed, progress)
    test_clouds, test_labels = held_out_clouds(data)
    logits = predict(model, test_clouds)
    evaluation = evaluate_predictions(test_labels, logits.argmax(axis=1), data.families)
    settings = {"epochs": epochs, "batch": batch, "learning_rate": learning_rate, "seed": seed}
    return TrainingRun(model, evaluation, epochs, time.perf_counter() - start, losses, settings)
