"""The queue modules' docstring examples run."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from cad_ml_edge.queue import alerts, policy, segment, store


@pytest.mark.parametrize("module", [alerts, policy, segment, store])
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
