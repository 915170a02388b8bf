"""The part-classification dataset: random valid parts of every family, in random poses.

Each sample is one part: a family, random valid parameters (:mod:`.sampling`), the
B-rep built by the family and tessellated, turned by a uniformly random rotation, then
described twice: a feature vector (:mod:`.features`) for the MLP and ``clouds_per_part``
surface point clouds in the solid's canonical frame (:mod:`.frame`, :mod:`.pointcloud`)
for PointNet. The label is the
family. The split into training and held-out parts is by part and stratified by family,
so no pose of a held-out part is ever trained on.

Building runs in worker processes (geometry never runs in threads: OCCT holds the GIL),
each importing the kernel once; the caller gets progress through a callback. A part whose
build or tessellation fails is redrawn with the next seed and counted, never silently
dropped. The dataset is deterministic in its ``seed``: part ``i`` of family ``f`` always
uses the same random stream, whatever the number of workers.

Examples:
    >>> spec = DatasetSpec(parts_per_family=2, families=("plate",), seed=1)
    >>> spec.key()[:12]
    '6970af0b4465'
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from cadml.ml.parts.features import FEATURE_NAMES, part_features
from cadml.ml.parts.frame import mesh_frame
from cadml.ml.parts.pointcloud import POINTS, in_frame, sample_surface

__all__ = ["DatasetSpec", "PartDataset", "build_dataset", "random_rotation"]

MESH_LINEAR_MM = 0.3
"""Chordal deflection of the dataset's tessellation (coarser than the design pipeline's:
the clouds have 1024 points; the angular limit below bounds the triangles of large arcs)."""
MESH_ANGULAR_RAD = 0.35
_REDRAWS = 20

DATASET_FORMAT = 2
"""Version of how parts are described; part of the cache key, so a change in the features
or the cloud frame never reuses datasets built the old way (2: the solid's frame)."""


@dataclass(frozen=True)
class DatasetSpec:
    """What to build.

    Args:
        parts_per_family: parts drawn per family.
        families: family names (all registered families when empty).
        clouds_per_part: point clouds sampled per part (different samplings of one pose).
        points: points per cloud.
        seed: seed of every random draw.
        test_fraction: share of each family's parts held out for evaluation.
    """

    parts_per_family: int = 150
    families: tuple[str, ...] = ()
    clouds_per_part: int = 2
    points: int = POINTS
    seed: int = 0
    test_fraction: float = 0.2

    def resolved_families(self) -> tuple[str, ...]:
        """The family names, sorted (every registered family when none were given)."""
        from cadml.geometry.generators import FAMILIES

        return tuple(sorted(self.families or FAMILIES))

    def key(self) -> str:
        """A content key of the spec and of how parts are described (the cache's name)."""
        body = json.dumps(
            {**asdict(self), "families": self.resolved_families(), "format": DATASET_FORMAT},
            sort_keys=True,
        )
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class PartDataset:
    """Built samples, one row per part.

    Args:
        spec: what was built.
        families: class names; ``labels`` index them.
        labels: ``(n,)`` int64 class of each part.
        features: ``(n, 24)`` float32 feature vectors.
        clouds: ``(n, k, points, 3)`` float32 canonical clouds.
        held_out: ``(n,)`` bool, the part belongs to the evaluation split.
        params: the canonical parameters of each part.
        failures: builds that failed and were redrawn, per family.
        build_seconds: wall time of the build.
    """

    spec: DatasetSpec
    families: tuple[str, ...]
    labels: npt.NDArray[np.int64]
    features: npt.NDArray[np.float32]
    clouds: npt.NDArray[np.float32]
    held_out: npt.NDArray[np.bool_]
    params: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0

    def save(self, path: Path) -> None:
        """Write the dataset to one ``.npz`` file (arrays plus a JSON header)."""
        header = {
            "spec": asdict(self.spec),
            "families": list(self.families),
            "params": self.params,
            "failures": self.failures,
            "build_seconds": self.build_seconds,
            "feature_names": list(FEATURE_NAMES),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez_compressed(
            partial,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            labels=self.labels,
            features=self.features,
            clouds=self.clouds,
            held_out=self.held_out,
        )
        partial.replace(path)  # never leave a half-written dataset under the real name

    @classmethod
    def load(cls, path: Path) -> PartDataset:
        """Read a dataset written by :meth:`save`."""
        with np.load(path) as data:
            header = json.loads(data["header"].tobytes().decode())
            spec = header["spec"]
            spec["families"] = tuple(spec["families"])
            return cls(
                spec=DatasetSpec(**spec),
                families=tuple(header["families"]),
                labels=data["labels"],
                features=data["features"],
                clouds=data["clouds"],
                held_out=data["held_out"],
                params=header["params"],
                failures=header["failures"],
                build_seconds=header["build_seconds"],
            )

    def split(self, held_out: bool) -> tuple[npt.NDArray[np.int64], ...]:
        """Indices of the training (``False``) or evaluation (``True``) parts."""
        return (np.flatnonzero(self.held_out == held_out),)


def random_rotation(rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """A rotation matrix drawn uniformly from SO(3) (a random unit quaternion)."""
    q = rng.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


@dataclass(frozen=True)
class _Job:
    family: str
    index: int
    seed: int
    clouds: int
    points: int


@dataclass(frozen=True)
class _Built:
    family: str
    index: int
    params: dict[str, Any]
    features: npt.NDArray[np.float32]
    clouds: npt.NDArray[np.float32]
    failures: int


def _build_one(job: _Job) -> _Built:
    """Draw, build, mesh, pose and describe one part (in a worker process)."""
    from cadml.geometry.generators import get_family
    from cadml.geometry.mesh import tessellate
    from cadml.ml.parts.sampling import random_params

    family = get_family(job.family)
    failures = 0
    for redraw in range(_REDRAWS):
        rng = np.random.default_rng([job.seed, job.index, redraw, *job.family.encode()])
        params = random_params(family, rng)
        try:
            mesh = tessellate(family.build(params), MESH_LINEAR_MM, MESH_ANGULAR_RAD)
            posed = np.asarray(mesh.vertices, dtype=np.float64) @ random_rotation(rng).T
            features = part_features(posed, mesh.triangles, rng)
        except Exception:  # any kernel failure: count it and draw again
            failures += 1
            continue
        centre, axes = mesh_frame(posed, mesh.triangles)
        clouds = np.stack(
            [
                in_frame(sample_surface(posed, mesh.triangles, job.points, rng), centre, axes)
                for _ in range(job.clouds)
            ]
        ).astype(np.float32)
        return _Built(job.family, job.index, dict(params), features, clouds, failures)
    raise RuntimeError(f"{job.family}: {_REDRAWS} random parts in a row failed to build")


def _jobs(spec: DatasetSpec) -> list[_Job]:
    return [
        _Job(name, i, spec.seed, spec.clouds_per_part, spec.points)
        for name in spec.resolved_families()
        for i in range(spec.parts_per_family)
    ]


def _held_out(labels: npt.NDArray[np.int64], fraction: float, seed: int) -> npt.NDArray[np.bool_]:
    rng = np.random.default_rng([seed, 7919])
    mask = np.zeros(labels.size, dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = max(1, round(fraction * members.size)) if members.size > 1 else 0
        mask[rng.choice(members, size=count, replace=False)] = True
    return mask


def _results(jobs: Sequence[_Job], workers: int) -> Iterator[_Built]:
    if workers <= 1:
        yield from map(_build_one, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        yield from pool.map(_build_one, jobs, chunksize=4)


def build_dataset(
    spec: DatasetSpec,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> PartDataset:
    """Build the dataset ``spec`` describes.

    Args:
        spec: what to build.
        workers: worker processes (1 builds in this process).
        progress: called with ``(parts done, parts in all)`` after each part.

    Returns:
        The dataset, rows ordered by family then part index.

    Raises:
        RuntimeError: if a family fails to build many random parts in a row.
    """
    start = time.perf_counter()
    jobs = _jobs(spec)
    families = spec.resolved_families()
    built: list[_Built] = []
    for done, item in enumerate(_results(jobs, workers), start=1):
        built.append(item)
        if progress is not None:
            progress(done, len(jobs))
    labels = np.array([families.index(b.family) for b in built], dtype=np.int64)
    failures: dict[str, int] = {}
    for b in built:
        if b.failures:
            failures[b.family] = failures.get(b.family, 0) + b.failures
    return PartDataset(
        spec=spec,
        families=families,
        labels=labels,
        features=np.stack([b.features for b in built]).astype(np.float32),
        clouds=np.stack([b.clouds for b in built]).astype(np.float32),
        held_out=_held_out(labels, spec.test_fraction, spec.seed),
        params=[b.params for b in built],
        failures=failures,
        build_seconds=time.perf_counter() - start,
    )
