"""RUL metrics in closed form: RMSE, the NASA asymmetric score, ROC-AUC, precision/recall."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cadml.ml.rul.metrics import classification_metrics, nasa_score, rmse, roc_auc


def test_rmse():
    # errors 3, -4, 0, 0 -> sqrt(25 / 4) = 2.5
    assert rmse(np.array([10, 20, 30, 40]), np.array([13, 16, 30, 40])) == 2.5
    assert rmse(np.array([5.0]), np.array([5.0])) == 0.0


@pytest.mark.parametrize(
    ("true", "predicted", "expected"),
    [
        (50, 50, 0.0),  # d = 0: exp(0) - 1
        (50, 37, math.e - 1),  # d = -13 (early): exp(13/13) - 1
        (50, 60, math.e - 1),  # d = 10 (late): exp(10/10) - 1
        (50, 24, math.e**2 - 1),  # d = -26: exp(2) - 1
        (50, 70, math.e**2 - 1),  # d = 20: exp(2) - 1
        (50, 40, math.exp(10 / 13) - 1),  # d = -10: 1.1581...
        (50, 51, math.exp(0.1) - 1),  # d = 1: 0.1051...
    ],
)
def test_nasa_score_of_one_unit(true, predicted, expected):
    assert nasa_score(np.array([true]), np.array([predicted])) == pytest.approx(expected, 1e-12)


def test_nasa_score_sums_units_and_punishes_late_predictions_more():
    true = np.array([50.0, 50.0, 50.0])
    predicted = np.array([37.0, 60.0, 50.0])
    assert nasa_score(true, predicted) == pytest.approx(2 * (math.e - 1), abs=1e-12)
    late = nasa_score(np.array([50.0]), np.array([60.0]))
    early = nasa_score(np.array([50.0]), np.array([40.0]))
    assert late == pytest.approx(1.718281828, abs=1e-9)
    assert early == pytest.approx(1.158105534, abs=1e-9)


def test_roc_auc_by_counting_pairs():
    # Positives 0.8 and 0.35, negatives 0.1 and 0.4: of the 4 (pos, neg) pairs, 3 are
    # ordered correctly -> 0.75. A tie counts half.
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert roc_auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 0, 0]), np.array([0.9, 0.9, 0.1])) == 0.75
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.3])) is None


def test_classification_metrics():
    labels = np.array([1, 1, 1, 0, 0, 0])
    probabilities = np.array([0.9, 0.6, 0.2, 0.7, 0.1, 0.3])
    m = classification_metrics(labels, probabilities)
    # predicted positive: 0.9, 0.6, 0.7 -> tp 2, fp 1, fn 1, tn 2
    assert (m.tp, m.fp, m.fn, m.tn) == (2, 1, 1, 2)
    assert (m.precision, m.recall) == (2 / 3, 2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    # pairs: 0.9 beats all 3; 0.6 beats 0.1, 0.3; 0.2 beats 0.1 -> 6 / 9
    assert m.roc_auc == pytest.approx(6 / 9)
    nothing = classification_metrics(labels, np.zeros(6))
    assert (nothing.precision, nothing.recall, nothing.f1) == (0.0, 0.0, 0.0)
