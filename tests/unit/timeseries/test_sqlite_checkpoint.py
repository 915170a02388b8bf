"""The SQLite store checkpoints its WAL on a background thread, not inside commits."""

from __future__ import annotations

from pathlib import Path

from polling import wait_for

from cadml.timeseries.sqlite import SqliteTimeSeriesStore
from cadml.twin.frame import TelemetryFrame


def test_commits_leave_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    store = SqliteTimeSeriesStore(tmp_path / "t.db")
    try:
        conn = store._conn()
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for k in range(20):
            frames = [TelemetryFrame(1e9 + k * 1000 + i, "d", {"t": float(i)}) for i in range(500)]
            assert store.write(frames).written == 500
        checkpointer = store._checkpointer
        wait_for(lambda: checkpointer.checkpoints >= 2, timeout_s=20)
        assert store.count("d") == 10_000
    finally:
        store.close()
    assert store._checkpointer._thread is None  # stopped with the store
