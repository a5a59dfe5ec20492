"""Credit claims staged and decided in SQL (engine.columnar.claim) have exactly the
row engine's facts (uptime of the month under the month's revision, contract terms,
window under the revision in force when it closes, credit amount), and every line
the SQL is not sure of is left to the row engine."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from check_helpers import generate
from spark_helpers import spark  # noqa: F401  (the session fixture)
from columnar_facts_helpers import (claim_facts_python, claim_facts_sql, claim_line, compare_claims, parquet_claims,
                                    plan_decisions, python_claim, rows, stage_claims)
from conftest import ROOT, claim, outage
from engine.columnar import claim as claim_sql
from engine.columnar.dialect import DUCKDB, SPARK
from engine.core.evaluate import Options
from engine.errors import Problem
from engine.io.inputs import read_records
from engine.lang.backends.sql import Uncompilable
from engine.timeutil import iso

NOW = Options(now=datetime(2025, 6, 1, tzinfo=timezone.utc))


def _window_close(genesys, month: str) -> datetime:
    """When the claim window of a month closes, from the revision in force then (the row engine's facts)."""
    decision = python_claim(claim_line(claim(month=month, submitted_at="2030-01-01T00:00:00Z")), genesys, NOW)
    assert decision is not None
    return decision.facts["window_closes_at"]


def _boundary_claims(genesys) -> list[str]:
    closes = _window_close(genesys, "2024-05")
    last_second, at_close = iso(closes - timedelta(seconds=1)), iso(closes)
    out = [
        claim(id="K-day30", month="2024-05", submitted_at=last_second),      # the window's last second: timely
        claim(id="K-day31", month="2024-05", submitted_at=at_close),         # the first late instant
        claim(id="K-early", month="2024-05", submitted_at="2024-05-31T23:59:59Z"),  # premature
        claim(id="K-nocase", support_case=None),
        claim(id="K-perpetual", contract={"billing": "perpetual_license", "monthly_commitment": "10", "currency": "USD"}),
        claim(id="K-annual", contract={"billing": "annual_prepaid", "annual_commitment": "1000.005", "currency": "KWD"},
              outages=[outage("2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z")]),
        claim(id="K-yen", contract={"billing": "month_to_month", "monthly_commitment": "999", "currency": "JPY"},
              outages=[outage("2024-03-01T00:00:00Z", "2024-03-01T05:00:00.5Z")]),
        claim(id="K-overlap", outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T03:00:00Z", cause="customer_network"),
                                       outage("2024-03-12T02:30:00+01:00", "2024-03-12T04:00:00Z"),
                                       outage("2024-03-12T01:00:00Z", "2024-03-12T09:00:00Z", ["reporting"]),
                                       outage("2024-02-29T23:00:00Z", "2024-03-01T01:00:00Z", ["outbound_voice"])]),
        claim(id="K-rev-2021", month="2024-03", submitted_at="2024-04-23T23:59:59Z", support_case=None),  # window across a revision
        claim(id="K-rev-2024", month="2024-03", submitted_at="2024-04-24T00:00:00Z", support_case=None),
        claim(id="K-none", outages=[]),
    ]
    return [claim_line(r) for r in out]


# Lines the SQL must leave to the row engine (it rejects or decides them itself).
DOUBTFUL = [
    claim(submitted_at="2024-04-15T09:00:00"),                        # naive timestamp
    claim(submitted_at="2024-04-15t09:00:00Z"),                       # a shape only the row engine reads
    claim(submitted_at="2024-02-30T09:00:00Z"),                       # no such day
    claim(id=7),                                                      # wrong type
    claim(extra="x"),                                                 # unknown key
    claim(contract={"billing": "month_to_month", "monthly_commitment": 10000, "currency": "USD"}),
    claim(contract={"billing": "month_to_month", "currency": "USD", "monthly_commitment": "1e4"}),
    claim(outages=[{**outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z"), "duration": 40}]),
    claim(outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00.1234567Z")]),
    claim(id="K-\u2028"),                                             # a line separator in an id
]
# Lines the SQL is sure of, but whose facts it leaves to the row engine (the policy's values).
UNDECIDED = [
    claim(outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z", ["teleportation"])]),  # unknown function
    claim(outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T01:40:00Z")]),                     # ends before it starts
    claim(contract={"billing": "month_to_month", "currency": "XXX", "monthly_commitment": "1"}),  # unknown currency
    claim(contract={"billing": "month_to_month", "currency": "USD"}),                            # no base amount
    claim(month="2019-03", submitted_at="2019-04-02T00:00:00Z"),                                 # before the earliest revision
    claim(month="2024-13"),                                                                      # no such month
]


def test_hand_written_boundary_claims_have_the_row_engines_facts(genesys) -> None:
    lines = _boundary_claims(genesys)
    counts = compare_claims(lines, genesys, NOW)
    assert counts == {"lines": len(lines), "sure": len(lines), "decided": len(lines), "doubt": 0}
    reasons = {json.loads(line)["id"]: python_claim(line, genesys, NOW).result["reasons"] for line in lines}
    assert "late" not in reasons["K-day30"] and "late" in reasons["K-day31"]
    assert "premature" in reasons["K-early"] and "contract_not_eligible" in reasons["K-perpetual"]


def test_claims_under_as_of_have_the_row_engines_facts(genesys) -> None:
    options = Options(now=NOW.now, as_of=date(2021, 6, 1))
    lines = _boundary_claims(genesys)
    assert compare_claims(lines, genesys, options)["decided"] == len(lines)


def test_doubtful_lines_are_not_sure_and_go_to_the_row_engine(genesys) -> None:
    lines = [claim_line(r) for r in DOUBTFUL] + [claim_line(claim())[:-1] + ', "id": "K-2"}', "{not json", "[1, 2]",
                                                 claim_line(claim())[:-1] + ", }", claim_line(claim(outages=[]))[:-3] + "[ ,]}",
                                                 claim_line(claim(id="K-\\u0041")).replace("\\\\", "\\")]
    counts = compare_claims(lines, genesys, NOW)
    assert counts["sure"] == 0


def _key_problems() -> dict[str, str]:
    """Claims whose keys the schema refuses: one missing, repeated, unknown or in other letters, at
    the top, in the contract and in an outage."""
    base = claim_line(claim())
    without = lambda record, key: {k: v for k, v in record.items() if k != key}  # noqa: E731
    contract = claim()["contract"]
    one = outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z")
    return {
        "no month": claim_line(without(claim(), "month")),
        "no support case key": claim_line(without(claim(), "support_case")),
        "contract without currency": claim_line(claim(contract=without(contract, "currency"))),
        "outage without cause": claim_line(claim(outages=[without(one, "cause")])),
        "top key repeated": base.replace('"customer": "acme"', '"customer": "acme", "customer": "acme"'),
        "contract key repeated": base.replace('"currency": "USD"', '"currency": "USD", "currency": "USD"'),
        "outage key repeated": base.replace('"cause": "genesys"', '"cause": "genesys", "cause": "genesys"'),
        "contract key in capitals": claim_line(claim(contract={**contract, "Currency": "USD"})),
        "outage key unknown": claim_line(claim(outages=[{**one, "region": "eu"}])),
        "null amount": claim_line(claim(contract={**contract, "monthly_commitment": None})),
    }


def test_claims_with_a_key_missing_repeated_or_unknown_are_not_sure(genesys) -> None:
    problems = _key_problems()
    for name, line in problems.items():
        assert python_claim(line, genesys, NOW) is None, f"{name}: the row engine decides it, so it is no example"
    assert compare_claims(list(problems.values()), genesys, NOW)["sure"] == 0


def test_the_keys_the_json_staging_counts_are_the_claim_schemas() -> None:
    """The staging counts an object's keys against these lists: a key the schema adds or drops must
    be added or dropped here too, which this test asks for."""
    from engine.io.schemas import schema

    props = schema("records/credit_claim.schema.json")
    outage_schema = schema("records/common.schema.json")["$defs"]["outage"]
    assert set(claim_sql.CLAIM_KEYS) == set(props["properties"]) == set(props["required"])
    assert set(claim_sql.CONTRACT_KEYS) == set(props["properties"]["contract"]["properties"])
    assert set(claim_sql.CONTRACT_REQUIRED) == set(props["properties"]["contract"]["required"])
    assert set(claim_sql.OUTAGE_PATHS) == set(outage_schema["properties"])
    assert set(claim_sql.OUTAGE_REQUIRED) == set(outage_schema["required"])


def test_values_the_policy_does_not_define_are_left_to_the_row_engine(genesys) -> None:
    lines = [claim_line(r) for r in UNDECIDED]
    counts = compare_claims(lines, genesys, NOW)
    assert counts == {"lines": len(lines), "sure": len(lines), "decided": 0, "doubt": len(lines)}


def test_generated_claims_have_the_row_engines_facts(genesys, tmp_path: Path) -> None:
    data = generate(tmp_path / "data", cases=5, customers=30, claims=400, seed=5)
    lines = (data / "claims.jsonl").read_text(encoding="utf-8").splitlines()
    counts = compare_claims(lines, genesys, NOW)
    assert counts["decided"] == len(lines)


def test_example_claims_have_the_row_engines_facts(genesys) -> None:
    records = [r for r in read_records(str(ROOT / "examples" / "records" / "claims.yaml")) if not isinstance(r, Problem)]
    lines = [claim_line(r.data) for r in records]
    assert lines
    assert compare_claims(lines, genesys, NOW)["decided"] == len(lines)


def test_claim_decisions_through_the_compiled_plan_equal_the_row_engines(genesys, tmp_path: Path) -> None:
    import duckdb

    data = generate(tmp_path / "data", cases=5, customers=20, claims=300, seed=9)
    generated = (data / "claims.jsonl").read_text(encoding="utf-8").splitlines()
    for lines, options in [(_boundary_claims(genesys), NOW), (generated, NOW), (generated[:60], Options(now=NOW.now, lang="zh")),
                           (_boundary_claims(genesys), Options(now=NOW.now, as_of=date(2021, 6, 1)))]:
        con = duckdb.connect()
        stage_claims(con, lines)
        got = plan_decisions(con, genesys, "credit_claim", claim_sql.facts_sql(genesys, DUCKDB, "staged", options), options)
        assert sorted(got) == list(range(len(lines)))
        for pos, line in enumerate(lines):
            assert got[pos] == python_claim(line, genesys, options).to_json(), f"line {pos}"


# Records a Parquet chunk in the claim layout can hold that the row engine rejects (or the SQL is not sure of).
PARQUET_DOUBTFUL = [
    claim(submitted_at="2024-04-15T09:00:00"), claim(submitted_at="2024-04-15t09:00:00Z"),
    claim(submitted_at="2024-02-30T09:00:00Z"), claim(id=""), claim(id="K-" + "x" * 199), claim(customer=None),
    claim(id="K-\u2028"), claim(id="K-\x00"), claim(type="case"), claim(month="2024-3"), claim(contract=None),
    claim(contract={"billing": "month_to_month", "monthly_commitment": "1e4", "currency": "USD"}),
    claim(contract={"billing": "month_to_month", "monthly_commitment": "10"}),
    claim(contract={"billing": "Month", "monthly_commitment": "10", "currency": "USD"}),
    claim(outages=None), claim(outages=[None]),
    claim(outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00.1234567Z")]),
    claim(outages=[{**outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z"), "functions": []}]),
    claim(outages=[{**outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z"), "functions": [None]}]),
    claim(outages=[{**outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z"), "cause": None}]),
    claim(outages=[{**outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z"), "id": ""}]),
    claim(outages=[{**outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z"), "note": "a\nb"}]),
]


def test_parquet_claims_have_the_row_engines_facts(genesys, tmp_path: Path) -> None:
    """The typed staging of a Parquet chunk (engine.columnar.claim.parquet_schema): the same facts as the
    row engine reads from each row's JSON line; optional ids and notes, and nulls for absent fields, too."""
    data = generate(tmp_path / "data", cases=5, customers=30, claims=300, seed=5)
    generated = (data / "claims.jsonl").read_text(encoding="utf-8").splitlines()
    noted = claim_line(claim(id="K-noted", support_case="C-\"quoted\"", outages=[
        {**outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z"), "id": "INC-1", "note": "a \\ b"}]))
    lines = _boundary_claims(genesys) + generated + [noted]
    counts = compare_claims(lines, genesys, NOW, parquet=True)
    assert counts == {"lines": len(lines), "sure": len(lines), "decided": len(lines), "doubt": 0}


def test_parquet_claims_the_row_engine_rejects_are_not_sure(genesys) -> None:
    lines = [claim_line(r) for r in PARQUET_DOUBTFUL]
    counts = compare_claims(lines, genesys, NOW, parquet=True)
    assert counts["lines"] == len(lines) and counts["sure"] == 0


def test_parquet_claims_with_values_the_policy_does_not_define_are_left_to_the_row_engine(genesys) -> None:
    lines = [claim_line(r) for r in UNDECIDED]
    counts = compare_claims(lines, genesys, NOW, parquet=True)
    assert counts == {"lines": len(lines), "sure": len(lines), "decided": 0, "doubt": len(lines)}


def test_spark_stages_parquet_claims_and_decides_them_as_the_row_engine_does(genesys, spark, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from engine.columnar.plan import compile_plan

    records = [json.loads(line) for line in _boundary_claims(genesys)] + PARQUET_DOUBTFUL
    table, lines = parquet_claims(records)
    pq.write_table(table, tmp_path / "claims.parquet")
    spark.read.parquet(str(tmp_path / "claims.parquet")).createOrReplaceTempView("raw")
    spark.sql(claim_sql.stage_sql(SPARK, "raw", columns=table.column_names)).createOrReplaceTempView("staged")
    sure = {r["pos"] for r in spark.sql("SELECT pos FROM staged WHERE sure").collect()}
    assert sure == set(range(len(_boundary_claims(genesys))))
    spark.sql(claim_sql.facts_sql(genesys, SPARK, "staged", NOW)).createOrReplaceTempView("facts")
    plan = compile_plan(genesys, "credit_claim", SPARK, NOW)
    got = {r["pos"]: json.loads(r["decision"]) for r in spark.sql(plan.sql("facts")).collect()}
    assert set(got) == sure
    for pos in sure:
        assert got[pos] == python_claim(lines[pos], genesys, NOW).to_json(), f"line {pos}"


def test_claims_from_json_text_are_not_staged_on_spark() -> None:
    with pytest.raises(Uncompilable, match="DuckDB only"):
        claim_sql.stage_sql(SPARK, "raw")


def test_the_spark_dialect_gives_the_same_claim_facts(genesys, spark) -> None:
    import duckdb

    lines = _boundary_claims(genesys)
    con = duckdb.connect()
    stage_claims(con, lines)
    staged = rows(con, "SELECT * FROM staged")
    schema = ("pos BIGINT, sure BOOLEAN, id STRING, customer STRING, month STRING, submitted_at STRING, submitted_us BIGINT, "
              "support_case STRING, contract__billing STRING, contract__currency STRING, contract__monthly_commitment STRING, "
              "contract__annual_commitment STRING, outages ARRAY<STRUCT<s: BIGINT, e: BIGINT, functions: ARRAY<STRING>, cause: STRING>>")
    spark.createDataFrame([tuple(r.values()) for r in staged], schema).createOrReplaceTempView("staged")
    got = {r["pos"]: r.asDict() for r in spark.sql(claim_sql.facts_sql(genesys, SPARK, "staged", NOW)).collect()}
    assert sorted(got) == list(range(len(lines)))
    for pos, line in enumerate(lines):
        decision = python_claim(line, genesys, NOW)
        assert claim_facts_sql(genesys, got[pos], decision.result["eligible"]) == claim_facts_python(decision)


def _claim_instant_texts() -> list[str]:
    from test_columnar_case import INSTANTS

    return INSTANTS + ["2024-05-31T23:59:59Z", "2024-06-30T23:59:59.999999Z", "2016-12-31T23:59:59+14:00"]


def _check_claim_instants(read: dict[str, tuple[bool, int | None]]) -> None:
    """Every text the SQL is sure of has parse_instant's microseconds, and every plain RFC 3339 text
    the row engine reads (upper-case T and Z, at most six fraction digits) is one it is sure of."""
    import re

    from engine.columnar.instant import COMMON
    from engine.timeutil import TimeFormatError, micros, parse_instant

    assert set(read) == set(_claim_instant_texts())
    for text, (sure, us) in read.items():
        try:
            expected = micros(parse_instant(text))
        except TimeFormatError:
            expected = None
        if sure:
            assert us == expected, text
        else:
            assert expected is None or not re.fullmatch(COMMON, text), text


def test_claim_instants_the_sql_is_sure_of_are_read_exactly_as_parse_instant_reads_them():
    """engine.columnar.stamps on DuckDB: instant.py's common shape and DuckDB's cast."""
    import duckdb

    from engine.columnar.stamps import instant_sure, instant_us

    con = duckdb.connect()
    sure, us = instant_sure(DUCKDB, "s"), instant_us(DUCKDB, "s")
    read = {text: con.execute(f"SELECT {sure}, CASE WHEN {sure} THEN {us} END FROM (SELECT ?::VARCHAR AS s)", [text]).fetchone()
            for text in _claim_instant_texts()}
    _check_claim_instants(read)


def test_claim_instants_on_spark_are_read_exactly_as_parse_instant_reads_them(spark) -> None:
    """engine.columnar.stamps on Spark: instant.py's digit-by-digit reading of the same common shape."""
    from engine.columnar.stamps import instant_sure, instant_us

    spark.createDataFrame([(t,) for t in _claim_instant_texts()], "s STRING").createOrReplaceTempView("claim_instants")
    sure, us = instant_sure(SPARK, "s"), instant_us(SPARK, "s")
    rows = spark.sql(f"SELECT s, {sure} AS sure, CASE WHEN {sure} THEN {us} END AS us FROM claim_instants").collect()
    _check_claim_instants({r["s"]: (r["sure"], r["us"]) for r in rows})
