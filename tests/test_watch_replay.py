"""Deterministic replays and several warning points.

A finished log (every instant in the past) is replayed without waiting: every
alert is a function of the events, stamped with the instant that caused it (the
event's `at`, or for a timer the instant it fell due: the warning instant, or the
first instant after the deadline), never the wall clock. So two replays write
byte-identical alert files.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import run_cli

from watch_helpers import TEST_POLICIES, Stream, parse, read_alerts

POLICIES = ("--policies", str(TEST_POLICIES))
PAST = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
US = timedelta(microseconds=1)


def finished_log(path: Path) -> Path:
    s = Stream(PAST)
    s.submit("NORESP", 2, offset=0)                       # 4 s: warning at 2 s (timer), breach after 4 s (timer)
    s.submit("ANSWERED", 3, offset=0.5)                   # 5 s: answered at 3 s, after its warning
    s.event("human_response", "ANSWERED", 3.5, via="case_note")
    s.submit("ESCALATED", 3, offset=1)                    # Sev3 (5 s) answered late: breached; then escalated
    s.event("human_response", "ESCALATED", 7, via="case_note")  # to Sev1, whose clock runs from the phone request
    s.event("severity_change", "ESCALATED", 7.5, to=1)
    s.event("critical_support_request", "ESCALATED", 8, via="phone")
    s.event("human_response", "ESCALATED", 10, via="phone")  # Sev1 3 s from 8 s: warning at 9.5 s, met
    s.lines.sort(key=lambda line: parse(line.get("at") or line["case"]["submitted_at"]))
    return s.write(path)


def test_two_replays_of_a_finished_log_write_identical_alerts(tmp_path: Path):
    events = finished_log(tmp_path / "events.jsonl")
    outputs = []
    for name in ("a", "b"):
        output = tmp_path / f"{name}.jsonl"
        result = run_cli("watch", str(events), "-o", str(output), *POLICIES, "--state", str(tmp_path / f"{name}.state"))
        assert result.code == 1, result.err
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0]


def test_timer_alerts_of_a_replay_carry_the_instant_they_fell_due(tmp_path: Path):
    events = finished_log(tmp_path / "events.jsonl")
    result = run_cli("watch", str(events), "-o", str(tmp_path / "a.jsonl"), *POLICIES, "--state", str(tmp_path / "s"))
    assert result.code == 1, result.err
    alerts = {(a["case"], a["clock"], a["alert"]): a for a in read_alerts(tmp_path / "a.jsonl")}
    warning, breached = alerts[("NORESP", 1, "warning")], alerts[("NORESP", 1, "breached")]
    assert parse(warning["at"]) == parse(warning["due"]) == PAST + timedelta(seconds=2)
    assert parse(breached["due"]) == parse(breached["deadline"]) == PAST + timedelta(seconds=4)
    assert parse(breached["at"]) == PAST + timedelta(seconds=4) + US, "the first instant after the deadline"
    met = alerts[("ANSWERED", 1, "met")]
    assert parse(met["at"]) == PAST + timedelta(seconds=3.5), "the event that caused it"


def test_after_a_breach_a_later_clock_of_the_case_gets_its_own_alerts(tmp_path: Path):
    events = finished_log(tmp_path / "events.jsonl")
    run_cli("watch", str(events), "-o", str(tmp_path / "a.jsonl"), *POLICIES, "--state", str(tmp_path / "s"))
    escalated = [(a["clock"], a["severity"], a["alert"]) for a in read_alerts(tmp_path / "a.jsonl") if a["case"] == "ESCALATED"]
    assert escalated == [(1, 3, "warning"), (1, 3, "breached"), (2, 1, "warning"), (2, 1, "met")]


def test_each_warning_point_of_the_policy_fires_once(tmp_path: Path):
    text = (TEST_POLICIES / "genesys-cloud" / "2024-10-01.yaml").read_text(encoding="utf-8")
    line = '  warning_share: "0.5"   # TEST: warn half way\n'
    assert text.count(line) == 1
    folder = tmp_path / "policies" / "genesys-cloud"
    folder.mkdir(parents=True)
    (folder / "2024-10-01.yaml").write_text(text.replace(line, '  warning_shares: ["0.5", "0.25", "0.75"]\n'), encoding="utf-8")
    s = Stream(PAST)
    s.submit("LATE", 2, offset=0)  # 4 s target: warnings at 1 s, 2 s, 3 s
    s.event("human_response", "LATE", 2.5, via="case_note")  # answered after two of them
    s.submit("NEVER", 2, offset=0)
    events = s.write(tmp_path / "events.jsonl")
    output = tmp_path / "alerts.jsonl"
    result = run_cli("watch", str(events), "-o", str(output), "--policies", str(tmp_path / "policies"))
    assert result.code == 1, result.err
    alerts = read_alerts(output)
    late = [(a["alert"], a.get("warning_share"), a["due"]) for a in alerts if a["case"] == "LATE"]
    assert late == [("warning", "0.25", "2026-03-02T09:00:01Z"), ("warning", "0.5", "2026-03-02T09:00:02Z"),
                    ("met", None, "2026-03-02T09:00:02.5Z")]
    never = [(a["alert"], a.get("warning_share")) for a in alerts if a["case"] == "NEVER"]
    assert never == [("warning", "0.25"), ("warning", "0.5"), ("warning", "0.75"), ("breached", None)]
    assert len({a["id"] for a in alerts}) == len(alerts), "each warning has its own id"


def test_a_policy_with_both_warning_forms_is_refused(tmp_path: Path):
    text = (TEST_POLICIES / "genesys-cloud" / "2024-10-01.yaml").read_text(encoding="utf-8")
    line = '  warning_share: "0.5"   # TEST: warn half way\n'
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    (folder / "2024-10-01.yaml").write_text(text.replace(line, line + '  warning_shares: ["0.5"]\n'), encoding="utf-8")
    result = run_cli("validate", str(tmp_path))
    assert result.code == 1 and "warning_share" in result.out + result.err, result
