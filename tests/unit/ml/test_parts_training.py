"""Evaluation by hand, and training both part classifiers on a tiny real dataset.

Oracles: confusion matrices and accuracies counted by hand; the MLP's stored
standardisation equals the training split's mean and (n-1) standard deviation; plate and
prism_with_hole are separated trivially by the features (a prism has exactly one
through-hole, its thickness ratio is far from a plate's), so the MLP must classify every
held-out part; PointNet is evaluated on every cloud of every held-out part; the same seed
gives bitwise the same weights on one CPU thread, another seed other weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from cadml.ml.parts.dataset import DatasetSpec, PartDataset, build_dataset
from cadml.ml.parts.models import FeatureMLP
from cadml.ml.parts.training import (
    Evaluation,
    TrainingRun,
    evaluate_predictions,
    held_out_clouds,
    predict,
    train_mlp,
    train_pointnet,
)

SPEC = DatasetSpec(
    parts_per_family=20, families=("plate", "prism_with_hole"), clouds_per_part=2, points=128
)


@pytest.fixture(scope="module")
def data() -> PartDataset:
    return build_dataset(SPEC, workers=1)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run torch on one thread (bitwise reproducible reductions), then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_evaluation_by_hand() -> None:
    truth = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    predicted = np.array([0, 1, 0, 1, 2, 2, 2, 0, 2])
    e = evaluate_predictions(truth, predicted, ("a", "b", "c"))
    assert e.confusion == [[2, 1, 0], [0, 1, 1], [1, 0, 3]]
    assert e.accuracy == 6 / 9 and e.samples == 9 and e.classes == ("a", "b", "c")
    assert e.to_dict() == {
        "accuracy": 6 / 9,
        "samples": 9,
        "classes": ["a", "b", "c"],
        "confusion": [[2, 1, 0], [0, 1, 1], [1, 0, 3]],
    }
    perfect = evaluate_predictions(truth, truth, ("a", "b", "c"))
    assert perfect.accuracy == 1.0 and perfect.confusion == [[3, 0, 0], [0, 2, 0], [0, 0, 4]]
    empty = evaluate_predictions(np.array([], np.int64), np.array([], np.int64), ("a", "b"))
    assert (empty.accuracy, empty.samples, empty.confusion) == (0.0, 0, [[0, 0], [0, 0]])


def test_held_out_clouds_are_every_cloud_of_every_held_out_part(data: PartDataset) -> None:
    clouds, labels = held_out_clouds(data)
    (test,) = data.split(held_out=True)
    assert test.size == 2 * round(0.2 * 20)
    assert clouds.shape == (test.size * 2, 128, 3) and clouds.flags.c_contiguous
    assert labels.tolist() == np.repeat(data.labels[test], 2).tolist()
    for j, i in enumerate(test):
        assert np.array_equal(clouds[2 * j], data.clouds[i, 0])
        assert np.array_equal(clouds[2 * j + 1], data.clouds[i, 1])


@pytest.fixture(scope="module")
def mlp_run(data: PartDataset) -> tuple[TrainingRun, list[tuple[int, int, float]]]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    calls: list[tuple[int, int, float]] = []
    try:
        run = train_mlp(data, epochs=60, seed=0, progress=lambda *a: calls.append(a))
    finally:
        torch.set_num_threads(before)
    return run, calls


def test_mlp_separates_plates_from_prisms(
    data: PartDataset, mlp_run: tuple[TrainingRun, list[tuple[int, int, float]]]
) -> None:
    run, calls = mlp_run
    (test,) = data.split(held_out=True)
    e = run.evaluation
    assert isinstance(e, Evaluation) and e.samples == test.size == 8
    assert e.accuracy == 1.0 and e.confusion == [[4, 0], [0, 4]]
    assert e.classes == ("plate", "prism_with_hole")
    assert len(run.losses) == run.epochs == 60
    assert [(c[0], c[1]) for c in calls] == [(k, 60) for k in range(1, 61)]
    assert [c[2] for c in calls] == run.losses
    assert run.losses[-1] < 0.1 * run.losses[0]
    assert not run.model.training
    assert run.settings == {"epochs": 60, "batch": 64, "learning_rate": 3e-3, "seed": 0}
    # predict() gives the logits the evaluation used
    logits = predict(run.model, data.features[test])
    assert logits.shape == (8, 2) and logits.argmax(axis=1).tolist() == data.labels[test].tolist()


def test_mlp_stores_the_training_standardisation(
    data: PartDataset, mlp_run: tuple[TrainingRun, list[tuple[int, int, float]]]
) -> None:
    model = mlp_run[0].model
    assert isinstance(model, FeatureMLP)
    (train,) = data.split(held_out=False)
    train_features = data.features[train].astype(np.float64)
    mean = train_features.mean(axis=0)
    std = np.maximum(train_features.std(axis=0, ddof=1), 1e-6)
    assert np.allclose(model.mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    assert np.allclose(model.scale.numpy(), std, rtol=1e-4, atol=1e-6)
    # log_components is 1 solid everywhere: zero spread, clamped, not a division by zero
    assert model.scale.numpy()[11] == pytest.approx(1e-6)


@pytest.mark.usefixtures("one_thread")
def test_same_seed_same_mlp_weights_other_seed_other_weights(
    data: PartDataset, mlp_run: tuple[TrainingRun, list[tuple[int, int, float]]]
) -> None:
    again = train_mlp(data, epochs=60, seed=0)
    assert same_weights(again.model, mlp_run[0].model)
    assert again.losses == mlp_run[0].losses
    assert not same_weights(train_mlp(data, epochs=60, seed=1).model, again.model)


@pytest.mark.usefixtures("one_thread")
def test_pointnet_trains_and_is_evaluated_on_every_held_out_cloud(data: PartDataset) -> None:
    run = train_pointnet(data, epochs=2, seed=0)
    (test,) = data.split(held_out=True)
    e = run.evaluation
    assert e.samples == test.size * SPEC.clouds_per_part == 16
    assert sum(map(sum, e.confusion)) == 16
    assert [sum(row) for row in e.confusion] == [8, 8]
    assert 0.0 <= e.accuracy <= 1.0
    assert len(run.losses) == 2 and all(math.isfinite(x) for x in run.losses)
    assert not run.model.training
    again = train_pointnet(data, epochs=2, seed=0)
    assert same_weights(again.model, run.model) and again.losses == run.losses
    assert not same_weights(train_pointnet(data, epochs=2, seed=1).model, run.model)
