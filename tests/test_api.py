"""The public Python API (engine/api.py): plain data in, decisions out, no argparse."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-01-01T00:00:00Z"


def _case(**fields):
    base = {"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
            "submitted_at": "2024-05-01T08:00:00Z",
            "events": [{"type": "human_response", "via": "case_note", "at": "2024-05-01T11:00:00Z"}]}
    return {**base, **fields}


def test_api_decisions_equal_the_cli_on_the_bundled_examples():
    path = ROOT / "examples" / "records" / "cases.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    via_api = Engine.load().evaluate(records, now=NOW).decisions
    cli = subprocess.run([sys.executable, "-m", "engine", "evaluate", str(path), "--now", NOW, "--format", "json",
                          "--fail-on", "none"], capture_output=True, text=True, cwd=ROOT, check=True)
    assert via_api == json.loads(cli.stdout)


def test_api_returns_a_late_answer_as_a_breach_with_the_policy_hash():
    result = Engine.load().evaluate([_case()], now=NOW)
    decision = result.decisions[0]
    assert decision["result"]["response_met"] is False
    assert decision["version"] == "2024-04-24" and len(decision["sha256"]) == 64
    assert result.failing == 1 and result.rejected == []


def test_api_rejects_a_bad_record_and_still_decides_the_others():
    result = Engine.load().evaluate([_case(submitted_at="2024-05-01T08:00:00"), _case(id="C-2")], now=NOW)
    assert [d["record"] for d in result.decisions] == ["C-2"]
    (rejected,) = result.rejected
    assert rejected["index"] == 0
    assert rejected["problems"][0]["path"] == ["submitted_at"]
    assert "offset" in rejected["problems"][0]["message"]


def test_api_rejects_a_duplicate_id_within_one_call():
    result = Engine.load().evaluate([_case(), _case()], now=NOW)
    assert len(result.decisions) == 1
    assert "duplicate record id" in result.rejected[0]["problems"][0]["message"]


def test_api_refuses_a_naive_now_and_an_unknown_family():
    engine = Engine.load()
    with pytest.raises(UsageError, match="offset"):
        engine.evaluate([_case()], now="2026-01-01T00:00:00")
    with pytest.raises(UsageError, match="no policy family 'nope'"):
        engine.evaluate([_case()], policy="nope", now=NOW)


def _readme_block(heading: str, language: str, nth: int = 0) -> str:
    """The `nth` fenced block of `language` in the README section under `heading`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)
    return blocks[nth]


def test_the_readme_python_api_example_runs_and_prints_what_the_readme_says():
    code, expected = _readme_block("## Python API", "python"), _readme_block("## Python API", "text")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout == expected


def test_api_explain_gives_each_decision_its_trace_as_data_and_the_text_sla_explain_prints(tmp_path):
    case = _case()
    result = Engine.load().explain([case], now=NOW)
    decision = result.decisions[0]
    trace = decision.pop("explain")
    assert decision == Engine.load().evaluate([case], now=NOW).decisions[0]  # the decision itself is unchanged
    json.dumps(trace)  # plain data, ready for an HTTP response
    assert trace["revisions"][0]["revision"] == "2024-04-24" and trace["revisions"][0]["anchor"] == "submitted_at"
    assert trace["facts"]["response_minutes"] == "180" and trace["facts"]["response_met"] is False
    rule = next(r for r in trace["rules"] if r["outcome"] == "breached")
    assert rule["steps"] and all(set(step) == {"outcome", "condition", "held"} for step in rule["steps"])
    assert rule["clause_text"]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "engine", "explain", str(path), "--now", NOW],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert trace["text"] == cli.stdout


def test_api_replays_a_bundle_file_as_sla_replay_does():
    path = ROOT / "examples" / "disputes" / "01-simple-timely-claim.yaml"
    verdict = Engine.load().replay(str(path), now=NOW)
    cli = subprocess.run([sys.executable, "-m", "engine", "replay", str(path), "--now", NOW, "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert verdict.to_json() == json.loads(cli.stdout)
