"""Synthetic data in the public formats: a NAB-layout corpus and C-MAPSS text files.

Nothing here is public benchmark data: the series are generated from a seed, with
anomalies (NAB) and degradation (C-MAPSS) placed where the labels say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

START = datetime(2014, 4, 10, 0, 0, 0)
STEP = timedelta(minutes=5)


def stamp(i: int) -> str:
    """Row ``i``'s timestamp as NAB writes it in data files."""
    return (START + i * STEP).strftime("%Y-%m-%d %H:%M:%S")


def label_stamp(i: int) -> str:
    """Row ``i``'s timestamp as NAB writes it in combined_windows.json."""
    return (START + i * STEP).strftime("%Y-%m-%d %H:%M:%S.%f")


def write_series(path: Path, values: np.ndarray) -> None:
    """A NAB data file: header ``timestamp,value`` then one row per value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["timestamp,value", *(f"{stamp(i)},{v:.6f}" for i, v in enumerate(values))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class NabCorpus:
    """A written corpus: its root and each file's windows as (first, last) rows."""

    root: Path
    windows: dict[str, list[tuple[int, int]]]
    lengths: dict[str, int]


def write_nab_corpus(root: Path, seed: int = 7) -> NabCorpus:
    """Three files in two categories: two with spikes inside labelled windows, one clean.

    Each anomaly is a spike of +12 standard deviations at the window's centre row; the
    windows are 40 rows wide, all after the probationary period (15 % of 600 = 90 rows).
    """
    rng = np.random.default_rng(seed)
    n = 600
    layout = {
        "artificialWithAnomaly/spikes_a.csv": [(200, 239), (420, 459)],
        "realKnownCause/spikes_b.csv": [(300, 339)],
        "artificialNoAnomaly/clean.csv": [],
    }
    labels: dict[str, list[list[str]]] = {}
    for key, windows in layout.items():
        values = 10.0 + rng.normal(0.0, 1.0, n)
        for first, last in windows:
            values[(first + last) // 2] += 12.0
        write_series(root / "data" / key, values)
        labels[key] = [[label_stamp(a), label_stamp(b)] for a, b in windows]
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "labels" / "combined_windows.json").write_text(json.dumps(labels, indent=2))
    return NabCorpus(root, layout, dict.fromkeys(layout, n))


@pytest.fixture
def nab_corpus(tmp_path: Path) -> NabCorpus:
    """A small synthetic NAB corpus under ``tmp_path/nab``."""
    return write_nab_corpus(tmp_path / "nab")


@pytest.fixture
def nab_tools() -> SimpleNamespace:
    """The NAB writers above, for tests that build their own files."""
    return SimpleNamespace(
        stamp=stamp,
        label_stamp=label_stamp,
        write_series=write_series,
        write_corpus=write_nab_corpus,
    )


CONSTANT_SENSORS = (0, 4, 9, 15, 17, 18)
"""0-based indices of the synthetic constant sensors: s1, s5, s10, s16, s18, s19."""


def cmapss_line(unit: int, cycle: int, settings: np.ndarray, sensors: np.ndarray) -> str:
    """One C-MAPSS row with the format's trailing spaces."""
    cells = [str(unit), str(cycle), *(f"{s:.4f}" for s in settings)]
    cells += [f"{s:.4f}" for s in sensors]
    return " ".join(cells) + "  "


def degrading_unit(rng: np.random.Generator, life: int, cycles: int) -> np.ndarray:
    """Sensors of one unit for its first ``cycles`` cycles of a ``life``-cycle life.

    Sensors s1, s5, s10, s16, s18 and s19 are constant (as in FD001), s2-s4 degrade as
    ``exp(-(life - cycle) / 25)`` rises near failure, the others are noise.
    """
    cycle = np.arange(1, cycles + 1)
    health = np.exp(-(life - cycle) / 25.0)
    sensors = 100.0 + rng.normal(0.0, 0.3, (cycles, 21))
    sensors[:, list(CONSTANT_SENSORS)] = [518.67, 14.62, 1.3, 0.03, 2388.0, 100.0]
    sensors[:, 1] = 642.0 + 3.0 * health + rng.normal(0.0, 0.2, cycles)
    sensors[:, 2] = 1580.0 + 20.0 * health + rng.normal(0.0, 1.5, cycles)
    sensors[:, 3] = 1400.0 - 15.0 * health + rng.normal(0.0, 1.5, cycles)
    return sensors


@dataclass(frozen=True)
class CmapssFiles:
    """Paths of a synthetic train / test / RUL triple and the test truth."""

    train: Path
    test: Path
    rul: Path
    test_rul: list[int]


def write_cmapss(directory: Path, n_train: int = 10, n_test: int = 8, seed: int = 3) -> CmapssFiles:
    """Run-to-failure training units and truncated test units in C-MAPSS text format."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    train_lines = []
    for unit in range(1, n_train + 1):
        life = int(rng.integers(120, 220))
        sensors = degrading_unit(rng, life, life)
        for c in range(life):
            settings = rng.normal(0.0, 0.002, 3)
            train_lines.append(cmapss_line(unit, c + 1, settings, sensors[c]))
    test_lines = []
    truth = []
    for unit in range(1, n_test + 1):
        life = int(rng.integers(120, 220))
        seen = int(rng.integers(int(0.4 * life), life - 2))
        sensors = degrading_unit(rng, life, seen)
        for c in range(seen):
            settings = rng.normal(0.0, 0.002, 3)
            test_lines.append(cmapss_line(unit, c + 1, settings, sensors[c]))
        truth.append(life - seen)
    files = CmapssFiles(
        directory / "train_FD001.txt",
        directory / "test_FD001.txt",
        directory / "RUL_FD001.txt",
        truth,
    )
    files.train.write_text("\n".join(train_lines) + "\n")
    files.test.write_text("\n".join(test_lines) + "\n")
    files.rul.write_text("".join(f"{r} \n" for r in truth))
    return files


@pytest.fixture
def cmapss_files(tmp_path: Path) -> CmapssFiles:
    """A synthetic FD001-like triple under ``tmp_path/cmapss``."""
    return write_cmapss(tmp_path / "cmapss")


@pytest.fixture
def cmapss_tools() -> SimpleNamespace:
    """The C-MAPSS writers above, for tests that build their own files."""
    return SimpleNamespace(line=cmapss_line, write=write_cmapss, unit=degrading_unit)
