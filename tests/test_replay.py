"""`sla replay`: the two-date rule, the distances to thresholds, what-if across
revisions, and bad bundles reported as FILE:LINE."""

from __future__ import annotations

import json

from conftest import run_cli
from dispute_helpers import MARCH_OUTAGE, march_bundle, write_bundle

# --- the two-date rule around 2024-04-24 -------------------------------------------------


def _replay_json(tmp_path, data, *args):
    run = run_cli("replay", str(write_bundle(tmp_path, data)), "--format", "json", *args)
    assert run.code == 0, run.err
    return run.json()


def test_march_claim_without_support_case_filed_on_the_last_instant_of_23_april_is_eligible(tmp_path):
    verdict = _replay_json(tmp_path, march_bundle("2024-04-23T23:59:59.999999Z"))
    s = verdict["summary"]
    assert (s["verdict"], s["eligible"], s["credit_amount"]) == ("eligible", True, "1000.00")
    assert (s["uptime_version"], s["claim_version"]) == ("2021-01-19", "2021-01-19")


def test_the_same_claim_filed_at_midnight_starting_24_april_is_missing_its_support_case(tmp_path):
    verdict = _replay_json(tmp_path, march_bundle("2024-04-24T00:00:00Z"))
    s = verdict["summary"]
    assert (s["verdict"], s["reasons"], s["credit_amount"]) == ("not_eligible", ["missing_support_case"], "0.00")
    assert (s["uptime_version"], s["claim_version"]) == ("2021-01-19", "2024-04-24")


def test_the_same_claim_filed_on_24_april_with_a_support_case_is_eligible(tmp_path):
    s = _replay_json(tmp_path, march_bundle("2024-04-24T00:00:00Z", support_case="CASE-77"))["summary"]
    assert (s["verdict"], s["claim_version"]) == ("eligible", "2024-04-24")


def test_a_claim_filed_in_another_time_zone_is_placed_by_its_instant(tmp_path):
    # 2024-04-24T07:00+08:00 is 2024-04-23T23:00Z: still under the 2021-01-19 procedure.
    s = _replay_json(tmp_path, march_bundle("2024-04-24T07:00:00+08:00"))["summary"]
    assert (s["verdict"], s["claim_version"]) == ("eligible", "2021-01-19")


def test_the_verdict_states_both_revisions_and_the_dates_that_chose_them(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-24T09:00:00Z"))))
    assert run.code == 0, run.err
    assert ("uptime and tiers: revision 2021-01-19 (effective 2021-01-19), because the month's first instant is "
            "2024-03-01T00:00:00Z") in run.out
    assert "claim procedure: revision 2024-04-24 (effective 2024-04-24), because submitted_at is 2024-04-24T09:00:00Z" in run.out
    assert "2024-04-24T09:00:00Z is 9 hours after revision 2024-04-24 took effect (2024-04-24T00:00:00Z)" in run.out
    assert "the next revision, 2024-04-24, took effect 54 days later (2024-04-24T00:00:00Z)" in run.out
    verdict = _replay_json(tmp_path, march_bundle("2024-04-24T09:00:00Z"))
    roles = {(r["role"], r["revision"], r["anchor_value"]) for r in verdict["revisions"] if r["record"] == "CLM-1"}
    assert roles == {("uptime and tiers", "2021-01-19", "2024-03-01T00:00:00Z"),
                     ("claim procedure", "2024-04-24", "2024-04-24T09:00:00Z")}


# --- distances to the thresholds -------------------------------------------------------------


def test_the_verdict_says_how_many_more_minutes_would_reach_the_30_percent_tier(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-10T09:00:00Z", "CASE-1"))))
    assert "more than 4.46 more minutes of unavailability would have reached the 30% tier (uptime below 99%" in run.out


def test_exactly_4_46_more_minutes_stays_at_10_percent_and_one_microsecond_more_reaches_30(tmp_path):
    # 4.46 min = 4 min 27.6 s. Exactly that more gives uptime 99% exactly: not below 99.
    exact = {**MARCH_OUTAGE, "start": "2024-03-20T00:00:00Z", "end": "2024-03-20T00:04:27.6Z"}
    beyond = {**exact, "end": "2024-03-20T00:04:27.600001Z"}
    at = _replay_json(tmp_path, march_bundle("2024-04-10T09:00:00Z", "C", [MARCH_OUTAGE, exact]))["summary"]
    over = _replay_json(tmp_path, march_bundle("2024-04-10T09:00:00Z", "C", [MARCH_OUTAGE, beyond]))["summary"]
    assert (at["uptime_percent"], at["credit_percent"], at["next_tier"]["more_than_minutes"]) == ("99", "10", "0")
    assert over["credit_percent"] == "30"
    # 1 microsecond is 1/60000000 minute: shown rounded up, so "0.000001 fewer minutes" stays true.
    assert over["leave_tier"]["fewer_minutes"] == "0.000001"


def test_the_verdict_says_the_claim_was_filed_2_days_before_the_window_closed(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-29T00:00:00Z", "CASE-1"))))
    assert "the claim was filed 2 days before the window closed (2024-05-01T00:00:00Z)" in run.out


def test_a_late_claim_says_how_long_after_the_window_closed_it_was_filed(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-05-01T00:00:00.5Z", "CASE-1"))))
    assert "NOT ELIGIBLE" in run.out
    assert "the claim was filed 0.5 seconds after the window closed (2024-05-01T00:00:00Z)" in run.out


# --- what-if across revisions ------------------------------------------------------------------


def test_all_revisions_shows_which_outcome_changes_and_the_clause_that_changed_it(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-15T09:00:00Z"))), "--all-revisions")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    row = {line.split()[0]: line for line in lines if line[:4] == "2021" or line[:4] == "2024" and "  " in line[:14]}
    assert "ELIGIBLE" in row["2021-01-19"] and "NOT ELIGIBLE" not in row["2021-01-19"]
    assert "NOT ELIGIBLE" in row["2024-04-24"] and "missing_support_case" in row["2024-04-24"]
    assert "2024-04-24 *" in run.out  # the row where the outcome changes is marked
    assert "2021-01-19 → 2024-04-24: the outcome changes:" in run.out
    assert "rule claim.support_case [credits.request]: not applicable → violation" in run.out
    assert "clause credits.request was changed in 2024-04-24" in run.out
    assert ("change log of 2024-04-24: Updated Credit Request and Payment, including the requirement to create a "
            "support case.") in run.out
    assert "2024-04-24 → 2024-10-01: the same outcome" in run.out
    assert "This is hypothetical" in run.out


def test_all_revisions_as_json_lists_each_revision_and_the_changes(tmp_path):
    data = _replay_json(tmp_path, march_bundle("2024-04-15T09:00:00Z"), "--all-revisions")["all_revisions"]
    assert [(r["revision"], r["verdict"]) for r in data["revisions"]] == [
        ("2021-01-19", "eligible"), ("2024-04-24", "not_eligible"), ("2024-10-01", "not_eligible")]
    assert data["revisions"][0]["governs"] == ["record", "uptime and tiers", "claim procedure"]
    [change] = [c for c in data["changes"] if c["outcome_changed"]]
    assert (change["from"], change["to"]) == ("2021-01-19", "2024-04-24")
    assert [(r["rule"], r["clause"], r["from"], r["to"]) for r in change["rules"]] == [
        ("claim.support_case", "credits.request", "not_applicable", "violation")]
    assert data["actual"]["verdict"] == "eligible"


def test_all_revisions_in_chinese_quotes_the_change_log_in_chinese(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-15T09:00:00Z"))), "--all-revisions",
                  "--lang", "zh")
    assert "2024-04-24 的变更记录:更新了信用请求和付款,包括支持案例的要求。" in run.out
    assert "未针对该事件创建支持案例" in run.out


def test_as_of_replays_under_one_revision_and_says_it_is_a_what_if(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-15T09:00:00Z"))), "--as-of", "2024-10-01")
    assert run.code == 0
    assert "What-if: every record is decided under revision 2024-10-01 (in force on 2024-10-01)" in run.out
    assert "NOT ELIGIBLE" in run.out


def test_all_revisions_and_as_of_together_are_a_usage_error(tmp_path):
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-15T09:00:00Z"))), "--all-revisions",
                  "--as-of", "2024-10-01")
    assert run.code == 2 and "cannot be combined" in run.err


def test_replay_writes_its_verdict_to_a_file_with_o(tmp_path):
    out = tmp_path / "verdict.json"
    run = run_cli("replay", str(write_bundle(tmp_path, march_bundle("2024-04-15T09:00:00Z"))), "--format", "json",
                  "-o", str(out))
    assert run.code == 0 and run.out == ""
    assert json.loads(out.read_text())["summary"]["verdict"] == "eligible"


# --- bad bundles --------------------------------------------------------------------------------


def _error(tmp_path, data, name="dispute.json"):
    run = run_cli("replay", str(write_bundle(tmp_path, data, name)))
    assert run.code == 2, run.out
    assert "Traceback" not in run.err
    return run.err


def test_a_bundle_without_a_title_is_refused_naming_file_and_line(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z")
    del data["title"]
    err = _error(tmp_path, data)
    assert "dispute.json:1: missing required field 'title'" in err


def test_a_claim_whose_contract_contradicts_the_bundle_is_refused_at_its_line(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z")
    data["records"][1]["contract"] = {"billing": "month_to_month", "monthly_commitment": "99.00", "currency": "USD"}
    err = _error(tmp_path, data)
    line = next(i for i, text in enumerate((tmp_path / "dispute.json").read_text().splitlines(), 1) if '"contract"' in text and i > 20)
    assert f"dispute.json:{line}: records[1].contract: the claim's contract differs from the dispute's contract" in err


def test_a_claim_without_outages_needs_the_months_uptime_record(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z")
    data["records"][0]["month"] = "2024-02"
    err = _error(tmp_path, data)
    assert "records[1]: the claim gives no outages and the dispute has no uptime record for 2024-03" in err


def test_a_claim_whose_outages_differ_from_the_uptime_record_is_refused(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z")
    data["records"][1]["outages"] = []
    assert "the claim's outages differ from those of the uptime record records[0]" in _error(tmp_path, data)


def test_a_record_of_another_customer_is_refused(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z")
    data["records"][0]["customer"] = "globex"
    assert "records[0].customer: customer 'globex' is not the dispute's customer 'acme'" in _error(tmp_path, data)


def test_a_bundle_with_two_claims_is_refused(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z")
    data["records"].append({**data["records"][1], "id": "CLM-2"})
    assert "a dispute bundle holds one credit claim; the first is records[1]" in _error(tmp_path, data)


def test_a_naive_timestamp_in_a_yaml_bundle_is_refused_at_its_line(tmp_path):
    path = tmp_path / "dispute.yaml"
    path.write_text(
        'title: "Acme"\ncustomer: acme\ncontract: {billing: month_to_month, monthly_commitment: "1.00", currency: USD}\n'
        'records:\n  - type: credit_claim\n    id: CLM-1\n    month: "2024-03"\n'
        '    submitted_at: "2024-04-15T09:00:00"\n    support_case: null\n    outages: []\n', encoding="utf-8")
    run = run_cli("replay", str(path))
    assert run.code == 2
    assert "dispute.yaml:8: record CLM-1: submitted_at: '2024-04-15T09:00:00' has no UTC offset" in run.err


def test_an_unknown_function_is_refused_naming_the_record(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z", outages=[{**MARCH_OUTAGE, "functions": ["telepathy"]}])
    err = _error(tmp_path, data)
    assert "record UP-1" in err and "unknown function 'telepathy'" in err


def test_a_bundle_naming_an_unknown_policy_family_is_refused(tmp_path):
    err = _error(tmp_path, march_bundle("2024-04-15T09:00:00Z", policy="acme-cloud"))
    assert "policy: no policy family 'acme-cloud'" in err


def test_a_bundle_that_is_not_yaml_is_refused_with_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("title: x\nrecords: [\n", encoding="utf-8")
    run = run_cli("replay", str(path))
    assert run.code == 2 and "broken.yaml:" in run.err and "not valid YAML" in run.err


def test_a_missing_bundle_file_is_a_clear_error(tmp_path):
    run = run_cli("replay", str(tmp_path / "nope.yaml"))
    assert run.code == 2 and "nope.yaml: cannot read" in run.err


def test_a_dispute_about_an_uptime_month_alone_gets_the_months_verdict(tmp_path):
    data = march_bundle("2024-04-15T09:00:00Z")
    data["records"] = data["records"][:1]
    run = run_cli("replay", str(write_bundle(tmp_path, data)))
    assert run.code == 0, run.err
    assert "Verdict: CREDIT DUE: uptime in 2024-03: 99.009991%, credit tier 10%" in run.out
    assert "more than 4.46 more minutes of unavailability would have reached the 30% tier" in run.out
    assert "window" not in run.out.split("Findings")[0]
