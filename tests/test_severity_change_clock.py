"""Issue 10, item 1 and 4: a severity change never extends a running response
deadline, and an escalation to Sev1 after the first reply opens a new clock on
every channel.

The default rule of the bundled revisions (`response.severity_change`): a
shorter target runs from the change, a longer or equal one from submission, and

    new_deadline = max(submitted_at + T_new, min(changed_at + T_new, current_deadline))

Every case here is submitted 2024-06-03T08:00Z (revision 2024-04-24: Sev1 ten
minutes by phone, Sev2-4 two hours).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import ROOT, case, decide
from engine.policy.family import load_family_dir

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=timezone.utc)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def change(minutes: float, to: int) -> dict:
    return {"type": "severity_change", "at": at(minutes), "to": to}


def human(minutes: float, via: str = "case_note") -> dict:
    return {"type": "human_response", "at": at(minutes), "via": via}


def request(minutes: float) -> dict:
    return {"type": "critical_support_request", "at": at(minutes), "via": "phone"}


def decided(severity: int, channel: str, events: list[dict], family):
    return decide(case(severity=severity, channel=channel, submitted_at=at(0), events=events), family)


def response(d) -> str:
    [found] = [f for f in d.findings if f.rule == "case.response_target"]
    return found.outcome


# --- the four examples of the issue ---------------------------------------------


def test_sev4_raised_to_sev1_at_60_minutes_is_due_10_minutes_after_the_change(genesys):
    d = decided(4, "phone", [change(60, 1)], genesys)
    assert d.result["response_deadline"] == at(70)
    assert d.result["clock_start"] == at(60)
    assert d.result["response_target_minutes"] == "10"


def test_sev2_lowered_to_sev3_at_119_minutes_stays_due_two_hours_after_submission(genesys):
    d = decided(2, "portal", [change(119, 3)], genesys)
    assert d.result["response_deadline"] == at(120)
    assert d.result["clock_start"] == at(0)


def test_sev1_lowered_to_sev2_at_5_minutes_is_due_two_hours_after_submission(genesys):
    d = decided(1, "phone", [change(5, 2)], genesys)
    assert d.result["response_deadline"] == at(120)
    assert d.result["clock_start"] == at(0)
    assert d.result["response_target_minutes"] == "120"


def test_sev2_raised_to_sev1_at_5_minutes_is_due_10_minutes_after_the_change(genesys):
    d = decided(2, "phone", [change(5, 1)], genesys)
    assert d.result["response_deadline"] == at(15)
    assert d.result["clock_start"] == at(5)


# --- the case the audit found ----------------------------------------------------


def test_relabelling_sev2_to_sev3_does_not_give_a_second_two_hours(genesys):
    # submitted 08:00, relabelled 09:59, answered 11:00: three hours after submission
    d = decided(2, "portal", [change(119, 3), human(180)], genesys)
    assert d.result["response_met"] is False
    assert d.result["response_minutes"] == "180"
    assert response(d) == "breached"


def test_downgrade_answered_exactly_two_hours_after_submission_is_met(genesys):
    d = decided(2, "portal", [change(119, 3), human(120)], genesys)
    assert d.result["response_met"] is True


def test_downgrade_answered_one_microsecond_after_two_hours_is_breached(genesys):
    d = decided(2, "portal", [change(119, 3), {"type": "human_response", "at": "2024-06-03T10:00:00.000001Z",
                                               "via": "case_note"}], genesys)
    assert d.result["response_met"] is False


def test_change_exactly_at_the_deadline_keeps_that_deadline(genesys):
    d = decided(2, "portal", [change(120, 3), human(180)], genesys)
    assert d.result["response_deadline"] == at(120)
    assert d.result["response_met"] is False


# --- never past the running deadline ----------------------------------------------


def test_late_upgrade_is_capped_at_the_running_deadline(genesys):
    # Sev2 by phone raised to Sev1 at +115: ten minutes from the change would be +125
    d = decided(2, "phone", [change(115, 1)], genesys)
    assert d.result["response_deadline"] == at(120)
    assert d.result["clock_start"] == at(115)


def test_answer_at_the_capped_deadline_is_met_and_just_after_is_breached(genesys):
    met = decided(2, "phone", [change(115, 1), human(120, via="phone")], genesys)
    late = decided(2, "phone", [change(115, 1), human(121, via="phone")], genesys)
    assert met.result["response_met"] is True
    assert late.result["response_met"] is False
    assert late.result["response_minutes"] == "6"  # within ten minutes of the change, but after the running deadline


def test_portal_escalation_request_after_the_running_deadline_does_not_extend_it(genesys):
    d = decided(2, "portal", [change(60, 1), request(115), human(124, via="phone")], genesys)
    assert d.result["clock_start"] == at(115)
    assert d.result["response_deadline"] == at(120)
    assert d.result["response_met"] is False


def test_portal_escalation_answered_within_ten_minutes_of_an_early_request_is_met(genesys):
    d = decided(2, "portal", [change(30, 1), request(40), human(50, via="phone")], genesys)
    assert d.result["response_deadline"] == at(50)
    assert d.result["response_met"] is True


def test_a_breached_clock_stays_breached_after_a_downgrade(genesys):
    d = decided(1, "phone", [change(15, 2), human(20, via="phone")], genesys)
    assert d.result["response_target_minutes"] == "10"
    assert d.result["response_met"] is False


def test_two_changes_never_extend_the_first_deadline(genesys):
    # Sev2 -> Sev1 at +5 (due +15) -> Sev2 at +10 (from submission: due +120; max with +120 floor)
    d = decided(2, "phone", [change(5, 1), change(10, 2)], genesys)
    assert d.result["response_deadline"] == at(120)
    # and Sev2 -> Sev3 -> Sev1 at +100: ten minutes from the change, +110
    d = decided(2, "phone", [change(30, 3), change(100, 1)], genesys)
    assert d.result["response_deadline"] == at(110)


# --- the rule is policy data -------------------------------------------------------


def family_with(tmp_path, old: str, new: str):
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    text = (ROOT / "policies" / "genesys-cloud" / "2024-04-24.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    (folder / "2024-04-24.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return load_family_dir(folder)


DEFAULT = "severity_change: {shorter_target: from_change, longer_or_equal_target: from_submission}"


def test_restart_at_change_keeps_the_old_behaviour_selectable(tmp_path):
    family = family_with(tmp_path, DEFAULT,
                         "severity_change: {shorter_target: restart_at_change, longer_or_equal_target: restart_at_change}")
    d = decided(2, "portal", [change(119, 3), human(180)], family)
    assert d.result["response_deadline"] == at(239)
    assert d.result["response_met"] is True


def test_downgrades_from_the_change_still_never_pass_the_running_deadline(tmp_path):
    family = family_with(tmp_path, DEFAULT, "severity_change: {shorter_target: from_change, longer_or_equal_target: from_change}")
    d = decided(2, "portal", [change(119, 3)], family)
    assert d.result["response_deadline"] == at(120)


def test_a_policy_with_both_settings_is_rejected(tmp_path):
    from engine.errors import PolicyError

    with pytest.raises(PolicyError, match="either severity_change or the older retarget_clock_from"):
        family_with(tmp_path, DEFAULT, DEFAULT + "\n  retarget_clock_from: change")


def test_an_unknown_mode_is_rejected_naming_the_expected_ones(tmp_path):
    from engine.errors import PolicyError

    with pytest.raises(PolicyError) as info:
        family_with(tmp_path, DEFAULT, "severity_change: {shorter_target: from_the_moon, longer_or_equal_target: from_submission}")
    assert "from_change" in str(info.value.problems[0].message)


# --- item 4: escalation to Sev1 after the first reply, on every channel --------------


@pytest.mark.parametrize("channel", ["phone", "portal"])
def test_escalation_to_sev1_after_the_first_reply_opens_a_ten_minute_clock_on_every_channel(genesys, channel):
    request_events = [request(62)] if channel == "portal" else []
    start = 62 if channel == "portal" else 60
    events = [human(10), change(60, 1), *request_events]
    met = decided(2, channel, events + [human(start + 10, via="phone")], genesys)
    late = decided(2, channel, events + [human(start + 11, via="phone")], genesys)
    assert met.result["clock_start"] == at(start)
    assert met.result["response_target_minutes"] == "10"
    assert met.result["response_met"] is True
    assert late.result["response_met"] is False


def test_phone_escalation_after_the_first_reply_needs_no_critical_support_request(genesys):
    d = decided(2, "phone", [human(10), change(60, 1), human(65, via="phone")], genesys)
    [req] = [f for f in d.findings if f.rule == "case.critical_support_request"]
    assert req.outcome == "not_applicable"


def test_downgrade_after_the_first_reply_opens_no_clock(genesys):
    d = decided(1, "phone", [human(5, via="phone"), change(60, 2)], genesys)
    assert d.result["clock_start"] == at(0)
    assert d.result["response_met"] is True


def test_without_reopen_after_response_a_phone_escalation_after_the_reply_opens_no_clock(tmp_path):
    family = family_with(tmp_path, "  reopen_after_response: [1]\n", "")
    d = decided(2, "phone", [human(10), change(60, 1), human(90, via="phone")], family)
    assert d.result["clock_start"] == at(0)
    assert d.result["response_met"] is True


def test_reopen_after_response_naming_an_unknown_severity_is_rejected(tmp_path):
    from engine.errors import PolicyError

    with pytest.raises(PolicyError, match="severity 7 is not one of the severities"):
        family_with(tmp_path, "  reopen_after_response: [1]\n", "  reopen_after_response: [7]\n")


def test_lowering_a_reopened_sev1_clock_measures_from_the_reopening_not_from_submission(genesys):
    # answered at +10, raised to Sev1 at +60 (a new clock), lowered to Sev3 at +65: the
    # reply at +10 does not answer the reopened clock, which is due two hours after +60
    d = decided(4, "phone", [human(10), change(60, 1), change(65, 3)], genesys)
    assert d.result["clock_start"] == at(60)
    assert d.result["response_deadline"] == at(180)
    assert d.facts["response_at"] is None
