"""The public Python API (engine/api.py): plain data in, decisions out, no argparse."""

from __future__ import annotations

import json
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
