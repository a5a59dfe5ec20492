"""Which record ids a run has seen, and where: for rejecting duplicate ids.

A run over a large export can hold millions of records; keeping every id in a
Python dict would make memory grow with the input (~200 bytes a record). The
ids live instead in a private, temporary SQLite table on disk (deleted when
closed, or by the OS if the process is killed), so memory stays flat and the
answer stays exact: no hashing shortcuts that could call two ids the same.
"""

from __future__ import annotations

import sqlite3


class SeenIds:
    """A set of record ids with the place each was first seen."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)  # "" = a private temporary database on disk
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8000", "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE seen (id BLOB PRIMARY KEY, file INTEGER NOT NULL, line INTEGER) WITHOUT ROWID")
        self._db.execute("BEGIN")
        self._files: list[str] = []
        self._file_numbers: dict[str, int] = {}

    def first_seen(self, record_id: str, file: str, line: int | None) -> str | None:
        """Record `record_id` as seen at `file:line`; when it was seen before,
        return where it was first seen (`FILE:LINE`) instead."""
        key = record_id.encode("utf-8", "surrogatepass")  # ids read from JSON may hold lone surrogates
        number = self._file_numbers.setdefault(file, len(self._files))
        if number == len(self._files):
            self._files.append(file)
        inserted = self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (key, number, line)).rowcount
        if inserted:
            return None
        first_file, first_line = self._db.execute("SELECT file, line FROM seen WHERE id = ?", (key,)).fetchone()
        where = self._files[first_file]
        return f"{where}:{first_line}" if first_line is not None else where

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SeenIds":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
