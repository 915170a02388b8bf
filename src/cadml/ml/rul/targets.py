"""Learning targets: remaining useful life and failure within N cycles.

A training unit runs to failure, so at cycle ``c`` of a unit whose last cycle is ``T``
the remaining useful life is ``T - c``. Early in life the true RUL is large and the
sensors show nothing yet, so models learn a *piecewise-linear* target: ``min(T - c, cap)``
(cap 125 by default, as is usual for C-MAPSS). A test unit stops before failure; its RUL
file gives the remaining life after its last row, so the RUL of earlier rows adds the
cycles in between.

Examples:
    >>> import numpy as np
    >>> from cadml.ml.rul.cmapss import CmapssData
    >>> data = CmapssData(np.array([1, 1, 1, 2, 2]), np.array([1, 2, 3, 1, 2]),
    ...                   np.zeros((5, 3)), np.zeros((5, 21)))
    >>> rul_targets(data).tolist()
    [2, 1, 0, 1, 0]
    >>> rul_targets(data, cap=1).tolist()
    [1, 1, 0, 1, 0]
    >>> rul_from_end(data, np.array([10, 20])).tolist()
    [12, 11, 10, 21, 20]
    >>> failure_within(np.array([0, 5, 6, 30]), 5).tolist()
    [True, True, False, False]
"""

from __future__ import annotations

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.rul.cmapss import CmapssData

__all__ = ["DEFAULT_CAP", "failure_within", "rul_from_end", "rul_targets"]

DEFAULT_CAP = 125
"""The usual piecewise-linear cap of the C-MAPSS RUL target, in cycles."""


def _last_cycle_per_row(data: CmapssData) -> np.ndarray:
    last = np.empty(data.n_rows, dtype=np.int64)
    for rows in data.unit_slices():
        last[rows] = data.cycles[rows.stop - 1]
    return last


def rul_targets(data: CmapssData, cap: int | None = DEFAULT_CAP) -> np.ndarray:
    """RUL of every row of a run-to-failure file, ``min(T - c, cap)``; shape ``(n,)``.

    Args:
        data: a training file.
        cap: the piecewise-linear cap in cycles; ``None`` for the plain ``T - c``.

    Raises:
        ValidationError: ``ML_INVALID_OPTION`` for a cap below 1.
    """
    rul = _last_cycle_per_row(data) - data.cycles
    if cap is None:
        return rul
    if cap < 1:
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={"field": "cap", "value": cap, "reason": "must be at least 1 cycle"},
        )
    return np.minimum(rul, cap)


def rul_from_end(data: CmapssData, rul_at_end: np.ndarray, source: str = "RUL") -> np.ndarray:
    """True RUL of every row of a test file, from the RUL of each unit's last row.

    Args:
        data: a test file.
        rul_at_end: shape ``(u,)``, one value per unit in ascending unit order.
        source: the RUL file's name, for the error message.

    Raises:
        ValidationError: ``ML_CMAPSS_RUL_MISMATCH`` if the counts differ.
    """
    n_units = len(data.unit_slices())
    if rul_at_end.shape != (n_units,):
        raise ValidationError(
            "ML_CMAPSS_RUL_MISMATCH",
            details={"file": source, "found": int(rul_at_end.size), "expected": n_units},
        )
    end = np.empty(data.n_rows, dtype=np.int64)
    for rows, value in zip(data.unit_slices(), rul_at_end, strict=True):
        end[rows] = value
    return end + _last_cycle_per_row(data) - data.cycles


def failure_within(rul: np.ndarray, cycles: int) -> np.ndarray:
    """Whether the unit fails within ``cycles`` cycles: ``rul <= cycles``; shape of ``rul``.

    Raises:
        ValidationError: ``ML_INVALID_OPTION`` for a negative horizon.
    """
    if cycles < 0:
        raise ValidationError(
            "ML_INVALID_OPTION",
            details={"field": "within", "value": cycles, "reason": "must be >= 0 cycles"},
        )
    return np.asarray(rul) <= cycles
