"""Uptime = (A - B + C) / A and the credit tiers, at each boundary of the issue's
"Uptime" and "Tiers" semantics. Boundary outages are computed exactly: a month of
M minutes at uptime p% is down for exactly (100 - p) / 100 * M minutes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from conftest import decide, outage, run_cli, uptime

MICROS_PER_MINUTE = 60_000_000
MONTH_MINUTES = {"2023-02": 40320, "2024-02": 41760, "2024-04": 43200, "2024-03": 44640, "2024-06": 43200, "2024-12": 44640}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def rfc3339(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def down_for(minutes: Fraction, start: str = "2024-03-12T02:00:00Z", extra_micros: int = 0, **kw) -> dict:
    """One outage of exactly `minutes` (+ `extra_micros` µs) from `start`."""
    micros = minutes * MICROS_PER_MINUTE
    assert micros.denominator == 1, "boundary must be a whole number of microseconds"
    begin = at(start)
    return outage(rfc3339(begin), rfc3339(begin + timedelta(microseconds=int(micros) + extra_micros)), **kw)


def boundary_minutes(month: str, percent: str) -> Fraction:
    """Minutes down that leave exactly `percent` uptime in `month`."""
    return (100 - Fraction(percent)) / 100 * MONTH_MINUTES[month]


def tier_finding(decision):
    [found] = [f for f in decision.findings if f.rule == "uptime.credit_tier"]
    return found


# --- A: the calendar month ---------------------------------------------------


@pytest.mark.parametrize("month, minutes", [
    ("2023-02", "40320"),  # 28 days
    ("2024-02", "41760"),  # 29 days, leap year
    ("2024-04", "43200"),  # 30 days
    ("2024-03", "44640"),  # 31 days
    ("2024-12", "44640"),  # 31 days, the month that ends the year
])
def test_total_minutes_is_the_length_of_the_calendar_month(genesys, month, minutes):
    d = decide(uptime([], month=month), genesys)
    assert d.result["total_minutes"] == minutes
    assert d.result["uptime_percent"] == "100"
    assert d.result["credit_percent"] == "0"
    assert tier_finding(d).outcome == "met"


def test_leap_february_2024_is_41760_minutes_so_99_99_percent_is_exactly_4_176_minutes_down(genesys):
    # with a 28-day February the same outage would be below 99.99% and earn 10%
    d = decide(uptime([down_for(boundary_minutes("2024-02", "99.99"), start="2024-02-29T10:00:00Z")], month="2024-02"), genesys)
    assert d.result["total_minutes"] == "41760"
    assert d.result["unavailable_minutes"] == "4.176"
    assert d.result["uptime_percent"] == "99.99"
    assert d.result["credit_percent"] == "0"


# --- B: union of critical outages, clipped to the month ---------------------


def test_overlapping_outages_are_not_double_counted(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z"),
                       outage("2024-03-12T10:30:00Z", "2024-03-12T11:30:00Z", ["outbound_voice"])]), genesys)
    assert d.result["unavailable_minutes"] == "90"
    assert d.facts["uptime_percent"] == Fraction(44640 - 90, 44640) * 100


def test_nested_outage_counts_once(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T12:00:00Z"),
                       outage("2024-03-12T10:30:00Z", "2024-03-12T11:00:00Z", ["ivr_routing"])]), genesys)
    assert d.result["unavailable_minutes"] == "120"


def test_identical_outages_reported_twice_count_once(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z")] * 2), genesys)
    assert d.result["unavailable_minutes"] == "60"


def test_touching_outages_add_up_without_overlap(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z"),
                       outage("2024-03-12T11:00:00Z", "2024-03-12T12:00:00Z")]), genesys)
    assert d.result["unavailable_minutes"] == "120"


def test_separate_outages_add_up(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T10:20:00Z"),
                       outage("2024-03-20T10:00:00Z", "2024-03-20T10:25:00Z")]), genesys)
    assert d.result["unavailable_minutes"] == "45"


def test_outage_crossing_the_month_start_is_clipped_to_the_month(genesys):
    crossing = outage("2024-02-29T23:30:00Z", "2024-03-01T00:20:00Z")
    march = decide(uptime([crossing], month="2024-03"), genesys)
    february = decide(uptime([crossing], month="2024-02"), genesys)
    assert march.result["unavailable_minutes"] == "20"
    assert february.result["unavailable_minutes"] == "30"


def test_outage_crossing_the_month_end_is_clipped_to_the_month(genesys):
    d = decide(uptime([outage("2024-03-31T23:50:00Z", "2024-04-01T01:00:00Z")]), genesys)
    assert d.result["unavailable_minutes"] == "10"


def test_outage_spanning_the_whole_month_and_beyond_is_the_whole_month(genesys):
    d = decide(uptime([outage("2024-02-20T00:00:00Z", "2024-04-10T00:00:00Z")]), genesys)
    assert d.result["unavailable_minutes"] == "44640"
    assert d.result["uptime_percent"] == "0"
    assert d.result["credit_percent"] == "100"


def test_outage_ending_exactly_at_the_month_start_does_not_count(genesys):
    d = decide(uptime([outage("2024-02-29T23:00:00Z", "2024-03-01T00:00:00Z"),
                       outage("2024-04-01T00:00:00Z", "2024-04-01T02:00:00Z")]), genesys)
    assert d.result["unavailable_minutes"] == "0"
    assert d.result["uptime_percent"] == "100"


def test_outage_given_with_an_offset_is_clipped_at_the_utc_month_boundary(genesys):
    # 2024-04-01T07:30+08:00 is 2024-03-31T23:30Z: 30 minutes in March, the rest in April
    d = decide(uptime([outage("2024-04-01T07:30:00+08:00", "2024-04-01T09:00:00+08:00")]), genesys)
    assert d.result["unavailable_minutes"] == "30"


@pytest.mark.parametrize("function", ["reporting", "analytics", "workforce_management", "quality_management", "administration"])
def test_non_critical_function_outage_never_counts(genesys, function):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T20:00:00Z", [function])]), genesys)
    assert d.result["unavailable_minutes"] == "0"
    assert d.result["uptime_percent"] == "100"
    assert d.result["credit_percent"] == "0"


def test_non_critical_outage_with_an_excluded_cause_is_not_in_c_either(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T20:00:00Z", ["reporting"], cause="customer_internet")]), genesys)
    assert d.result["unavailable_minutes"] == "0"
    assert d.result["excluded_minutes"] == "0"


@pytest.mark.parametrize("function", ["inbound_voice", "outbound_voice", "ivr_routing"])
def test_each_critical_real_time_function_counts(genesys, function):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z", [function])]), genesys)
    assert d.result["unavailable_minutes"] == "60"


def test_outage_listing_critical_and_non_critical_functions_counts(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z", ["reporting", "analytics", "inbound_voice"])]), genesys)
    assert d.result["unavailable_minutes"] == "60"


def test_non_critical_outage_overlapping_a_critical_one_adds_nothing(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z"),
                       outage("2024-03-12T09:00:00Z", "2024-03-12T12:00:00Z", ["reporting"])]), genesys)
    assert d.result["unavailable_minutes"] == "60"


# --- C: the part of B covered only by excluded causes ------------------------


@pytest.mark.parametrize("cause", ["customer_internet", "customer_misconfiguration", "third_party_misconfiguration",
                                   "customer_network", "customer_telecom", "beyond_reasonable_control"])
def test_excluded_cause_is_in_b_and_c_and_costs_no_uptime(genesys, cause):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T16:00:00Z", cause=cause)]), genesys)
    assert d.result["unavailable_minutes"] == "360"
    assert d.result["excluded_minutes"] == "360"
    assert d.result["uptime_percent"] == "100"
    assert d.result["credit_percent"] == "0"


def test_genesys_outage_overlapping_an_excluded_one_stays_unavailable(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z"),
                       outage("2024-03-12T10:30:00Z", "2024-03-12T12:00:00Z", cause="customer_network")]), genesys)
    assert d.result["unavailable_minutes"] == "120"
    assert d.result["excluded_minutes"] == "60"  # 11:00-12:00 only
    assert d.facts["uptime_percent"] == Fraction(44640 - 120 + 60, 44640) * 100


def test_excluded_outage_inside_a_genesys_outage_excludes_nothing(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T12:00:00Z"),
                       outage("2024-03-12T10:30:00Z", "2024-03-12T11:00:00Z", cause="customer_telecom")]), genesys)
    assert d.result["unavailable_minutes"] == "120"
    assert d.result["excluded_minutes"] == "0"


def test_overlapping_excluded_outages_are_not_double_counted_in_c(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z", cause="customer_internet"),
                       outage("2024-03-12T10:30:00Z", "2024-03-12T11:30:00Z", cause="customer_network")]), genesys)
    assert d.result["unavailable_minutes"] == "90"
    assert d.result["excluded_minutes"] == "90"


def test_excluded_outage_crossing_the_month_end_is_clipped_in_c(genesys):
    d = decide(uptime([outage("2024-03-31T23:00:00Z", "2024-04-01T05:00:00Z", cause="customer_internet")]), genesys)
    assert d.result["excluded_minutes"] == "60"


# --- precision ---------------------------------------------------------------


def test_a_one_millisecond_outage_is_counted_exactly(genesys):
    d = decide(uptime([outage("2024-03-12T02:00:00.250Z", "2024-03-12T02:00:00.251Z")]), genesys)
    assert d.facts["unavailable_minutes"] == Fraction(1, 60_000)
    assert d.result["unavailable_minutes"] == "0.000016"  # shown truncated, kept exact
    assert d.facts["uptime_percent"] == (1 - Fraction(1, 60_000 * 44640)) * 100


def test_a_one_microsecond_outage_is_counted_exactly(genesys):
    d = decide(uptime([outage("2024-03-12T02:00:00.000001Z", "2024-03-12T02:00:00.000002Z")]), genesys)
    assert d.facts["unavailable_minutes"] == Fraction(1, 60_000_000)
    assert d.facts["uptime_percent"] < 100
    assert d.result["uptime_percent"] == "99.999999"  # truncated, never rounded up to 100


def test_half_second_outage_with_millisecond_offsets(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00.250+08:00", "2024-03-12T10:00:00.750+08:00")]), genesys)
    assert d.facts["unavailable_minutes"] == Fraction(1, 120)


# --- tiers: "below" is strict, only the lowest matching tier applies --------


@pytest.mark.parametrize("month", ["2024-03", "2024-04", "2023-02", "2024-02"])
def test_exactly_99_99_percent_uptime_earns_no_credit(genesys, month):
    down = boundary_minutes(month, "99.99")
    d = decide(uptime([down_for(down, start=f"{month}-10T00:00:00Z")], month=month), genesys)
    assert d.facts["uptime_percent"] == Fraction("99.99")
    assert d.result["uptime_percent"] == "99.99"
    assert d.result["credit_percent"] == "0"
    assert tier_finding(d).outcome == "met"


def test_99_99_percent_of_a_30_day_month_is_4_minutes_19_2_seconds_down(genesys):
    exact = decide(uptime([outage("2024-04-10T00:00:00Z", "2024-04-10T00:04:19.200Z")], month="2024-04"), genesys)
    over = decide(uptime([outage("2024-04-10T00:00:00Z", "2024-04-10T00:04:19.201Z")], month="2024-04"), genesys)
    assert exact.result["unavailable_minutes"] == "4.32"
    assert (exact.result["uptime_percent"], exact.result["credit_percent"]) == ("99.99", "0")
    assert over.result["uptime_percent"] == "99.989999"  # truncated: a shown value never rounds up across a threshold
    assert over.result["credit_percent"] == "10"


@pytest.mark.parametrize("month", ["2024-03", "2024-04", "2023-02", "2024-02"])
def test_one_microsecond_below_99_99_percent_earns_10_percent(genesys, month):
    down = boundary_minutes(month, "99.99")
    d = decide(uptime([down_for(down, start=f"{month}-10T00:00:00Z", extra_micros=1)], month=month), genesys)
    assert d.facts["uptime_percent"] < Fraction("99.99")
    assert d.result["credit_percent"] == "10"
    assert tier_finding(d).outcome == "breached"


@pytest.mark.parametrize("month", ["2024-03", "2024-04"])
def test_exactly_99_percent_uptime_earns_10_percent(genesys, month):
    d = decide(uptime([down_for(boundary_minutes(month, "99.0"), start=f"{month}-10T00:00:00Z")], month=month), genesys)
    assert d.result["uptime_percent"] == "99"
    assert d.result["credit_percent"] == "10"
    assert d.facts["tier_below"] == Fraction("99.99")
    assert tier_finding(d).outcome == "breached"


@pytest.mark.parametrize("month", ["2024-03", "2024-04"])
def test_one_microsecond_below_99_percent_earns_30_percent(genesys, month):
    d = decide(uptime([down_for(boundary_minutes(month, "99.0"), start=f"{month}-10T00:00:00Z", extra_micros=1)], month=month), genesys)
    assert d.result["uptime_percent"] == "98.999999"
    assert d.result["credit_percent"] == "30"
    assert d.facts["tier_below"] == Fraction(99)


@pytest.mark.parametrize("month", ["2024-03", "2024-04"])
def test_exactly_97_percent_uptime_earns_30_percent(genesys, month):
    d = decide(uptime([down_for(boundary_minutes(month, "97"), start=f"{month}-10T00:00:00Z")], month=month), genesys)
    assert d.result["uptime_percent"] == "97"
    assert d.result["credit_percent"] == "30"


@pytest.mark.parametrize("month", ["2024-03", "2024-04"])
def test_one_microsecond_below_97_percent_earns_100_percent_never_140(genesys, month):
    d = decide(uptime([down_for(boundary_minutes(month, "97"), start=f"{month}-10T00:00:00Z", extra_micros=1)], month=month), genesys)
    assert d.result["uptime_percent"] == "96.999999"
    assert d.result["credit_percent"] == "100"
    assert d.facts["tier_below"] == Fraction(97)
    [finding] = [f for f in d.findings if f.rule == "uptime.credit_tier"]
    assert finding.outcome == "breached"
    assert "100%" in finding.message


def test_only_the_single_lowest_tier_applies_at_very_low_uptime(genesys):
    # 50% uptime is below all three thresholds: 100%, not 10 + 30 + 100
    d = decide(uptime([outage("2024-04-01T00:00:00Z", "2024-04-16T00:00:00Z")], month="2024-04"), genesys)
    assert d.result["uptime_percent"] == "50"
    assert d.result["credit_percent"] == "100"


def test_exact_boundary_built_from_several_outages_with_exclusions(genesys):
    # 30-day month: 4.32 min of genesys time exactly, split in two, plus excluded time -> exactly 99.99%
    d = decide(uptime([
        outage("2024-04-10T00:00:00Z", "2024-04-10T00:02:00Z"),
        outage("2024-04-11T00:00:00Z", "2024-04-11T00:02:19.200Z"),
        outage("2024-04-11T00:02:19.200Z", "2024-04-11T03:00:00Z", cause="customer_misconfiguration"),
    ], month="2024-04"), genesys)
    assert d.result["unavailable_minutes"] == "182"
    assert d.result["excluded_minutes"] == "177.68"
    assert d.result["uptime_percent"] == "99.99"
    assert d.result["credit_percent"] == "0"


def test_uptime_findings_cite_the_credit_tiers_clause(genesys):
    d = decide(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z")]), genesys)
    finding = tier_finding(d)
    assert finding.clause == "credits.tiers"
    assert finding.outcome == "breached"
    expected = {"total_minutes": "44640", "unavailable_minutes": "60", "excluded_minutes": "0",
                "uptime_percent": "99.865591", "credit_percent": "10"}
    result = d.to_json()["result"]
    assert {k: result[k] for k in expected} == expected


@pytest.mark.parametrize("month", ["2022-03", "2024-05", "2025-03"])  # revisions 2021-01-19, 2024-04-24, 2024-10-01
def test_an_outage_beyond_genesys_reasonable_control_is_excluded_in_every_revision(genesys, month):
    d = decide(uptime([outage(f"{month}-12T10:00:00Z", f"{month}-12T16:00:00Z", cause="beyond_reasonable_control")],
                      month=month), genesys)
    assert d.result["excluded_minutes"] == "360"
    assert d.result["credit_percent"] == "0"
    revision = d.revision
    assert revision.data["uptime"]["exclusions"]["causes"]["beyond_reasonable_control"]["zh"] == "超出 Genesys 合理控制范围的情况"
    assert "超出 Genesys 合理控制范围的情况" in revision.clause_text("service.availability", "zh")


def test_an_outage_beyond_reasonable_control_is_evaluated_not_rejected_by_the_cli(tmp_path):
    path = tmp_path / "up.jsonl"
    path.write_text(json.dumps(uptime([outage("2024-03-12T10:00:00Z", "2024-03-12T16:00:00Z",
                                               cause="beyond_reasonable_control")])) + "\n", encoding="utf-8")
    run = run_cli("evaluate", str(path), "--format", "jsonl")
    assert run.code == 0, run.err
    assert json.loads(run.out)["result"]["excluded_minutes"] == "360"
