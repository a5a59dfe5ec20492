"""The decision log: `evaluate --log` and `replay --log` append, `sla log` lists and
filters, a run is logged whole or not at all, and concurrent writers lose nothing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, run_cli

RECORDS = ROOT / "examples" / "records"
NOW = "2026-01-01T00:00:00Z"


def _evaluate(log: Path, *files: str):
    return run_cli("evaluate", *(files or (str(RECORDS),)), "--now", NOW, "--fail-on", "none", "--format", "jsonl",
                   "--log", str(log))


def _count_records() -> int:
    run = run_cli("evaluate", str(RECORDS), "--now", NOW, "--fail-on", "none", "--format", "jsonl")
    return len(run.out.splitlines())


def test_evaluate_with_log_appends_one_row_per_decision(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    run = _evaluate(log)
    assert run.code == 0, run.err
    rows = run_cli("log", str(log), "--format", "json").json()
    decided = [json.loads(line) for line in run.out.splitlines()]
    assert [r["record_id"] for r in rows] == [d["record"] for d in decided]
    assert len({r["run_id"] for r in rows}) == 1
    first = rows[0]
    assert first["command"] == "evaluate" and first["source"].startswith(str(RECORDS))
    assert first["decision"] == decided[0]
    assert len(first["input_sha256"]) == 64
    assert all(len(h) == 64 for h in first["policy_sha256"].values())


def test_log_filters_by_customer_month_and_outcome(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    assert _evaluate(log).code == 0
    acme = run_cli("log", str(log), "--customer", "acme", "--format", "json").json()
    assert acme and {r["customer"] for r in acme} == {"acme"}
    march = run_cli("log", str(log), "--customer", "acme", "--month", "2024-03", "--format", "json").json()
    assert march and {r["month"] for r in march} == {"2024-03"} and len(march) < len(acme)
    eligible = run_cli("log", str(log), "--outcome", "eligible", "--format", "json").json()
    assert eligible and all(r["decision"]["result"]["eligible"] is True for r in eligible)
    not_eligible = run_cli("log", str(log), "--outcome", "not_eligible", "--format", "json").json()
    assert {r["record_id"] for r in not_eligible} >= {"CLM-acme-2024-03-filed-0425"}
    breached = run_cli("log", str(log), "--outcome", "breached", "--format", "json").json()
    assert all(r["record_type"] == "case" and r["decision"]["result"]["response_met"] is False for r in breached)


def test_log_table_lists_time_record_revision_outcome_and_input_hash(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    assert _evaluate(log).code == 0
    run = run_cli("log", str(log), "--record", "CLM-acme-2024-03-filed-0425")
    assert run.code == 0
    header, row = run.out.splitlines()
    assert header.split()[:3] == ["ID", "LOGGED", "AT"] and "OUTCOME" in header and "INPUT SHA256" in header
    assert "CLM-acme-2024-03-filed-0425" in row and "2021-01-19+2024-04-24" in row and "not_eligible" in row


def test_replay_with_log_records_the_dispute_and_the_bundle_hash(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    receipt = tmp_path / "receipt.json"
    bundle = ROOT / "examples" / "disputes" / "07-march-2024-filed-04-24-no-case.yaml"
    assert run_cli("replay", str(bundle), "--log", str(log), "--receipt", str(receipt)).code == 0
    rows = run_cli("log", str(log), "--command", "replay", "--format", "json").json()
    assert [r["record_id"] for r in rows] == ["UP-acme-2024-03", "CLM-acme-2024-03"]
    assert {r["bundle_sha256"] for r in rows} == {json.loads(receipt.read_text())["sha256"]["input"]}
    assert rows[1]["outcome"] == "not_eligible" and rows[1]["versions"] == "2021-01-19+2024-04-24"
    assert rows[1]["dispute"].startswith("Acme says it is owed 30% for March 2024")


def test_what_if_replays_are_never_logged_as_decisions_of_other_revisions(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    bundle = ROOT / "examples" / "disputes" / "07-march-2024-filed-04-24-no-case.yaml"
    assert run_cli("replay", str(bundle), "--all-revisions", "--log", str(log)).code == 0
    rows = run_cli("log", str(log), "--format", "json").json()
    assert len(rows) == 2  # the actual verdict's two decisions, not one per revision


def test_a_run_with_bad_input_logs_nothing(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    bad = tmp_path / "bad.jsonl"
    good = (RECORDS / "cases.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad.write_text(good + "\n{not json\n", encoding="utf-8")
    run = _evaluate(log, str(bad))
    assert run.code == 2
    assert not log.exists() or run_cli("log", str(log), "--format", "json").json() == []


def test_keep_going_logs_the_decisions_it_wrote(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    bad = tmp_path / "bad.jsonl"
    good = (RECORDS / "cases.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad.write_text(good + "\n{not json\n", encoding="utf-8")
    run = run_cli("evaluate", str(bad), "--now", NOW, "--keep-going", "--format", "jsonl", "--log", str(log))
    assert run.code == 2
    assert len(run_cli("log", str(log), "--format", "json").json()) == 1


def test_a_log_path_that_is_a_record_file_is_refused(tmp_path: Path):
    run = run_cli("evaluate", "--log", str(RECORDS / "cases.jsonl"), str(RECORDS / "claims.yaml"), "--now", NOW)
    assert run.code == 2 and "is not a decision log" in run.err


def test_listing_a_missing_log_is_a_clear_error(tmp_path: Path):
    run = run_cli("log", str(tmp_path / "none.sqlite"))
    assert run.code == 2 and "no decision log here" in run.err


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "notes.sqlite"
    path.write_text("this is not a database\n" * 100, encoding="utf-8")
    run = _evaluate(path)
    assert run.code == 2 and "notes.sqlite" in run.err and "Traceback" not in run.err


def test_the_default_log_path_comes_from_the_environment(tmp_path: Path, monkeypatch):
    log = tmp_path / "from-env.sqlite"
    monkeypatch.setenv("SLA_DECISION_LOG", str(log))
    assert run_cli("evaluate", str(RECORDS / "cases.jsonl"), "--now", NOW, "--fail-on", "none", "--format", "json",
                   "--log").code == 0
    assert log.exists() and run_cli("log", "--format", "json").json()


def test_the_log_is_in_wal_mode(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    assert _evaluate(log).code == 0
    with sqlite3.connect(log) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = """
import sys
from engine.cli import main
log, records, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
for _ in range(runs):
    code = main(["evaluate", records, "--now", "2026-01-01T00:00:00Z", "--fail-on", "none", "--format", "jsonl",
                 "-o", "/dev/null", "--log", log])
    assert code == 0, code
"""


def test_four_concurrent_writers_lose_no_decision(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    runs, writers = 15, 4
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(log), str(RECORDS), str(runs)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(writers)]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()
    per_run = _count_records()
    with sqlite3.connect(log) as conn:
        total, run_ids = conn.execute("SELECT COUNT(*), COUNT(DISTINCT run_id) FROM decisions").fetchone()
        sizes = {n for (n,) in conn.execute("SELECT COUNT(*) FROM decisions GROUP BY run_id")}
        # A run's rows are contiguous: one transaction per run, never interleaved with another.
        spans = conn.execute("SELECT MAX(id) - MIN(id) + 1, COUNT(*) FROM decisions GROUP BY run_id").fetchall()
    assert run_ids == writers * runs
    assert total == writers * runs * per_run
    assert sizes == {per_run}
    assert all(span == count for span, count in spans)


def test_log_limit_lists_the_last_n_matching_decisions_oldest_first(tmp_path: Path):
    log = tmp_path / "decisions.sqlite"
    assert _evaluate(log).code == 0
    every = run_cli("log", str(log), "--format", "json").json()
    last = run_cli("log", str(log), "--limit", "3", "--format", "json").json()
    assert [r["id"] for r in last] == [r["id"] for r in every[-3:]]
