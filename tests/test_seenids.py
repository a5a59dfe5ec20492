"""Duplicate ids: held in memory up to a limit, then on disk, with the same answers either way."""

from __future__ import annotations

import sqlite3

from engine.io.seenids import SeenIds

IDS = [f"C-{i % 37}" if i % 5 == 0 else f"C-{i}" for i in range(120)] + ["C-0", "\ud83d\ude00", "é", "\ud800", "\ud800", "é"]


def _one_by_one(seen: SeenIds) -> list[str | None]:
    return [seen.first_seen(rid, "a.jsonl" if i % 2 else "b.jsonl", i + 1 if i % 7 else None) for i, rid in enumerate(IDS)]


def test_ids_added_one_by_one_get_the_same_answers_before_and_after_moving_to_disk():
    with SeenIds() as memory, SeenIds(memory_limit=10) as spilled, SeenIds(memory_limit=0) as disk:
        answers = _one_by_one(memory)
        assert answers == _one_by_one(spilled) == _one_by_one(disk)
    assert answers[40] == "a.jsonl:4"  # C-3, first at index 3 (a.jsonl, line 4)
    assert answers[IDS.index("C-0", 1)] == "b.jsonl"  # first at index 0, seen without a line
    assert answers[-1] == "b.jsonl:123" and answers[-2] == "a.jsonl:124"  # é, and a lone surrogate


def test_chunks_report_a_duplicate_and_where_it_was_first_seen_before_and_after_moving_to_disk():
    for limit in (250_000, 25, 0):
        with SeenIds(memory_limit=limit) as seen:
            assert seen.add_all([f"C-{i}" for i in range(20)], list(range(1, 21)), "a") is True
            assert seen.add_all([f"C-{i}" for i in range(20, 40)], list(range(21, 41)), "a") is True
            assert seen.add_all(["C-40", "C-41", "C-41"], [41, 42, 43], "a") is False  # twice in the chunk
            assert seen.add_all(["C-50", "C-7"], [51, 52], "a") is False  # seen in an earlier chunk
            assert [seen.first_line(r) for r in ("C-41", "C-7", "C-50", "nope")] == [42, 8, 51, None]


ODD = ['say "hi"', "back\\slash", "tab\there", "nul\x00id", "C-1", "é", "\ud800"]  # escapes in JSON, then non-ASCII


def test_ids_whose_json_needs_escapes_meet_again_on_disk_whether_their_lines_run_on_or_not():
    for lines in (list(range(1, 8)), [1, 3, 4, 5, 9, 10, 11]):
        with SeenIds(memory_limit=250_000) as memory, SeenIds(memory_limit=0) as disk:
            for seen in (memory, disk):
                assert seen.add_all(["C-0"], [100], "a") is True
                assert seen.add_all(ODD[:5], lines[:5], "a") is True  # ASCII ids with quotes, backslashes, controls
                assert seen.add_all(ODD[5:], lines[5:], "a") is True  # non-ASCII: stored as UTF-8 bytes
                assert seen.add_all([ODD[1], "C-9"], [200, 201], "a") is False
            assert [memory.first_line(r) for r in ODD] == [disk.first_line(r) for r in ODD] == lines
            assert disk.first_seen("nul\x00id", "b", 300) == f"a:{lines[3]}"


def test_a_chunk_of_plain_ids_on_consecutive_lines_goes_to_disk_in_one_statement():
    with SeenIds(memory_limit=0) as seen:
        seen.add_all(["C-0"], [1], "a")  # moves the ids to disk
        statements: list[str] = []
        seen._db.set_trace_callback(statements.append)
        assert seen.add_all([f"C-{i}" for i in range(1, 1001)], list(range(2, 1002)), "a") is True
        assert len(statements) == 1 and "json_each" in statements[0]
        assert [seen.first_line(r) for r in ("C-1", "C-500", "C-1000")] == [2, 501, 1001]
        statements.clear()
        assert seen.add_all(["C-2000", "C-2001"], [5000, 5002], "a") is True  # a gap: one insert per id
        assert len(statements) == 2 and "json_each" not in "".join(statements)


def test_an_sqlite_without_json_functions_gets_the_chunk_one_id_at_a_time():
    from engine.io.seenids import _insert

    class NoJson:
        """An SQLite connection as one built without JSON answers (no json_each table)."""

        def __init__(self) -> None:
            self.rows: list[tuple] = []

        def execute(self, sql: str, params: tuple = ()) -> None:
            raise sqlite3.OperationalError("no such table: json_each")

        def executemany(self, sql: str, rows) -> None:
            self.rows.extend(rows)

    db = NoJson()
    _insert(db, ["C-1", "C-2"], 0, [7, 8])  # type: ignore[arg-type]
    assert db.rows == [("C-1", 0, 7), ("C-2", 0, 8)]
