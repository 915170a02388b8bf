"""The C-MAPSS text loader: columns, trailing spaces, ordering and errors with line numbers."""

from __future__ import annotations

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.ml.rul.cmapss import load_cmapss, load_rul, parse_cmapss, parse_rul


def row(unit: int, cycle: int, first_sensor: float = 518.67) -> str:
    settings = "-0.0007 -0.0004 100.0"
    sensors = " ".join([f"{first_sensor}"] + [f"{640 + i}.5" for i in range(20)])
    return f"{unit} {cycle} {settings} {sensors}  "  # C-MAPSS rows end with spaces


def test_reads_the_synthetic_files(cmapss_files):
    train = load_cmapss(cmapss_files.train)
    test = load_cmapss(cmapss_files.test)
    assert train.unit_ids.tolist() == list(range(1, 11))
    assert test.unit_ids.tolist() == list(range(1, 9))
    assert train.settings.shape == (train.n_rows, 3)
    assert train.sensors.shape == (train.n_rows, 21)
    assert np.all(train.sensors[:, 0] == 518.67)
    # Each training unit runs 1..T without gaps.
    for rows in train.unit_slices():
        cycles = train.cycles[rows]
        assert cycles.tolist() == list(range(1, len(cycles) + 1))
    assert load_rul(cmapss_files.rul).tolist() == cmapss_files.test_rul


def test_columns_map_to_unit_cycle_settings_and_sensors():
    data = parse_cmapss(row(3, 7, first_sensor=1.25) + "\n", "t.txt")
    assert (data.units.tolist(), data.cycles.tolist()) == ([3], [7])
    assert data.settings[0].tolist() == [-0.0007, -0.0004, 100.0]
    assert data.sensors[0, 0] == 1.25
    assert data.sensors[0, 20] == 659.5
    assert data.source == "t.txt"


def test_rows_are_sorted_by_unit_then_cycle():
    text = "\n".join([row(2, 2), row(1, 1), row(2, 1), row(1, 2)])
    data = parse_cmapss(text, "t.txt")
    assert data.units.tolist() == [1, 1, 2, 2]
    assert data.cycles.tolist() == [1, 2, 1, 2]
    assert [(s.start, s.stop) for s in data.unit_slices()] == [(0, 2), (2, 4)]
    assert data.last_rows().tolist() == [1, 3]


def error_of(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_cmapss(text, "train_FD001.txt")
    return info.value


def test_wrong_column_count_names_the_line():
    short = " ".join(row(1, 2).split()[:-1])
    err = error_of("\n".join([row(1, 1), "", short]))
    assert err.code == "ML_CMAPSS_COLUMN_COUNT"
    assert (err.details["line"], err.details["found"], err.details["expected"]) == (3, 25, 26)
    assert "line 3" in err.message("en") and "3. satır" in err.message("tr")


def with_cell(column: int, value: str) -> str:
    """Row (1, 2) with the 1-based ``column`` replaced by ``value``."""
    cells = row(1, 2).split()
    cells[column - 1] = value
    return " ".join(cells) + " "


@pytest.mark.parametrize(
    ("column", "value", "name", "reason"),
    [
        (6, "abc", "6 (s1)", "not a number"),
        (26, "1,5", "26 (s21)", "not a number"),
        (5, "nan", "5 (setting3)", "not finite"),
        (2, "2.5", "2 (cycle)", "whole number"),
        (1, "0", "1 (unit)", "whole number"),
    ],
)
def test_invalid_cells_name_line_and_column(column, value, name, reason):
    err = error_of("\n".join([row(1, 1), with_cell(column, value)]))
    assert err.code == "ML_CMAPSS_INVALID_VALUE"
    assert (err.details["line"], err.details["column"], err.details["value"]) == (2, name, value)
    assert reason in err.details["reason"]


def test_repeated_cycle_and_empty_file():
    assert "cycle 1 more than once" in error_of("\n".join([row(1, 1), row(1, 1)])).message()
    assert error_of("\n  \n").code == "ML_CMAPSS_INVALID_DATA"


def test_rul_file_parsing_and_errors():
    assert parse_rul("112 \n98\n\n69 \n", "RUL_FD001.txt").tolist() == [112, 98, 69]
    for text, line in [("112\n9.5\n", 2), ("1\n2\nx\n", 3), ("1 2\n", 1), ("-3\n", 1)]:
        with pytest.raises(ValidationError) as info:
            parse_rul(text, "RUL_FD001.txt")
        assert info.value.code == "ML_CMAPSS_INVALID_VALUE"
        assert info.value.details["line"] == line
    with pytest.raises(ValidationError) as info:
        parse_rul("", "RUL_FD001.txt")
    assert info.value.code == "ML_CMAPSS_INVALID_DATA"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValidationError) as info:
        load_cmapss(tmp_path / "train_FD009.txt")
    assert info.value.code == "ML_FILE_UNREADABLE"
    assert "train_FD009.txt" in info.value.message("tr")
