"""A new SLA revision is a YAML edit only.

Copies the bundled 2024-10-01 revision into a temporary policy folder and adds a
2025-06-01 revision made by plain text edits of that file: a 15-minute Sev1
target, a fourth credit tier (below 99.5% -> 20%), a 45-day claim window, a new
severity 5 (3-day target) and a new rule over a record field (claims whose
contract currency is not USD are flagged and made ineligible). Records are then
evaluated through the CLI with --policies, and each change must show, while a
record anchored before 2025-06-01 still gets the old revision.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, case, claim, outage, run_cli, uptime

BUNDLED = ROOT / "policies" / "genesys-cloud" / "2024-10-01.yaml"
NOW = "2030-01-01T00:00:00Z"

SEVERITY_5 = """\
  5:
    name: {zh: "5-咨询", en: "5 - Informational"}
    definition: {zh: "一般咨询,对业务无影响。", en: "A general question with no business impact."}
    submission_channels: [phone, portal]
    response_target: {days: 3, via: portal}
"""

CURRENCY_RULE = """\
  - id: claim.currency_usd
    applies_to: credit_claim
    clause: credits.request
    outcomes:
      - when: {ne: [{field: contract.currency}, "USD"]}
        outcome: violation
        reason: currency_not_usd
        message:
          en: "Credits under this revision are paid in USD only, not {currency}."
          zh: "本版本的积分仅以美元支付,不接受 {currency}。"
      - outcome: met
        message:
          en: "Contract currency {currency} is USD."
          zh: "合同货币 {currency} 为美元。"
"""

CHANGE_NOTE = """\
changes:
  - zh: "测试修订:严重级别 1 目标 15 分钟;新增低于 99.5% 的 20% 等级;申请期限 45 天;新增严重级别 5;仅美元积分。"
    en: "Test revision: Sev1 target 15 minutes; a 20% tier below 99.5%; a 45-day claim window; a severity 5; USD-only credits."
    clauses: [response.targets, credits.tiers, credits.request]
"""


def edit_once(text: str, pattern: str, replacement: str) -> str:
    """Replace `pattern` (a regex, multiline) exactly once, or fail loudly."""
    new, count = re.subn(pattern, lambda m: replacement, text, count=0, flags=re.MULTILINE)
    assert count == 1, f"expected exactly one match for {pattern!r}, found {count}"
    return new


def new_revision_text(old: str) -> str:
    text = old
    text = edit_once(text, r'^revision: "2024-10-01"$', 'revision: "2025-06-01"')
    text = edit_once(text, r'^effective: "2024-10-01"$', 'effective: "2025-06-01"')
    text = edit_once(text, r"^changes:\n", CHANGE_NOTE)
    text = edit_once(text, r"response_target: \{minutes: 10, via: phone\}", "response_target: {minutes: 15, via: phone}")
    text = edit_once(text, r'^(    - \{below: "99\.99", percent: "10"\}\n)', '    - {below: "99.99", percent: "10"}\n'
                                                                          '    - {below: "99.5", percent: "20"}\n')
    text = edit_once(text, r"window: \{days: 30, after: month_end, decided_by: window_close\}",
                     "window: {days: 45, after: month_end, decided_by: window_close}")
    text = edit_once(text, r"^(?=response:\n)", SEVERITY_5 + "\n")
    text = edit_once(text, r"^rules:\n", "rules:\n" + CURRENCY_RULE + "\n")
    return text


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tmp")
    folder = root / "genesys-cloud"
    folder.mkdir()
    shutil.copy(BUNDLED, folder / "2024-10-01.yaml")
    (folder / "2025-06-01.yaml").write_text(new_revision_text(BUNDLED.read_text(encoding="utf-8")), encoding="utf-8")
    return root


def evaluate(policies: Path, tmp_path: Path, records: list[dict], *extra: str):
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return run_cli("evaluate", str(path), "--policies", str(policies), "--format", "json", "--now", NOW, *extra)


def decide_all(policies: Path, tmp_path: Path, records: list[dict]) -> dict[str, dict]:
    run = evaluate(policies, tmp_path, records, "--fail-on", "none")
    assert run.code == 0, run.err
    return {d["record"]: d for d in run.json()}


def finding(decision: dict, rule: str) -> dict:
    [found] = [f for f in decision["findings"] if f["rule"] == rule]
    return found


# --- the edited file is a valid revision, and the only change is YAML ------


def test_new_revision_validates_and_is_listed_with_its_sha256(policies):
    run = run_cli("validate", str(policies))
    assert run.code == 0, run.out
    assert "2 policy revision(s) valid" in run.out
    rows = run_cli("versions", "--policies", str(policies), "--format", "json").json()
    assert [r["revision"] for r in rows] == ["2024-10-01", "2025-06-01"]
    new_file = policies / "genesys-cloud" / "2025-06-01.yaml"
    assert rows[1]["sha256"] == hashlib.sha256(new_file.read_bytes()).hexdigest()


def test_bundled_policies_are_untouched_by_the_new_revision():
    rows = run_cli("versions", "--format", "json").json()
    assert "2025-06-01" not in [r["revision"] for r in rows]


# --- Sev1 target 15 minutes ---------------------------------------------------


def test_sev1_target_is_15_minutes_from_the_new_revision(policies, tmp_path):
    sev1 = dict(severity=1, channel="phone")
    got = decide_all(policies, tmp_path, [
        case(id="NEW-15", submitted_at="2025-06-02T09:00:00Z", events=[
            {"type": "human_response", "at": "2025-06-02T09:15:00Z", "via": "phone"}], **sev1),
        case(id="NEW-15.001", submitted_at="2025-06-02T09:00:00Z", events=[
            {"type": "human_response", "at": "2025-06-02T09:15:00.001Z", "via": "phone"}], **sev1),
        case(id="OLD-14", submitted_at="2025-05-31T23:50:00Z", events=[
            {"type": "human_response", "at": "2025-06-01T00:04:00Z", "via": "phone"}], **sev1),
    ])
    new, late, old = got["NEW-15"], got["NEW-15.001"], got["OLD-14"]
    assert new["version"] == "2025-06-01"
    assert new["result"]["response_target_minutes"] == "15"
    assert new["result"]["response_met"] is True
    assert finding(new, "case.response_target")["outcome"] == "met"
    assert late["result"]["response_met"] is False
    # submitted before 2025-06-01 (answered after it): still 10 minutes
    assert old["version"] == "2024-10-01"
    assert old["result"]["response_target_minutes"] == "10"
    assert old["result"]["response_met"] is False


def test_sev2_target_is_unchanged_in_the_new_revision(policies, tmp_path):
    got = decide_all(policies, tmp_path, [case(id="S2", submitted_at="2025-06-02T09:00:00Z")])
    assert got["S2"]["result"]["response_target_minutes"] == "120"


# --- a fourth tier -------------------------------------------------------------


def test_fourth_tier_below_99_5_earns_20_percent_in_the_new_revision(policies, tmp_path):
    # June 2025 has 43200 minutes: 99.4% is 259.2 minutes down, 99.5% is 216
    got = decide_all(policies, tmp_path, [
        uptime([outage("2025-06-10T00:00:00Z", "2025-06-10T04:19:12Z")], month="2025-06", id="JUN-99.4"),
        uptime([outage("2025-06-10T00:00:00Z", "2025-06-10T03:36:00Z")], month="2025-06", id="JUN-99.5"),
        uptime([outage("2025-06-10T00:00:00Z", "2025-06-10T03:36:00.000001Z")], month="2025-06", id="JUN-below-99.5"),
        uptime([outage("2025-06-10T00:00:00Z", "2025-06-10T07:12:00Z")], month="2025-06", id="JUN-99"),
    ])
    assert got["JUN-99.4"]["version"] == "2025-06-01"
    assert (got["JUN-99.4"]["result"]["uptime_percent"], got["JUN-99.4"]["result"]["credit_percent"]) == ("99.4", "20")
    assert (got["JUN-99.5"]["result"]["uptime_percent"], got["JUN-99.5"]["result"]["credit_percent"]) == ("99.5", "10")
    assert got["JUN-below-99.5"]["result"]["credit_percent"] == "20"
    assert (got["JUN-99"]["result"]["uptime_percent"], got["JUN-99"]["result"]["credit_percent"]) == ("99", "20")
    assert finding(got["JUN-99.4"], "uptime.credit_tier")["outcome"] == "breached"


def test_month_before_the_new_revision_keeps_three_tiers(policies, tmp_path):
    # May 2025 (44640 minutes) at 99.4% is 267.84 minutes down: 10% under 2024-10-01
    got = decide_all(policies, tmp_path, [
        uptime([outage("2025-05-10T00:00:00Z", "2025-05-10T04:27:50.400Z")], month="2025-05", id="MAY-99.4")])
    d = got["MAY-99.4"]
    assert d["version"] == "2024-10-01"
    assert d["result"]["uptime_percent"] == "99.4"
    assert d["result"]["credit_percent"] == "10"


def test_lower_tiers_still_apply_singly_with_four_tiers(policies, tmp_path):
    got = decide_all(policies, tmp_path, [
        uptime([outage("2025-06-10T00:00:00Z", "2025-06-10T07:12:00.000001Z")], month="2025-06", id="below-99"),
        uptime([outage("2025-06-10T00:00:00Z", "2025-06-11T00:00:00Z")], month="2025-06", id="below-97"),
    ])
    assert got["below-99"]["result"]["credit_percent"] == "30"
    assert got["below-97"]["result"]["credit_percent"] == "100"


# --- a 45-day claim window -----------------------------------------------------


def test_claim_window_is_45_days_in_the_new_revision(policies, tmp_path):
    june = dict(month="2025-06", outages=[outage("2025-06-10T00:00:00Z", "2025-06-10T00:40:00Z")])
    got = decide_all(policies, tmp_path, [
        claim(id="TIMELY", submitted_at="2025-08-14T23:59:59.999Z", **june),
        claim(id="LATE", submitted_at="2025-08-15T00:00:00Z", **june),
    ])
    timely, late = got["TIMELY"], got["LATE"]
    assert timely["version"] == "2025-06-01"
    assert timely["result"]["window_closes_at"] == "2025-08-15T00:00:00Z"
    assert timely["result"]["eligible"] is True
    assert timely["result"]["credit_amount"] == "1000.00"
    assert late["result"]["reasons"] == ["late"]
    assert "45-day" in finding(timely, "claim.window")["message"]


def test_may_claim_made_after_2025_06_01_gets_45_days_but_may_uptime(policies, tmp_path):
    # the claim procedure follows submitted_at (new), the month's uptime its first instant (old)
    got = decide_all(policies, tmp_path, [
        claim(id="MAY", month="2025-05", submitted_at="2025-07-10T00:00:00Z",
              outages=[outage("2025-05-10T00:00:00Z", "2025-05-10T00:40:00Z")])])
    d = got["MAY"]
    assert d["version"] == "2025-06-01"
    assert d["result"]["uptime_version"] == "2024-10-01"
    assert d["result"]["window_closes_at"] == "2025-07-16T00:00:00Z"
    assert d["result"]["eligible"] is True


def test_may_claim_made_in_june_is_paid_on_mays_three_tiers_not_the_new_fourth(policies, tmp_path):
    # May 2025 at 99.4% (267.84 min down): 10% under May's revision 2024-10-01, although
    # the claim, made under 2025-06-01, would have earned 20% by the new fourth tier
    got = decide_all(policies, tmp_path, [
        claim(id="MAY-99.4", month="2025-05", submitted_at="2025-06-10T00:00:00Z",
              outages=[outage("2025-05-10T00:00:00Z", "2025-05-10T04:27:50.400Z")])])
    d = got["MAY-99.4"]
    assert (d["version"], d["result"]["uptime_version"]) == ("2025-06-01", "2024-10-01")
    assert d["result"]["uptime_percent"] == "99.4"
    assert d["result"]["credit_percent"] == "10"
    assert d["result"]["credit_amount"] == "1000.00"


def test_claim_made_before_2025_06_01_keeps_the_30_day_window(policies, tmp_path):
    got = decide_all(policies, tmp_path, [
        claim(id="APR", month="2025-04", submitted_at="2025-05-31T00:00:00Z",
              outages=[outage("2025-04-10T00:00:00Z", "2025-04-10T00:40:00Z")])])
    d = got["APR"]
    assert d["version"] == "2024-10-01"
    assert d["result"]["window_closes_at"] == "2025-05-31T00:00:00Z"
    assert d["result"]["reasons"] == ["late"]


# --- a new severity ----------------------------------------------------------


def test_new_severity_5_has_a_three_day_target(policies, tmp_path):
    got = decide_all(policies, tmp_path, [
        case(id="S5", severity=5, submitted_at="2025-06-02T09:00:00Z", events=[
            {"type": "human_response", "at": "2025-06-05T09:00:00Z", "via": "case_note"}]),
        case(id="S5-late", severity=5, submitted_at="2025-06-02T09:00:00Z", events=[
            {"type": "human_response", "at": "2025-06-05T09:00:00.001Z", "via": "case_note"}]),
    ])
    assert got["S5"]["result"]["response_target_minutes"] == "4320"
    assert got["S5"]["result"]["response_met"] is True
    assert finding(got["S5"], "case.submission_channel")["outcome"] == "met"
    assert got["S5-late"]["result"]["response_met"] is False


def test_severity_5_before_the_new_revision_is_unknown(policies, tmp_path):
    run = evaluate(policies, tmp_path, [case(id="S5-OLD", severity=5, submitted_at="2025-05-31T09:00:00Z")])
    assert run.code == 2
    assert run.out == ""
    assert "S5-OLD" in run.err and "unknown severity 5" in run.err


# --- a new rule over a record field ---------------------------------------------


def test_new_rule_flags_a_non_usd_claim_and_makes_it_ineligible(policies, tmp_path):
    june = dict(month="2025-06", submitted_at="2025-07-05T00:00:00Z",
                outages=[outage("2025-06-10T00:00:00Z", "2025-06-10T00:40:00Z")])
    got = decide_all(policies, tmp_path, [
        claim(id="EUR", contract={"billing": "month_to_month", "monthly_commitment": "10000.00", "currency": "EUR"}, **june),
        claim(id="USD", **june),
    ])
    eur, usd = got["EUR"], got["USD"]
    rule = finding(eur, "claim.currency_usd")
    assert rule["outcome"] == "violation"
    assert rule["reason"] == "currency_not_usd"
    assert rule["clause"] == "credits.request"
    assert "not EUR" in rule["message"]
    assert eur["result"]["eligible"] is False
    assert eur["result"]["reasons"] == ["currency_not_usd"]
    assert eur["result"]["credit_amount"] == "0.00"
    assert finding(usd, "claim.currency_usd")["outcome"] == "met"
    assert usd["result"]["eligible"] is True


def test_new_rule_does_not_apply_under_the_old_revision(policies, tmp_path):
    got = decide_all(policies, tmp_path, [
        claim(id="EUR-OLD", month="2025-04", submitted_at="2025-05-05T00:00:00Z",
              contract={"billing": "month_to_month", "monthly_commitment": "10000.00", "currency": "EUR"},
              outages=[outage("2025-04-10T00:00:00Z", "2025-04-10T00:40:00Z")])])
    d = got["EUR-OLD"]
    assert d["version"] == "2024-10-01"
    assert "claim.currency_usd" not in [f["rule"] for f in d["findings"]]
    assert d["result"]["eligible"] is True


def test_new_rule_finding_fails_the_cli_exit_code(policies, tmp_path):
    # a violation from a YAML-only rule makes `sla evaluate` exit 1 like any other
    run = evaluate(policies, tmp_path, [claim(
        id="EUR", month="2025-06", submitted_at="2025-07-05T00:00:00Z", outages=[],
        contract={"billing": "month_to_month", "monthly_commitment": "10000.00", "currency": "EUR"})])
    assert run.code == 1, run.err
    assert run.json()[0]["result"]["reasons"] == ["currency_not_usd", "no_credit_due"]


def test_as_of_selects_the_new_revision_for_an_old_record(policies, tmp_path):
    run = evaluate(policies, tmp_path, [case(id="C", severity=1, channel="phone", submitted_at="2025-01-10T09:00:00Z",
                                             events=[{"type": "human_response", "at": "2025-01-10T09:12:00Z", "via": "phone"}])],
                   "--as-of", "2025-06-01")
    assert run.code == 0, run.err
    [d] = run.json()
    assert d["version"] == "2025-06-01"
    assert d["result"]["response_met"] is True
