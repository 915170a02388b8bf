"""Input drift against a training reference: population stability index and KL divergence.

A reference is built once from training inputs: each input is flattened to rows of its
last axis (a ``(B, 24)`` feature batch gives 24 columns; a ``(B, N, 3)`` point-cloud
batch gives the x, y and z columns of all its points) and each column is cut into
:data:`BINS` bins at its training deciles (open-ended outer bins). Live inputs are
counted into the same bins; per column

* ``PSI = Σ (p - q) ln(p / q)``
* ``KL(p || q) = Σ p ln(p / q)``

with ``p`` the live shares and ``q`` the reference's (both floored at :data:`FLOOR` so an
empty bin does not give infinity). The model's drift is the largest column's. A PSI
under 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, above 0.25 as a
significant one; :data:`PSI_ALERT` is the alert threshold.

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = DriftReference.from_samples(rng.normal(size=(5000, 2)))
    >>> same, moved = DriftCounts(ref), DriftCounts(ref)
    >>> same.add(rng.normal(size=(5000, 2))); moved.add(rng.normal(1.0, 1.0, size=(5000, 2)))
    >>> bool(same.psi().max() < 0.01), bool(moved.psi().max() > 0.5)
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["BINS", "FLOOR", "PSI_ALERT", "DriftCounts", "DriftReference"]

BINS = 10
FLOOR = 1e-4
PSI_ALERT = 0.25

FloatArray = npt.NDArray[np.float64]


def _columns(samples: npt.ArrayLike) -> FloatArray:
    array = np.asarray(samples, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    return array.reshape(-1, array.shape[-1])


@dataclass(frozen=True)
class DriftReference:
    """Bin edges and shares of the training inputs, per column.

    Args:
        edges: ``(columns, BINS - 1)`` inner bin edges.
        shares: ``(columns, BINS)`` training share of each bin.
        rows: training rows the reference was built from.
    """

    edges: FloatArray
    shares: FloatArray
    rows: int

    @classmethod
    def from_samples(cls, samples: npt.ArrayLike) -> DriftReference:
        """The reference of training inputs (any shape; the last axis is the column)."""
        columns = _columns(samples)
        quantiles = np.linspace(0.0, 1.0, BINS + 1)[1:-1]
        edges = np.quantile(columns, quantiles, axis=0).T
        shares = np.stack(
            [
                np.bincount(np.searchsorted(edges[c], columns[:, c], side="right"), minlength=BINS)
                for c in range(columns.shape[1])
            ]
        ) / len(columns)
        return cls(np.ascontiguousarray(edges), shares.astype(np.float64), len(columns))

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored in a model version's metadata)."""
        return {"edges": self.edges.tolist(), "shares": self.shares.tolist(), "rows": self.rows}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftReference:
        """Inverse of :meth:`to_dict`."""
        return cls(
            np.asarray(data["edges"], dtype=np.float64),
            np.asarray(data["shares"], dtype=np.float64),
            int(data["rows"]),
        )


class DriftCounts:
    """Live inputs counted into a reference's bins.

    Args:
        reference: the training reference.
    """

    def __init__(self, reference: DriftReference) -> None:
        self.reference = reference
        self.counts = np.zeros_like(reference.shares)
        self.rows = 0

    def add(self, samples: npt.ArrayLike) -> None:
        """Count a batch of inputs (same layout as the reference's)."""
        columns = _columns(samples)
        width = self.counts.shape[0]
        if columns.shape[1] != width:
            return  # not the reference's layout: nothing comparable to count
        # bin of each value: how many inner edges it reaches (searchsorted, side right)
        bins = (columns[:, :, None] >= self.reference.edges[None]).sum(axis=2)
        flat = (np.arange(width) * BINS + bins).ravel()
        self.counts += np.bincount(flat, minlength=width * BINS).reshape(width, BINS)
        self.rows += len(columns)

    def _shares(self) -> tuple[FloatArray, FloatArray]:
        live = np.maximum(self.counts / max(self.rows, 1), FLOOR)
        return live, np.maximum(self.reference.shares, FLOOR)

    def psi(self) -> FloatArray:
        """PSI of each column (0 before any input)."""
        if not self.rows:
            return np.zeros(self.counts.shape[0])
        p, q = self._shares()
        return np.asarray(((p - q) * np.log(p / q)).sum(axis=1), dtype=np.float64)

    def kl(self) -> FloatArray:
        """KL divergence of the live shares from the reference's, per column."""
        if not self.rows:
            return np.zeros(self.counts.shape[0])
        p, q = self._shares()
        return np.asarray((p * np.log(p / q)).sum(axis=1), dtype=np.float64)
