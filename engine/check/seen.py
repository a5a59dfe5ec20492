"""Which record ids a source has had, exactly, in bounded memory.

A million ids in a Python set take about 100 MB and grow with the input; here
they live in a private temporary SQLite table on disk (deleted when closed), so
memory stays flat and the answer stays exact (no hashing shortcut could call two
ids the same), and each duplicate can name the line of the first. Ids arrive a
chunk at a time: one `executemany` per chunk, and only a chunk holding a
duplicate is looked at id by id.
"""

from __future__ import annotations

import sqlite3


class SeenIds:
    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)  # "": a private temporary database on disk
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8000", "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE seen (id PRIMARY KEY, line INTEGER) WITHOUT ROWID")
        self._db.execute("BEGIN")

    def add_all(self, ids: list[str], lines: list[int | None]) -> bool:
        """Record a chunk's ids; False when one of them was seen before (or twice
        in the chunk), in which case `first_line` tells which."""
        before = self._db.total_changes
        keys = ids if all(map(str.isascii, ids)) else list(map(_key, ids))
        self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", zip(keys, lines))
        return self._db.total_changes - before == len(ids)

    def first_line(self, rid: str) -> int | None:
        """The line where `rid` was first seen (it must have been added)."""
        row = self._db.execute("SELECT line FROM seen WHERE id = ?", (_key(rid),)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self._db.close()


def _key(rid: str) -> str | bytes:
    """An id as stored: ASCII ids as text (the fast common case), others as their
    UTF-8 bytes (ids read from JSON may hold lone surrogates, which text cannot).
    The same id always gets the same form, so equal ids always meet."""
    return rid if rid.isascii() else rid.encode("utf-8", "surrogatepass")
