"""The customer-months of `sla check` computed in SQL (engine.columnar.uptime) have
exactly the row engine's facts: A, B, C, uptime, tier, credit percent, the month's
revision, and the credit a contract is owed (amount, settlement)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from fractions import Fraction
from pathlib import Path

import pytest

from check_helpers import generate, write
from spark_helpers import spark  # noqa: F401  (the session fixture)
from columnar_facts_helpers import (assert_months_equal, month_row, plan_decisions, python_months, read_check, rows,
                                    sql_months)
from engine.columnar import uptime as uptime_sql
from engine.columnar.dialect import SPARK
from engine.core.evaluate import Options
from engine.check.months import parse_months

NOW = Options(now=datetime(2025, 6, 1, tzinfo=timezone.utc))
HEADER = "id,customer,start,end,functions,cause\n"
CONTRACTS = ("customer,billing,monthly_commitment,annual_commitment,currency\n"
             "acme,month_to_month,10000.00,,USD\n"
             "globex,annual_prepaid,,120000.00,EUR\n"
             "initech,perpetual_license,5000,,USD\n"
             "umbrella,annual_prepaid,,1000,JPY\n"
             "hooli,month_to_month,333.333,,KWD\n")


def _threshold_outage(genesys, month_start: datetime, minutes_in_month: int) -> str:
    """An outage that puts a 30-day month's uptime exactly on the highest tier threshold of the
    revision (not below it: no credit), computed from the policy, not written here."""
    below = max(t.below for t in genesys.revisions[-1].tiers)
    down = Fraction(minutes_in_month * 60_000_000) * (100 - below) / 100
    assert down.denominator == 1
    end = datetime.fromtimestamp(month_start.timestamp() + int(down) / 1_000_000, tz=timezone.utc)
    return f"{month_start.isoformat().replace('+00:00', 'Z')},{end.isoformat().replace('+00:00', 'Z')}"


def _boundary_incidents(genesys) -> str:
    at_threshold = _threshold_outage(genesys, datetime(2024, 6, 10, tzinfo=timezone.utc), 30 * 24 * 60)
    return HEADER + "".join([
        f"T1,acme,{at_threshold},inbound_voice,genesys\n",                                # exactly at a threshold (June)
        "X1,acme,2024-03-31T23:00:00Z,2024-04-01T01:30:00Z,outbound_voice,genesys\n",    # across a month end
        "O1,globex,2024-05-02T10:00:00Z,2024-05-02T12:00:00Z,inbound_voice,genesys\n",   # overlapping incidents
        "O2,globex,2024-05-02T11:00:00+01:00,2024-05-02T13:30:00Z,ivr_routing,genesys\n",
        "O3,globex,2024-05-02T11:30:00Z,2024-05-02T11:45:00Z,acd_routing,genesys\n",
        "E1,globex,2024-07-01T00:00:00Z,2024-07-01T06:00:00Z,inbound_voice,customer_network\n",  # excluded over attributable
        "E2,globex,2024-07-01T05:00:00Z,2024-07-01T08:00:00Z,inbound_voice,genesys\n",
        "N1,acme,2024-08-01T00:00:00Z,2024-08-09T00:00:00Z,reporting,genesys\n",        # a non-critical function only
        "Z1,acme,2024-08-05T00:00:00Z,2024-08-05T00:00:00Z,inbound_voice,genesys\n",    # zero length
        "P1,*,2024-05-02T11:50:00Z,2024-05-02T14:00:00Z,web_messaging,genesys\n",       # platform-wide, overlapping globex's
        "P2,,2024-09-30T20:00:00-04:00,2024-10-01T03:00:00Z,inbound_voice,beyond_reasonable_control\n",
        "B1,initech,2024-02-01T00:00:00Z,2024-02-20T00:00:00Z,inbound_voice,genesys\n",  # a contract type not credited
        "B2,umbrella,2024-02-01T00:00:00Z,2024-02-02T07:13:00.123456Z,inbound_voice,genesys\n",  # JPY: no minor unit
        "B3,hooli,2024-02-01T00:00:00Z,2024-02-03T00:00:00Z,outbound_voice,genesys\n",   # KWD: three places, half-up
        "L1,acme,2023-12-31T23:00:00Z,2024-01-01T00:00:00.5Z,inbound_voice,genesys\n",  # before --months, partly inside
    ])


@pytest.fixture()
def boundary(tmp_path: Path, genesys) -> tuple[str, str]:
    return write(tmp_path / "incidents.csv", _boundary_incidents(genesys)), write(tmp_path / "contracts.csv", CONTRACTS)


def test_hand_written_boundary_months_have_the_row_engines_facts(genesys, boundary) -> None:
    incidents, contracts = boundary
    check = read_check(genesys, NOW, incidents, contracts, "2024-01..2024-12")
    python = python_months(check, genesys, NOW)
    assert_months_equal(python, sql_months(check, genesys, NOW, "2024-01..2024-12"))
    by_id = {r["id"]: r for r in python}
    assert by_id["acme/2024-06"]["credit_percent"] == 0 and by_id["acme/2024-06"]["unavailable_minutes"] > 0
    assert by_id["globex/2024-07"]["excluded_minutes"] > 0
    assert by_id["initech/2024-02"]["eligible"] is False


def test_months_across_revisions_and_as_of_have_the_row_engines_facts(genesys, boundary) -> None:
    incidents, contracts = boundary
    months = "2023-11..2025-02"
    for options in (NOW, Options(now=NOW.now, as_of=date(2024, 5, 1))):
        check = read_check(genesys, options, incidents, contracts, months)
        python = python_months(check, genesys, options)
        assert len({r["rev"] for r in python}) == (1 if options.as_of else 3)
        assert_months_equal(python, sql_months(check, genesys, options, months))


def test_without_contracts_the_customers_are_the_incidents_in_order_of_first_appearance(genesys, boundary) -> None:
    incidents, _ = boundary
    check = read_check(genesys, NOW, incidents, None, "2024-01..2024-12")
    python = python_months(check, genesys, NOW)
    assert [r["id"] for r in python][:1] == ["acme/2024-01"]
    assert_months_equal(python, sql_months(check, genesys, NOW, "2024-01..2024-12"))


def test_generated_customer_months_have_the_row_engines_facts(genesys, tmp_path: Path) -> None:
    data = generate(tmp_path / "data", cases=5, customers=40, claims=5, seed=11)
    check = read_check(genesys, NOW, str(data / "incidents.csv"), str(data / "contracts.csv"), "2024-01..2024-12")
    python = python_months(check, genesys, NOW)
    assert len(python) == 40 * 12 and any(r["credit_percent"] > 0 for r in python)
    assert_months_equal(python, sql_months(check, genesys, NOW, "2024-01..2024-12"))


def test_customer_month_decisions_through_the_compiled_plan_equal_the_row_engines(genesys, boundary, tmp_path: Path) -> None:
    import duckdb
    from engine.check.months import customer_months, uptime_record
    from engine.columnar.dialect import DUCKDB
    from engine.core.evaluate import evaluate
    from engine.core.records import Source, parse_record

    data = generate(tmp_path / "data", cases=5, customers=15, claims=5, seed=3)
    inputs = [boundary, (str(data / "incidents.csv"), str(data / "contracts.csv"))]
    for (incidents, contracts), options in zip(inputs * 2, [NOW, NOW, Options(now=NOW.now, lang="zh"),
                                                             Options(now=NOW.now, as_of=date(2024, 5, 1))]):
        months = "2023-12..2025-01"
        check = read_check(genesys, options, incidents, contracts, months)
        con = duckdb.connect()
        sql_months(check, genesys, options, months, con=con)  # loads the inputs into `inc` and `con`
        facts = uptime_sql.facts_sql(genesys, DUCKDB, "inc", options, months=parse_months(months), contracts="con")
        got = plan_decisions(con, genesys, "uptime", facts, options)
        customers = list(check.contracts) or list(check.index.customers)
        want = [evaluate(parse_record(uptime_record(cm.customer, cm.month, cm.outages), Source("m", None)), genesys, options).to_json()
                for cm in customer_months(customers, check.months, check.index, check.contracts)]
        assert [got[pos] for pos in range(len(want))] == want


def test_a_customer_whose_record_id_the_schema_refuses_is_left_to_the_row_engine(genesys, tmp_path: Path) -> None:
    long = "c" * 195  # "<customer>/2024-01" is over the record id's length
    incidents = write(tmp_path / "incidents.csv", HEADER + f"I1,{long},2024-01-02T00:00:00Z,2024-01-02T01:00:00Z,inbound_voice,genesys\n")
    check = read_check(genesys, NOW, incidents, None, "2024-01")
    import duckdb

    con = duckdb.connect()
    con.execute(uptime_sql.create_sql("inc", uptime_sql.INCIDENT_COLUMNS, uptime_sql.INCIDENT_TYPES))
    con.executemany("INSERT INTO inc VALUES (?, ?, ?, ?, ?, ?)", list(uptime_sql.incident_rows(check.index)))
    from engine.columnar.dialect import DUCKDB

    doubts = rows(con, uptime_sql.doubt_sql(genesys, DUCKDB, "inc", NOW, months=["2024-01"]))
    assert [d["id"] for d in doubts] == [f"{long}/2024-01"]
    assert rows(con, uptime_sql.facts_sql(genesys, DUCKDB, "inc", NOW, months=["2024-01"])) == []


def test_the_spark_dialect_gives_the_same_customer_month_facts(genesys, boundary, spark) -> None:
    incidents, contracts = boundary
    months = "2024-01..2024-12"
    check = read_check(genesys, NOW, incidents, contracts, months)
    inc = spark.createDataFrame(list(uptime_sql.incident_rows(check.index)),
                                "line BIGINT, customer STRING, s BIGINT, e BIGINT, functions ARRAY<STRING>, cause STRING")
    con = spark.createDataFrame(list(uptime_sql.contract_rows(check.contracts)),
                                "line BIGINT, customer STRING, billing STRING, currency STRING, monthly_commitment STRING, "
                                "annual_commitment STRING")
    inc.createOrReplaceTempView("inc")
    con.createOrReplaceTempView("con")
    sql = uptime_sql.facts_sql(genesys, SPARK, "inc", NOW, months=parse_months(months), contracts="con")
    got = [month_row(genesys, r.asDict()) for r in spark.sql(sql).collect()]
    assert_months_equal(python_months(check, genesys, NOW), got)
