"""A page of new records as a small SQLite database, built by the page-reader process.

The reader process binds the page's values into an in-memory database and sends it serialized;
the writing process attaches it and copies it into its tables with SQL, binding nothing. Light
on imports: the reader process runs it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

_page_builders: dict[int, sqlite3.Connection] = {}


def stage_page(keys: Sequence[str], modified: Sequence[str], texts: Sequence[str],
               columns: Sequence[Sequence[str]]) -> bytes:
    """A page of new records as a serialized SQLite database (built in the reader process:
    the writing process attaches it and copies it with SQL, binding nothing)."""
    width = len(columns)
    conn = _page_builders.get(width)
    if conn is None:
        conn = _page_builders[width] = sqlite3.connect(":memory:", isolation_level=None)
        names = ", ".join(f"v{j} TEXT" for j in range(width))
        conn.execute("CREATE TABLE stage (n INTEGER PRIMARY KEY, erp_key TEXT, modified TEXT, "
                     f"snapshot TEXT{', ' if width else ''}{names})")
    conn.execute("DELETE FROM stage")
    marks = ", ".join(["?"] * (4 + width))
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO stage VALUES ({marks})",
                     zip(range(1, len(keys) + 1), keys, modified, texts, *columns,
                         strict=True))
    conn.execute("COMMIT")
    return conn.serialize()


def read_staged_page(data: bytes, width: int) -> tuple[list[Sequence[str]], list[str]]:
    """The value columns and snapshot texts of a staged page (for pages that need planning
    row by row after all)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        names = ", ".join(f"v{j}" for j in range(width))
        rows = conn.execute(f"SELECT snapshot{', ' if width else ''}{names} FROM stage "
                            "ORDER BY n").fetchall()
    finally:
        conn.close()
    if not rows:
        return [[] for _ in range(width)], []
    snapshot_column, *columns = zip(*rows, strict=True)
    return list(columns), list(snapshot_column)
