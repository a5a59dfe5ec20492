"""Credit claims at each boundary of the issue's "Claim" semantics, and the
2021-01-19 / 2024-04-24 difference in the claim procedure (support case).

The default claim (conftest.claim) is for March 2024 (44640 minutes) with a
40-minute Genesys outage: uptime 99.910394...% -> the 10% tier.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from conftest import claim, decide, outage

# outages that land a 30- or 31-day month in each tier (March 2024: 44640 min)
TIER_10 = [outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z")]          # 40 min   -> 99.91%
TIER_30 = [outage("2024-03-12T00:00:00Z", "2024-03-12T10:00:00Z")]          # 600 min  -> 98.66%
TIER_100 = [outage("2024-03-12T00:00:00Z", "2024-03-14T00:00:00Z")]         # 2880 min -> 93.55%

TIMELY_2024 = "2024-04-25T09:00:00Z"   # claim procedure 2024-04-24 (support case required)


def contract(billing: str = "month_to_month", currency: str = "USD", **amounts: str) -> dict:
    if not amounts:
        amounts = {"monthly_commitment": "10000.00"} if billing != "annual_prepaid" else {"annual_commitment": "120000.00"}
    return {"billing": billing, "currency": currency, **amounts}


def finding(decision, rule: str):
    [found] = [f for f in decision.findings if f.rule == rule]
    return found


# --- contract types, base and amount -----------------------------------------


def test_month_to_month_credit_is_the_percent_of_the_monthly_commitment_paid_on_next_invoice(genesys):
    d = decide(claim(), genesys)
    r = d.result
    assert r["eligible"] is True
    assert r["reasons"] == []
    assert r["credit_percent"] == "10"
    assert r["credit_amount"] == "1000.00"
    assert r["currency"] == "USD"
    assert r["settlement"] == "next_invoice"
    assert finding(d, "claim.contract_type").outcome == "met"
    # the month's breached tier is the only failing finding; the claim itself is in order
    assert [f.rule for f in d.findings if f.outcome in ("breached", "violation")] == ["uptime.credit_tier"]


def test_annual_prepaid_base_is_annual_commitment_over_12_rounded_to_cents(genesys):
    # 100000.00 / 12 = 8333.333... ; x 10% = 833.333... -> 833.33
    d = decide(claim(contract=contract("annual_prepaid", annual_commitment="100000.00")), genesys)
    assert d.facts["base_amount"] == Fraction(100000, 12)
    assert d.result["credit_amount"] == "833.33"
    assert d.result["settlement"] == "prepaid_balance_or_refund"
    assert d.result["eligible"] is True


def test_annual_prepaid_amount_rounding_up_from_two_thirds_of_a_cent(genesys):
    # 200000.00 / 12 x 10% = 1666.666... -> 1666.67
    d = decide(claim(contract=contract("annual_prepaid", annual_commitment="200000.00")), genesys)
    assert d.result["credit_amount"] == "1666.67"


@pytest.mark.parametrize("outages, percent, amount", [
    (TIER_10, "10", "1000.00"),
    (TIER_30, "30", "3000.00"),
    (TIER_100, "100", "10000.00"),
])
def test_credit_amount_follows_the_single_tier(genesys, outages, percent, amount):
    d = decide(claim(outages=outages), genesys)
    assert (d.result["credit_percent"], d.result["credit_amount"]) == (percent, amount)


@pytest.mark.parametrize("billing", ["pay_as_you_go", "annual_postpaid", "quarterly_prepaid", "free_trial"])
def test_other_billing_types_are_contract_not_eligible(genesys, billing):
    d = decide(claim(contract=contract(billing, monthly_commitment="10000.00")), genesys)
    assert d.result["eligible"] is False
    assert d.result["reasons"] == ["contract_not_eligible"]
    assert d.result["credit_amount"] == "0.00"
    assert d.result["settlement"] is None
    assert d.result["credit_percent"] == "10"  # what the month earned, shown even when not payable
    assert finding(d, "claim.contract_type").outcome == "not_applicable"


def test_monthly_amount_exactly_half_a_cent_rounds_half_up(genesys):
    # 10000.05 x 10% = 1000.005 -> 1000.01 (banker's rounding would give 1000.00)
    d = decide(claim(contract=contract(monthly_commitment="10000.05")), genesys)
    assert d.result["credit_amount"] == "1000.01"


def test_monthly_amount_just_under_half_a_cent_rounds_down(genesys):
    # 10000.04 x 10% = 1000.004 -> 1000.00
    d = decide(claim(contract=contract(monthly_commitment="10000.04")), genesys)
    assert d.result["credit_amount"] == "1000.00"


def test_annual_amount_exactly_half_a_cent_rounds_half_up(genesys):
    # 1.80 / 12 = 0.15 ; x 30% = 0.045 -> 0.05 (half-even would give 0.04)
    d = decide(claim(contract=contract("annual_prepaid", annual_commitment="1.80"), outages=TIER_30), genesys)
    assert d.result["credit_amount"] == "0.05"


def test_amount_is_rounded_once_from_the_exact_value(genesys):
    # 0.54 / 12 = 0.045 ; x 10% = 0.0045 -> 0.00. Rounding the base to cents first
    # (0.045 -> 0.05, x 10% = 0.005 -> 0.01) would give 0.01.
    d = decide(claim(contract=contract("annual_prepaid", annual_commitment="0.54")), genesys)
    assert d.result["credit_amount"] == "0.00"


@pytest.mark.parametrize("monthly, amount", [("12345", "1235"), ("12344", "1234"), ("12346", "1235")])
def test_jpy_credit_is_rounded_half_up_to_whole_yen(genesys, monthly, amount):
    # 12345 x 10% = 1234.5 -> 1235 ; no minor unit, no decimal point
    d = decide(claim(contract=contract(currency="JPY", monthly_commitment=monthly)), genesys)
    assert d.result["currency"] == "JPY"
    assert d.result["credit_amount"] == amount


def test_jpy_annual_prepaid_credit_has_no_decimals(genesys):
    # 1000000 / 12 x 10% = 8333.33... -> 8333
    d = decide(claim(contract=contract("annual_prepaid", currency="JPY", annual_commitment="1000000")), genesys)
    assert d.result["credit_amount"] == "8333"


def test_kwd_credit_is_rounded_half_up_to_three_decimals(genesys):
    # 1000.005 x 10% = 100.0005 -> 100.001
    d = decide(claim(contract=contract(currency="KWD", monthly_commitment="1000.005")), genesys)
    assert d.result["credit_amount"] == "100.001"


# --- the window: 30 days after the month's end -----------------------------


def test_march_claim_at_april_30_23_59_59_999_utc_is_timely(genesys):
    d = decide(claim(submitted_at="2024-04-30T23:59:59.999Z"), genesys)
    assert d.result["window_closes_at"] == "2024-05-01T00:00:00Z"
    assert d.result["eligible"] is True
    assert finding(d, "claim.window").outcome == "met"


def test_march_claim_at_the_last_microsecond_of_april_30_is_timely(genesys):
    d = decide(claim(submitted_at="2024-04-30T23:59:59.999999Z"), genesys)
    assert d.result["eligible"] is True


def test_march_claim_at_may_1_midnight_utc_is_late(genesys):
    d = decide(claim(submitted_at="2024-05-01T00:00:00Z"), genesys)
    assert d.result["eligible"] is False
    assert d.result["reasons"] == ["late"]
    assert d.result["credit_amount"] == "0.00"
    assert d.result["settlement"] is None
    assert finding(d, "claim.window").outcome == "violation"
    assert d.failing


def test_claim_with_local_date_may_1_but_utc_april_30_is_timely(genesys):
    # 07:59:59.999+08:00 on May 1 is 23:59:59.999Z on April 30
    d = decide(claim(submitted_at="2024-05-01T07:59:59.999+08:00"), genesys)
    assert d.result["eligible"] is True
    assert d.result["reasons"] == []


def test_claim_at_08_00_plus_0800_on_may_1_is_late(genesys):
    d = decide(claim(submitted_at="2024-05-01T08:00:00+08:00"), genesys)
    assert d.result["reasons"] == ["late"]


def test_claim_with_local_date_april_30_but_utc_may_1_is_late(genesys):
    # 20:00-04:00 on April 30 is 00:00Z on May 1
    d = decide(claim(submitted_at="2024-04-30T20:00:00-04:00"), genesys)
    assert d.result["eligible"] is False
    assert d.result["reasons"] == ["late"]


@pytest.mark.parametrize("month, last_timely, first_late", [
    ("2024-04", "2024-05-30T23:59:59.999Z", "2024-05-31T00:00:00Z"),   # 30-day month, window ends May 30
    ("2024-02", "2024-03-30T23:59:59.999Z", "2024-03-31T00:00:00Z"),   # leap February ends 29th
    ("2023-12", "2024-01-30T23:59:59.999Z", "2024-01-31T00:00:00Z"),   # across the year
])
def test_claim_window_is_30_days_after_each_months_end(genesys, month, last_timely, first_late):
    outages = [outage(f"{month}-12T02:00:00Z", f"{month}-12T02:40:00Z")]
    timely = decide(claim(month=month, submitted_at=last_timely, outages=outages), genesys)
    late = decide(claim(month=month, submitted_at=first_late, outages=outages), genesys)
    assert timely.result["window_closes_at"] == first_late
    assert timely.result["reasons"] == []
    assert late.result["reasons"] == ["late"]


def test_claim_before_the_month_has_ended_is_premature(genesys):
    d = decide(claim(submitted_at="2024-03-31T23:59:59.999Z"), genesys)
    assert d.result["eligible"] is False
    assert d.result["reasons"] == ["premature"]
    assert finding(d, "claim.premature").outcome == "violation"


def test_claim_at_the_first_instant_after_the_month_is_not_premature(genesys):
    d = decide(claim(submitted_at="2024-04-01T00:00:00Z"), genesys)
    assert d.result["eligible"] is True
    assert finding(d, "claim.premature").outcome == "met"


def test_claim_on_april_1_local_but_march_31_utc_is_premature(genesys):
    d = decide(claim(submitted_at="2024-04-01T07:00:00+08:00"), genesys)
    assert d.result["reasons"] == ["premature"]


# --- support case, required from 2024-04-24 --------------------------------


def test_claim_under_2024_04_24_without_support_case_is_missing_support_case(genesys):
    d = decide(claim(submitted_at=TIMELY_2024, support_case=None), genesys)
    assert d.revision.revision == "2024-04-24"
    assert d.result["eligible"] is False
    assert d.result["reasons"] == ["missing_support_case"]
    assert d.result["credit_amount"] == "0.00"
    assert finding(d, "claim.support_case").outcome == "violation"


def test_claim_under_2024_04_24_with_support_case_is_eligible(genesys):
    d = decide(claim(submitted_at=TIMELY_2024, support_case="CASE-77"), genesys)
    assert d.result["eligible"] is True
    assert finding(d, "claim.support_case").outcome == "met"


def test_claim_under_2021_01_19_needs_no_support_case(genesys):
    d = decide(claim(submitted_at="2024-04-15T09:00:00Z", support_case=None), genesys)
    assert d.revision.revision == "2021-01-19"
    assert finding(d, "claim.support_case").outcome == "not_applicable"
    assert d.result["eligible"] is True


def test_march_2024_claim_filed_april_15_without_support_case_is_eligible(genesys):
    d = decide(claim(submitted_at="2024-04-15T09:00:00Z", support_case=None), genesys)
    r = d.result
    assert (r["eligible"], r["reasons"], r["credit_amount"]) == (True, [], "1000.00")
    assert d.to_json()["version"] == "2021-01-19"
    assert r["uptime_version"] == "2021-01-19"


def test_march_2024_claim_filed_april_25_without_support_case_is_not_eligible(genesys):
    d = decide(claim(submitted_at="2024-04-25T09:00:00Z", support_case=None), genesys)
    r = d.result
    assert (r["eligible"], r["reasons"], r["credit_amount"]) == (False, ["missing_support_case"], "0.00")
    assert d.to_json()["version"] == "2024-04-24"
    assert r["uptime_version"] == "2021-01-19"  # March's uptime is still governed by 2021-01-19


def test_claim_without_support_case_filed_at_2024_04_23_23_59_59_is_eligible(genesys):
    d = decide(claim(submitted_at="2024-04-23T23:59:59Z", support_case=None), genesys)
    assert d.to_json()["version"] == "2021-01-19"
    assert d.result["eligible"] is True


def test_claim_without_support_case_filed_at_2024_04_24_midnight_is_missing_support_case(genesys):
    d = decide(claim(submitted_at="2024-04-24T00:00:00Z", support_case=None), genesys)
    assert d.to_json()["version"] == "2024-04-24"
    assert d.result["reasons"] == ["missing_support_case"]


def test_claim_filed_april_24_morning_in_asia_is_still_april_23_utc_and_needs_no_support_case(genesys):
    d = decide(claim(submitted_at="2024-04-24T06:00:00+08:00", support_case=None), genesys)
    assert d.to_json()["version"] == "2021-01-19"
    assert d.result["eligible"] is True


def test_late_claim_without_support_case_reports_both_reasons(genesys):
    d = decide(claim(submitted_at="2024-05-01T00:00:00Z", support_case=None), genesys)
    assert d.result["reasons"] == ["late", "missing_support_case"]


def test_uptime_version_is_the_months_revision_while_version_is_the_claims(genesys):
    # April 2024 starts before 2024-04-24: its uptime is 2021-01-19; the claim made in May is 2024-04-24
    d = decide(claim(month="2024-04", submitted_at="2024-05-10T00:00:00Z",
                     outages=[outage("2024-04-28T02:00:00Z", "2024-04-28T02:40:00Z")]), genesys)
    out = d.to_json()
    assert out["version"] == "2024-04-24"
    assert out["result"]["uptime_version"] == "2021-01-19"
    by_name = {r.revision: r.sha256 for r in genesys.revisions}
    assert out["sha256"] == by_name["2024-04-24"]
    assert out["uptime_sha256"] == by_name["2021-01-19"]


def test_october_claim_for_september_uses_2024_04_24_uptime_and_2024_10_01_procedure(genesys):
    d = decide(claim(month="2024-09", submitted_at="2024-10-05T00:00:00Z",
                     outages=[outage("2024-09-12T02:00:00Z", "2024-09-12T02:40:00Z")]), genesys)
    assert d.to_json()["version"] == "2024-10-01"
    assert d.result["uptime_version"] == "2024-04-24"


# --- settlement and no credit due ------------------------------------------


@pytest.mark.parametrize("billing, settlement", [("month_to_month", "next_invoice"),
                                                 ("annual_prepaid", "prepaid_balance_or_refund")])
def test_settlement_depends_on_the_contract_type(genesys, billing, settlement):
    d = decide(claim(contract=contract(billing)), genesys)
    assert d.result["settlement"] == settlement


def test_claim_with_no_credit_due_is_not_eligible_with_amount_zero(genesys):
    d = decide(claim(outages=[]), genesys)
    r = d.result
    assert r["eligible"] is False
    assert r["reasons"] == ["no_credit_due"]
    assert r["credit_percent"] == "0"
    assert r["credit_amount"] == "0.00"
    assert r["settlement"] is None
    assert finding(d, "claim.credit_due").outcome == "info"
    assert not d.failing


def test_claim_at_exactly_99_99_percent_uptime_has_no_credit_due(genesys):
    # March 2024: 0.01% of 44640 min = 4.464 min = 4 min 27.84 s
    d = decide(claim(outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T02:04:27.840Z")]), genesys)
    assert d.result["uptime_percent"] == "99.99"
    assert d.result["reasons"] == ["no_credit_due"]
    over = decide(claim(outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T02:04:27.841Z")]), genesys)
    assert over.result["eligible"] is True
    assert over.result["credit_amount"] == "1000.00"


def test_claim_with_only_excluded_outages_has_no_credit_due(genesys):
    d = decide(claim(outages=[outage("2024-03-12T00:00:00Z", "2024-03-14T00:00:00Z", cause="customer_internet")]), genesys)
    assert d.result["uptime_percent"] == "100"
    assert d.result["reasons"] == ["no_credit_due"]


def test_no_credit_due_in_jpy_shows_zero_without_decimals(genesys):
    d = decide(claim(outages=[], contract=contract(currency="JPY", monthly_commitment="1000000")), genesys)
    assert d.result["credit_amount"] == "0"
