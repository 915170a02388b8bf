"""NASA's C-MAPSS turbofan data: the text format of ``train_FD00x.txt``, ``test_FD00x.txt``
and ``RUL_FD00x.txt``.

A data row is 26 numbers separated by spaces (trailing spaces are common): unit number,
time in cycles, three operating settings and 21 sensor measurements. Training units run
to failure; test units stop some time before it, and the RUL file gives, one line per
test unit in unit order, the cycles that remained after the last row.

Parsing is pure (:func:`parse_cmapss`, :func:`parse_rul` take text); :func:`load_cmapss`
and :func:`load_rul` read files. Rows are returned sorted by unit, then cycle.

Examples:
    >>> row = "1 1 -0.0007 -0.0004 100.0 " + " ".join(["518.67"] * 21) + "  "
    >>> data = parse_cmapss(row + "\\n" + row.replace("1 1 ", "1 2 ", 1), "train.txt")
    >>> data.n_rows, data.unit_ids.tolist(), data.cycles.tolist()
    (2, [1], [1, 2])
    >>> parse_rul("112 \\n98\\n", "RUL.txt").tolist()
    [112, 98]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cadml.errors import ValidationError

__all__ = [
    "N_COLUMNS",
    "N_SENSORS",
    "N_SETTINGS",
    "SENSOR_NAMES",
    "SETTING_NAMES",
    "CmapssData",
    "load_cmapss",
    "load_rul",
    "parse_cmapss",
    "parse_rul",
]

N_SETTINGS = 3
N_SENSORS = 21
N_COLUMNS = 2 + N_SETTINGS + N_SENSORS
SETTING_NAMES = tuple(f"setting{i}" for i in range(1, N_SETTINGS + 1))
SENSOR_NAMES = tuple(f"s{i}" for i in range(1, N_SENSORS + 1))
_COLUMN_NAMES = ("unit", "cycle", *SETTING_NAMES, *SENSOR_NAMES)


@dataclass(frozen=True)
class CmapssData:
    """One C-MAPSS file, sorted by unit then cycle.

    Attributes:
        units: shape ``(n,)``, int64 unit number of each row.
        cycles: shape ``(n,)``, int64 cycle of each row.
        settings: shape ``(n, 3)``, the operating settings.
        sensors: shape ``(n, 21)``, sensor 1 to 21.
        source: the file name, for messages.
    """

    units: np.ndarray
    cycles: np.ndarray
    settings: np.ndarray
    sensors: np.ndarray
    source: str = ""

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.units.shape[0])

    @property
    def unit_ids(self) -> np.ndarray:
        """The distinct unit numbers, ascending; shape ``(u,)``."""
        return np.unique(self.units)

    def unit_slices(self) -> list[slice]:
        """The row range of each unit, in :attr:`unit_ids` order."""
        bounds = np.flatnonzero(np.diff(self.units)) + 1
        edges = [0, *bounds.tolist(), self.n_rows]
        return [slice(a, b) for a, b in itertools.pairwise(edges)]

    def last_rows(self) -> np.ndarray:
        """Index of each unit's last (latest-cycle) row; shape ``(u,)``."""
        return np.array([s.stop - 1 for s in self.unit_slices()], dtype=np.int64)


def _invalid_value(file: str, line: int, column: int, value: str, reason: str) -> ValidationError:
    return ValidationError(
        "ML_CMAPSS_INVALID_VALUE",
        details={
            "file": file,
            "line": line,
            "column": f"{column} ({_COLUMN_NAMES[column - 1]})",
            "value": value,
            "reason": reason,
        },
    )


def _first_unparsable(file: str, rows: list[tuple[int, list[str]]]) -> ValidationError:
    for line, cells in rows:
        for column, cell in enumerate(cells, start=1):
            try:
                float(cell)
            except ValueError:
                return _invalid_value(file, line, column, cell, "not a number")
    raise AssertionError("numpy rejected a cell that float() accepts")  # pragma: no cover


def parse_cmapss(text: str, source: str) -> CmapssData:
    """Parse the text of a C-MAPSS train or test file.

    Args:
        text: the file's content.
        source: its name, used in error messages.

    Raises:
        ValidationError: ``ML_CMAPSS_COLUMN_COUNT`` for a row without 26 columns,
            ``ML_CMAPSS_INVALID_VALUE`` for a cell that is not a (finite) number or a unit
            or cycle that is not a whole number >= 1 (both with the line number), and
            ``ML_CMAPSS_INVALID_DATA`` for an empty file or a repeated (unit, cycle).
    """
    rows = [
        (n, cells) for n, line in enumerate(text.splitlines(), start=1) if (cells := line.split())
    ]
    if not rows:
        raise ValidationError(
            "ML_CMAPSS_INVALID_DATA", details={"file": source, "reason": "it has no data rows"}
        )
    for line, cells in rows:
        if len(cells) != N_COLUMNS:
            raise ValidationError(
                "ML_CMAPSS_COLUMN_COUNT",
                details={"file": source, "line": line, "found": len(cells), "expected": N_COLUMNS},
            )
    try:
        table = np.array([cells for _, cells in rows], dtype=np.float64)
    except ValueError:
        raise _first_unparsable(source, rows) from None
    bad = ~np.isfinite(table)
    bad[:, :2] |= ~bad[:, :2] & ((table[:, :2] != np.floor(table[:, :2])) | (table[:, :2] < 1))
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        reason = "not finite" if not np.isfinite(table[r, c]) else "must be a whole number >= 1"
        raise _invalid_value(source, rows[r][0], c + 1, rows[r][1][c], reason)
    units = table[:, 0].astype(np.int64)
    cycles = table[:, 1].astype(np.int64)
    order = np.lexsort((cycles, units))
    units, cycles, table = units[order], cycles[order], table[order]
    repeated = np.flatnonzero((np.diff(units) == 0) & (np.diff(cycles) == 0))
    if repeated.size:
        i = int(repeated[0]) + 1
        raise ValidationError(
            "ML_CMAPSS_INVALID_DATA",
            details={
                "file": source,
                "reason": f"unit {units[i]} has cycle {cycles[i]} more than once",
            },
        )
    return CmapssData(
        units=units,
        cycles=cycles,
        settings=table[:, 2 : 2 + N_SETTINGS].copy(),
        sensors=table[:, 2 + N_SETTINGS :].copy(),
        source=source,
    )


def parse_rul(text: str, source: str) -> np.ndarray:
    """Parse an ``RUL_FD00x.txt``: one whole number of cycles per line; shape ``(u,)``.

    Raises:
        ValidationError: ``ML_CMAPSS_INVALID_VALUE`` (with the line number) for a line
            that is not one whole number >= 0, ``ML_CMAPSS_INVALID_DATA`` if it is empty.
    """
    values: list[int] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        cells = line.split()
        if not cells:
            continue
        try:
            value = float(cells[0]) if len(cells) == 1 else float("nan")
        except ValueError:
            value = float("nan")
        if not (np.isfinite(value) and value == int(value) and value >= 0):
            raise ValidationError(
                "ML_CMAPSS_INVALID_VALUE",
                details={
                    "file": source,
                    "line": line_no,
                    "column": "1 (RUL)",
                    "value": line.strip(),
                    "reason": "expected one whole number of cycles >= 0",
                },
            )
        values.append(int(value))
    if not values:
        raise ValidationError(
            "ML_CMAPSS_INVALID_DATA", details={"file": source, "reason": "it has no values"}
        )
    return np.array(values, dtype=np.int64)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "ML_FILE_UNREADABLE", details={"path": str(path), "reason": str(exc)}
        ) from exc


def load_cmapss(path: Path) -> CmapssData:
    """Read and parse a C-MAPSS train or test file (see :func:`parse_cmapss`)."""
    return parse_cmapss(_read(path), path.name)


def load_rul(path: Path) -> np.ndarray:
    """Read and parse an RUL file (see :func:`parse_rul`)."""
    return parse_rul(_read(path), path.name)
