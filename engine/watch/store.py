"""The watcher's state in a local SQLite file, so a restart (even after kill -9)
resumes every open clock and neither loses nor repeats an alert.

What is kept, and why it is enough:
- `cases`: each open case's record as seen so far (the clock is a pure function
  of it, see clock.py), the revision it is under, the instant it was evaluated
  up to, when it was closed, and its next wake-up (so a restart re-arms 100,000
  clocks without re-deciding each). The remaining time of a clock is a function
  of its start, so it is right however long the watcher was down.
- `alerts`: every alert decided, with its stable id, and whether it is known to
  be in the output. An alert is committed here *before* it is written out; on
  restart, committed alerts not marked written are looked for in the output file
  and written only if absent.
- `meta`: where reading stopped (byte offset and line of the input), which input,
  output and policy files the state belongs to (a mismatch is refused).

Everything a step changes is committed in one transaction (WAL journal,
synchronous=NORMAL: a killed process loses nothing committed; only a power loss
can lose the last commits). The file is locked while a watcher uses it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from engine.errors import Problem, UsageError

FORMAT = "sla-watch-state/1"
NO_WAKE = "-"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    revision TEXT NOT NULL,
    raw TEXT,
    file TEXT NOT NULL,
    line INTEGER,
    horizon TEXT NOT NULL,
    last_alert_at TEXT,
    closed_at TEXT,
    wake TEXT
);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    case_id TEXT NOT NULL,
    body TEXT NOT NULL,
    written INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alerts_by_case ON alerts (case_id);
"""


@dataclass(frozen=True)
class CaseRow:
    id: str
    revision: str
    raw: dict[str, Any] | None
    file: str
    line: int | None
    horizon: str
    last_alert_at: str | None
    closed_at: str | None
    wake: str | None  # the next wake-up, NO_WAKE for none, or None when not recorded (an older state file)


class Store:
    """One state file, opened exclusively."""

    def __init__(self, path: Path, fresh: bool = False):
        self.path = path
        if fresh:
            remove_own_state(path)
        self.resumed = path.exists()
        try:
            self.db = sqlite3.connect(path, timeout=0, isolation_level=None)
            self.db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("BEGIN IMMEDIATE")  # takes the lock now (held until close), not at the first write
            self.db.execute("COMMIT")
            self.db.executescript(SCHEMA)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(cases)")}
            if "wake" not in columns:  # a state file written before wake-ups were kept: they are recomputed
                self.db.execute("ALTER TABLE cases ADD COLUMN wake TEXT")
        except sqlite3.OperationalError as exc:
            hint = " (another sla watch is using it)" if "locked" in str(exc) else ""
            raise UsageError([Problem(f"cannot use the watch state file: {exc}{hint}", file=str(path))]) from None
        except sqlite3.DatabaseError as exc:
            raise UsageError([Problem(f"not a watch state file ({exc}); remove it or pass --fresh", file=str(path))]) from None
        if self.resumed and self.meta("format") is None:
            self.resumed = False  # created but never written: a fresh start

    # -- meta ----------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def bind(self, identity: dict[str, str]) -> None:
        """Record what this state belongs to, or check it against what was recorded."""
        if not self.resumed:
            with self.transaction():
                self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [("format", FORMAT), *identity.items()])
            return
        if self.meta("format") != FORMAT:
            raise UsageError([Problem(f"state format {self.meta('format')!r} is not {FORMAT!r}; pass --fresh to start over",
                                      file=str(self.path))])
        for key, value in identity.items():
            was = self.meta(key)
            if was != value:
                raise UsageError([Problem(f"this state belongs to another watch: its {key} was {was!r}, now {value!r}; "
                                          f"resume with the same {key}, choose another --state, or pass --fresh",
                                          file=str(self.path))])

    def position(self) -> tuple[int, int]:
        """(byte offset, lines read) where reading the input stopped."""
        return int(self.meta("offset") or 0), int(self.meta("lines") or 0)

    # -- reading back --------------------------------------------------------

    def cases(self) -> Iterator[CaseRow]:
        """Every case, one at a time (100,000 open cases are not held twice at start-up)."""
        rows = self.db.execute("SELECT id, revision, raw, file, line, horizon, last_alert_at, closed_at, wake "
                               "FROM cases ORDER BY rowid")
        for r in rows:
            yield CaseRow(r[0], r[1], json.loads(r[2]) if r[2] else None, r[3], r[4], r[5], r[6], r[7], r[8])

    def alert_ids(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for alert_id, case_id in self.db.execute("SELECT id, case_id FROM alerts"):
            out.setdefault(case_id, set()).add(alert_id)
        return out

    def unwritten(self) -> list[tuple[str, dict[str, Any]]]:
        """Alerts committed but not known to be in the output, in the order decided."""
        return [(r[0], json.loads(r[1])) for r in self.db.execute("SELECT id, body FROM alerts WHERE written = 0 ORDER BY seq")]

    # -- writing -------------------------------------------------------------

    def transaction(self) -> "_Transaction":
        return _Transaction(self.db)

    def save(self, cases: Iterable[dict[str, Any]], alerts: Iterable[tuple[str, str, dict[str, Any]]],
             position: tuple[int, int] | None) -> None:
        """One step, all or nothing: changed cases, new alerts (unwritten), the read position."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO cases (id, revision, raw, file, line, horizon, last_alert_at, closed_at, wake) "
                "VALUES (:id, :revision, :raw, :file, :line, :horizon, :last_alert_at, :closed_at, :wake)", list(cases))
            self.db.executemany("INSERT OR IGNORE INTO alerts (id, case_id, body) VALUES (?, ?, ?)",
                                [(i, c, json.dumps(b, ensure_ascii=False)) for i, c, b in alerts])
            if position is not None:
                self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                    [("offset", str(position[0])), ("lines", str(position[1]))])

    def mark_written(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            with self.transaction():
                self.db.executemany("UPDATE alerts SET written = 1 WHERE id = ?", [(i,) for i in ids])

    def close(self) -> None:
        self.db.close()

    def finish(self) -> None:
        """The watch is over (every clock decided, the input read): the state goes."""
        self.db.close()
        remove_state(self.path)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: Any, *_: Any) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def remove_own_state(path: Path) -> None:
    """--fresh: remove the state at `path` only if it is a watch state file (or an empty
    file a killed watch left); anything else (a decision log, records, a typo'd
    path) is a usage error and is kept."""
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        remove_state(path)
        return
    found = None
    if path.is_file() and not path.is_symlink():
        try:
            with path.open("rb") as handle:
                sqlite_file = handle.read(16) == b"SQLite format 3\x00"
            if sqlite_file:
                db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
                try:
                    row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                    found = row[0] if row else None
                finally:
                    db.close()
        except (OSError, sqlite3.Error):
            found = None
    if found != FORMAT:
        raise UsageError([Problem("--fresh: this is not a watch state file, so it was not removed; "
                                  "choose another --state", file=str(path))])
    remove_state(path)


def remove_state(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
