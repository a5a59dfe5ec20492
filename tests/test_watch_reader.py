"""Reading the watcher's input (engine/watch/reader.py): line numbers and offsets,
--follow like `tail -F`, resuming from an offset, standard input."""

from __future__ import annotations

import io
import queue
import time
from pathlib import Path
from typing import Any

from engine.watch.reader import CaughtUp, End, Line, Notice, Reader


def take(reader: Reader, count: int, seconds: float = 5.0) -> list[Any]:
    out: list[Any] = []
    end = time.time() + seconds
    while len(out) < count and time.time() < end:
        try:
            out.append(reader.items.get(timeout=0.05))
        except queue.Empty:
            continue
    return out


def test_lines_keep_their_numbers_and_offsets_and_blank_lines_are_skipped(tmp_path: Path):
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n{"b": 2}\r\n\xff\n{"c": 3}')
    reader = Reader(str(path), None, follow=False)
    reader.start()
    items = take(reader, 5)
    assert [type(i) for i in items] == [Line, Line, Line, Line, End]
    first, second, bad, last = items[:4]
    assert (first.number, first.text, first.end) == (1, '{"a": 1}', 12)
    assert (second.number, second.text) == (3, '{"b": 2}')
    assert bad.number == 4 and bad.text is None and "not UTF-8" in bad.problem.message
    assert (last.number, last.text, last.end) == (5, '{"c": 3}', path.stat().st_size), "a last line without newline counts at the end"


def test_reading_resumes_at_an_offset_with_the_line_count(tmp_path: Path):
    path = tmp_path / "e.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n', encoding="utf-8")
    reader = Reader(str(path), None, follow=False, offset=9, lines=1)
    reader.start()
    line, end = take(reader, 2)
    assert (line.number, line.text) == (2, '{"b": 2}') and isinstance(end, End)


def test_follow_waits_for_the_newline_and_reads_a_truncated_file_from_the_start(tmp_path: Path):
    path = tmp_path / "e.jsonl"
    path.write_text('{"a": 1}\n', encoding="utf-8")
    reader = Reader(str(path), None, follow=True, poll_seconds=0.05)
    reader.start()
    try:
        line, caught = take(reader, 2)
        assert line.text == '{"a": 1}' and isinstance(caught, CaughtUp)
        with path.open("a", encoding="utf-8") as handle:
            handle.write('{"b": ')
        assert not [i for i in take(reader, 1, seconds=0.5) if isinstance(i, Line)], "half a line is not a line"
        with path.open("a", encoding="utf-8") as handle:
            handle.write('2}\n')
        line, _ = take(reader, 2)
        assert (line.number, line.text) == (2, '{"b": 2}')
        path.write_text('{"new": 1}\n', encoding="utf-8")  # truncated and rewritten
        notice, line = take(reader, 2)
        assert isinstance(notice, Notice) and "truncated or replaced" in notice.message
        assert (line.number, line.text) == (1, '{"new": 1}')
    finally:
        reader.stop()


def test_standard_input_skips_the_lines_already_taken():
    reader = Reader("-", io.StringIO('{"a": 1}\n{"b": 2}\n{"c": 3}\n'), follow=False, lines=2)
    reader.start()
    line, end = take(reader, 2)
    assert (line.number, line.text) == (3, '{"c": 3}') and isinstance(end, End)
