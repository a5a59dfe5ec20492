"""Issue 14 item 7: ids that differ only by surrounding spaces, case or Unicode
look-alikes are reported under --near-duplicate-ids (evaluate and check), so two
exports of the same case are not counted twice silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from engine.io.nearids import near_key

NOW = "2025-01-01T00:00:00Z"


def _case(rid: str) -> dict:
    return {"type": "case", "id": rid, "customer": "acme", "severity": 2, "channel": "portal",
            "submitted_at": "2024-06-03T09:00:00Z", "events": []}


@pytest.mark.parametrize("a,b", [("CASE-1", " CASE-1 "), ("CASE-1", "case-1"), ("CASE-1", "\u0421ASE-1"),
                                 ("CASE-1", "CASE\u200b-1"), ("CASE-1", "ＣＡＳＥ-1")])
def test_spellings_of_one_id_share_a_near_key(a: str, b: str):
    assert a != b and near_key(a) == near_key(b)


@pytest.mark.parametrize("a,b", [("CASE-10", "CASE-1O"), ("CASE-1", "CASE-2"), ("C-l", "C-1")])
def test_different_ids_keep_different_near_keys(a: str, b: str):
    assert near_key(a) != near_key(b)


@pytest.mark.parametrize("other", [" CASE-1", "case-1", "\u0421ASE-1"])
def test_evaluate_warns_of_a_near_duplicate_id_naming_both(tmp_path: Path, other: str):
    src = tmp_path / "cases.jsonl"
    src.write_text(json.dumps(_case("CASE-1")) + "\n" + json.dumps(_case(other)) + "\n", encoding="utf-8")
    run = run_cli("evaluate", str(src), "--now", NOW, "--format", "jsonl", "--fail-on", "none", "--near-duplicate-ids")
    assert run.code == 0, run.err
    assert f"{src}:2: warning: record id" in run.err and "looks like 'CASE-1'" in run.err and f"{src}:1" in run.err
    quiet = run_cli("evaluate", str(src), "--now", NOW, "--format", "jsonl", "--fail-on", "none")
    assert "warning" not in quiet.err


def test_check_warns_of_near_duplicate_ids_across_chunks(tmp_path: Path):
    src = tmp_path / "cases.jsonl"
    src.write_text("".join(json.dumps(_case(rid)) + "\n" for rid in ["CASE-1", "CASE-2", "CASE-3", "case-1 "]),
                   encoding="utf-8")
    run = run_cli("check", "--cases", str(src), "--now", NOW, "--quiet", "--fail-on", "none", "--chunk", "2",
                  "--jobs", "1", "--near-duplicate-ids")
    assert run.code == 0, run.err
    assert f"{src}:4: warning: record id 'case-1 ' looks like 'CASE-1' (at {src}:1)" in run.err
