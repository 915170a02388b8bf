"""What the embedded stores add to the contract: SQLite files, pragmas, processes; factory."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cadml.errors import ConfigurationError, StorageError
from cadml.settings import Settings
from cadml.timeseries.factory import build_timeseries_store
from cadml.timeseries.memory import MemoryTimeSeriesStore
from cadml.timeseries.port import TimeSeriesStore, WriteResult
from cadml.timeseries.sqlite import SqliteTimeSeriesStore
from cadml.twin.frame import TelemetryFrame


def test_sqlite_uses_wal_and_normal_sync(tmp_path: Path) -> None:
    store = SqliteTimeSeriesStore(tmp_path / "twin.db")
    try:
        conn = store._conn()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"frames", "rollup_1m", "rollup_1h", "devices", "field_state"} <= tables
    finally:
        store.close()


def test_sqlite_data_survives_reopening_and_another_process_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "twin.db"
    store = SqliteTimeSeriesStore(path)
    store.write([TelemetryFrame(60.0 + i, "d", {"t": float(i)}) for i in range(10)])
    store.close()
    again = SqliteTimeSeriesStore(path)
    assert again.count("d") == 10
    # a writer in another process (the ingestor) while this one reads (the API)
    code = textwrap.dedent(
        f"""
        from cadml.timeseries.sqlite import SqliteTimeSeriesStore
        from cadml.twin.frame import TelemetryFrame
        s = SqliteTimeSeriesStore({str(path)!r})
        for b in range(20):
            s.write([TelemetryFrame(1000.0 + b * 50 + i, "d", {{"t": 1.0}}) for i in range(50)])
        print(s.count("d"))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    seen = []
    while proc.poll() is None:
        seen.append(again.count("d"))
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.strip() == "1010"
    assert seen == sorted(seen)  # readers see whole batches, growing
    assert all((n - 10) % 50 == 0 for n in seen)
    assert again.count("d") == 1010
    (point,) = again.aggregate("sensors.t", window_s=3600, fn="count", start=0, stop=3600)
    assert point.count == 1010
    again.close()


def test_sqlite_write_failure_leaves_nothing(tmp_path: Path) -> None:
    store = SqliteTimeSeriesStore(tmp_path / "twin.db")
    try:
        bad = TelemetryFrame(1.0, "d", {"t": 1.0}, {}, {"x": object()})  # not encodable
        with pytest.raises(StorageError) as info:
            store.write([TelemetryFrame(0.5, "d", {"t": 1.0}), bad])
        assert info.value.code == "TWIN_STORE_WRITE_FAILED"
        assert store.count() == 0 and store.state("d") is None
    finally:
        store.close()


def test_sqlite_unreachable_path_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError) as info:
        SqliteTimeSeriesStore(tmp_path / "file" / "twin.db")
    assert info.value.code == "TWIN_STORE_UNAVAILABLE"


def test_sqlite_refuses_use_after_close(tmp_path: Path) -> None:
    store = SqliteTimeSeriesStore(tmp_path / "twin.db")
    store.close()
    with pytest.raises((StorageError, sqlite3.Error)):
        store.count()


def test_memory_store_is_a_store() -> None:
    store = MemoryTimeSeriesStore()
    assert isinstance(store, TimeSeriesStore)
    assert store.write([TelemetryFrame(1.0, "d", {"t": 1.0})] * 2) == WriteResult(1, 1)


def test_factory_builds_the_configured_store(tmp_path: Path) -> None:
    store = build_timeseries_store(Settings(data_dir=tmp_path))
    try:
        assert store.name == "sqlite"
        assert (tmp_path / "twin.db").exists()
    finally:
        store.close()
    with pytest.raises(ConfigurationError) as info:
        build_timeseries_store(Settings(data_dir=tmp_path, twin_store="postgres"))
    assert info.value.code == "CONFIG_INVALID"
    assert "CADML_TWIN_POSTGRES_URL" in info.value.message()
    with pytest.raises(ConfigurationError):
        build_timeseries_store(Settings(data_dir=tmp_path, twin_store="influx", twin_influx_db=""))


def test_sqlite_rekeys_the_rollups_of_an_older_file_and_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SqliteTimeSeriesStore(path)
    store.write([TelemetryFrame(60.0 * i, "d", {"t": float(i)}) for i in range(120)])
    store.close()
    # rebuild the rollup tables with the earlier (device_id, field, bucket) key
    conn = sqlite3.connect(path)
    columns = "device_id, field, bucket, n, total, low, high, squares"
    for table in ("rollup_1m", "rollup_1h"):
        conn.executescript(
            f"""ALTER TABLE {table} RENAME TO keep;
            CREATE TABLE {table} (device_id TEXT NOT NULL, field TEXT NOT NULL,
                bucket INTEGER NOT NULL, n INTEGER NOT NULL, total REAL NOT NULL,
                low REAL NOT NULL, high REAL NOT NULL, squares REAL NOT NULL,
                PRIMARY KEY (device_id, field, bucket)) WITHOUT ROWID;
            INSERT INTO {table} ({columns}) SELECT {columns} FROM keep; DROP TABLE keep;"""
        )
    conn.close()

    store = SqliteTimeSeriesStore(path)
    try:
        key = {r[1]: r[5] for r in store._conn().execute("PRAGMA table_info(rollup_1h)")}
        assert (key["bucket"], key["device_id"], key["field"]) == (1, 2, 3)
        hours = store.aggregate(
            "sensors.t", window_s=3600.0, fn="sum", start=0.0, stop=7200.0, device_id="d"
        )
        assert [(p.start, p.value, p.count) for p in hours] == [
            (0.0, float(sum(range(60))), 60),
            (3600.0, float(sum(range(60, 120))), 60),
        ]
        store.write([TelemetryFrame(7199.5, "d", {"t": 1000.0})])  # upserts still merge
        last = store.aggregate(
            "sensors.t", window_s=60.0, fn="max", start=7140.0, stop=7200.0, device_id="d"
        )
        assert [(p.value, p.count) for p in last] == [(1000.0, 2)]
    finally:
        store.close()


def test_sqlite_rollup_seeks_and_scans_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cadml.timeseries import sqlite_rollups

    store = SqliteTimeSeriesStore(tmp_path / "twin.db")
    try:
        store.write(
            [
                TelemetryFrame(30.0 * i + d, f"d{d}", {"t": float(i * (d + 1) % 17)})
                for i in range(400)
                for d in range(3)
            ]
        )

        def query(device: str | None) -> list[tuple[float, float, int]]:
            points = store.aggregate(
                "sensors.t", window_s=300.0, fn="stddev", start=0.0, stop=14400.0,
                device_id=device,
            )  # fmt: skip
            return [(p.start, p.value, p.count) for p in points]

        seeks = {d: query(d) for d in ("d0", "d2", "nobody")}
        monkeypatch.setattr(sqlite_rollups, "SEEK_LIMIT", 10)  # hours first, then minutes
        assert {d: query(d) for d in ("d0", "d2", "nobody")} == seeks
        monkeypatch.setattr(sqlite_rollups, "SEEK_LIMIT", 1)  # a scan
        assert {d: query(d) for d in ("d0", "d2", "nobody")} == seeks
        assert len(seeks["d0"]) == 40 and seeks["nobody"] == []
        assert sum(c for _, _, c in seeks["d2"]) == 400
        assert sum(c for _, _, c in query(None)) == 1200
    finally:
        store.close()
