"""Reading a corpus in NAB's layout: files, labels, the window-bound rule and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cadml.errors import ValidationError
from cadml.ml.nab.corpus import load_corpus, read_series_csv
from cadml.ml.nab.windows import (
    Window,
    format_timestamp,
    parse_timestamp,
    parse_timestamps,
    window_rows,
)


def test_loads_every_file_with_its_windows(nab_corpus):
    corpus = load_corpus(nab_corpus.root)
    assert [f.key for f in corpus.files] == sorted(nab_corpus.windows)
    for data in corpus.files:
        assert data.values.shape == data.timestamps.shape == (600,)
        assert [(w.first, w.last) for w in data.windows] == nab_corpus.windows[data.key]
    assert corpus.n_windows == 3
    assert corpus.n_rows == 1800
    assert corpus.warnings == ()


def test_timestamps_round_trip_in_nab_format():
    moment = parse_timestamp("2014-04-10 07:15:00.000000")
    assert format_timestamp(moment) == "2014-04-10 07:15:00.000000"
    # A UTC offset is converted to naive UTC.
    assert parse_timestamp("2014-04-10T09:15:00+02:00") == moment


def test_window_bounds_between_rows_cover_the_rows_inside():
    # Rows every 5 minutes from 00:00. A window from 00:07 to 00:21 covers the rows at
    # 00:10, 00:15 and 00:20 (rows 2..4): first row at/after start, last at/before end.
    ts = parse_timestamps([f"2014-01-01 00:{m:02d}:00" for m in range(0, 60, 5)])
    rows, empty = window_rows(
        ts, [Window(parse_timestamp("2014-01-01 00:07"), parse_timestamp("2014-01-01 00:21"))]
    )
    assert [(r.first, r.last, r.width) for r in rows] == [(2, 4, 3)]
    assert empty == ()
    # Exact bounds are inclusive, as in NAB.
    rows, _ = window_rows(
        ts, [Window(parse_timestamp("2014-01-01 00:10"), parse_timestamp("2014-01-01 00:20"))]
    )
    assert (rows[0].first, rows[0].last) == (2, 4)
    # A window between two rows covers nothing and is reported as empty.
    gap = Window(parse_timestamp("2014-01-01 00:11"), parse_timestamp("2014-01-01 00:14"))
    assert window_rows(ts, [gap]) == ((), (gap,))


def test_overlapping_or_reversed_windows_are_rejected():
    ts = parse_timestamps([f"2014-01-01 00:{m:02d}:00" for m in range(0, 60, 5)])
    a = Window(parse_timestamp("2014-01-01 00:10"), parse_timestamp("2014-01-01 00:30"))
    b = Window(parse_timestamp("2014-01-01 00:20"), parse_timestamp("2014-01-01 00:40"))
    with pytest.raises(ValueError, match="overlaps"):
        window_rows(ts, [a, b])
    with pytest.raises(ValueError, match="ends before it starts"):
        window_rows(ts, [Window(a.end, a.start)])


def test_warns_about_empty_windows_and_labels_without_data(nab_corpus, nab_tools):
    path = nab_corpus.root / "labels" / "combined_windows.json"
    labels = json.loads(path.read_text())
    labels["artificialNoAnomaly/clean.csv"] = [["2099-01-01 00:00:00", "2099-01-02 00:00:00"]]
    labels["gone/missing.csv"] = []
    path.write_text(json.dumps(labels))
    corpus = load_corpus(nab_corpus.root)
    assert corpus.n_windows == 3
    assert len(corpus.warnings) == 2
    assert "clean.csv: window [2099-01-01 00:00:00.000000" in corpus.warnings[0]
    assert "gone/missing.csv: labelled but not in data/" in corpus.warnings[1]


def error_of(call) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value


def test_missing_data_directory(tmp_path):
    err = error_of(lambda: load_corpus(tmp_path / "nowhere"))
    assert err.code == "ML_NAB_DATA_DIR_MISSING"
    assert "nowhere" in err.message("en") and "nowhere" in err.message("tr")


def test_data_directory_without_csv(tmp_path):
    (tmp_path / "data").mkdir()
    assert error_of(lambda: load_corpus(tmp_path)).code == "ML_NAB_NO_DATA"


def test_missing_labels(nab_corpus):
    (nab_corpus.root / "labels" / "combined_windows.json").unlink()
    err = error_of(lambda: load_corpus(nab_corpus.root))
    assert err.code == "ML_NAB_LABELS_MISSING"
    assert err.details["path"].endswith("combined_windows.json")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"realKnownCause/spikes_b.csv": "x"}', "not a list of windows"),
        ('{"realKnownCause/spikes_b.csv": [["2014-04-10 00:00:00"]]}', "[start, end]"),
        ('{"realKnownCause/spikes_b.csv": [["2014-04-10", "soon"]]}', "not a timestamp"),
    ],
)
def test_invalid_labels(nab_corpus, content, reason):
    (nab_corpus.root / "labels" / "combined_windows.json").write_text(content)
    err = error_of(lambda: load_corpus(nab_corpus.root))
    assert err.code == "ML_NAB_LABELS_INVALID"
    assert reason in err.details["reason"]


def test_overlapping_windows_in_the_labels_are_invalid(nab_corpus, nab_tools):
    path = nab_corpus.root / "labels" / "combined_windows.json"
    labels = json.loads(path.read_text())
    t = nab_tools.label_stamp
    labels["realKnownCause/spikes_b.csv"] = [[t(100), t(200)], [t(150), t(250)]]
    path.write_text(json.dumps(labels))
    err = error_of(lambda: load_corpus(nab_corpus.root))
    assert err.code == "ML_NAB_LABELS_INVALID"
    assert "spikes_b.csv" in err.details["reason"] and "overlaps" in err.details["reason"]


def test_a_data_file_missing_from_the_labels(nab_corpus, nab_tools):
    nab_tools.write_series(nab_corpus.root / "data" / "extra" / "new.csv", np.ones(10))
    err = error_of(lambda: load_corpus(nab_corpus.root))
    assert err.code == "ML_NAB_FILE_UNLABELLED"
    assert err.details["file"] == "extra/new.csv"


def test_labels_from_another_path(nab_corpus, tmp_path):
    other = tmp_path / "windows.json"
    (nab_corpus.root / "labels" / "combined_windows.json").rename(other)
    assert load_corpus(nab_corpus.root, other).n_windows == 3


def test_csv_without_the_value_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("timestamp,reading\n2014-01-01 00:00:00,1.0\n")
    err = error_of(lambda: read_series_csv(path, "a.csv"))
    assert err.code == "ML_CSV_MISSING_COLUMNS"
    assert (err.details["missing"], err.details["found"]) == ("value", "timestamp, reading")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2014-01-01 00:10:00,abc", "'abc' is not a number"),
        ("yesterday,1.0", "'yesterday' is not a timestamp"),
        ("2014-01-01 00:10:00", "'<missing>' is not a number"),
        ("2014-01-01 00:10:00,nan", "not finite"),
        ("2013-12-31 23:00:00,1.0", "earlier than the previous row"),
    ],
)
def test_csv_errors_name_the_line(tmp_path, row, reason):
    path = tmp_path / "a.csv"
    path.write_text(f"timestamp,value\n2014-01-01 00:00:00,1.0\n2014-01-01 00:05:00,2\n{row}\n")
    err = error_of(lambda: read_series_csv(path, "cat/a.csv"))
    assert err.code == "ML_CSV_INVALID_ROW"
    assert err.details["line"] == 4
    assert reason in err.details["reason"]
    assert "cat/a.csv" in err.message("en") and "4" in err.message("tr")


def test_csv_with_extra_columns_and_blank_lines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "value,label,timestamp\n1.5,0,2014-01-01 00:00:00\n\n2.5,1,2014-01-01 00:05:00\n"
    )
    timestamps, values = read_series_csv(path)
    assert values.tolist() == [1.5, 2.5]
    assert timestamps[1] - timestamps[0] == np.timedelta64(5, "m")


def test_unreadable_file(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"timestamp,value\n\xff\xfe,1\n")
    assert error_of(lambda: read_series_csv(path)).code == "ML_FILE_UNREADABLE"


def test_csv_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("\ufefftimestamp,value\n2014-01-01 00:00:00,3.5\n".encode())
    assert read_series_csv(path)[1].tolist() == [3.5]
