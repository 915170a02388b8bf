"""A corpus in NAB's layout: ``data/**/*.csv`` plus ``labels/combined_windows.json``.

Each data file is a CSV with a header naming at least ``timestamp`` and ``value`` (other
columns, such as NAB's own ``label``, are ignored). Its corpus key is its path under
``data/`` with forward slashes, e.g. ``realKnownCause/machine_temperature_system_failure.csv``;
the labels file maps each key to its windows, ``[[start, end], ...]``. Window bounds are
matched to rows by :func:`cadml.ml.nab.windows.window_rows` (inclusive, by time).

Rules: every data file must have an entry in the labels (an empty list when it has no
anomaly); labels of files that are not in ``data/`` are ignored and reported as
warnings, as are windows that contain no row. Timestamps must be in non-decreasing order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cadml.errors import ValidationError
from cadml.ml.nab.windows import (
    TIME_DTYPE,
    Window,
    WindowRows,
    parse_timestamp,
    window_rows,
)

__all__ = [
    "LABELS_PATH",
    "Corpus",
    "DataFile",
    "load_corpus",
    "read_labels",
    "read_series_csv",
]

LABELS_PATH = Path("labels") / "combined_windows.json"
"""Where NAB keeps the combined windows, relative to the corpus root."""


@dataclass(frozen=True)
class DataFile:
    """One series of the corpus with its windows.

    Attributes:
        key: path under ``data/`` with forward slashes.
        timestamps: shape ``(n,)``, ``datetime64[us]``, non-decreasing.
        values: shape ``(n,)``, float64.
        windows: the windows that cover at least one row, as row ranges in order.
    """

    key: str
    timestamps: np.ndarray
    values: np.ndarray
    windows: tuple[WindowRows, ...]


@dataclass(frozen=True)
class Corpus:
    """The files of a NAB directory, in sorted key order, and what loading noticed."""

    root: Path
    files: tuple[DataFile, ...]
    warnings: tuple[str, ...] = ()

    @property
    def n_windows(self) -> int:
        """Windows (with at least one row) over all files."""
        return sum(len(f.windows) for f in self.files)

    @property
    def n_rows(self) -> int:
        """Rows over all files."""
        return sum(len(f.values) for f in self.files)


def _unreadable(path: Path, exc: Exception) -> ValidationError:
    return ValidationError("ML_FILE_UNREADABLE", details={"path": str(path), "reason": str(exc)})


def read_series_csv(path: Path, key: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``timestamp`` and ``value`` columns of a CSV file.

    Args:
        path: the CSV file.
        key: the name to use in messages (default: the path).

    Returns:
        ``(timestamps, values)``: shape ``(n,)`` each, ``datetime64[us]`` and float64.

    Raises:
        ValidationError: ``ML_CSV_MISSING_COLUMNS`` without both columns,
            ``ML_CSV_INVALID_ROW`` (with the line number) for a bad timestamp or value, a
            short row or time going backwards; ``ML_FILE_UNREADABLE`` if it cannot be read.
    """
    name = key or str(path)
    timestamps: list[np.datetime64] = []
    values: list[float] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [column.strip() for column in next(reader, [])]
            missing = [c for c in ("timestamp", "value") if c not in header]
            if missing:
                raise ValidationError(
                    "ML_CSV_MISSING_COLUMNS",
                    details={
                        "file": name,
                        "missing": ", ".join(missing),
                        "found": ", ".join(header) or "no columns",
                    },
                )
            t_col, v_col = header.index("timestamp"), header.index("value")
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                line = reader.line_num
                timestamps.append(_cell_time(row, t_col, name, line))
                values.append(_cell_value(row, v_col, name, line))
                if len(timestamps) > 1 and timestamps[-1] < timestamps[-2]:
                    raise ValidationError(
                        "ML_CSV_INVALID_ROW",
                        details={
                            "file": name,
                            "line": line,
                            "reason": "timestamp is earlier than the previous row's",
                        },
                    )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _unreadable(path, exc) from exc
    return np.array(timestamps, dtype=TIME_DTYPE), np.array(values, dtype=np.float64)


def _cell_time(row: list[str], column: int, name: str, line: int) -> np.datetime64:
    try:
        return parse_timestamp(row[column])
    except (IndexError, ValueError):
        cell = row[column] if column < len(row) else "<missing>"
        raise ValidationError(
            "ML_CSV_INVALID_ROW",
            details={"file": name, "line": line, "reason": f"'{cell}' is not a timestamp"},
        ) from None


def _cell_value(row: list[str], column: int, name: str, line: int) -> float:
    try:
        value = float(row[column])
    except (IndexError, ValueError):
        cell = row[column] if column < len(row) else "<missing>"
        raise ValidationError(
            "ML_CSV_INVALID_ROW",
            details={"file": name, "line": line, "reason": f"'{cell}' is not a number"},
        ) from None
    if not np.isfinite(value):
        raise ValidationError(
            "ML_CSV_INVALID_ROW",
            details={"file": name, "line": line, "reason": f"'{row[column]}' is not finite"},
        )
    return value


def read_labels(path: Path) -> dict[str, list[Window]]:
    """NAB's combined windows: corpus key → windows in time order.

    Raises:
        ValidationError: ``ML_NAB_LABELS_MISSING`` if the file does not exist,
            ``ML_NAB_LABELS_INVALID`` if it is not JSON of the expected shape.
    """
    if not path.is_file():
        raise ValidationError("ML_NAB_LABELS_MISSING", details={"path": str(path)})
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc
    except ValueError as exc:
        raise _invalid_labels(path, f"not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise _invalid_labels(path, "expected a JSON object mapping file names to windows")
    return {str(key): _parse_windows(path, str(key), value) for key, value in raw.items()}


def _invalid_labels(path: Path, reason: str) -> ValidationError:
    return ValidationError("ML_NAB_LABELS_INVALID", details={"path": str(path), "reason": reason})


def _parse_windows(path: Path, key: str, value: Any) -> list[Window]:
    if not isinstance(value, list):
        raise _invalid_labels(path, f"the entry of '{key}' is not a list of windows")
    windows = []
    for item in value:
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(t, str) for t in item)
        ):
            raise _invalid_labels(
                path, f"'{key}' has a window {item!r} that is not [start, end] strings"
            )
        try:
            windows.append(Window(parse_timestamp(item[0]), parse_timestamp(item[1])))
        except ValueError:
            raise _invalid_labels(
                path, f"'{key}' has a window {item!r} with a bound that is not a timestamp"
            ) from None
    return windows


def load_corpus(root: Path, labels_path: Path | None = None) -> Corpus:
    """Read every data file and its windows.

    Args:
        root: the corpus directory (holding ``data/``).
        labels_path: the windows JSON; default ``root/labels/combined_windows.json``.

    Raises:
        ValidationError: ``ML_NAB_DATA_DIR_MISSING``, ``ML_NAB_NO_DATA``,
            ``ML_NAB_FILE_UNLABELLED``, the errors of :func:`read_labels` and
            :func:`read_series_csv`, and ``ML_NAB_LABELS_INVALID`` for windows that
            overlap or end before they start.
    """
    data_dir = root / "data"
    if not data_dir.is_dir():
        raise ValidationError("ML_NAB_DATA_DIR_MISSING", details={"path": str(root)})
    paths = sorted(p for p in data_dir.rglob("*.csv") if p.is_file())
    if not paths:
        raise ValidationError("ML_NAB_NO_DATA", details={"path": str(data_dir)})
    labels_file = labels_path if labels_path is not None else root / LABELS_PATH
    labels = read_labels(labels_file)

    files: list[DataFile] = []
    warnings: list[str] = []
    for path in paths:
        key = path.relative_to(data_dir).as_posix()
        if key not in labels:
            raise ValidationError(
                "ML_NAB_FILE_UNLABELLED", details={"file": key, "path": str(labels_file)}
            )
        timestamps, values = read_series_csv(path, key)
        try:
            rows, empty = window_rows(timestamps, labels[key])
        except ValueError as exc:
            raise _invalid_labels(labels_file, f"'{key}': {exc}") from None
        warnings.extend(f"{key}: window {w.label()} contains no row; ignored" for w in empty)
        files.append(DataFile(key, timestamps, values, rows))
    warnings.extend(_unused_labels(labels, {f.key for f in files}))
    return Corpus(root=root, files=tuple(files), warnings=tuple(warnings))


def _unused_labels(labels: Mapping[str, list[Window]], keys: set[str]) -> list[str]:
    return [
        f"{key}: labelled but not in data/; ignored" for key in sorted(labels) if key not in keys
    ]
