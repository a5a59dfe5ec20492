"""Which record ids a run has seen, and where: for rejecting duplicate ids.

A run over a large export can hold millions of records; keeping every id in a
Python dict would make memory grow with the input (~130 bytes a record). The
first MEMORY_LIMIT ids live in a dict (a few times cheaper per id than SQLite,
and most runs never leave it); past that they all move to a private, temporary
SQLite table on disk (deleted when closed, or by the OS if the process is
killed), so memory stays bounded and the answer stays exact: no hashing shortcut
could call two ids the same, and each duplicate can name where the first was seen.

`sla evaluate` (and the API) add ids one at a time (`first_seen`); `sla check`
adds them a chunk at a time (`add_all`: on disk, one statement per chunk, or one
`executemany` where ids need escapes or lines have gaps) and looks id by id
only at a chunk that holds a duplicate.
"""

from __future__ import annotations

import json
import sqlite3


MEMORY_LIMIT = 250_000  # ids held in a dict before they move to disk (~30 MB)


class SeenIds:
    """A set of record ids with the file and line each was first seen at."""

    def __init__(self, memory_limit: int = MEMORY_LIMIT) -> None:
        self._limit = memory_limit
        self._mem: dict[str | bytes, tuple[int, int | None]] | None = {}  # id -> (file number, line); None once on disk
        self._db: sqlite3.Connection | None = None
        self._files: list[str] = []
        self._file_numbers: dict[str, int] = {}

    def _file_number(self, file: str) -> int:
        number = self._file_numbers.setdefault(file, len(self._files))
        if number == len(self._files):
            self._files.append(file)
        return number

    def _spill(self) -> sqlite3.Connection:
        """Move the ids held in memory to a new on-disk table (once they outgrow the limit)."""
        db = sqlite3.connect("", isolation_level=None)  # "" = a private temporary database on disk
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8000", "temp_store=FILE"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("CREATE TABLE seen (id PRIMARY KEY, file INTEGER NOT NULL, line INTEGER) WITHOUT ROWID")
        db.execute("BEGIN")
        assert self._mem is not None
        files, lines = zip(*self._mem.values()) if self._mem else ((), ())
        if len(set(files)) == 1:  # one file so far (the usual case): its lines may well run on
            _insert(db, list(self._mem), files[0], list(lines))
        else:
            db.executemany("INSERT INTO seen VALUES (?, ?, ?)", ((k, f, n) for k, (f, n) in self._mem.items()))
        self._db, self._mem = db, None
        return db

    def first_seen(self, record_id: str, file: str, line: int | None) -> str | None:
        """Record `record_id` as seen at `file:line`; when it was seen before,
        return where it was first seen (`FILE:LINE`) instead."""
        key = _key(record_id)
        number = self._file_number(file)
        mem = self._mem
        if mem is not None:
            where = (number, line)
            first = mem.setdefault(key, where)
            if first is where:
                if len(mem) > self._limit:
                    self._spill()
                return None
            first_file, first_line = first
        else:
            assert self._db is not None
            if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (key, number, line)).rowcount:
                return None
            first_file, first_line = self._db.execute("SELECT file, line FROM seen WHERE id = ?", (key,)).fetchone()
        name = self._files[first_file]
        return f"{name}:{first_line}" if first_line is not None else name

    def add_all(self, ids: list[str], lines: list[int | None], file: str = "") -> bool:
        """Record a chunk's ids (seen in `file`, at `lines`); False when one of
        them was seen before (or twice in the chunk), in which case
        `first_line` tells where."""
        keys = ids if all(map(str.isascii, ids)) else list(map(_key, ids))
        number = self._file_number(file)
        mem = self._mem
        if mem is not None:
            before = len(mem)
            setdefault = mem.setdefault
            for k, n in zip(keys, lines):
                setdefault(k, (number, n))
            fresh = len(mem) - before == len(ids)
            if len(mem) > self._limit:
                self._spill()
            return fresh
        assert self._db is not None
        before = self._db.total_changes
        _insert(self._db, keys, number, lines)
        return self._db.total_changes - before == len(ids)

    def first_line(self, record_id: str) -> int | None:
        """The line where `record_id` was first seen (None if never, or seen without a line)."""
        key = _key(record_id)
        if self._mem is not None:
            first = self._mem.get(key)
            return first[1] if first else None
        assert self._db is not None
        row = self._db.execute("SELECT line FROM seen WHERE id = ?", (key,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._mem = {}
        self._db = None

    def __enter__(self) -> "SeenIds":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _insert(db: sqlite3.Connection, keys: list[str] | list[str | bytes], number: int, lines: list[int | None]) -> None:
    """Insert a chunk's ids, each unless already there. Text ids on consecutive lines (a chunk of an
    export, the common case) go in as one JSON array that SQLite unpacks itself, their line its first
    line plus the index: a third of the CPU time of a parameter set per id (bench/README.md)."""
    first = lines[0] if lines else None
    if type(first) is int and lines == list(range(first, first + len(lines))) and all(type(k) is str for k in keys):
        array = json.dumps(keys)
        if "\\" not in array:  # no escape: each id is its JSON text's own characters, as SQLite reads them back
            try:
                db.execute("INSERT OR IGNORE INTO seen SELECT value, ?, ? + key FROM json_each(?)", (number, first, array))
                return
            except sqlite3.OperationalError as exc:  # an SQLite built without JSON (before 3.38 it was optional)
                if "json_each" not in str(exc):
                    raise
    db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", ((k, number, n) for k, n in zip(keys, lines)))


def _key(record_id: str) -> str | bytes:
    """An id as stored: ASCII ids as text (the fast common case), others as their
    UTF-8 bytes (ids read from JSON may hold lone surrogates, which text cannot).
    The same id always gets the same form, so equal ids always meet."""
    return record_id if record_id.isascii() else record_id.encode("utf-8", "surrogatepass")
