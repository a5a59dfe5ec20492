"""The compiled plan's decisions equal the row engine's, messages included.

The facts relation is made here the way a kind module must make it (the columns
engine.columnar.plan.FactsShape describes), from the Python core's own facts of
each record; DuckDB runs the plan over it, and every decision (parsed JSON) must
equal `Engine.evaluate`'s for the same record, in both languages, under --as-of
too, for cases, uptime months and credit claims (bundled examples and the
bench generator's data).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from engine.api import Engine
from engine.columnar.dialect import DUCKDB, SPARK, Dialect
from engine.check.work import failing as flags
from engine.columnar.plan import FactsShape, ResultField, compile_plan, names_read, reasons_sql, revision_columns
from engine.core.credit import month_credit, month_rules
from engine.lang.backends.sql import Uncompilable, field_column
from engine.timeutil import micros
from check_helpers import generator
from spark_helpers import spark  # noqa: F401  (the session fixture)

duckdb = pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")

ROOT = Path(__file__).resolve().parent.parent
NOW = "2024-12-01T00:00:00Z"

CASE_FACTS = {
    "severity": "int", "channel": "text", "submission_channels": "texts", "current_severity": "int",
    "escalated_to_restricted_severity": "bool", "escalated_to": "int", "escalation_request_at": "instant",
    "clock_severity": "int", "clock_start": "instant", "response_target_minutes": "frac", "response_deadline": "instant",
    "response_at": "instant", "response_minutes": "frac", "response_met": "bool", "now": "instant",
    "primary_contacts": "int", "backup_contacts": "int", "required_primary_contacts": "int", "required_backup_contacts": "int",
}
UPTIME_FACTS = {"month": "text", "month_start": "instant", "month_end": "instant", "total_minutes": "frac",
                "unavailable_minutes": "frac", "excluded_minutes": "frac", "uptime_percent": "frac",
                "credit_percent": "frac", "tier_below": "frac"}
CLAIM_FACTS = {**UPTIME_FACTS, "submitted_at": "instant", "support_case": "text", "billing": "text", "currency": "text",
               "base_amount": "frac", "window_days": "int", "window_closes_at": "instant", "window_revision": "text",
               "settlement": "text"}
FIELDS = {
    "case": {"initial_troubleshooting": "bool", "portal_case.customer_name": "bool",
             "portal_case.organisation_id": "bool", "portal_case.impact_description": "bool"},
    "uptime": {},
    "credit_claim": {"contract.billing": "text", "contract.currency": "text", "submitted_at": "instant",
                     "support_case": "text"},
}
RESULTS = {
    "case": (("severity", "int"), ("current_severity", "int"), ("response_target_minutes", "text"),
             ("response_minutes", "text"), ("response_met", "bool"), ("clock_start", "text"),
             ("response_deadline", "text"), ("evaluated_at", "text")),
    "uptime": tuple((k, "text") for k in ("total_minutes", "unavailable_minutes", "excluded_minutes", "uptime_percent",
                                          "credit_percent")),
    "credit_claim": (("eligible", "bool"), ("credit_percent", "text"), ("credit_amount", "text"), ("currency", "text"),
                     ("settlement", "text"), ("reasons", "texts"), ("uptime_version", "text"),
                     ("uptime_percent", "text"), ("window_closes_at", "text")),
}
FACT_TYPES = {"case": CASE_FACTS, "uptime": UPTIME_FACTS, "credit_claim": CLAIM_FACTS}
SQL_TYPES = {"int": "BIGINT", "instant": "BIGINT", "bool": "BOOLEAN", "text": "VARCHAR", "texts": "VARCHAR[]"}


def shape(kind: str, dialect: Dialect = DUCKDB) -> FactsShape:
    """The test's shape; a credit claim's eligibility and reasons come from the plan's `reasons`."""
    fields = []
    for key, kind_ in RESULTS[kind]:
        sql = None
        if kind == "credit_claim" and key == "eligible":
            sql = f"({dialect.list_len('reasons')} = 0)"
        elif kind == "credit_claim" and key == "reasons":
            sql = "reasons"
        fields.append(ResultField(key, kind_, sql))
    return FactsShape(kind, FACT_TYPES[kind], FIELDS[kind], tuple(fields))


def _cell(value: Any, kind: str) -> list[Any]:
    if kind == "frac":
        return [None, None] if value is None else [str(Fraction(value).numerator), str(Fraction(value).denominator)]
    if kind == "instant":
        return [None if value is None else micros(value)]
    if kind == "texts":
        return [None if value is None else list(value)]
    if kind == "int" and value is not None:
        return [int(value)]
    return [value]


def _field(fields: dict, path: str) -> Any:
    value: Any = fields
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def facts_table(con, kind: str, family, decisions) -> None:
    """The facts relation `facts` of the decided records, as a kind module would stage it."""
    names, types = ["pos", *revision_columns(kind), "record", "customer"], ["BIGINT"] + ["INTEGER"] * len(revision_columns(kind)) + ["VARCHAR", "VARCHAR"]
    columns = [*FACT_TYPES[kind].items(), *((field_column(p), t) for p, t in FIELDS[kind].items())]
    for name, t in columns:
        if t == "frac":
            names += [f"{name}__n", f"{name}__d"]
            types += ["HUGEINT", "HUGEINT"]
        else:
            names.append(name)
            types.append(SQL_TYPES[t])
    results = [(k, t) for k, t in RESULTS[kind] if not (kind == "credit_claim" and k in ("eligible", "reasons"))]
    for key, t in results:
        names.append(f"result__{key}")
        types.append(SQL_TYPES[t])
    con.execute("CREATE OR REPLACE TABLE facts (" + ", ".join(f'"{n}" {t}' for n, t in zip(names, types)) + ")")
    rows = []
    for pos, decision in enumerate(decisions):
        row: list[Any] = [pos, *(family.revisions.index(s.revision) for s in decision.selections),
                          decision.record.id, decision.record.customer]
        for name, t in FACT_TYPES[kind].items():
            row += _cell(decision.facts[name], t)
        for path, t in FIELDS[kind].items():
            row += _cell(_field(decision.record.fields, path), t)
        for key, t in results:
            row += _cell(decision.result[key], t)
        rows.append(row)
    con.executemany(f"INSERT INTO facts VALUES ({', '.join('?' * len(names))})", rows)


def records() -> dict[str, list[dict]]:
    import yaml

    out = {"case": [json.loads(line) for line in (ROOT / "examples/records/cases.jsonl").read_text().splitlines() if line.strip()],
           "uptime": json.loads((ROOT / "examples/records/uptime-2024.json").read_text()),
           "credit_claim": yaml.safe_load((ROOT / "examples/records/claims.yaml").read_text())}
    return out


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench")
    generator().generate(folder, 300, 3, 120, 11, ticketing=False)
    return folder


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(ROOT / "policies")


def _agree(engine: Engine, kind: str, raws: list[dict], lang: str = "en", as_of: str | None = None) -> int:
    out = engine.evaluate(raws, now=NOW, lang=lang, as_of=as_of)
    family = engine.family()
    decided = [d for d in out.objects if d.record.type == kind]
    assert decided, f"no {kind} decisions to compare"
    con = duckdb.connect()
    facts_table(con, kind, family, decided)
    plan = compile_plan(family, kind, DUCKDB, engine.options(NOW, as_of, lang), shape(kind))
    rows = con.execute(plan.sql("facts") + " ORDER BY pos").fetchall()
    assert len(rows) == len(decided)
    for (pos, record, decision, failing, breached, violation, reasons), expected in zip(rows, decided):
        assert json.loads(decision) == expected.to_json(), record
        assert (failing, (breached, violation)) == (expected.failing, flags(expected))
        assert reasons == [f.reason for f in expected.findings if f.reason]
    lines = con.execute(plan.sql("facts", newline=True) + " ORDER BY pos").fetchall()
    assert [r[2] for r in lines] == [r[2] + "\n" for r in rows]  # the JSONL line: the same text and its newline
    con.close()
    return len(rows)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", ["case", "uptime", "credit_claim"])
def test_plan_decisions_equal_the_row_engine_on_the_examples(engine, kind, lang):
    assert _agree(engine, kind, records()[kind], lang) > 0


@pytest.mark.parametrize("kind, file", [("case", "cases.jsonl"), ("credit_claim", "claims.jsonl")])
def test_plan_decisions_equal_the_row_engine_on_generated_data(engine, bench, kind, file):
    raws = [json.loads(line) for line in (bench / file).read_text().splitlines() if line.strip()]
    assert _agree(engine, kind, raws) == len(raws)


def test_a_what_if_plan_labels_every_decision(engine):
    assert _agree(engine, "case", records()["case"], "en", as_of="2024-05-01") > 0


def test_a_rule_the_sql_cannot_express_is_refused_naming_the_rule(engine):
    family = engine.family()
    narrow = FactsShape("case", {k: v for k, v in CASE_FACTS.items() if k != "channel"}, FIELDS["case"], ())
    with pytest.raises(Uncompilable) as caught:
        compile_plan(family, "case", DUCKDB, engine.options(NOW), narrow)
    assert caught.value.rule == "case.submission_channel" and "channel" in str(caught.value)


@pytest.mark.parametrize("kind", ["case", "uptime", "credit_claim"])
def test_the_names_rules_and_messages_read_are_the_columns_this_shape_holds(engine, kind):
    read = names_read(engine.family(), kind)
    assert read["fact"] <= set(FACT_TYPES[kind]) and read["field"] == set(FIELDS[kind]) - {"contract.currency"}


SPARK_TYPES = {"BIGINT": "BIGINT", "INTEGER": "INT", "VARCHAR": "STRING", "BOOLEAN": "BOOLEAN",
               "HUGEINT": "DECIMAL(38,0)", "VARCHAR[]": "ARRAY<STRING>"}


@pytest.mark.parametrize("kind, lang", [("case", "zh"), ("credit_claim", "en")])
def test_the_same_plan_on_spark_decides_as_the_row_engine(engine, spark, kind, lang):
    from decimal import Decimal

    out = engine.evaluate(records()[kind], now=NOW, lang=lang)
    decided = [d for d in out.objects if d.record.type == kind]
    con = duckdb.connect()
    facts_table(con, kind, engine.family(), decided)
    described = con.execute("DESCRIBE facts").fetchall()
    rows = [tuple(Decimal(v) if t == "HUGEINT" and v is not None else v for v, (_, t, *_) in zip(row, described))
            for row in con.execute("SELECT * FROM facts ORDER BY pos").fetchall()]
    schema = ", ".join(f"`{name}` {SPARK_TYPES[t]}" for name, t, *_ in described)
    spark.createDataFrame(rows, schema).createOrReplaceTempView("facts")
    plan = compile_plan(engine.family(), kind, SPARK, engine.options(NOW, None, lang), shape(kind, SPARK))
    got = spark.sql(plan.sql("facts") + " ORDER BY pos").collect()
    assert [json.loads(r["decision"]) for r in got] == [d.to_json() for d in decided]
    assert [r["failing"] for r in got] == [d.failing for d in decided]
    lines = spark.sql(plan.sql("facts", newline=True) + " ORDER BY pos").collect()
    assert [r["decision"] for r in lines] == [r["decision"] + "\n" for r in got]


def test_a_facts_row_with_a_revision_outside_the_family_stops_the_query(engine):
    decided = engine.evaluate(records()["case"][:2], now=NOW).objects
    con = duckdb.connect()
    facts_table(con, "case", engine.family(), decided)
    con.execute("UPDATE facts SET rev = 99 WHERE pos = 1")
    plan = compile_plan(engine.family(), "case", DUCKDB, engine.options(NOW), shape("case"))
    with pytest.raises(duckdb.Error, match="revision index outside"):
        con.execute(plan.sql("facts")).fetchall()


def test_a_new_revision_written_in_yaml_flows_into_the_plan(tmp_path):
    """A revision with another Sev1 target, a new tier, a longer window, a new severity and a
    new rule (engine unchanged): records on both sides of it decide as the row engine decides."""
    from conftest import case, claim, outage
    from test_new_revision_without_code import BUNDLED, new_revision_text

    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    (folder / "2024-10-01.yaml").write_text(BUNDLED.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "2025-06-01.yaml").write_text(new_revision_text(BUNDLED.read_text(encoding="utf-8")), encoding="utf-8")
    engine = Engine.load(tmp_path)
    reply = lambda at: [{"type": "human_response", "at": at, "via": "phone"}]  # noqa: E731
    cases = [case(id="OLD", severity=1, channel="phone", submitted_at="2025-05-31T23:50:00Z", events=reply("2025-06-01T00:04:00Z")),
             case(id="NEW", severity=1, channel="phone", submitted_at="2025-06-02T09:00:00Z", events=reply("2025-06-02T09:15:00Z")),
             case(id="SEV5", severity=5, channel="portal", submitted_at="2025-06-03T09:00:00Z")]
    down = [outage("2025-05-12T02:00:00Z", "2025-05-12T04:00:00Z")]
    claims = [claim(id="K-OLD", month="2025-04", submitted_at="2025-05-10T00:00:00Z", outages=[]),
              claim(id="K-SPAN", month="2025-05", submitted_at="2025-06-20T00:00:00Z", outages=down),
              claim(id="K-EUR", month="2025-05", submitted_at="2025-06-21T00:00:00Z", outages=down,
                    contract={"billing": "annual_prepaid", "annual_commitment": "120000", "currency": "EUR"})]
    assert _agree(engine, "case", cases) == 3
    assert _agree(engine, "credit_claim", claims, "zh") == 3
    plan = compile_plan(engine.family(), "credit_claim", DUCKDB, engine.options(NOW), shape("credit_claim"))
    assert any("claim.currency_usd" in sql for sql in [plan.decision]) and "currency_not_usd" in plan.reasons


def test_the_reasons_of_the_rules_a_month_runs_without_a_claim_equal_month_credit(engine, bench):
    raws = [json.loads(line) for line in (bench / "claims.jsonl").read_text().splitlines() if line.strip()]
    decided = engine.evaluate(raws, now=NOW).objects
    con = duckdb.connect()
    family = engine.family()
    facts_table(con, "credit_claim", family, decided)
    sql = reasons_sql(family, DUCKDB, shape("credit_claim"), month_rules)
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM facts ORDER BY pos").fetchall()]
    expected = [list(month_credit(d.revision, d.record.fields["contract"], d.facts).reasons) for d in decided]
    assert got == expected and any(got) and not all(got)


def test_a_value_several_messages_show_is_written_once_as_a_column(engine):
    """The response rule's messages show the target's decimal text four times: written in each, it was a fifth
    of a cases chunk's planning. It is one column of the plan now (the decisions are the row engine's: above)."""
    from engine.columnar import text

    plan = compile_plan(engine.family(), "case", DUCKDB, engine.options(NOW), shape("case"))
    sql = plan.sql("facts")
    target = text.decimal_text('"response_target_minutes__n"', '"response_target_minutes__d"', DUCKDB)
    assert sql.count(target) == 1
    assert [name for name, column in plan.shown_columns if target in column]
    assert "\x00" not in sql
    assert not [column for _, column in plan.shown_columns if column in plan.decision]


def test_a_value_only_one_message_shows_stays_in_that_message():
    """Not computed for every row: only a row whose finding has that message computes it."""
    from engine.columnar.plan import _Shown

    shown = _Shown(DUCKDB)
    once, twice = "(rare_sql)", "(common_sql)"
    a = "concat('x', " + shown.mark(twice) + ")"
    b = "concat('y', " + shown.mark(twice) + ", " + shown.mark(once) + ")"
    assert [shown.resolve(a), shown.resolve(b)] == ["concat('x', \"_s0\")", "concat('y', \"_s0\", (rare_sql))"]
    assert shown.columns() == (("_s0", twice),)


def test_a_value_column_named_like_a_column_of_the_plans_output_is_refused(engine):
    """Spark refuses a name given twice in one SELECT and DuckDB would pick one silently, so the plan says so."""
    plan = compile_plan(engine.family(), "credit_claim", DUCKDB, engine.options(NOW), shape("credit_claim"))
    with pytest.raises(ValueError, match="reasons"):
        plan.sql("facts", values={"reasons": "result.reasons"})
    assert "AS \"result_reasons\"" in plan.sql("facts", values={"result_reasons": "result.reasons"})


def test_a_passed_facts_column_named_like_an_output_or_value_column_is_refused(engine):
    """Facts carried through the plan's SELECT (so the decisions need not be joined back to their facts)
    may not take a name the output or a value column already has."""
    plan = compile_plan(engine.family(), "case", DUCKDB, engine.options(NOW), shape("case"))
    with pytest.raises(ValueError, match="record"):
        plan.sql("facts", passed=("record",))
    with pytest.raises(ValueError, match="target"):
        plan.sql("facts", values={"target": "result.response_target_minutes"}, passed=("target",))
    assert ', "clock_severity" FROM (SELECT *, (' in plan.sql("facts", passed=("clock_severity",))
