"""`sla watch` from the command line, in real time with the TEST policy's targets
of seconds: warnings, breaches, met, severity changes, bad lines, --follow,
standard input, -o, and the state file's life.

Timers are durable-rules', on wall-clock time with whole-second resolution: an
alert that falls due at instant X is written at the first whole second after X
(plus the pulse margin), so timings are checked to within 1.6 s.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


from conftest import run_cli

from watch_helpers import TEST_POLICIES, Stream, by_case, parse, read_alerts, soon, spawn

POLICIES = ("--policies", str(TEST_POLICIES))
SLACK = timedelta(seconds=1.6)  # the whole second after the instant, plus the pulse margin and a loaded machine


def watch(tmp_path: Path, stream: Stream, *extra: str):
    events = stream.write(tmp_path / "events.jsonl")
    output = tmp_path / "alerts.jsonl"
    result = run_cli("watch", str(events), "-o", str(output), *POLICIES, *extra)
    return result, read_alerts(output)


def one(alerts: list[dict], case: str, kind: str) -> dict:
    found = [a for a in alerts if a["case"] == case and a["alert"] == kind]
    assert len(found) == 1, (case, kind, alerts)
    return found[0]


def test_warnings_breaches_met_and_retargets_in_real_time(tmp_path: Path):
    s = Stream(soon(1.0))
    s.submit("NORESP", 1, "phone")                                           # 3 s: warn 1.5, breach 3
    s.submit("MET", 2).event("automated_reply", "MET", 0.2).event("human_response", "MET", 1.0, via="case_note")
    s.submit("AUTOMATED", 3).event("automated_reply", "AUTOMATED", 0.4)       # 5 s: the reply does not stop it
    s.submit("RETARGET", 4).event("severity_change", "RETARGET", 0.5, to=2)  # 4 s from 0.5: warn 2.5, breach 4.5
    s.submit("WAITING", 1, "portal")                                          # Sev1 on the portal, no request: no clock
    s.submit("ESCALATED", 1, "portal").event("critical_support_request", "ESCALATED", 0.6, via="phone")
    s.lines.sort(key=lambda line: line.get("at") or line["case"]["submitted_at"])
    result, alerts = watch(tmp_path, s)

    assert result.code == 1, result.err  # breaches were written
    assert by_case(alerts) == {
        "MET": ["met"],
        "NORESP": ["warning", "breached"],
        "AUTOMATED": ["warning", "breached"],
        "RETARGET": ["warning", "breached"],
        "ESCALATED": ["warning", "breached"],
    }
    for case, warn_after, deadline_after in [("NORESP", 1.5, 3), ("AUTOMATED", 2.5, 5), ("RETARGET", 2.5, 4.5),
                                             ("ESCALATED", 2.1, 3.6)]:
        warning, breached = one(alerts, case, "warning"), one(alerts, case, "breached")
        due = s.t0 + timedelta(seconds=warn_after)
        assert parse(warning["due"]) == due
        assert due <= parse(warning["at"]) <= due + SLACK, (case, warning)
        deadline = s.t0 + timedelta(seconds=deadline_after)
        assert parse(breached["deadline"]) == deadline
        assert deadline < parse(breached["at"]) <= deadline + SLACK, (case, breached)
    met = one(alerts, "MET", "met")
    assert (met["severity"], met["target_minutes"], met["elapsed_minutes"]) == (2, "0.066666", "0.016666")
    assert met["rule"] == "case.response_target", "the verdict is the policy rule's finding, worded by the policy"
    assert met["message"] == "Initial human response after 0.016666 min, within the 0.066666-minute target for severity 2."
    assert "rule" not in one(alerts, "NORESP", "warning")
    retarget = one(alerts, "RETARGET", "breached")
    assert retarget["severity"] == 2 and parse(retarget["clock_start"]) == s.t0 + timedelta(seconds=0.5)
    assert one(alerts, "ESCALATED", "breached")["severity"] == 1
    for alert in alerts:
        assert alert["revision"] == "2024-10-01" and alert["policy"] == "genesys-cloud"
        assert alert["clause"] == "response.targets" and len(alert["sha256"]) == 64
    assert "4 warning(s), 1 met, 4 breached, 0 bad line(s)" in result.err


def test_a_case_already_overdue_when_read_is_breached_at_once(tmp_path: Path):
    s = Stream(datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc))
    s.submit("OLD", 2).event("automated_reply", "OLD", 1)
    s.submit("ANSWERED", 1, "phone").event("human_response", "ANSWERED", 2, via="phone")
    started = time.monotonic()
    result, alerts = watch(tmp_path, s)
    assert time.monotonic() - started < 5, "nothing to wait for"
    assert by_case(alerts) == {"OLD": ["warning", "breached"], "ANSWERED": ["warning", "met"]}
    assert result.code == 1


def test_messages_come_from_the_policy_in_the_language_asked(tmp_path: Path):
    s = Stream(datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc)).submit("OLD", 2)
    _, alerts = watch(tmp_path, s, "--lang", "zh")
    assert one(alerts, "OLD", "breached")["message"].startswith("严重级别 2 的 0.066666 分钟初始响应目标未达成")


def test_bad_lines_are_reported_with_their_line_and_the_watcher_goes_on(tmp_path: Path):
    s = Stream(datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc))
    s.submit("C-1", 2)                                                                   # line 1
    s.event("human_response", "C-404", 1, via="phone")                                  # 2 unknown case
    s.event("reopened", "C-1", 1)                                                        # 3 unknown type
    s.event("human_response", "C-1", 100)                                                # 4 missing via
    s.event("severity_change", "C-1", 1, to=9)                                          # 5 severity not in the policy
    s.event("human_response", "C-1", 1.5, via="case_note")                              # 6 fine: met
    s.event("automated_reply", "C-1", 1.2)                                               # 7 time goes backwards
    s.event("case_closed", "C-1", 40)                                                    # 8
    s.event("automated_reply", "C-1", 50)                                                # 9 closed case
    s.event("automated_reply", "C-2", 50)                                                # 10 its submission was refused
    text = s.text().splitlines()
    text.insert(1, '{"type": "case_submitted", "case": ')                               # 2 malformed JSON
    text.insert(2, '{"type": "case_submitted", "case": {"id": "C-2", "customer": "a", "severity": 2, '
                   '"channel": "portal", "submitted_at": "2024-11-04T09:00:00"}}')    # 3 naive time
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(text) + "\n", encoding="utf-8")
    output = tmp_path / "alerts.jsonl"
    result = run_cli("watch", str(events), "-o", str(output), *POLICIES)
    assert result.code == 2
    err = result.err.splitlines()
    name = str(events)
    expected = [
        f"{name}:2: not valid JSON",
        f"{name}:3: record C-2: case.submitted_at: '2024-11-04T09:00:00' has no UTC offset",
        f"{name}:4: record C-404: case_id: unknown case 'C-404'",
        f"{name}:5: type: unknown event type 'reopened'",
        f"{name}:6: record C-1: missing required field 'via'",
        f"{name}:7: record C-1: to: unknown severity 9",
        f"{name}:9: record C-1: at: time goes backwards: 2024-11-04T09:00:01.2Z is before the case's previous event at 2024-11-04T09:00:01.5Z",
        f"{name}:11: record C-1: case_id: case C-1 was closed at 2024-11-04T09:00:40Z",
        f"{name}:12: record C-2: case_id: case C-2 is not watched: its case_submitted line 3 was refused",
    ]
    for prefix, line in zip(expected, err):
        assert line.startswith(prefix), (prefix, line)
    assert len(err) == len(expected) + 1 and err[-1].startswith("sla watch: 1 case(s) submitted")
    assert "9 bad line(s)" in err[-1]
    assert by_case(read_alerts(output)) == {"C-1": ["met"]}, "the good lines after the bad ones were taken"


def test_events_from_standard_input(tmp_path: Path):
    s = Stream(datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc))
    s.submit("C-1", 1, "phone", events=[{"type": "human_response", "at": s.at(60), "via": "phone"}])
    result = run_cli("watch", "-", *POLICIES, "--state", str(tmp_path / "state"), stdin=s.text())
    alerts = [json.loads(line) for line in result.out.splitlines()]
    assert [(a["case"], a["alert"]) for a in alerts] == [("C-1", "warning"), ("C-1", "breached")]
    assert result.code == 1
    assert not (tmp_path / "state").exists(), "a finished watch leaves no state behind"


def test_a_finished_watch_removes_its_state_and_a_rerun_writes_the_same_alerts(tmp_path: Path):
    s = Stream(datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc)).submit("C-1", 3)
    first_result, first = watch(tmp_path, s)
    assert not (tmp_path / "alerts.jsonl.state").exists()
    second_result, second = watch(tmp_path, s)
    assert [a["id"] for a in first] == [a["id"] for a in second] and len(first) == 2
    assert first_result.code == second_result.code == 1


def test_state_of_another_watch_is_refused(tmp_path: Path):
    state = tmp_path / "shared.state"
    past = datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc)
    one_file = Stream(past).submit("C-1", 4).write(tmp_path / "one.jsonl")
    other = Stream(past).submit("C-2", 4).write(tmp_path / "other.jsonl")
    process = spawn(str(one_file), "--follow", "--state", str(state), "-o", str(tmp_path / "a.jsonl"), *POLICIES)
    try:
        deadline = time.time() + 20
        while not state.exists() and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        busy = run_cli("watch", str(other), "--state", str(state), *POLICIES)
        assert busy.code == 2 and "another sla watch is using it" in busy.err
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)
    assert state.exists(), "an interrupted watch keeps its state"
    refused = run_cli("watch", str(other), "--state", str(state), *POLICIES)
    assert refused.code == 2 and "this state belongs to another watch: its input was" in refused.err
    fresh = run_cli("watch", str(other), "--state", str(state), "--fresh", "-o", str(tmp_path / "b.jsonl"), *POLICIES,
                    "--policy", "genesys-cloud")
    assert fresh.code == 1 and by_case(read_alerts(tmp_path / "b.jsonl")) == {"C-2": ["warning", "breached"]}


def test_follow_reads_lines_appended_later_and_flushes_each_alert(tmp_path: Path):
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    output = tmp_path / "alerts.jsonl"
    process = spawn(str(events), "--follow", "-o", str(output), *POLICIES)
    try:
        time.sleep(1.5)
        s = Stream(datetime.now(timezone.utc)).submit("LIVE", 1, "phone")
        with events.open("a", encoding="utf-8") as handle:
            handle.write(s.text())
        deadline = time.time() + 10
        while len(read_alerts(output)) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert by_case(read_alerts(output)) == {"LIVE": ["warning", "breached"]}, "read while the watcher still runs"
        assert process.poll() is None, "--follow keeps running"
        with events.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"type": "case_closed", "case_id": "LIVE", "at": s.at(5)}) + "\n")
        time.sleep(1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 1, err
    assert "state kept in" in err
    assert Path(f"{output}.state").exists()


def test_sla_watch_without_durable_rules_says_what_to_install(tmp_path: Path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "durable", None)  # `from durable import engine` now raises ImportError
    result = run_cli("watch", str(Stream(soon()).submit("C-1", 2).write(tmp_path / "e.jsonl")), *POLICIES)
    assert result.code == 2 and "pip install 'sla-engine[live]'" in result.err


def test_an_unwritable_output_is_a_usage_error(tmp_path: Path):
    events = Stream(soon()).submit("C-1", 2).write(tmp_path / "e.jsonl")
    result = run_cli("watch", str(events), "-o", str(tmp_path / "missing" / "alerts.jsonl"), *POLICIES,
                     "--state", str(tmp_path / "state"))
    assert result.code == 2 and "cannot write alerts" in result.err


def test_a_missing_event_file_is_a_usage_error(tmp_path: Path):
    result = run_cli("watch", str(tmp_path / "nope.jsonl"), *POLICIES, "--state", str(tmp_path / "state"))
    assert result.code == 2 and "no such event file" in result.err


EXAMPLE_EVENTS = Path(__file__).resolve().parents[1] / "examples" / "watch" / "events.jsonl"


def test_every_alert_carries_a_message_and_a_breach_without_response_says_so(tmp_path: Path):
    output = tmp_path / "alerts.jsonl"
    result = run_cli("watch", str(EXAMPLE_EVENTS), "-o", str(output))
    assert result.code == 1, result.err
    alerts = read_alerts(output)
    assert {a["alert"] for a in alerts} == {"warning", "met", "breached"}
    assert all(a.get("message") for a in alerts), [a for a in alerts if not a.get("message")]
    warning = one(alerts, "CASE-2002", "warning")
    assert warning["message"] == ("Case CASE-2002 (severity 1): 9 of the 10 minutes to the initial response have passed "
                                  "with no response yet; the deadline is 2025-03-04T09:12:00Z.")
    breaches = [a for a in alerts if a["alert"] == "breached" and a["response_at"] is None]
    assert breaches and all("no response yet" in b["message"] and "null" not in b["message"] for b in breaches)


def test_watch_speaks_chinese_with_lang_zh(tmp_path: Path):
    output = tmp_path / "alerts.jsonl"
    result = run_cli("watch", str(EXAMPLE_EVENTS), "-o", str(output), "--lang", "zh")
    assert result.code == 1, result.err
    assert "sla watch: 已提交 6 个案例" in result.err
    alerts = read_alerts(output)
    assert one(alerts, "CASE-2002", "warning")["message"].startswith("案例 CASE-2002(严重级别 1)")
    breaches = [a for a in alerts if a["alert"] == "breached"]
    assert breaches and all("尚无响应" in b["message"] for b in breaches if b["response_at"] is None)
