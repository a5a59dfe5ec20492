"""The live clock of one case (engine/watch/clock.py), driven by an injected clock:
every instant is given, so the boundaries are tested exactly, with no waiting.

The TEST policy (tests/fixtures/watch_policies) has targets of Sev1 3 s, Sev2 4 s,
Sev3 5 s, Sev4 6 s and a warning share of 0.5.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from engine.policy.family import Revision, load_policies
from engine.core.records import Source, parse_record
from engine.core.facts.case import case_facts
from engine.watch.clock import CaseClock, warning_instant, warning_share

from watch_helpers import TEST_POLICIES, iso

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
US = timedelta(microseconds=1)


@pytest.fixture(scope="module")
def revision() -> Revision:
    return load_policies(TEST_POLICIES)["genesys-cloud"].revisions[0]


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def opened(revision: Revision, severity: int = 2, channel: str = "portal", **extra: Any) -> CaseClock:
    raw = {"type": "case", "id": "C-1", "customer": "acme", "severity": severity, "channel": channel,
           "submitted_at": iso(T0), **extra}
    case = CaseClock.submitted(parse_record(raw, Source("<test>", 1)), revision)
    assert case.advance(T0) == []
    return case


def event(kind: str, seconds: float, **fields: Any) -> tuple[dict[str, Any], datetime]:
    return {"type": kind, "at": iso(s(seconds)), **fields}, s(seconds)


def kinds(alerts: list[Any]) -> list[str]:
    return [a.kind for a in alerts]


def test_the_warning_share_is_read_from_the_policy(revision):
    assert str(warning_share(revision)) == "1/2"
    assert warning_instant(T0, revision.severities[2].target_minutes, warning_share(revision)) == s(2)


def test_a_warning_comes_exactly_when_the_share_of_the_target_has_passed(revision):
    case = opened(revision, severity=2)  # 4 s target: warning at 2 s
    assert case.next_wake() == s(2)
    assert case.advance(s(2) - US) == []
    (warning,) = case.advance(s(2))
    assert warning.kind == "warning" and warning.severity == 2 and warning.elapsed_minutes * 60 == 2
    assert case.advance(s(3)) == [], "a warning is written once"


def test_breached_only_after_the_deadline_not_at_it(revision):
    case = opened(revision, severity=1, channel="phone")  # 3 s
    assert kinds(case.advance(s(1.5))) == ["warning"]
    assert case.next_wake() == s(3) + US
    assert case.advance(s(3)) == [], "exactly at the deadline the clock is not yet breached"
    (breached,) = case.advance(s(3) + US)
    assert breached.kind == "breached" and breached.target_minutes * 60 == 3
    assert breached.due == breached.deadline == s(3) and breached.at == s(3) + US
    assert case.next_wake() is None and case.status() == "decided"


def test_a_response_exactly_at_the_deadline_is_met(revision):
    case = opened(revision, severity=1, channel="phone")
    alerts, late = case.apply(*event("human_response", 3, via="phone"))
    assert kinds(alerts) == ["warning", "met"], "the warning fell due at 1.5 s, before the response"
    assert late is None
    assert alerts[-1].elapsed_minutes * 60 == 3 and alerts[-1].response_at == s(3)
    assert [a.due for a in alerts] == [s(1.5), s(3)], "each says when it fell due"


def test_a_response_before_the_warning_is_met_without_a_warning(revision):
    case = opened(revision, severity=4)
    alerts, _ = case.apply(*event("human_response", 1, via="case_note"))
    assert kinds(alerts) == ["met"]
    assert case.next_wake() is None


def test_an_automated_reply_never_stops_the_clock(revision):
    case = opened(revision, severity=2)
    alerts, _ = case.apply(*event("automated_reply", 0.5))
    assert alerts == [] and case.status() == "running" and case.next_wake() == s(2)
    assert kinds(case.advance(s(4) + US)) == ["warning", "breached"]


def test_a_human_response_by_a_channel_the_policy_does_not_count_does_not_stop_it(revision):
    case = opened(revision, severity=2)
    alerts, _ = case.apply(*event("critical_support_request", 1, via="portal"))
    assert alerts == [] and case.status() == "running"


def test_a_severity_change_before_the_response_retargets_from_the_change(revision):
    case = opened(revision, severity=4)  # 6 s: deadline 6 s
    alerts, _ = case.apply(*event("severity_change", 1, to=2))  # now 4 s from 1 s: warning 3 s, deadline 5 s
    assert alerts == []
    assert case.next_wake() == s(3)
    assert kinds(case.advance(s(3))) == ["warning"]
    (breached,) = case.advance(s(5) + US)
    assert breached.kind == "breached" and breached.severity == 2 and breached.clock_start == s(1)
    assert breached.deadline == s(5)


def test_a_severity_change_after_the_deadline_leaves_the_clock_breached(revision):
    case = opened(revision, severity=2)
    assert kinds(case.advance(s(4) + US)) == ["warning", "breached"]
    alerts, _ = case.apply(*event("severity_change", 6, to=4))
    assert case.record and case_facts(case.record, revision, s(6))["response_met"] is False, \
        "the breach written stands: the first breached clock decides the case, as in batch"
    # Every clock: the change opens a Sev4 clock (a longer target: from submission,
    # 6 s), which gets its own alerts; its warning point (3 s) had passed by the change.
    (warning,) = alerts
    assert (warning.kind, warning.severity, warning.clock, warning.clock_start, warning.due) == ("warning", 4, 2, T0, s(3))
    assert warning.at == s(6), "stamped with the event that caused it"
    assert case.next_wake() == s(6) + US
    (breached,) = case.advance(s(6) + US)
    assert (breached.kind, breached.clock, breached.deadline) == ("breached", 2, s(6))
    assert breached.to_json()["clock"] == 2 and case.next_wake() is None


def test_sev1_on_the_portal_waits_for_a_critical_support_request_by_phone(revision):
    case = opened(revision, severity=1, channel="portal")
    assert case.status() == "waiting" and case.next_wake() is None
    assert case.advance(s(60)) == [], "no clock runs without the request"
    alerts, _ = case.apply(*event("critical_support_request", 61, via="phone"))
    assert alerts == [] and case.next_wake() == s(62.5)
    (breached,) = [a for a in case.advance(s(64) + US) if a.kind == "breached"]
    assert breached.clock_start == s(61)


def test_an_escalation_after_a_met_response_opens_a_new_clock(revision):
    case = opened(revision, severity=2, channel="portal")
    assert kinds(case.apply(*event("human_response", 1, via="case_note"))[0]) == ["met"]
    assert kinds(case.apply(*event("severity_change", 2, to=1))[0]) == []
    assert case.status() == "waiting"
    case.apply(*event("critical_support_request", 3, via="phone"))
    assert case.next_wake() == s(4.5)
    alerts, _ = case.apply(*event("human_response", 5, via="phone"))
    assert [(a.kind, a.severity) for a in alerts] == [("warning", 1), ("met", 1)]
    assert len({a.id for a in alerts}) == 2


def test_a_late_response_is_breached_with_the_warning_before_it(revision):
    case = opened(revision, severity=2)
    alerts, _ = case.apply(*event("human_response", 7, via="case_note"))
    assert kinds(alerts) == ["warning", "breached"]


def test_evaluating_again_repeats_nothing_and_ids_are_stable(revision):
    case = opened(revision, severity=2)
    first = case.advance(s(10))
    assert kinds(first) == ["warning", "breached"]
    assert case.advance(s(11)) == [] and case.advance(s(10)) == []
    assert [a.id for a in first] == [f"C-1/2/{iso(T0).replace('.000000', '')}/warning",
                                     f"C-1/2/{iso(T0).replace('.000000', '')}/breached"]


def test_a_restored_case_does_not_repeat_alerts_it_had_written(revision):
    case = opened(revision, severity=2)
    written = {a.id for a in case.advance(s(2))}
    restored = CaseClock(dict(case.raw), revision, case.source, case.horizon, set(written), case.last_alert_at)
    assert kinds(restored.advance(s(4) + US)) == ["breached"]


def test_closing_a_running_case_ends_its_clock_without_a_verdict(revision):
    case = opened(revision, severity=2)
    assert kinds(case.close(s(1))) == []
    assert case.next_wake() is None and case.status() == "closed"


def test_closing_after_the_deadline_writes_the_breach_that_fell_due(revision):
    case = opened(revision, severity=2)
    assert kinds(case.close(s(9))) == ["warning", "breached"]


def test_an_event_older_than_the_alerts_written_is_reported_late(revision):
    case = opened(revision, severity=2)
    assert kinds(case.advance(s(5))) == ["warning", "breached"]
    alerts, late = case.apply(*event("human_response", 3, via="case_note"))
    assert alerts == [], "a clock gets one verdict: the breach written stands"
    assert late is not None and late.event_at == s(3) and late.alert_at == s(5)


def test_without_a_warning_share_there_are_no_warnings(tmp_path: Path):
    text = (TEST_POLICIES / "genesys-cloud" / "2024-10-01.yaml").read_text(encoding="utf-8")
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    line = '  warning_share: "0.5"   # TEST: warn half way\n'
    assert text.count(line) == 1
    (folder / "2024-10-01.yaml").write_text(text.replace(line, ""), encoding="utf-8")
    revision = load_policies(tmp_path)["genesys-cloud"].revisions[0]
    case = opened(revision, severity=2)
    assert case.next_wake() == s(4) + US
    assert kinds(case.advance(s(5))) == ["breached"]
