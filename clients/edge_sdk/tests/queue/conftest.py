"""Fixtures of the queue tests: a settable clock, a queue factory, a tiny real disk."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cad_ml_edge.queue import DurableQueue


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_queue(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., DurableQueue]]:
    """``make_queue(**kwargs)`` opens ``tmp_path/queue.db`` (again) with the fake clock;
    every queue it made is closed at the end."""
    opened: list[DurableQueue] = []

    def make(path: Path | None = None, **kwargs: Any) -> DurableQueue:
        kwargs.setdefault("clock", clock)
        queue = DurableQueue(path or tmp_path / "queue.db", **kwargs)
        opened.append(queue)
        return queue

    yield make
    for queue in opened:
        queue.close()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB tmpfs, so that writes meet ENOSPC."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        # Lazy: a test that failed with the file still open must not leave the mount.
        subprocess.run(["umount", "-l", str(mount)], check=True)
