"""The decision log: a local SQLite file every `evaluate`/`replay` run can append to.

One row per decision: when it was logged, by which command and run, the record,
customer and month, the outcome in one word (`engine.outcomes`), the sha256 of
the record's canonical input (and of the dispute bundle, for a replay), the
sha256 of each policy file used, and the decision's JSON.

Safe with concurrent writers: the database is in WAL mode (readers never block
the writer), every connection waits up to `BUSY_TIMEOUT_MS` for a lock instead
of failing, and a run's rows go in one `BEGIN IMMEDIATE` transaction, so a run
is logged whole or not at all and a committed run is never lost or interleaved.

Tamper-evident: the log is append-only and hash-chained. Each row carries
`prev_hash`, the `row_hash` of the row before it, and its own `row_hash`, the
sha256 over `prev_hash` and the row's canonical content. `verify_chain` (`sla log
--verify`) recomputes the chain and names the first row that was edited, deleted
or moved. Deleting rows at the end leaves a shorter valid chain; `sla log
--verify` prints the head hash so it can be kept (or signed) elsewhere.

A what-if run (`--as-of`) has `what_if` set ("as-of DATE") on each row: its
verdicts are not decisions.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from engine.canonical import canonical_json, sha256_of
from engine.errors import Problem, UsageError
from engine.core.evaluate import Decision
from engine.core.outcomes import month_of, outcome_of
from engine.timeutil import iso

DEFAULT_PATH = "sla-decisions.sqlite"
ENV_VAR = "SLA_DECISION_LOG"
BUSY_TIMEOUT_MS = 60_000
SCHEMA_VERSION = 2
GENESIS = "0" * 64  # the prev_hash of the first row
RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".yaml", ".yml")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        TEXT NOT NULL,
    logged_at     TEXT NOT NULL,
    command       TEXT NOT NULL,
    source        TEXT,
    dispute       TEXT,
    bundle_sha256 TEXT,
    record_id     TEXT NOT NULL,
    record_type   TEXT NOT NULL,
    customer      TEXT NOT NULL,
    month         TEXT,
    outcome       TEXT NOT NULL,
    policy        TEXT NOT NULL,
    versions      TEXT NOT NULL,
    policy_sha256 TEXT NOT NULL,
    input_sha256  TEXT NOT NULL,
    decision      TEXT NOT NULL,
    what_if       TEXT,
    prev_hash     TEXT,
    row_hash      TEXT
);
CREATE INDEX IF NOT EXISTS decisions_by_customer ON decisions (customer, month);
CREATE INDEX IF NOT EXISTS decisions_by_outcome ON decisions (outcome);
"""

COLUMNS = ("id", "run_id", "logged_at", "command", "source", "dispute", "bundle_sha256", "record_id", "record_type",
           "customer", "month", "outcome", "policy", "versions", "policy_sha256", "input_sha256", "decision", "what_if",
           "prev_hash", "row_hash")
CONTENT = COLUMNS[1:-2]  # what a row's hash covers (its id is not: order is the chain's)


def default_path() -> str:
    """$SLA_DECISION_LOG, else ./sla-decisions.sqlite."""
    return os.environ.get(ENV_VAR) or DEFAULT_PATH


def check_path(path: str) -> Path:
    """A log path that is not a record or bundle file given by mistake (`--log FILE.json`)."""
    target = Path(path)
    if target.suffix.lower() in RECORD_SUFFIXES:
        raise UsageError([Problem(f"--log {path}: a record or bundle file is not a decision log; "
                                  f"name the log e.g. {DEFAULT_PATH} (after the record files, or as --log=PATH)", file=path)])
    return target


@dataclass(frozen=True)
class Entry:
    """One decision to log, with where it came from."""

    decision: Decision
    source: str | None
    dispute: str | None = None
    bundle_sha256: str | None = None
    what_if: str | None = None  # "as-of DATE" for a what-if run


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    try:
        if read_only:
            if not path.exists():
                raise UsageError([Problem(f"no decision log here (write one with --log {path})", file=str(path))])
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
        else:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        return conn
    except sqlite3.Error as exc:
        raise UsageError([Problem(f"cannot open the decision log: {exc}", file=str(path))]) from None


def _row(entry: Entry, run_id: str, command: str, logged_at: str) -> tuple[Any, ...]:
    d = entry.decision
    versions = list(dict.fromkeys(s.revision.revision for s in d.selections))
    hashes = {s.revision.label: s.revision.sha256 for s in d.selections}
    return (run_id, logged_at, command, entry.source, entry.dispute, entry.bundle_sha256, d.record.id, d.record.type,
            d.record.customer, month_of(d), outcome_of(d), d.revision.family, "+".join(versions),
            canonical_json(hashes), sha256_of(d.record.raw), json.dumps(d.to_json(), ensure_ascii=False), entry.what_if)


def row_hash(prev_hash: str, content: Sequence[Any]) -> str:
    """The hash of a row: over the previous row's hash and this row's content."""
    return sha256_of({"prev": prev_hash, "row": dict(zip(CONTENT, content))})


class LogWriter:
    """One run's decisions, added as they are made and logged by `commit()` in a single
    transaction. Until then rows wait in a private temporary database (on disk when
    large, so a streamed run of any size keeps bounded memory) and the log is not
    locked; the commit copies them in under one short write lock. A writer that is
    never committed (bad input, an interrupt) logs nothing."""

    SPOOL_BATCH = 500

    def __init__(self, path: str | Path, command: str, now: datetime | None = None):
        self._conn: sqlite3.Connection | None = None
        self.path = check_path(str(path))
        self.command = command
        self.run_id = uuid.uuid4().hex
        self.logged_at = iso(now or datetime.now(timezone.utc))
        self.count = 0
        self._pending: list[tuple[Any, ...]] = []
        self._conn = _connect(self.path)
        try:
            self._conn.execute("ATTACH DATABASE '' AS spool")
            self._conn.execute(f"CREATE TABLE spool.decisions ({', '.join(CONTENT)})")
        except sqlite3.Error as exc:
            self.close()
            raise UsageError([Problem(f"cannot prepare the decision log: {exc}", file=str(self.path))]) from None

    def add(self, entry: Entry) -> None:
        self._pending.append(_row(entry, self.run_id, self.command, self.logged_at))
        self.count += 1
        if len(self._pending) >= self.SPOOL_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._conn is not None:
            try:
                self._conn.execute("BEGIN")
                self._conn.executemany(f"INSERT INTO spool.decisions VALUES ({', '.join('?' * len(CONTENT))})",
                                       self._pending)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise UsageError([Problem(f"cannot spool decisions for the log: {exc}", file=str(self.path))]) from None
            self._pending.clear()

    def commit(self) -> str:
        """Log every decision added, all or nothing; returns the run id."""
        assert self._conn is not None, "commit() after close()"
        conn = self._conn
        try:
            self._flush()
            conn.execute("BEGIN IMMEDIATE")
            try:
                _ensure_schema(conn, self.path)
                _append_chained(conn, conn.execute(f"SELECT {', '.join(CONTENT)} FROM spool.decisions ORDER BY rowid"))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise UsageError([Problem(f"cannot write the decision log: {exc}", file=str(self.path))]) from None
        finally:
            self.close()
        return self.run_id

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def __enter__(self) -> "LogWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _head(conn: sqlite3.Connection) -> str:
    last = conn.execute("SELECT row_hash FROM main.decisions ORDER BY id DESC LIMIT 1").fetchone()
    return last[0] if last else GENESIS


def _append_chained(conn: sqlite3.Connection, rows: Any, batch: int = 1000) -> None:
    """Append rows (content tuples) to the log, each chained to the one before (inside
    the caller's write transaction, so no other writer can interleave)."""
    prev = _head(conn)
    insert = (f"INSERT INTO main.decisions ({', '.join(CONTENT)}, prev_hash, row_hash) "
              f"VALUES ({', '.join('?' * (len(CONTENT) + 2))})")
    chunk = []
    for content in rows:
        digest = row_hash(prev, content)
        chunk.append((*content, prev, digest))
        prev = digest
        if len(chunk) >= batch:
            conn.executemany(insert, chunk)
            chunk.clear()
    if chunk:
        conn.executemany(insert, chunk)


def _ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise UsageError([Problem(f"the decision log has format {version}, newer than this sla ({SCHEMA_VERSION})", file=str(path))])
    if version == 1:  # format 1 had no chain: add the columns and chain the rows it holds, in order
        for column in ("what_if", "prev_hash", "row_hash"):
            conn.execute(f"ALTER TABLE decisions ADD COLUMN {column} TEXT")
        prev = GENESIS
        for row in conn.execute(f"SELECT id, {', '.join(CONTENT)} FROM decisions ORDER BY id").fetchall():
            digest = row_hash(prev, row[1:])
            conn.execute("UPDATE decisions SET prev_hash = ?, row_hash = ? WHERE id = ?", (prev, digest, row[0]))
            prev = digest
    elif version < SCHEMA_VERSION:
        for statement in filter(None, (s.strip() for s in _SCHEMA.split(";"))):
            conn.execute(statement)
    if version < SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@dataclass(frozen=True)
class ChainCheck:
    """The result of `verify_chain`: rows checked, the head hash, and each break found."""

    rows: int
    head: str
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(path: str | Path) -> ChainCheck:
    """Recompute the hash chain, oldest row first, and name each row that was edited
    (its content no longer matches its hash), moved (it follows another row than the
    one before it) or that follows deleted rows (it follows no row there is)."""
    conn = _connect(Path(path), read_only=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            return ChainCheck(0, GENESIS, ())
        if version < SCHEMA_VERSION:
            return ChainCheck(0, GENESIS, (f"the log has format {version}, without a hash chain; any write by this "
                                           f"sla adds one",))
        rows = conn.execute(f"SELECT id, {', '.join(CONTENT)}, prev_hash, row_hash FROM decisions ORDER BY id").fetchall()
    except sqlite3.Error as exc:
        raise UsageError([Problem(f"cannot read the decision log: {exc}", file=str(path))]) from None
    finally:
        conn.close()
    by_hash = {r[-1]: r[0] for r in rows}
    problems, prev, prev_id = [], GENESIS, None
    for row in rows:
        row_id, content, stored_prev, stored = row[0], row[1:-2], row[-2], row[-1]
        if row_hash(stored_prev or "", content) != stored:
            problems.append(f"row {row_id} was edited: its content does not match its hash")
        elif stored_prev != prev:
            follows = by_hash.get(stored_prev)
            after = f"row {prev_id}" if prev_id is not None else "the start of the log"
            if follows is not None:
                problems.append(f"row {row_id} was moved: it was written after row {follows}, not after {after}")
            elif stored_prev == GENESIS:
                problems.append(f"row {row_id} was moved: it was the first row of the log")
            elif prev_id is not None and row_id - prev_id == 1:
                problems.append(f"row {row_id} does not follow row {prev_id}: row {prev_id} was rewritten "
                                f"(its hash recomputed), or a row was deleted and the ids reused")
            else:
                problems.append(f"row(s) deleted between {after} and row {row_id}: row {row_id} follows a row "
                                f"that is no longer in the log")
        prev, prev_id = stored or "", row_id
    return ChainCheck(len(rows), prev, tuple(problems))


@dataclass(frozen=True)
class Filters:
    customer: str | None = None
    month: str | None = None
    outcome: str | None = None
    record: str | None = None
    command: str | None = None
    limit: int | None = None


def query(path: str | Path, filters: Filters) -> list[dict[str, Any]]:
    """Logged decisions matching every filter given, oldest first (the last `limit` when given)."""
    conn = _connect(Path(path), read_only=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            return []
        columns = COLUMNS if version >= 2 else COLUMNS[:-3]  # format 1 (not yet migrated by a write)
        where, params = [], []
        for column, value in (("customer", filters.customer), ("month", filters.month), ("outcome", filters.outcome),
                              ("record_id", filters.record), ("command", filters.command)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = f"SELECT {', '.join(columns)} FROM decisions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC" if filters.limit else " ORDER BY id"
        if filters.limit:
            sql += f" LIMIT {int(filters.limit)}"
        rows = [dict(zip(columns, r)) for r in conn.execute(sql, params)]
    except sqlite3.Error as exc:
        raise UsageError([Problem(f"cannot read the decision log: {exc}", file=str(path))]) from None
    finally:
        conn.close()
    if filters.limit:
        rows.reverse()
    for row in rows:
        row["policy_sha256"] = json.loads(row["policy_sha256"])
        row["decision"] = json.loads(row["decision"])
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as an aligned table, one line per decision."""
    keys = ("id", "logged_at", "command", "customer", "month", "record_id", "record_type", "versions", "outcome", "input_sha256")
    heads = ("ID", "LOGGED AT", "COMMAND", "CUSTOMER", "MONTH", "RECORD", "TYPE", "REVISION", "OUTCOME", "INPUT SHA256")
    cells = [[str(r[k])[:12] if k == "input_sha256" else str(r[k] if r[k] is not None else "-") for k in keys] for r in rows]
    for r, line in zip(rows, cells):
        if r.get("what_if"):
            line[keys.index("outcome")] = f"WHAT-IF({r['what_if']}):{line[keys.index('outcome')]}"
    widths = [max(len(c[i]) for c in [list(heads), *cells]) for i in range(len(keys))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() + "\n" for line in [list(heads), *cells])
