"""Saving and loading trained part classifiers (weights plus what they were trained on).

A checkpoint directory holds ``<model>.pt`` (the torch ``state_dict``) for each trained
model and ``training.json``: the class names, the feature names, each model's
constructor arguments, evaluation and training settings, and the dataset's spec and key,
so an export can rebuild the models and re-evaluate them on the same held-out parts.
Files are written under temporary names and renamed, ``training.json`` last: a
directory with a ``training.json`` is complete.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from cadml.errors import NotFoundError
from cadml.ml.parts.dataset import PartDataset
from cadml.ml.parts.features import FEATURE_NAMES
from cadml.ml.parts.models import FeatureMLP, PointNet
from cadml.ml.parts.training import TrainingRun

__all__ = ["load_models", "read_training", "save_checkpoint"]

_KINDS: dict[str, type[torch.nn.Module]] = {"mlp": FeatureMLP, "pointnet": PointNet}


def _config(name: str, data: PartDataset) -> dict[str, Any]:
    if name == "mlp":
        return {"inputs": int(data.features.shape[1]), "classes": len(data.families)}
    return {"classes": len(data.families)}


def save_checkpoint(directory: Path, data: PartDataset, runs: dict[str, TrainingRun]) -> Path:
    """Write the trained models of ``runs`` (keys ``mlp``/``pointnet``) to ``directory``.

    Returns:
        The path of ``training.json``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    models: dict[str, Any] = {}
    for name, run in runs.items():
        partial = directory / f"{name}.pt.partial"
        torch.save(run.model.state_dict(), partial)
        partial.replace(directory / f"{name}.pt")
        models[name] = {
            "config": _config(name, data),
            "evaluation": run.evaluation.to_dict(),
            "epochs": run.epochs,
            "seconds": round(run.seconds, 3),
            "losses": [round(x, 6) for x in run.losses],
            "settings": run.settings,
        }
    header = {
        "classes": list(data.families),
        "feature_names": list(FEATURE_NAMES),
        "dataset": {"spec": asdict(data.spec), "key": data.spec.key()},
        "models": models,
    }
    target = directory / "training.json"
    partial = directory / "training.json.partial"
    partial.write_text(json.dumps(header, indent=2, sort_keys=True))
    partial.replace(target)
    return target


def read_training(directory: Path) -> dict[str, Any]:
    """The ``training.json`` of a checkpoint directory.

    Raises:
        NotFoundError: ``ML_NO_TRAINED_MODEL`` if the directory holds no complete checkpoint.
    """
    path = directory / "training.json"
    if not path.is_file():
        raise NotFoundError(
            "ML_NO_TRAINED_MODEL", details={"model": "part classifier", "path": str(directory)}
        )
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def load_models(directory: Path) -> dict[str, torch.nn.Module]:
    """The trained models of a checkpoint directory, in eval mode, by name."""
    header = read_training(directory)
    models = {}
    for name, entry in header["models"].items():
        model = _KINDS[name](**entry["config"])
        model.load_state_dict(torch.load(directory / f"{name}.pt", weights_only=True))
        models[name] = model.eval()
    return models
