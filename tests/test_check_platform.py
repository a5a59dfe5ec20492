"""Customer-months from outage incidents, per customer and platform-wide, and the
credits each contract would be owed; numbers checked against hand arithmetic."""

from __future__ import annotations

import json

from check_helpers import NOW, read_jsonl, write
from conftest import run_cli

CONTRACTS = ("customer,billing,monthly_commitment,annual_commitment,currency\n"
             "acme,month_to_month,10000.00,,USD\n"
             "globex,annual_prepaid,,120000.00,EUR\n"
             "initech,pay_as_you_go,5000.00,,USD\n")

INCIDENTS = ("id,customer,start,end,functions,cause\n"
             "INC-1,*,2024-03-10T00:00:00Z,2024-03-10T00:10:00Z,inbound_voice,genesys\n"
             "INC-2,,2024-04-30T23:50:00Z,2024-05-01T00:20:00Z,outbound_voice,genesys\n"
             "INC-3,acme,2024-03-10T00:05:00Z,2024-03-10T00:35:00Z,ivr_routing,genesys\n"
             "INC-4,globex,2024-03-20T00:00:00Z,2024-03-20T12:00:00Z,reporting,genesys\n"
             "INC-5,globex,2024-04-02T00:00:00Z,2024-04-02T05:00:00Z,inbound_voice,customer_internet\n"
             "INC-6,acme,2024-06-01T00:00:00Z,2024-06-01T01:00:00Z,inbound_voice,genesys\n")


def _run(tmp_path, *extra):
    contracts = write(tmp_path / "contracts.csv", CONTRACTS)
    incidents = write(tmp_path / "incidents.csv", INCIDENTS)
    return run_cli("check", "--outages", incidents, "--contracts", contracts, "--months", "2024-03..2024-04", "--now", NOW,
                   "-o", str(tmp_path / "d.jsonl"), "--summary", str(tmp_path / "s.json"), *extra)


def test_platform_wide_incidents_hit_every_customer_in_the_contracts(tmp_path):
    result = _run(tmp_path)
    assert result.code == 1, result.err  # credit tiers breached
    decisions = {d["record"]: d["result"] for d in read_jsonl(tmp_path / "d.jsonl")}
    assert list(decisions) == ["acme/2024-03", "acme/2024-04", "globex/2024-03", "globex/2024-04",
                               "initech/2024-03", "initech/2024-04"]
    # March (44640 min): '*' INC-1 00:00-00:10 for all; acme's INC-3 00:05-00:35 overlaps it: 35 min, not 40
    assert decisions["acme/2024-03"]["unavailable_minutes"] == "35"
    assert decisions["acme/2024-03"]["uptime_percent"] == "99.921594"  # (44640 - 35) / 44640
    assert decisions["globex/2024-03"]["unavailable_minutes"] == "10"  # INC-4 is reporting only: not critical
    assert decisions["initech/2024-03"]["unavailable_minutes"] == "10"
    # April (43200 min): the empty-customer INC-2 is platform-wide, its April part is 23:50-24:00
    assert decisions["acme/2024-04"]["unavailable_minutes"] == "10"
    assert decisions["globex/2024-04"]["unavailable_minutes"] == "310"  # + 300 min excluded (customer_internet)
    assert decisions["globex/2024-04"]["excluded_minutes"] == "300"
    assert decisions["globex/2024-04"]["uptime_percent"] == "99.976851"  # (43200 - 310 + 300) / 43200


def test_each_contract_is_owed_its_tier_of_its_monthly_fee(tmp_path):
    _run(tmp_path)
    summary = json.loads((tmp_path / "s.json").read_text())
    rows = {(r["customer"], r["month"]): r for r in summary["customer_months_below_first_tier"]}
    assert rows["acme", "2024-03"]["credit_owed"] == "1000.00" and rows["acme", "2024-03"]["currency"] == "USD"
    assert rows["globex", "2024-03"]["credit_owed"] == "1000.00"  # 120000 / 12 x 10%
    assert rows["initech", "2024-03"]["eligible"] is False and rows["initech", "2024-03"]["reason"] == "contract_not_eligible"
    assert summary["credit_owed_by_currency"] == {"EUR": "2000.00", "USD": "2000.00"}
    assert summary["counts"]["outages"] == {"read": 6, "evaluated": 5, "rejected": 0, "outside": 1}
    assert summary["counts"]["customer-months"]["evaluated"] == 6


def test_the_terminal_table_lists_months_below_the_first_tier_and_totals(tmp_path):
    result = _run(tmp_path)
    assert "Customer-months below the first credit tier: 6 of 6" in result.out
    rows = [line.split() for line in result.out.splitlines()]
    assert ["acme", "2024-03", "99.921594", "<", "99.99", "10", "1,000.00", "USD"] in rows
    assert rows.index(["acme", "2024-03", "99.921594", "<", "99.99", "10", "1,000.00", "USD"]) == 3  # lowest uptime first
    assert "Credits owed, by currency: 2,000.00 EUR · 2,000.00 USD" in result.out  # grouped, currency after the amount
    assert "outages: 6 read = 5 used + 1 outside --months + 0 rejected" in result.err


def test_an_incident_for_a_customer_without_a_contract_is_rejected(tmp_path):
    write(tmp_path / "more.csv", INCIDENTS + "INC-7,umbrella,2024-03-01T00:00:00Z,2024-03-01T00:05:00Z,inbound_voice,genesys\n")
    contracts = write(tmp_path / "contracts.csv", CONTRACTS)
    result = run_cli("check", "--outages", str(tmp_path / "more.csv"), "--contracts", contracts, "--months", "2024-03",
                     "--now", NOW, "--keep-going", "--rejects", str(tmp_path / "r.jsonl"), "--quiet")
    assert result.code == 2
    assert f"{tmp_path / 'more.csv'}:8: record INC-7: customer: no contract for customer 'umbrella'" in result.err
    [reject] = read_jsonl(tmp_path / "r.jsonl")
    assert reject["line"] == 8 and reject["row"]["customer"] == "umbrella"


def test_without_contracts_the_customers_are_those_of_the_incidents(tmp_path):
    incidents = write(tmp_path / "incidents.csv", INCIDENTS)
    result = run_cli("check", "--outages", incidents, "--months", "2024-03", "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--quiet")
    assert result.code == 1
    assert [d["record"] for d in read_jsonl(tmp_path / "d.jsonl")] == ["acme/2024-03", "globex/2024-03"]
    assert "no contract" in result.out


def test_a_claim_without_contract_or_outages_takes_them_from_the_other_sources(tmp_path):
    claims = write(tmp_path / "claims.csv", "id,customer,month,submitted_at,support_case\n"
                   "K-1,acme,2024-03,2024-04-15T09:00:00Z,CASE-7\n"
                   "K-2,globex,2024-04,2024-05-10T09:00:00Z,\n")
    _run(tmp_path, "--claims", claims, "--fail-on", "none")
    decisions = {d["record"]: d for d in read_jsonl(tmp_path / "d.jsonl")}
    k1, k2 = decisions["K-1"]["result"], decisions["K-2"]["result"]
    assert (k1["eligible"], k1["credit_amount"], k1["currency"], k1["uptime_percent"]) == (True, "1000.00", "USD", "99.921594")
    assert (k2["eligible"], k2["reasons"]) == (False, ["missing_support_case"])  # required since 2024-04-24
    assert k2["uptime_percent"] == "99.976851"


def test_months_before_the_earliest_revision_are_a_usage_error(tmp_path):
    result = run_cli("check", "--outages", write(tmp_path / "i.csv", INCIDENTS), "--months", "2020-01..2020-02", "--quiet")
    assert result.code == 2 and "--months: 2020-01:" in result.err and "before the earliest revision" in result.err
    result = run_cli("check", "--outages", str(tmp_path / "i.csv"), "--quiet")
    assert result.code == 2 and "--months" in result.err
