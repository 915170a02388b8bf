"""Opening the queue's file: schema version, WAL, pragmas, errors, arguments."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from cad_ml_edge.errors import ConfigError, EdgeError, QueueFullError
from cad_ml_edge.queue import DurableQueue
from cad_ml_edge.queue import database as db

MakeQueue = Callable[..., DurableQueue]


def _open(path: Path, durability: str = "process", reserve: int = 0) -> sqlite3.Connection:
    return db.open_database(str(path), durability, 1.0, reserve, lambda conn: None)


@pytest.mark.parametrize(("durability", "level"), [("process", 1), ("power", 2)])
def test_durability_sets_synchronous(tmp_path: Path, durability: str, level: int) -> None:
    conn = _open(tmp_path / "q.db", durability)
    assert conn.execute("PRAGMA synchronous").fetchone() == (level,)  # NORMAL, FULL
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA journal_size_limit").fetchone() == (db.WAL_SIZE_LIMIT,)
    conn.close()


@pytest.mark.parametrize(
    ("reserve", "pages"), [(0, 1000), (16 * 1024 * 1024, 1000), (1024 * 1024, 64), (1, 16)]
)
def test_wal_checkpoints_within_a_quarter_of_the_reserve(
    tmp_path: Path, reserve: int, pages: int
) -> None:
    conn = _open(tmp_path / "q.db", reserve=reserve)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (pages,)
    conn.close()


def test_memory_database_is_refused() -> None:
    with pytest.raises(EdgeError, match="journal mode memory") as caught:
        DurableQueue(":memory:")
    assert caught.value.code == "EDGE_QUEUE_STORAGE"


def test_newer_schema_is_refused(make_queue: MakeQueue, tmp_path: Path) -> None:
    make_queue().close()
    conn = sqlite3.connect(tmp_path / "queue.db")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(EdgeError, match="schema version 99; this SDK reads 1"):
        make_queue()


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EdgeError, match="unable to open database file") as caught:
        DurableQueue(tmp_path)
    assert caught.value.code == "EDGE_QUEUE_STORAGE"
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    path.write_bytes(b"this is not a database, just some bytes" * 200)
    with pytest.raises(EdgeError, match="file is not a database"):
        DurableQueue(path)
    assert path.read_bytes().startswith(b"this is not")  # left alone


def test_storage_errors_translation() -> None:
    with pytest.raises(QueueFullError, match="EDGE_DISK_FULL"), db.storage_errors("q", "s", 3):
        raise sqlite3.OperationalError("database or disk is full")
    with pytest.raises(EdgeError, match="database q failed: disk I/O"), db.storage_errors("q"):
        raise sqlite3.DatabaseError("disk I/O error")


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    conn = _open(tmp_path / "q.db")
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO counters VALUES ('s', 'rejected', 1)")
        raise RuntimeError("midway")
    assert conn.execute("SELECT COUNT(*) FROM counters").fetchone() == (0,)
    assert not conn.in_transaction
    conn.close()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_bytes": 0}, "max_bytes must be a positive int"),
        ({"max_bytes": "1MB"}, "max_bytes must be a positive int"),
        ({"compress_level": 10}, "compress_level must be -1..9"),
        ({"durability": "disk"}, "durability must be one of"),
        ({"reserve_bytes": -1}, "reserve_bytes must be an int >= 0"),
        ({"reserve_bytes": 1.5}, "reserve_bytes must be an int >= 0"),
    ],
)
def test_invalid_arguments(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        DurableQueue(tmp_path / "q.db", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "q.db").exists()  # refused before touching the disk
