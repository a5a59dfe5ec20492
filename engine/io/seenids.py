"""Which record ids a run has seen, and where: for rejecting duplicate ids.

A run over a large export can hold millions of records; keeping every id in a
Python set would make memory grow with the input (~100-200 bytes a record). The
ids live instead in a private, temporary SQLite table on disk (deleted when
closed, or by the OS if the process is killed), so memory stays flat and the
answer stays exact: no hashing shortcut could call two ids the same, and each
duplicate can name where the first was seen.

`sla evaluate` (and the API) add ids one at a time (`first_seen`); `sla check`
adds them a chunk at a time (`add_all`, one `executemany` per chunk) and looks
id by id only at a chunk that holds a duplicate.
"""

from __future__ import annotations

import sqlite3


class SeenIds:
    """A set of record ids with the file and line each was first seen at."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)  # "" = a private temporary database on disk
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8000", "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE seen (id PRIMARY KEY, file INTEGER NOT NULL, line INTEGER) WITHOUT ROWID")
        self._db.execute("BEGIN")
        self._files: list[str] = []
        self._file_numbers: dict[str, int] = {}

    def _file_number(self, file: str) -> int:
        number = self._file_numbers.setdefault(file, len(self._files))
        if number == len(self._files):
            self._files.append(file)
        return number

    def first_seen(self, record_id: str, file: str, line: int | None) -> str | None:
        """Record `record_id` as seen at `file:line`; when it was seen before,
        return where it was first seen (`FILE:LINE`) instead."""
        key = _key(record_id)
        number = self._file_number(file)
        inserted = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (key, number, line)).rowcount
        if inserted:
            return None
        first_file, first_line = self._db.execute("SELECT file, line FROM seen WHERE id = ?", (key,)).fetchone()
        where = self._files[first_file]
        return f"{where}:{first_line}" if first_line is not None else where

    def add_all(self, ids: list[str], lines: list[int | None], file: str = "") -> bool:
        """Record a chunk's ids (seen in `file`, at `lines`); False when one of
        them was seen before (or twice in the chunk), in which case
        `first_line` tells where."""
        before = self._db.total_changes
        keys = ids if all(map(str.isascii, ids)) else list(map(_key, ids))
        number = self._file_number(file)
        self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", ((k, number, n) for k, n in zip(keys, lines)))
        return self._db.total_changes - before == len(ids)

    def first_line(self, record_id: str) -> int | None:
        """The line where `record_id` was first seen (None if never, or seen without a line)."""
        row = self._db.execute("SELECT line FROM seen WHERE id = ?", (_key(record_id),)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SeenIds":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _key(record_id: str) -> str | bytes:
    """An id as stored: ASCII ids as text (the fast common case), others as their
    UTF-8 bytes (ids read from JSON may hold lone surrogates, which text cannot).
    The same id always gets the same form, so equal ids always meet."""
    return record_id if record_id.isascii() else record_id.encode("utf-8", "surrogatepass")
