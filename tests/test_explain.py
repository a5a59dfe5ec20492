"""`sla explain`: the trace of an uptime month checked against hand-computed numbers."""

import json

from conftest import run_cli

# April 2024 has 30 days: A = 30 x 1440 = 43200 minutes.
# Outages on critical functions: 02:00-02:30 and 02:20-02:40 (union 40 min);
# customer_network 10:00-10:10 overlapping genesys 10:05-10:15 (union 15 min,
# of which only 10:00-10:05 = 5 min is excluded); reporting for 6 h (not critical).
# B = 40 + 15 = 55; C = 5; uptime = (43200 - 55 + 5) / 43200 = 43150/43200 = 863/864
# = 99.88425925...% -> below 99.99 (10%), not below 99 or 97.
MONTH = {
    "type": "uptime", "id": "U-2024-04", "customer": "acme", "month": "2024-04",
    "outages": [
        {"start": "2024-04-09T02:00:00Z", "end": "2024-04-09T02:30:00Z", "functions": ["inbound_voice"], "cause": "genesys"},
        {"start": "2024-04-09T02:20:00Z", "end": "2024-04-09T02:40:00Z", "functions": ["outbound_voice"], "cause": "genesys"},
        {"start": "2024-04-10T10:00:00Z", "end": "2024-04-10T10:10:00Z", "functions": ["ivr_routing"], "cause": "customer_network"},
        {"start": "2024-04-10T10:05:00Z", "end": "2024-04-10T10:15:00Z", "functions": ["ivr_routing"], "cause": "genesys"},
        {"start": "2024-04-20T00:00:00Z", "end": "2024-04-20T06:00:00Z", "functions": ["reporting"], "cause": "genesys"},
    ],
}


def _explain(tmp_path, *args):
    path = tmp_path / "month.json"
    path.write_text(json.dumps(MONTH))
    return run_cli("explain", str(path), *args)


def test_explain_shows_uptime_arithmetic_matching_hand_computation(tmp_path):
    run = _explain(tmp_path)
    assert run.code == 0, run.err
    lines = [line.strip() for line in run.out.splitlines()]
    assert "A = 43200 min (total time in the month); B = 55 min (time in the month during which critical business " \
           "functions were inaccessible); C = 5 min (Uptime Exclusion time in the month)" in lines
    assert "uptime = (A - B + C) / A = (43200 - 55 + 5) / 43200 = 863/864 = 99.884259%" in lines
    assert "tier below 97% (credit 100%): 99.884259 < 97? no" in lines
    assert "tier below 99% (credit 30%): 99.884259 < 99? no" in lines
    assert "tier below 99.99% (credit 10%): 99.884259 < 99.99? yes" in lines
    assert "chosen: the lowest tier the uptime is below, credit 10%" in lines


def test_explain_names_the_revision_and_why(tmp_path):
    run = _explain(tmp_path)
    lines = [line.strip() for line in run.out.splitlines()]
    assert ("record: revision 2021-01-19, in force from 2021-01-19T00:00:00Z; month (first instant) is "
            "2024-04-01T00:00:00Z, on or after that") in lines
    assert "the next revision, 2024-04-24, takes effect 2024-04-24T00:00:00Z, after 2024-04-01T00:00:00Z" in lines


def test_explain_shows_each_rule_outcome_and_quotes_the_clause_in_chinese(tmp_path):
    run = _explain(tmp_path, "--lang", "zh")
    assert run.code == 0
    assert "uptime.credit_tier [credits.tiers](2021-01-19)→ 违约" in run.out
    assert "1. 当 credit_percent (10) > 0 → 是" in run.out
    assert "条款 credits.tiers:“积分。 如果 Genesys Cloud Service 正常运行时间在任何一个月的计费周期内低于下表中的阈值" in run.out
    assert "正常运行时间 = (A - B + C) / A = (43200 - 55 + 5) / 43200 = 863/864 = 99.884259%" in run.out


def test_explain_of_a_bad_record_exits_2_without_a_trace(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(MONTH | {"month": "2024-13"}))
    run = run_cli("explain", str(path))
    assert run.code == 2
    assert run.out == ""
    assert "record U-2024-04: month:" in run.err


def test_explain_lists_every_response_clock_with_its_own_verdict(tmp_path):
    """A Sev3 clock answered late decides the case (breached); the Sev1 clock its
    later escalation opened was met, and explain says so too."""
    import json as _json
    import subprocess
    import sys
    from pathlib import Path as _Path

    record = {"type": "case", "id": "C-9", "customer": "acme", "severity": 3, "channel": "portal",
              "submitted_at": "2025-03-04T09:00:00Z",
              "events": [{"type": "human_response", "at": "2025-03-04T12:00:00Z", "via": "case_note"},  # late
                         {"type": "severity_change", "at": "2025-03-05T09:00:00Z", "to": 1},
                         {"type": "critical_support_request", "at": "2025-03-05T09:01:00Z", "via": "phone"},
                         {"type": "human_response", "at": "2025-03-05T09:05:00Z", "via": "phone"}]}
    path = tmp_path / "case.jsonl"
    path.write_text(_json.dumps(record) + "\n", encoding="utf-8")
    root = _Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "engine", "explain", str(path), "--now", "2026-01-01T00:00:00Z"],
                         cwd=root, capture_output=True, text=True, check=True).stdout
    assert "every response clock, in order = 2" in out
    assert "clock 1: severity 3, started 2025-03-04T09:00:00Z, target 120 min" in out and "→ breached" in out
    assert ("clock 2: severity 1, started 2025-03-05T09:01:00Z, target 10 min, deadline 2025-03-05T09:11:00Z, "
            "first human response 2025-03-05T09:05:00Z") in out and out.count("→ met") >= 1
