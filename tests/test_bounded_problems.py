"""Issue 14 item 6: memory stays bounded on hostile records.

A 300 KB case with 100,000 empty events once took 1.9 GB collecting a problem
per event. Problems per record are capped (the first PROBLEMS_PER_RECORD and
"N more"), and the schema errors kept for sorting are bounded too, so such a
record is rejected within the streaming promise (under 400 MB)."""

from __future__ import annotations

import json
from pathlib import Path

from reliability_helpers import run_engine

from engine.core.records import PROBLEMS_PER_RECORD

MEMORY_MB = 400


def _hostile_case(path: Path, events: int = 100_000) -> Path:
    record = {"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
              "submitted_at": "2024-06-03T09:00:00Z", "events": [{}] * events}
    path.write_text(json.dumps(record, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def test_a_case_with_100k_empty_events_is_rejected_in_bounded_memory_with_capped_problems(tmp_path: Path):
    src = _hostile_case(tmp_path / "hostile.jsonl")
    assert 250_000 < src.stat().st_size < 400_000
    done = run_engine(["evaluate", str(src), "--now", "2025-01-01T00:00:00Z", "--format", "jsonl"],
                      timeout=300, memory_mb=MEMORY_MB)
    assert done.code == 2, done.text[-2000:]
    lines = [line for line in done.text.splitlines() if line.startswith(str(src))]
    assert len(lines) == PROBLEMS_PER_RECORD + 1
    assert "more problem(s) in this record not shown" in lines[-1]
    assert done.max_rss_mb < MEMORY_MB


def test_a_record_with_few_problems_shows_them_all(tmp_path: Path):
    src = _hostile_case(tmp_path / "few.jsonl", events=3)
    done = run_engine(["evaluate", str(src), "--now", "2025-01-01T00:00:00Z"], timeout=120)
    assert done.code == 2
    assert "not shown" not in done.text
