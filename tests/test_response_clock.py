"""The initial-response clock of a support case, at each boundary of the issue's
"Response" semantics and the README's "Other severity changes" reading.

Every case here is submitted on or after 2024-04-24 (revision 2024-04-24 or
later), where Sev1 has a 10-minute target by phone and Sev2-4 two hours.
"""

from __future__ import annotations

from datetime import datetime, timezone
from fractions import Fraction

import pytest

from conftest import ROOT, case, decide, run_cli
from engine.policy.family import load_family_dir

SUBMITTED = "2024-06-03T09:00:00Z"


def ev(type_: str, at: str, **extra) -> dict:
    return {"type": type_, "at": at, **extra}


def human(at: str, via: str = "case_note") -> dict:
    return ev("human_response", at, via=via)


def auto(at: str) -> dict:
    return ev("automated_reply", at)


def change(at: str, to: int) -> dict:
    return ev("severity_change", at, to=to)


def request(at: str) -> dict:
    return ev("critical_support_request", at, via="phone")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def finding(decision, rule: str):
    [found] = [f for f in decision.findings if f.rule == rule]
    return found


def response_outcome(decision) -> str:
    return finding(decision, "case.response_target").outcome


# --- minutes from submission to the first human response -------------------


def test_response_minutes_run_from_submission_to_the_first_human_response(genesys):
    d = decide(case(events=[human("2024-06-03T10:30:00Z"), human("2024-06-03T10:45:00Z")]), genesys)
    assert d.result["response_minutes"] == "90"
    assert d.facts["response_minutes"] == Fraction(90)
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_target_minutes"] == "120"
    assert d.result["response_deadline"] == "2024-06-03T11:00:00Z"
    assert d.result["response_met"] is True
    assert response_outcome(d) == "met"


def test_first_human_response_counts_even_when_listed_after_a_later_one(genesys):
    # events are read in time order, not input order
    d = decide(case(events=[human("2024-06-03T11:30:00Z"), human("2024-06-03T09:20:00Z")]), genesys)
    assert d.result["response_minutes"] == "20"
    assert d.result["response_met"] is True


def test_human_response_at_the_instant_of_submission_is_zero_minutes(genesys):
    d = decide(case(severity=1, channel="phone", events=[human(SUBMITTED, via="phone")]), genesys)
    assert d.result["response_minutes"] == "0"
    assert d.result["response_met"] is True


def test_automated_reply_is_never_the_initial_response(genesys):
    d = decide(case(events=[auto("2024-06-03T09:00:01Z"), human("2024-06-03T11:30:00Z")]), genesys)
    assert d.result["response_minutes"] == "150"
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


def test_case_with_only_an_automated_reply_has_no_response_and_breaches_after_deadline(genesys):
    d = decide(case(events=[auto("2024-06-03T09:00:01Z")]), genesys)
    assert d.result["response_minutes"] is None
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


@pytest.mark.parametrize("via", ["case_note", "phone"])
def test_human_response_by_case_note_or_phone_counts(genesys, via):
    d = decide(case(events=[human("2024-06-03T09:45:00Z", via=via)]), genesys)
    assert d.result["response_minutes"] == "45"
    assert d.result["response_met"] is True


# --- the target boundary: exactly the target is met -------------------------


def test_sev1_phone_response_at_exactly_10_minutes_is_met(genesys):
    d = decide(case(severity=1, channel="phone", events=[human("2024-06-03T09:10:00Z", via="phone")]), genesys)
    assert d.result["response_target_minutes"] == "10"
    assert d.result["response_minutes"] == "10"
    assert d.result["response_met"] is True
    assert response_outcome(d) == "met"


def test_sev1_phone_response_at_10_minutes_and_1_millisecond_is_breached(genesys):
    d = decide(case(severity=1, channel="phone", events=[human("2024-06-03T09:10:00.001Z", via="phone")]), genesys)
    assert d.facts["response_minutes"] == Fraction(10) + Fraction(1, 60_000)
    assert d.result["response_minutes"] == "10.000016"  # truncated, never rounded to "10"
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


@pytest.mark.parametrize("severity", [2, 3, 4])
def test_sev2_to_4_response_at_exactly_two_hours_is_met(genesys, severity):
    d = decide(case(severity=severity, events=[human("2024-06-03T11:00:00Z")]), genesys)
    assert d.result["response_target_minutes"] == "120"
    assert d.result["response_met"] is True


@pytest.mark.parametrize("severity", [2, 3, 4])
def test_sev2_to_4_response_one_microsecond_after_two_hours_is_breached(genesys, severity):
    d = decide(case(severity=severity, events=[human("2024-06-03T11:00:00.000001Z")]), genesys)
    assert d.facts["response_minutes"] == Fraction(120) + Fraction(1, 60_000_000)
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


# --- no human response: breached only once the deadline is before --now -----


def test_unanswered_case_is_breached_when_deadline_is_before_now(genesys):
    now = utc("2024-06-03T11:00:00.000001Z")
    d = decide(case(events=[auto("2024-06-03T09:01:00Z")]), genesys, now=now)
    assert d.result["response_minutes"] is None
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


def test_unanswered_case_is_pending_when_deadline_equals_now(genesys):
    now = utc("2024-06-03T11:00:00Z")
    d = decide(case(events=[auto("2024-06-03T09:01:00Z")]), genesys, now=now)
    assert d.result["response_deadline"] == "2024-06-03T11:00:00Z"
    assert d.result["response_minutes"] is None
    assert d.result["response_met"] is None
    assert response_outcome(d) == "info"
    assert not d.failing


def test_unanswered_sev1_is_pending_before_and_at_its_deadline_and_breached_just_after(genesys):
    sev1 = case(severity=1, channel="phone")
    before = decide(sev1, genesys, now=utc("2024-06-03T09:05:00Z"))
    assert before.result["response_deadline"] == "2024-06-03T09:10:00Z"
    assert before.result["response_met"] is None
    assert decide(sev1, genesys, now=utc("2024-06-03T09:10:00Z")).result["response_met"] is None
    assert decide(sev1, genesys, now=utc("2024-06-03T09:10:00.000001Z")).result["response_met"] is False


def test_unanswered_sev2_is_pending_one_microsecond_before_its_deadline(genesys):
    d = decide(case(), genesys, now=utc("2024-06-03T10:59:59.999999Z"))
    assert d.result["response_met"] is None


def test_cli_now_with_offset_equal_to_the_deadline_keeps_the_case_pending(tmp_path):
    path = tmp_path / "case.json"
    path.write_text('{"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",'
                    ' "submitted_at": "2024-06-03T09:00:00Z", "events": []}')
    at_deadline = run_cli("evaluate", str(path), "--format", "json", "--now", "2024-06-03T19:00:00+08:00")
    assert at_deadline.code == 0, at_deadline.err
    assert at_deadline.json()[0]["result"]["response_met"] is None
    after = run_cli("evaluate", str(path), "--format", "json", "--now", "2024-06-03T19:00:00.001+08:00")
    assert after.code == 1, after.err
    assert after.json()[0]["result"]["response_met"] is False


# --- Sev1 on the portal ------------------------------------------------------


def test_sev1_submitted_via_portal_is_a_customer_violation(genesys):
    d = decide(case(severity=1, channel="portal", events=[request("2024-06-03T09:05:00Z"),
                                                        human("2024-06-03T09:06:00Z", via="phone")]), genesys)
    assert finding(d, "case.submission_channel").outcome == "violation"
    assert d.failing


def test_sev1_submitted_by_phone_is_not_a_channel_violation(genesys):
    d = decide(case(severity=1, channel="phone", events=[human("2024-06-03T09:06:00Z", via="phone")]), genesys)
    assert finding(d, "case.submission_channel").outcome == "met"
    assert not d.failing


def test_sev1_portal_clock_starts_at_the_phone_critical_support_request(genesys):
    # a human response before the request does not answer the Sev1 clock
    d = decide(case(severity=1, channel="portal", events=[
        human("2024-06-03T09:05:00Z"), request("2024-06-03T09:20:00Z"), human("2024-06-03T09:30:00Z", via="phone")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T09:20:00Z"
    assert d.result["response_deadline"] == "2024-06-03T09:30:00Z"
    assert d.result["response_minutes"] == "10"
    assert d.result["response_met"] is True
    assert response_outcome(d) == "met"


def test_sev1_portal_response_10_minutes_and_1_millisecond_after_the_request_is_breached(genesys):
    d = decide(case(severity=1, channel="portal", events=[
        request("2024-06-03T09:20:00Z"), human("2024-06-03T09:30:00.001Z", via="phone")]), genesys)
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


def test_sev1_portal_response_at_the_instant_of_the_request_counts(genesys):
    d = decide(case(severity=1, channel="portal", events=[
        request("2024-06-03T09:20:00Z"), human("2024-06-03T09:20:00Z", via="phone")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T09:20:00Z"
    assert d.result["response_minutes"] == "0"
    assert d.result["response_met"] is True


def test_sev1_portal_without_critical_support_request_has_null_response_met(genesys):
    # even with a quick human response and long after any deadline
    d = decide(case(severity=1, channel="portal", events=[human("2024-06-03T09:05:00Z", via="phone")]), genesys)
    assert d.result["clock_start"] is None
    assert d.result["response_deadline"] is None
    assert d.result["response_minutes"] is None
    assert d.result["response_met"] is None
    assert response_outcome(d) == "not_applicable"
    assert finding(d, "case.submission_channel").outcome == "violation"


def test_critical_support_request_on_portal_only_counts_by_phone(genesys):
    # a request "via portal" is not the phone request the policy asks for
    d = decide(case(severity=1, channel="portal", events=[
        ev("critical_support_request", "2024-06-03T09:20:00Z", via="portal"), human("2024-06-03T09:25:00Z", via="phone")]), genesys)
    assert d.result["clock_start"] is None
    assert d.result["response_met"] is None


# --- severity_change to 1 on a portal case ------------------------------------


def test_severity_change_to_1_on_portal_case_clock_starts_at_the_phone_request(genesys):
    d = decide(case(severity=2, channel="portal", events=[
        change("2024-06-03T09:30:00Z", 1), request("2024-06-03T09:40:00Z"), human("2024-06-03T09:50:00Z", via="phone")]), genesys)
    assert d.result["current_severity"] == 1
    assert d.result["clock_start"] == "2024-06-03T09:40:00Z"
    assert d.result["response_target_minutes"] == "10"
    assert d.result["response_minutes"] == "10"
    assert d.result["response_met"] is True
    assert finding(d, "case.critical_support_request").outcome == "met"
    assert finding(d, "case.submission_channel").outcome == "met"  # opened as Sev2 on the portal: allowed


def test_severity_change_to_1_on_portal_case_response_just_after_10_minutes_from_request_is_breached(genesys):
    d = decide(case(severity=2, channel="portal", events=[
        change("2024-06-03T09:30:00Z", 1), request("2024-06-03T09:40:00Z"), human("2024-06-03T09:50:00.001Z", via="phone")]), genesys)
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


def test_severity_change_to_1_on_portal_case_without_phone_request_is_violation_with_null_response(genesys):
    d = decide(case(severity=2, channel="portal", events=[
        change("2024-06-03T09:30:00Z", 1), human("2024-06-03T09:35:00Z", via="phone")]), genesys)
    assert finding(d, "case.critical_support_request").outcome == "violation"
    assert d.result["clock_start"] is None
    assert d.result["response_met"] is None
    assert response_outcome(d) == "not_applicable"


def test_severity_change_to_1_after_initial_response_opens_a_new_clock_at_the_request(genesys):
    d = decide(case(severity=2, channel="portal", events=[
        human("2024-06-03T09:10:00Z"), change("2024-06-03T10:00:00Z", 1), request("2024-06-03T10:05:00Z"),
        human("2024-06-03T10:16:00Z", via="phone")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T10:05:00Z"
    assert d.result["response_minutes"] == "11"
    assert d.result["response_met"] is False


def test_late_initial_response_stays_breached_when_the_case_is_later_escalated_to_sev1(genesys):
    # Sev2 answered after 180 min (breached), then escalated to Sev1 and that clock met in 5 min:
    # the breach is not wiped out by the later, met escalation clock (the first breached clock decides).
    d = decide(case(severity=2, channel="portal", events=[
        human("2024-06-03T12:00:00Z"), change("2024-06-03T13:00:00Z", 1), request("2024-06-03T13:05:00Z"),
        human("2024-06-03T13:10:00Z", via="phone")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_minutes"] == "180"
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


def test_timely_initial_response_then_met_escalation_is_met(genesys):
    d = decide(case(severity=2, channel="portal", events=[
        human("2024-06-03T11:00:00Z"), change("2024-06-03T13:00:00Z", 1), request("2024-06-03T13:05:00Z"),
        human("2024-06-03T13:15:00Z", via="phone")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T13:05:00Z"
    assert d.result["response_minutes"] == "10"
    assert d.result["response_met"] is True


def test_each_escalation_to_sev1_on_the_portal_needs_its_own_phone_request(genesys):
    # Sev1 on the portal, requested by phone at 09:20, lowered to 2, raised to 1 again at 09:40:
    # the 09:20 request was spent on the first Sev1 clock and does not start the second
    events = [request("2024-06-03T09:20:00Z"), change("2024-06-03T09:25:00Z", 2), change("2024-06-03T09:40:00Z", 1)]
    without = decide(case(severity=1, channel="portal", events=events + [human("2024-06-03T09:50:00Z", via="phone")]), genesys)
    assert without.result["clock_start"] is None
    assert without.result["response_met"] is None
    assert finding(without, "case.critical_support_request").outcome == "violation"
    again = decide(case(severity=1, channel="portal", events=events + [
        request("2024-06-03T09:45:00Z"), human("2024-06-03T09:55:00Z", via="phone")]), genesys)
    assert again.result["clock_start"] == "2024-06-03T09:45:00Z"
    assert again.result["response_minutes"] == "10"
    assert again.result["response_met"] is True


def test_severity_change_to_1_on_phone_case_needs_no_request(genesys):
    d = decide(case(severity=2, channel="phone", events=[
        change("2024-06-03T09:30:00Z", 1), human("2024-06-03T09:40:00Z", via="phone")]), genesys)
    assert finding(d, "case.critical_support_request").outcome == "not_applicable"
    assert d.result["clock_start"] == "2024-06-03T09:30:00Z"
    assert d.result["response_target_minutes"] == "10"
    assert d.result["response_met"] is True


# --- other severity changes under the older rule (restart at the change) ---
# `severity_change: {shorter_target: restart_at_change, longer_or_equal_target:
# restart_at_change}` is what `retarget_clock_from: change` meant before issue 10;
# it stays selectable, and these tests pin it.

DEFAULT_SETTING = "severity_change: {shorter_target: from_change, longer_or_equal_target: from_submission}"


def policy_copy(tmp_path, replacement: str):
    """The bundled 2024-04-24 revision with its severity_change setting replaced."""
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    text = (ROOT / "policies" / "genesys-cloud" / "2024-04-24.yaml").read_text(encoding="utf-8")
    assert text.count(DEFAULT_SETTING) == 1
    (folder / "2024-04-24.yaml").write_text(text.replace(DEFAULT_SETTING, replacement), encoding="utf-8")
    return load_family_dir(folder)


@pytest.fixture
def restart(tmp_path):
    """The older rule, as the new setting."""
    return policy_copy(tmp_path, "severity_change: {shorter_target: restart_at_change, longer_or_equal_target: restart_at_change}")


@pytest.fixture
def legacy(tmp_path):
    """The older rule, as the older setting `retarget_clock_from: change`."""
    return policy_copy(tmp_path, "retarget_clock_from: change")


@pytest.fixture(params=["restart", "legacy"])
def older_rule(request):
    return request.getfixturevalue(request.param)


def test_severity_change_before_response_retargets_clock_from_the_change(older_rule):
    # from the change: 90 min <= 120 (from submission it would be 150 min, breached)
    d = decide(case(severity=3, events=[change("2024-06-03T10:00:00Z", 2), human("2024-06-03T11:30:00Z")]), older_rule)
    assert d.result["current_severity"] == 2
    assert d.result["clock_start"] == "2024-06-03T10:00:00Z"
    assert d.result["response_minutes"] == "90"
    assert d.result["response_met"] is True


@pytest.mark.parametrize("setting", ["retarget_clock_from: submission",
                                     "severity_change: {shorter_target: from_submission, longer_or_equal_target: from_submission}"])
def test_retarget_from_submission_is_a_policy_setting(tmp_path, setting):
    # the same case under a copy of 2024-04-24 measuring every change from submission
    family = policy_copy(tmp_path, setting)
    d = decide(case(severity=3, events=[change("2024-06-03T10:00:00Z", 2), human("2024-06-03T11:30:00Z")]), family)
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_minutes"] == "150"
    assert d.result["response_met"] is False


def test_upgrade_to_sev1_on_phone_case_retargets_to_10_minutes_from_the_change(genesys):
    # the default rule too: 10 minutes from the change, 09:40, well before the Sev2 deadline
    d = decide(case(severity=2, channel="phone", events=[
        change("2024-06-03T09:30:00Z", 1), human("2024-06-03T09:40:00.001Z", via="phone")]), genesys)
    assert d.result["response_target_minutes"] == "10"
    assert d.result["response_met"] is False


def test_downgrade_before_response_gives_the_lower_severity_target(older_rule):
    d = decide(case(severity=1, channel="phone", events=[
        change("2024-06-03T09:05:00Z", 2), human("2024-06-03T10:00:00Z")]), older_rule)
    assert d.result["response_target_minutes"] == "120"
    assert d.result["clock_start"] == "2024-06-03T09:05:00Z"
    assert d.result["response_minutes"] == "55"
    assert d.result["response_met"] is True


def test_clock_breached_before_a_severity_change_stays_breached(genesys):
    # the Sev2 deadline 11:00 passed before the change to Sev3 at 11:30
    d = decide(case(severity=2, events=[change("2024-06-03T11:30:00Z", 3), human("2024-06-03T11:45:00Z")]), genesys)
    assert d.result["current_severity"] == 3
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_minutes"] == "165"
    assert d.result["response_met"] is False
    assert response_outcome(d) == "breached"


def test_sev1_clock_breached_before_a_downgrade_stays_breached(genesys):
    d = decide(case(severity=1, channel="phone", events=[
        change("2024-06-03T09:15:00Z", 2), human("2024-06-03T09:20:00Z", via="phone")]), genesys)
    assert d.result["response_target_minutes"] == "10"
    assert d.result["response_met"] is False


def test_change_exactly_at_the_deadline_is_not_a_breach_and_retargets(older_rule):
    d = decide(case(severity=2, events=[change("2024-06-03T11:00:00Z", 3), human("2024-06-03T12:00:00Z")]), older_rule)
    assert d.result["clock_start"] == "2024-06-03T11:00:00Z"
    assert d.result["response_minutes"] == "60"
    assert d.result["response_met"] is True


def test_change_one_microsecond_after_the_deadline_keeps_the_breach(genesys):
    d = decide(case(severity=2, events=[change("2024-06-03T11:00:00.000001Z", 3), human("2024-06-03T12:00:00Z")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_met"] is False


def test_severity_change_after_initial_response_does_not_reopen_the_clock(genesys):
    d = decide(case(severity=3, events=[human("2024-06-03T09:10:00Z"), change("2024-06-03T10:00:00Z", 2)]), genesys)
    assert d.result["current_severity"] == 2
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_minutes"] == "10"
    assert d.result["response_met"] is True


def test_severity_change_at_the_same_instant_as_the_response_does_not_reopen_the_clock(genesys):
    # a response and a change at one instant: the response came no later than the change
    d = decide(case(severity=3, events=[human("2024-06-03T10:00:00Z"), change("2024-06-03T10:00:00Z", 2)]), genesys)
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_minutes"] == "60"


def test_severity_change_to_the_same_severity_does_not_restart_the_clock(genesys):
    d = decide(case(severity=2, events=[change("2024-06-03T10:00:00Z", 2), human("2024-06-03T11:30:00Z")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_minutes"] == "150"
    assert d.result["response_met"] is False


# --- offsets ----------------------------------------------------------------


def test_offsets_are_normalised_to_one_instant_for_the_clock(genesys):
    # submitted 17:00+08:00 = 09:00Z; answered 05:10-04:00 = 09:10Z: exactly 10 minutes
    d = decide(case(severity=1, channel="phone", submitted_at="2024-06-03T17:00:00+08:00",
                    events=[human("2024-06-03T05:10:00-04:00", via="phone")]), genesys)
    assert d.result["clock_start"] == "2024-06-03T09:00:00Z"
    assert d.result["response_minutes"] == "10"
    assert d.result["response_met"] is True


def test_offset_response_one_millisecond_late_is_breached(genesys):
    d = decide(case(severity=1, channel="phone", submitted_at="2024-06-03T17:00:00+08:00",
                    events=[human("2024-06-03T09:10:00.001Z", via="phone")]), genesys)
    assert d.result["response_met"] is False


def test_offset_response_across_midnight_is_counted_across_days(genesys):
    # 2024-06-03T23:30-01:00 is 2024-06-04T00:30Z; answered 02:15+01:00 = 01:15Z: 45 minutes
    d = decide(case(submitted_at="2024-06-03T23:30:00-01:00", events=[human("2024-06-04T02:15:00+01:00")]), genesys)
    assert d.result["clock_start"] == "2024-06-04T00:30:00Z"
    assert d.result["response_minutes"] == "45"
