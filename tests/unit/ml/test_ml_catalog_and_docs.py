"""The ML error codes are complete and bilingual; the ML modules' examples run."""

from __future__ import annotations

import doctest
import importlib
import string

import pytest

from cadml.error_catalog import DOMAIN_STATUS
from cadml.error_catalog.ml import SPECS, STATUS
from cadml.errors import CATALOG


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.code)
def test_every_ml_code_is_registered_bilingual_and_has_a_status(spec):
    assert spec.code.startswith("ML_")
    assert CATALOG[spec.code] is spec
    assert DOMAIN_STATUS[spec.code] == STATUS[spec.code]
    assert spec.message_en != spec.message_tr
    assert fields(spec.message_en) == fields(spec.message_tr)
    assert spec.suggestions
    for s in spec.suggestions:
        assert s.en.strip() and s.tr.strip() and s.en != s.tr
        assert "{" not in s.en  # suggestions are not templates


def test_status_table_covers_exactly_the_ml_codes():
    assert set(STATUS) == {spec.code for spec in SPECS}


@pytest.mark.parametrize(
    "module",
    [
        "cadml.ml.nab.detectors",
        "cadml.ml.nab.profiles",
        "cadml.ml.nab.runner",
        "cadml.ml.nab.score",
        "cadml.ml.nab.sweep",
        "cadml.ml.nab.windows",
        "cadml.ml.rul.cmapss",
        "cadml.ml.rul.features",
        "cadml.ml.rul.metrics",
        "cadml.ml.rul.targets",
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
