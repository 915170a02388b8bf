"""Building, splitting, saving and keying the part-classification dataset.

A tiny real build (plate and prism_with_hole, 6 parts each, 2 clouds of 128 points)
through the geometry kernel. Oracles: the documented layout (rows by family then part,
shapes, dtypes); the prism's closed-form volume ``L W H - pi (d/2)² H`` (the tessellated
hole is an inscribed polygon, so the mesh volume lies between it and 2.03 % of the hole
more: ``1 - sin(0.35)/0.35`` for segments of at most 0.35 rad) and its one through-hole;
exact equality of builds across worker counts; the split's stratified counts; a
save/load round trip; the spec key's sensitivity to every field; E[R] = 0 for a
Haar-uniform random rotation.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cadml.designs.params import canonicalize_params_request
from cadml.geometry.generators import FAMILIES
from cadml.ml.parts.dataset import DatasetSpec, PartDataset, build_dataset, random_rotation
from cadml.ml.parts.features import FEATURE_NAMES

F = {name: i for i, name in enumerate(FEATURE_NAMES)}
SPEC = DatasetSpec(
    parts_per_family=6,
    families=("prism_with_hole", "plate"),  # unsorted on purpose: classes come out sorted
    clouds_per_part=2,
    points=128,
    seed=0,
)


@pytest.fixture(scope="module")
def progress_and_data() -> tuple[list[tuple[int, int]], PartDataset]:
    calls: list[tuple[int, int]] = []
    data = build_dataset(SPEC, workers=1, progress=lambda done, total: calls.append((done, total)))
    return calls, data


@pytest.fixture(scope="module")
def data(progress_and_data: tuple[list[tuple[int, int]], PartDataset]) -> PartDataset:
    return progress_and_data[1]


def assert_same_dataset(a: PartDataset, b: PartDataset) -> None:
    assert a.spec == b.spec and a.families == b.families
    for field in ("labels", "features", "clouds", "held_out"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.dtype == y.dtype and np.array_equal(x, y), field
    assert a.params == b.params
    assert a.failures == b.failures


def test_layout_shapes_and_progress(
    progress_and_data: tuple[list[tuple[int, int]], PartDataset],
) -> None:
    calls, data = progress_and_data
    assert calls == [(i, 12) for i in range(1, 13)]
    assert data.families == ("plate", "prism_with_hole")
    assert data.labels.dtype == np.int64 and data.labels.tolist() == [0] * 6 + [1] * 6
    assert data.features.shape == (12, 24) and data.features.dtype == np.float32
    assert data.clouds.shape == (12, 2, 128, 3) and data.clouds.dtype == np.float32
    assert data.held_out.shape == (12,) and data.held_out.dtype == np.bool_
    assert len(data.params) == 12 and data.spec == SPEC
    assert np.all(np.isfinite(data.features)) and np.all(np.isfinite(data.clouds))
    assert data.build_seconds > 0


def test_every_part_is_a_valid_design_of_its_family(data: PartDataset) -> None:
    for label, params in zip(data.labels, data.params, strict=True):
        family = data.families[label]
        request = canonicalize_params_request({"family": family, "params": params})
        assert request["params"] == params
        assert set(params) == {*FAMILIES[family].parameter_names, "material", "process"}
    assert len({str(p) for p in data.params}) == 12  # twelve different parts


def test_clouds_are_canonical(data: PartDataset) -> None:
    radius = np.linalg.norm(data.clouds.astype(np.float64), axis=3).max(axis=2)
    assert np.abs(radius - 1.0).max() <= 1e-6  # float32 of a unit farthest point
    # both clouds of a part are in the solid's frame (centred on its centroid, not on their
    # own mean): their means differ only by sampling noise, within 6 standard errors
    clouds = data.clouds.astype(np.float64)
    means, spread = clouds.mean(axis=2), clouds.var(axis=2).mean(axis=1)
    standard_error = np.sqrt(2.0 * spread / clouds.shape[2])
    assert (np.abs(means[:, 0] - means[:, 1]) <= 6.0 * standard_error).all()
    # two clouds of one part are two samplings, not copies
    assert not np.array_equal(data.clouds[:, 0], data.clouds[:, 1])


def test_prism_features_match_its_closed_forms(data: PartDataset) -> None:
    deficit = 1.0 - math.sin(0.35) / 0.35
    prisms = np.flatnonzero(data.labels == data.families.index("prism_with_hole"))
    assert prisms.size == 6
    for i in prisms:
        p, f = data.params[i], data.features[i]
        hole = math.pi * (p["hole_diameter"] / 2) ** 2 * p["height"]
        exact = p["length"] * p["width"] * p["height"] - hole
        mesh_volume = 10 ** float(f[F["log_volume"]])
        assert exact * (1 - 1e-6) <= mesh_volume <= (exact + deficit * hole) * (1 + 1e-6)
        assert f[F["log_components"]] == pytest.approx(math.log(2), rel=1e-6)
        assert f[F["log_handles"]] == pytest.approx(math.log(2), rel=1e-6)  # one through-hole


def test_held_out_split_is_by_part_and_stratified(data: PartDataset) -> None:
    for label in range(len(data.families)):
        members = data.labels == label
        assert int(data.held_out[members].sum()) == round(SPEC.test_fraction * 6)
    (train,) = data.split(held_out=False)
    (test,) = data.split(held_out=True)
    assert sorted([*train, *test]) == list(range(12)) and not set(train) & set(test)
    assert np.array_equal(data.held_out[test], np.ones(test.size, bool))


def test_build_is_deterministic_whatever_the_number_of_workers(data: PartDataset) -> None:
    assert_same_dataset(build_dataset(SPEC, workers=2), data)


def test_another_seed_draws_other_parts(data: PartDataset) -> None:
    other = build_dataset(dataclasses.replace(SPEC, parts_per_family=2, seed=1), workers=1)
    assert not any(p in data.params for p in other.params)


def test_save_and_load_round_trip(data: PartDataset, tmp_path: Path) -> None:
    path = tmp_path / "cache" / "parts-abc.npz"
    data.save(path)
    data.save(path)  # overwriting is fine
    assert sorted(p.name for p in path.parent.iterdir()) == ["parts-abc.npz"]  # no partial
    loaded = PartDataset.load(path)
    assert_same_dataset(loaded, data)
    assert loaded.build_seconds == data.build_seconds
    assert loaded.spec.key() == SPEC.key()


def test_spec_key_is_stable_and_changes_with_every_field() -> None:
    key = SPEC.key()
    assert key == DatasetSpec(6, ("prism_with_hole", "plate"), 2, 128, 0).key()
    assert len(key) == 64 and int(key, 16) >= 0
    # the family set is what counts, not its order; no families means all of them
    assert dataclasses.replace(SPEC, families=("plate", "prism_with_hole")).key() == key
    everything = DatasetSpec(families=tuple(FAMILIES))
    assert DatasetSpec().key() == everything.key()
    changed: dict[str, Any] = {
        "parts_per_family": 7,
        "families": ("plate",),
        "clouds_per_part": 3,
        "points": 256,
        "seed": 1,
        "test_fraction": 0.25,
    }
    assert set(changed) == {f.name for f in dataclasses.fields(DatasetSpec)}
    keys = {dataclasses.replace(SPEC, **{name: value}).key() for name, value in changed.items()}
    assert len(keys) == len(changed) and key not in keys


def test_random_rotations_are_proper_and_uniform() -> None:
    rng = np.random.default_rng(0)
    rotations = np.array([random_rotation(rng) for _ in range(4000)])
    eye = np.broadcast_to(np.eye(3), rotations.shape)
    assert np.abs(rotations @ rotations.transpose(0, 2, 1) - eye).max() <= 1e-14
    assert np.abs(np.linalg.det(rotations) - 1.0).max() <= 1e-14
    # Haar measure: E[R] = 0, each entry has variance 1/3
    assert np.abs(rotations.mean(axis=0)).max() <= 5 * math.sqrt(1 / 3 / 4000)
