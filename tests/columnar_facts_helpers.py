"""Helpers for the columnar uptime and claim tests: the same inputs decided by the
row engine (Python facts) and by the SQL (engine.columnar.uptime / claim), both
brought to one comparable shape: per record, fact name -> exact Python value
(Fraction, int microseconds for instants, str, None)."""

from __future__ import annotations

import io
import json
import types
from fractions import Fraction
from typing import Any, Iterable, Mapping

import pytest

from engine.check.months import credit_owed, customer_months, month_infos, parse_months, uptime_record
from engine.check.run import Check, Config
from engine.columnar import claim as claim_sql
from engine.columnar import uptime as uptime_sql
from engine.columnar.dialect import DUCKDB, Dialect
from engine.core.evaluate import Decision, Options, evaluate
from engine.core.records import RecordProblems, Source, parse_record, record_problems
from engine.errors import RecordError
from engine.io.jsontext import decode
from engine.policy.family import Family
from engine.timeutil import micros

duckdb = pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")


def shown(kinds: Mapping[str, str], facts: Mapping[str, Any]) -> dict[str, Any]:
    """Python facts in the comparable shape."""
    return {name: micros(facts[name]) if kind == "instant" and facts[name] is not None else facts[name]
            for name, kind in kinds.items()}


def read_sql(kinds: Mapping[str, str], row: Mapping[str, Any]) -> dict[str, Any]:
    """A facts row of the SQL in the comparable shape ("frac" facts from their two columns)."""
    out: dict[str, Any] = {}
    for name, kind in kinds.items():
        if kind == "frac":
            n, d = row[f"{name}__n"], row[f"{name}__d"]
            out[name] = None if n is None else Fraction(int(n), int(d))
        else:
            out[name] = row[name]
    return out


def rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


# -- customer-months -------------------------------------------------------------

def read_check(family: Family, options: Options, outages: str, contracts: str | None, months: str) -> Check:
    """The row engine's reading of the incidents and contracts (engine.check.run), nothing decided yet."""
    config = Config(outages=outages, contracts=contracts, months=parse_months(months), quiet=True, keep_going=True)
    check = Check(config, family, options, types.SimpleNamespace(stdin=None, stdout=io.StringIO(), stderr=io.StringIO()))
    check.months = month_infos(config.months or [], family, options)
    check.rejects = None
    check.read_contracts_and_incidents()
    return check


def python_months(check: Check, family: Family, options: Options) -> list[dict[str, Any]]:
    """Every customer-month as `sla check` decides it: the facts, id, revision and the credit owed."""
    out = []
    customers = list(check.contracts) or list(check.index.customers)
    for cm in customer_months(customers, check.months, check.index, check.contracts):
        raw = uptime_record(cm.customer, cm.month, cm.outages)
        decision = evaluate(parse_record(raw, Source("months", None)), family, options)
        entry = shown(uptime_sql.FACT_TYPES, decision.facts) | {"id": decision.record.id, "rev": decision.revision.revision}
        if cm.terms is not None:
            owed = credit_owed(cm.terms, decision)
            entry |= {"amount": owed.amount, "settlement": owed.settlement, "eligible": owed.eligible}
        out.append(entry)
    return out


def sql_months(check: Check, family: Family, options: Options, months: str, dialect: Dialect = DUCKDB,
               con: Any = None) -> list[dict[str, Any]]:
    """The same customer-months from the SQL; `eligible` (from the plan's reasons) taken from the row engine's."""
    con = con or duckdb.connect()
    con.execute(uptime_sql.create_sql("inc", uptime_sql.INCIDENT_COLUMNS, uptime_sql.INCIDENT_TYPES))
    con.execute(uptime_sql.create_sql("con", uptime_sql.CONTRACT_COLUMNS, uptime_sql.CONTRACT_TYPES))
    incidents = list(uptime_sql.incident_rows(check.index))
    contracts = list(uptime_sql.contract_rows(check.contracts))
    if incidents:
        con.executemany("INSERT INTO inc VALUES (?, ?, ?, ?, ?, ?)", incidents)
    if contracts:
        con.executemany("INSERT INTO con VALUES (?, ?, ?, ?, ?, ?)", contracts)
    given = "con" if check.config.contracts else None
    doubts = rows(con, uptime_sql.doubt_sql(family, dialect, "inc", options, months=parse_months(months), contracts=given))
    assert doubts == []
    return [month_row(family, r) for r in rows(con, uptime_sql.facts_sql(family, dialect, "inc", options,
                                                                         months=parse_months(months), contracts=given))]


def month_row(family: Family, row: Mapping[str, Any]) -> dict[str, Any]:
    entry = read_sql(uptime_sql.FACT_TYPES, row) | {"id": row["record"], "rev": family.revisions[row["rev"]].revision, "pos": row["pos"]}
    if row["has_contract"]:
        entry |= {"credit_amount": row["credit_amount"], "zero_amount": row["zero_amount"], "settlement": row["settlement"]}
    return entry


def assert_months_equal(python: list[dict[str, Any]], sql: list[dict[str, Any]]) -> None:
    """Every customer-month, in decision order, fact for fact; the credit owed as the row engine settles it."""
    assert [r["pos"] for r in sql] == list(range(len(python)))
    for want, got in zip(python, sql):
        got = dict(got)
        got.pop("pos")
        if "eligible" in want:
            eligible = want["eligible"]
            got = {k: v for k, v in got.items() if k not in ("credit_amount", "zero_amount")} | {
                "amount": got["credit_amount"] if eligible else got["zero_amount"],
                "settlement": got["settlement"] if eligible else None, "eligible": eligible}
        assert got == want, want["id"]


# -- credit claims -------------------------------------------------------------

def python_claim(line: str, family: Family, options: Options) -> Decision | None:
    """The row engine's decision of one JSONL claim line, or None when it rejects it."""
    try:
        raw = decode(line)
    except ValueError:
        return None
    source = Source("claims.jsonl", 1)
    if not isinstance(raw, dict) or record_problems(raw, source):
        return None
    try:
        return evaluate(parse_record(raw, source), family, options)
    except (RecordProblems, RecordError):
        return None


def stage_claims(con: Any, lines: Iterable[str], dialect: Dialect = DUCKDB) -> None:
    """The lines as the runner's raw relation (pos, j), staged into `staged`."""
    con.execute("CREATE TABLE raw (pos BIGINT, j VARCHAR)")
    con.executemany("INSERT INTO raw VALUES (?, ?)", list(enumerate(lines)))
    con.execute(f"CREATE TABLE staged AS {claim_sql.stage_sql(dialect, 'raw')}")


def parquet_claims(records: Iterable[Mapping[str, Any]]) -> tuple[Any, list[str]]:
    """The records as a Parquet chunk in the claim layout (`pos` from 0; a record Arrow cannot put in
    that layout, such as an id that is a number, is left out) and the JSON lines the row engine reads
    of those rows (engine.columnar.inputs.json_rows: a null is an absent field, keys the layout has
    not are gone), by pos."""
    import pyarrow as pa

    from engine.columnar.inputs import json_rows
    from engine.columnar.layout import typed_layout

    layout, _ = typed_layout(claim_sql)
    tables = []
    for record in records:
        try:
            tables.append(pa.Table.from_pylist([dict(record)], schema=layout))
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            continue
    table = pa.concat_tables(tables) if tables else layout.empty_table()
    lines = json_rows(table.combine_chunks().to_batches()[0]) if table.num_rows else []
    return table.append_column("pos", pa.array(range(table.num_rows), pa.int64())), lines


def stage_parquet_claims(con: Any, table: Any) -> None:
    """A Parquet chunk (parquet_claims) as the runner's raw relation, staged into `staged` by the typed staging."""
    con.register("raw", table)
    con.execute(f"CREATE TABLE staged AS {claim_sql.stage_sql(DUCKDB, 'raw', columns=table.column_names)}")


def claim_facts_python(decision: Decision) -> dict[str, Any]:
    r = decision.result
    return shown(claim_sql.FACT_TYPES, decision.facts) | {
        "rev": decision.revision.revision, "uptime_version": r["uptime_version"], "uptime_sha256": decision.extra["uptime_sha256"],
        "credit_amount": r["credit_amount"]}


def claim_facts_sql(family: Family, row: Mapping[str, Any], eligible: bool) -> dict[str, Any]:
    return read_sql(claim_sql.FACT_TYPES, row) | {
        "rev": family.revisions[row["rev"]].revision, "uptime_version": row["uptime_version"],
        "uptime_sha256": row["uptime_sha256"], "credit_amount": row["credit_amount"] if eligible else row["zero_amount"]}


def compare_claims(lines: list[str], family: Family, options: Options, parquet: bool = False) -> dict[str, int]:
    """Stage and decide the lines in SQL; every claim the SQL decides has the row engine's facts,
    and every line the row engine rejects is left to it (never decided by the SQL). Counts back.
    parquet: the lines' records staged from a Parquet chunk (parquet_claims; the row engine then
    reads the JSON lines of that chunk's rows)."""
    con = duckdb.connect()
    if parquet:
        table, lines = parquet_claims(json.loads(line) for line in lines)
        stage_parquet_claims(con, table)
    else:
        stage_claims(con, lines)
    sure = {r["pos"]: r["sure"] for r in rows(con, "SELECT pos, sure FROM staged")}
    doubt = {r["pos"]: r["doubt"] for r in rows(con, claim_sql.doubt_sql(family, DUCKDB, "staged", options))}
    facts = {r["pos"]: r for r in rows(con, claim_sql.facts_sql(family, DUCKDB, "staged", options))}
    assert set(facts) | set(doubt) == {p for p, s in sure.items() if s}
    assert not set(facts) & set(doubt)
    for pos, line in enumerate(lines):
        decision = python_claim(line, family, options)
        if pos in facts:
            assert decision is not None, f"line {pos}: the SQL decides a claim the row engine rejects"
            assert claim_facts_sql(family, facts[pos], decision.result["eligible"]) == claim_facts_python(decision), f"line {pos}"
    return {"lines": len(lines), "sure": sum(sure.values()), "decided": len(facts), "doubt": len(doubt)}


def claim_line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def plan_decisions(con: Any, family: Family, kind: str, facts: str, options: Options,
                   dialect: Dialect = DUCKDB) -> dict[int, dict[str, Any]]:
    """The decisions the compiled plan (engine.columnar.plan) makes of a facts query, parsed, by pos."""
    from engine.columnar.plan import compile_plan

    plan = compile_plan(family, kind, dialect, options)
    return {r["pos"]: json.loads(r["decision"]) for r in rows(con, f"WITH facts AS ({facts}) {plan.sql('facts')}")}
