"""Issue 14 item 2: an export with a bad row keeps the rest.

`sla check` on CSV: a non-UTF-8 byte, an unterminated quote, a JSON cell nested
100,000 levels deep or holding a lone surrogate each reject *that row*, with its
true line number; under --keep-going the other rows are decided. A full disk
during check is exit 2, with no output and no temporary file left."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

NOW = "2025-01-01T00:00:00Z"
HEADER = b"id,customer,severity,channel,submitted_at,events"
ROWS = 40
BAD_LINE = 12  # the file's line number of the bad row (the header is line 1)


def good_row(i: int) -> bytes:
    return (f'CASE-{i},acme,2,portal,2024-03-05T09:30:00Z,"[{{""type"": ""human_response"", '
            f'""at"": ""2024-03-05T09:38:30Z"", ""via"": ""case_note""}}]"').encode()


BAD_ROWS = {
    "not utf-8": good_row(999).replace(b"acme", b"ac\xffme"),
    "unterminated quote": b'CASE-999,"acme,2,portal,2024-03-05T09:30:00Z,[]',
    "json nested 100k deep": b"CASE-999,acme,2,portal,2024-03-05T09:30:00Z," + b"[" * 100_000 + b"]" * 100_000,
    "lone surrogate in json": good_row(999).replace(b'""case_note""', b'""\\ud800""'),
}
REASONS = {"not utf-8": "not UTF-8", "unterminated quote": "quote", "json nested 100k deep": "nest",
           "lone surrogate in json": "surrogate"}


def export(path: Path, bad: bytes, multiline_before: bool = False) -> Path:
    rows = [HEADER] + [good_row(i) for i in range(ROWS)]
    if multiline_before:  # a quoted cell over two lines before the bad row: line numbers must still be true
        rows[3] = rows[3].replace(b', ""via""', b',\n ""via""')
    rows.insert(BAD_LINE - 1 - (1 if multiline_before else 0), bad)
    path.write_bytes(b"\n".join(rows) + b"\n")
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_a_bad_csv_row_is_rejected_alone_with_its_true_line_and_the_rest_decided(tmp_path: Path, kind: str, jobs: str):
    src = export(tmp_path / "cases.csv", BAD_ROWS[kind])
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    run = run_cli("check", "--cases", str(src), "--keep-going", "--rejects", str(rejects), "-o", str(out),
                  "--jobs", jobs, "--chunk", "7", "--now", NOW, "--quiet", "--fail-on", "none")
    assert run.code == 2, run.err
    decided = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(decided) == ROWS
    rejected = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rejected] == [BAD_LINE]
    assert REASONS[kind].lower() in " ".join(rejected[0]["problems"]).lower()
    assert f"cases.csv:{BAD_LINE}:" in run.err


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_without_keep_going_the_bad_row_is_named_by_its_line(tmp_path: Path, kind: str):
    src = export(tmp_path / "cases.csv", BAD_ROWS[kind])
    run = run_cli("check", "--cases", str(src), "-o", str(tmp_path / "out.jsonl"), "--jobs", "1", "--now", NOW,
                  "--quiet", "--fail-on", "none")
    assert run.code == 2
    assert f"cases.csv:{BAD_LINE}:" in run.err
    assert not (tmp_path / "out.jsonl").exists()


def test_line_numbers_stay_true_after_a_quoted_cell_over_two_lines(tmp_path: Path):
    src = export(tmp_path / "cases.csv", BAD_ROWS["not utf-8"], multiline_before=True)
    rejects = tmp_path / "rejects.jsonl"
    run = run_cli("check", "--cases", str(src), "--keep-going", "--rejects", str(rejects), "-o",
                  str(tmp_path / "o.jsonl"), "--jobs", "1", "--now", NOW, "--quiet", "--fail-on", "none")
    assert run.code == 2
    assert [json.loads(line)["line"] for line in rejects.read_text().splitlines()] == [BAD_LINE]


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_during_check_exits_2_and_leaves_nothing(tmp_path: Path):
    rows = [HEADER] + [good_row(i) for i in range(2000)]
    src = tmp_path / "cases.csv"
    src.write_bytes(b"\n".join(rows) + b"\n")
    outdir = tmp_path / "out"
    outdir.mkdir()
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "check", "--cases", str(src), "-o",
                           str(outdir / "decisions.jsonl"), "--jobs", "1", "--now", NOW, "--quiet", "--fail-on", "none"],
                          capture_output=True, text=True, cwd=ROOT, preexec_fn=_limit_file_size, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert "decisions.jsonl" in proc.stderr
    assert os.listdir(outdir) == []
