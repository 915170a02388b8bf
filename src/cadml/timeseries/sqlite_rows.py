"""Many rows per SQLite statement: multi-row ``VALUES`` instead of ``executemany``.

Python's ``sqlite3`` releases the GIL around every ``sqlite3_step``, and ``executemany``
steps once per row. When another thread of the process is busy in Python (the MQTT
network thread decoding the next messages), every row then waits to get the GIL back,
up to the interpreter's switch interval: measured on this machine, 500-row batches of
``executemany`` into the frames table took 1,865 µs per row with one busy thread and 24
µs without. One multi-row ``INSERT ... VALUES (...), (...), ...`` steps once per chunk:
67 µs per row with the busy thread, 24 µs without.

Chunks come in a few fixed sizes (greedy: 512, 128, 32, 8, 2, 1 rows), so the
connection's statement cache holds every statement after the first batches, and a chunk
never exceeds SQLite's 32,766 host parameters.

Examples:
    >>> chunk_sizes(1000)
    [512, 128, 128, 128, 32, 32, 32, 8]
    >>> values_sql("INSERT INTO t (a, b) VALUES", 2, 3, "")
    'INSERT INTO t (a, b) VALUES (?,?),(?,?),(?,?)'
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = ["CHUNKS", "chunk_sizes", "execute_flat", "execute_rows", "values_sql"]

CHUNKS = (512, 128, 32, 8, 2, 1)
"""The row counts of one statement, largest first."""


def chunk_sizes(n: int) -> list[int]:
    """How ``n`` rows are cut into statements (greedy over :data:`CHUNKS`)."""
    out: list[int] = []
    for size in CHUNKS:
        count, n = divmod(n, size)
        out += [size] * count
    return out


@lru_cache(maxsize=256)
def values_sql(head: str, width: int, rows: int, tail: str) -> str:
    """``head`` + ``rows`` groups of ``width`` placeholders + ``tail``."""
    group = "(" + ",".join("?" * width) + ")"
    sql = f"{head} {','.join([group] * rows)}"
    return f"{sql} {tail}" if tail else sql


def execute_rows(
    conn: sqlite3.Connection, head: str, rows: Sequence[Sequence[Any]], tail: str = ""
) -> int:
    """Run ``head VALUES-groups tail`` over all rows; returns the rows SQLite changed.

    Args:
        conn: a connection (inside the caller's transaction).
        head: the statement up to and including ``VALUES``.
        rows: equal-width parameter rows.
        tail: what follows the values (an ``ON CONFLICT`` clause), or ``""``.
    """
    if not rows:
        return 0
    flat = [value for row in rows for value in row]
    return execute_flat(conn, head, flat, len(rows[0]), tail)


def execute_flat(
    conn: sqlite3.Connection, head: str, flat: Sequence[Any], width: int, tail: str = ""
) -> int:
    """:func:`execute_rows` over rows given flat: ``width`` values per row, one after another."""
    before = conn.total_changes
    at = 0
    for size in chunk_sizes(len(flat) // width):
        end = at + size * width
        conn.execute(values_sql(head, width, size, tail), flat[at:end])
        at = end
    return conn.total_changes - before
