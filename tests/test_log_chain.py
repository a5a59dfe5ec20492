"""Issue 14 item 1: the decision log is append-only and hash-chained; `sla log
--verify` names the row that was edited, deleted or moved."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

RECORDS = ROOT / "examples" / "records"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "decisions.sqlite"
    for _ in range(2):  # two runs: the chain continues across runs
        run = run_cli("evaluate", str(RECORDS), "--now", "2026-01-01T00:00:00Z", "--fail-on", "none",
                      "--format", "jsonl", "--log", str(path))
        assert run.code == 0, run.err
    return path


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _verify(path: Path):
    return run_cli("log", str(path), "--verify")


def test_an_untouched_log_verifies_and_shows_its_head(log: Path):
    run = _verify(log)
    assert run.code == 0, run.out + run.err
    assert "intact" in run.out and "head " in run.out


def test_an_edited_row_is_named(log: Path):
    _sql(log, "UPDATE decisions SET outcome = 'met' WHERE id = 5")
    run = _verify(log)
    assert run.code == 1
    assert "row 5 was edited" in run.out


def test_a_deleted_row_is_named_by_its_neighbours(log: Path):
    _sql(log, "DELETE FROM decisions WHERE id = 7")
    run = _verify(log)
    assert run.code == 1
    assert "deleted between row 6 and row 8" in run.out


def test_reordered_rows_are_named(log: Path):
    conn = sqlite3.connect(log)
    cols = [c[1] for c in conn.execute("PRAGMA table_info(decisions)") if c[1] != "id"]
    a = conn.execute(f"SELECT {', '.join(cols)} FROM decisions WHERE id = 3").fetchone()
    b = conn.execute(f"SELECT {', '.join(cols)} FROM decisions WHERE id = 4").fetchone()
    with conn:
        for row_id, values in ((3, b), (4, a)):
            conn.execute(f"UPDATE decisions SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?", (*values, row_id))
    conn.close()
    run = _verify(log)
    assert run.code == 1
    assert "row 3 was moved" in run.out


def test_a_row_edited_with_its_hash_recomputed_breaks_the_next_link(log: Path):
    from engine.disputes import decisionlog
    conn = sqlite3.connect(log)
    row = conn.execute(f"SELECT {', '.join(decisionlog.CONTENT)}, prev_hash FROM decisions WHERE id = 2").fetchone()
    content = list(row[:-1])
    content[decisionlog.CONTENT.index("outcome")] = "met"
    with conn:
        conn.execute("UPDATE decisions SET outcome = 'met', row_hash = ? WHERE id = 2",
                     (decisionlog.row_hash(row[-1], content),))
    conn.close()
    run = _verify(log)
    assert run.code == 1 and "row 3" in run.out
