"""Duplicate ids: held in memory up to a limit, then on disk, with the same answers either way."""

from __future__ import annotations

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
