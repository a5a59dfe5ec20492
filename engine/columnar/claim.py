"""Credit claims in SQL: stage (typed columns, `sure`) and facts, as
engine.core.facts.claim and engine.core.credit compute them.

Two revisions meet, as in engine.kinds.credit_claim: the month's (uptime and
tiers, by the month's first instant: `month_rev`) and the claim's (window,
requirements, contract terms, by `submitted_at`: `rev`, the decision's). The
month's bounds and the claim window come from engine.columnar.months (the row
engine's own functions, run at compile time per month).

Staged columns (one row per claim, read from its JSON text `j` on DuckDB, or from
a Parquet chunk in `parquet_schema()`'s layout on either engine):
    pos, id, customer, month, submitted_at (text), submitted_us, support_case,
    contract__billing, contract__currency, contract__monthly_commitment,
    contract__annual_commitment (texts), outages (list of struct s, e, functions,
    cause), sure.
"""

from __future__ import annotations

from typing import Any, Sequence

from engine.columnar import terms
from engine.columnar.dialect import Dialect
from engine.columnar.months import claim_months, values_sql
from engine.columnar.outages import union_sql
from engine.columnar.stamps import (MONEY_SHAPE, MONTH_SHAPE, NAME_SHAPE, all_of, any_of, byte_length, explode, finds,
                                    instant_sure, instant_us, keys_known_once, money_d, money_n)
from engine.columnar import text
from engine.columnar.plan import FactsShape, ResultField
from engine.lang.backends.sql import Uncompilable, field_column
from engine.core.evaluate import Options
from engine.policy.family import Family, Revision
from engine.timeutil import micros

FACT_TYPES: dict[str, str] = {
    "month": "text", "month_start": "instant", "month_end": "instant",
    "total_minutes": "frac", "unavailable_minutes": "frac", "excluded_minutes": "frac",
    "uptime_percent": "frac", "credit_percent": "frac", "tier_below": "frac",
    "submitted_at": "instant", "support_case": "text", "billing": "text", "currency": "text",
    "base_amount": "frac", "window_days": "int", "window_closes_at": "instant", "window_revision": "text",
    "settlement": "text",
}

FIELD_TYPES: dict[str, str] = {"contract.billing": "text", "submitted_at": "instant", "support_case": "text"}

CLAIM_KEYS = ("contract", "customer", "id", "month", "outages", "submitted_at", "support_case", "type")
CONTRACT_KEYS = ("annual_commitment", "billing", "currency", "monthly_commitment")
CONTRACT_REQUIRED = ("billing", "currency")
OUTAGE_REQUIRED = ("cause", "end", "functions", "start")
# Characters that make a record doubtful as a whole: escapes (surrogates, control characters)
# and raw control characters or line separators (engine.io.schemas.CONTROL_CHARACTERS).
DOUBTFUL_TEXT = r"[\x00-\x1f\x7f-\x{9f}\x{2028}\x{2029}\\]"
CONTROL = r"[\x00-\x1f\x7f-\x{9f}\x{2028}\x{2029}]"  # in a free text read from Parquet (no escapes there)
TRAILING_COMMA = r",[ \t\n\r]*[]}]"  # DuckDB reads `[1,]` and `{"a": 1,}`; the engine's decoder does not
YEARS_AHEAD = 5  # claim months tabled past the later of the latest revision and now; later ones go to the row engine
ID_LIMIT = 200


class _Json:
    """The JSON reading of the claim staging, in layers so each value is parsed once: the line's
    keys and top-level values (one parse), then each value's JSON type and text, the contract's and
    each outage's likewise. DuckDB's json functions only: Spark's get_json_object / from_json give a
    number and a string alike as text, so they cannot tell a surely valid record from one the schema
    rejects; on Spark, JSONL claims are not staged (Uncompilable) and the row engine decides them."""

    def __init__(self, d: Dialect):
        if d.spark:
            raise Uncompilable("credit claims read from JSON text are staged on DuckDB only (Spark cannot tell a JSON "
                               "string from a number); the row engine decides them")
        self.d = d

    def values(self, doc: str, keys: tuple[str, ...]) -> str:
        """The values at `keys` of the object `doc` in one parse (a list; NULL for an absent key)."""
        return f"json_extract({doc}, [{', '.join(self.d.text('$.' + k) for k in keys)}])"

    def keys_ok(self, keys: str, values: str, paths: tuple[str, ...], required: tuple[str, ...]) -> str:
        """No key twice, none but `paths`, every `required` one present: `keys` lists the object's
        keys, `values` are its `values()` at `paths` (see stamps.keys_known_once)."""
        needed = " AND ".join(f"{_at(values, paths, k)} IS NOT NULL" for k in required)
        return f"({keys_known_once(self.d, keys, [_at(values, paths, k) for k in paths])} AND {needed})"

    @staticmethod
    def is_(value: str, json_type: str) -> str:
        return f"COALESCE(json_type({value}) = '{json_type}', FALSE)"

    @staticmethod
    def str_(value: str) -> str:
        return f"json_extract_string({value}, '$')"

    def id_ok(self, value: str) -> str:
        text_ = self.str_(value)
        return f"({self.is_(value, 'VARCHAR')} AND length({text_}) >= 1 AND {byte_length(self.d, text_)} <= {ID_LIMIT})"

    def shaped(self, value: str, pattern: str) -> str:
        return f"({self.is_(value, 'VARCHAR')} AND COALESCE({self.d.regex_full(self.str_(value), pattern)}, FALSE))"

    @staticmethod
    def optional(value: str, check: str) -> str:
        return f"({value} IS NULL OR {check})"


def _at(values: str, keys: tuple[str, ...], key: str) -> str:
    """The value of `key` in a `values` list (1-based list index)."""
    return f"{values}[{keys.index(key) + 1}]"


OUTAGE_PATHS = ("start", "end", "functions", "cause", "id", "note")  # an outage's keys (the schema's), as values() reads them


def _outage_ok(j: _Json, p: str) -> str:
    """SQL boolean over one outage `p` (struct t: JSON type, k: keys, v: values at OUTAGE_PATHS)."""
    d = j.d
    v = lambda key: _at(f"{p}.v", OUTAGE_PATHS, key)  # noqa: E731
    fns = f"json_extract({v('functions')}, '$[*]')"
    return "(" + " AND ".join([
        f"COALESCE({p}.t = 'OBJECT', FALSE)",
        j.keys_ok(f"{p}.k", f"{p}.v", OUTAGE_PATHS, OUTAGE_REQUIRED),
        j.optional(v("id"), j.id_ok(v("id"))), j.optional(v("note"), j.is_(v("note"), "VARCHAR")),
        j.is_(v("start"), "VARCHAR"), instant_sure(d, j.str_(v("start"))),
        j.is_(v("end"), "VARCHAR"), instant_sure(d, j.str_(v("end"))),
        j.is_(v("functions"), "ARRAY"), f"{d.list_len(fns)} >= 1",
        all_of(d, fns, "f", j.shaped("f", NAME_SHAPE)),
        j.shaped(v("cause"), NAME_SHAPE),
    ]) + ")"


def _outage_struct(j: _Json, p: str) -> str:
    d = j.d
    v = lambda key: _at(f"{p}.v", OUTAGE_PATHS, key)  # noqa: E731
    return d.struct_of(s=instant_us(d, j.str_(v("start"))), e=instant_us(d, j.str_(v("end"))),
                       functions=d.list_transform(f"json_extract({v('functions')}, '$[*]')", "f", j.str_("f")),
                       cause=j.str_(v("cause")))


def _checks(j: _Json) -> str:
    """SQL boolean over a staged line's layers: surely valid against the credit claim schema."""
    d = j.d
    top = lambda key: _at("x", CLAIM_KEYS, key)  # noqa: E731
    con = lambda key: _at("cx", CONTRACT_KEYS, key)  # noqa: E731
    money = lambda key: j.optional(con(key), j.shaped(con(key), MONEY_SHAPE))  # noqa: E731
    return " AND ".join([
        "ok0", "obj",
        j.keys_ok("keys", "x", CLAIM_KEYS, CLAIM_KEYS),
        j.is_(top("type"), "VARCHAR"), f"{j.str_(top('type'))} = 'credit_claim'",
        j.id_ok(top("id")), j.id_ok(top("customer")), j.shaped(top("month"), MONTH_SHAPE),
        j.is_(top("submitted_at"), "VARCHAR"), instant_sure(d, j.str_(top("submitted_at"))),
        f"({j.is_(top('support_case'), 'NULL')} OR {j.id_ok(top('support_case'))})",
        "ck IS NOT NULL", j.keys_ok("ck", "cx", CONTRACT_KEYS, CONTRACT_REQUIRED),
        j.shaped(con("billing"), NAME_SHAPE), j.shaped(con("currency"), "^[A-Z]{3}$"),
        money("monthly_commitment"), money("annual_commitment"),
        "oo IS NOT NULL", all_of(d, "oo", "p", _outage_ok(j, "p")),
    ])


def parquet_schema() -> Any:
    """The Parquet (Arrow) layout of credit claims the typed staging reads: the record's fields as
    columns, instants and amounts as text, a NULL for an absent optional field (a NULL support case is
    that null), `pos` the record's place in the input. A chunk in another layout is staged as JSON text."""
    import pyarrow as pa

    text = pa.string()
    outage = pa.struct([("start", text), ("end", text), ("functions", pa.list_(text)), ("cause", text), ("id", text),
                        ("note", text)])
    contract = pa.struct([(k, text) for k in ("billing", "currency", "monthly_commitment", "annual_commitment")])
    return pa.schema([("pos", pa.int64()), ("type", text), ("id", text), ("customer", text), ("month", text),
                      ("submitted_at", text), ("support_case", text), ("contract", contract), ("outages", pa.list_(outage))])


def _typed_stage(d: Dialect, raw: str) -> str:
    """SELECT over a Parquet chunk in parquet_schema()'s layout: the staged columns and `sure`, by the
    same checks as the JSON reading (the schema's types are the layout's; a NULL is an absent field;
    ids and notes without a control character, which the JSON reading leaves to the row engine too)."""
    q = d.ident
    shaped = lambda e, pattern: f"COALESCE({d.regex_full(e, pattern)}, FALSE)"  # noqa: E731
    clean = lambda e: f"NOT {finds(d, e, CONTROL)}"  # noqa: E731
    id_ok = lambda e: f"({e} IS NOT NULL AND length({e}) >= 1 AND {byte_length(d, e)} <= {ID_LIMIT} AND {clean(e)})"  # noqa: E731
    money = lambda e: f"({e} IS NULL OR {shaped(e, MONEY_SHAPE)})"  # noqa: E731
    o = lambda key: f"o.{q(key)}"  # noqa: E731
    outage_ok = " AND ".join([
        "o IS NOT NULL", f"({o('id')} IS NULL OR {id_ok(o('id'))})", f"({o('note')} IS NULL OR {clean(o('note'))})",
        instant_sure(d, o("start")), instant_sure(d, o("end")),
        f"{o('functions')} IS NOT NULL", f"{d.list_len(o('functions'))} >= 1",
        all_of(d, o("functions"), "f", f"(f IS NOT NULL AND {shaped('f', NAME_SHAPE)})"),
        shaped(o("cause"), NAME_SHAPE),
    ])
    con = lambda key: f"{q('contract')}.{q(key)}"  # noqa: E731
    checks = " AND ".join([
        f"{q('type')} = 'credit_claim'", id_ok(q("id")), id_ok(q("customer")), shaped(q("month"), MONTH_SHAPE),
        instant_sure(d, q("submitted_at")), f"({q('support_case')} IS NULL OR {id_ok(q('support_case'))})",
        f"{q('contract')} IS NOT NULL", shaped(con("billing"), NAME_SHAPE), shaped(con("currency"), "^[A-Z]{3}$"),
        money(con("monthly_commitment")), money(con("annual_commitment")),
        f"{q('outages')} IS NOT NULL", all_of(d, q("outages"), "o", f"COALESCE({outage_ok}, FALSE)"),
    ])
    outage = d.struct_of(s=instant_us(d, o("start")), e=instant_us(d, o("end")), functions=o("functions"),
                         cause=o("cause"))
    cols = {"id": q("id"), "customer": q("customer"), "month": q("month"), "submitted_at": q("submitted_at"),
            "submitted_us": instant_us(d, q("submitted_at")), "support_case": q("support_case"),
            **{f"contract__{k}": con(k) for k in CONTRACT_KEYS}, "outages": d.list_transform(q("outages"), "o", outage)}
    body = ",\n  ".join(f"CASE WHEN sure THEN {expr} END AS {name}" for name, expr in cols.items())
    return f"""
SELECT pos, sure,
  {body}
FROM (SELECT *, COALESCE({checks}, FALSE) AS sure FROM {raw}) staged_raw"""


def stage_sql(dialect: Dialect, raw: str, columns: Sequence[str] | None = None) -> str:
    """SELECT over `raw`: the staged claim columns and `sure` (FALSE for any doubt). `columns` None:
    `raw` is JSON lines (pos, j; DuckDB only); otherwise a Parquet chunk in parquet_schema()'s layout
    (engine.columnar.layout fits it) whose columns `columns` names."""
    if columns is not None:
        return _typed_stage(dialect, raw)
    j, d = _Json(dialect), dialect
    top = lambda key: _at("x", CLAIM_KEYS, key)  # noqa: E731
    con = lambda key: _at("cx", CONTRACT_KEYS, key)  # noqa: E731
    clean = f"(json_valid(j) AND NOT {finds(d, 'j', DOUBTFUL_TEXT)} AND NOT {finds(d, 'j', TRAILING_COMMA)})"
    lines = (f"SELECT pos, ok0, obj, CASE WHEN obj THEN json_keys(j) END AS keys, CASE WHEN obj THEN {j.values('j', CLAIM_KEYS)} END AS x"
             f" FROM (SELECT pos, j, ok0, CASE WHEN ok0 THEN json_type(j) = 'OBJECT' ELSE FALSE END AS obj FROM (SELECT pos, j, {clean} AS ok0 FROM {raw}) l0) l1")
    outage = d.struct_of(t="json_type(o)", k="CASE WHEN json_type(o) = 'OBJECT' THEN json_keys(o) END",
                         v=f"CASE WHEN json_type(o) = 'OBJECT' THEN {j.values('o', OUTAGE_PATHS)} END")
    items = d.list_transform(f"json_extract({top('outages')}, '$[*]')", "o", outage)
    parts = (f"SELECT *, CASE WHEN json_type({top('contract')}) = 'OBJECT' THEN json_keys({top('contract')}) END AS ck,"
             f" CASE WHEN json_type({top('contract')}) = 'OBJECT' THEN {j.values(top('contract'), CONTRACT_KEYS)} END AS cx,"
             f" CASE WHEN json_type({top('outages')}) = 'ARRAY' THEN"
             f" {items} END AS oo"
             f" FROM ({lines}) l2")
    sub = j.str_(top("submitted_at"))
    cols = {"id": j.str_(top("id")), "customer": j.str_(top("customer")), "month": j.str_(top("month")),
            "submitted_at": sub, "submitted_us": instant_us(d, sub), "support_case": j.str_(top("support_case")),
            "contract__billing": j.str_(con("billing")), "contract__currency": j.str_(con("currency")),
            "contract__monthly_commitment": j.str_(con("monthly_commitment")),
            "contract__annual_commitment": j.str_(con("annual_commitment")),
            "outages": d.list_transform("oo", "p", _outage_struct(j, "p"))}
    body = ",\n  ".join(f"CASE WHEN sure THEN {expr} END AS {name}" for name, expr in cols.items())
    return f"""
SELECT pos, sure,
  {body}
FROM (SELECT *, COALESCE({_checks(j)}, FALSE) AS sure FROM ({parts}) l3) staged_raw"""


def _amount(d: Dialect, field: str) -> tuple[str, str]:
    col = f"contract__{field}"
    return money_n(d, col), money_d(d, col)


def _checked_sql(family: Family, d: Dialect, staged: str, options: Options) -> str:
    """The sure claims joined with their month, their claim revision chosen, and `doubt`: why
    the row engine must decide one after all (NULL when the SQL decides it)."""
    revisions = family.revisions
    rows = claim_months(family, options, revisions[0].effective.year,
                        max(revisions[-1].effective.year, options.now.year) + YEARS_AHEAD)
    if options.as_of is not None:
        claim_rev = str(revisions.index(family.at(options.as_of)))
    else:
        whens = " ".join(f"WHEN submitted_us >= {micros(r.starts_at)} THEN {i}" for i, r in reversed(list(enumerate(revisions))))
        claim_rev = f"(CASE {whens} END)"

    def known(revision: Revision) -> str:
        outs = all_of(d, "outages", "o", terms.outage_known(d, revision, "o.functions", "o.cause"))
        has = lambda name: f"contract__{name} IS NOT NULL"  # noqa: E731
        return f"({outs} AND {terms.contract_known(d, revision, 'contract__billing', 'contract__currency', has)})"

    ok = f"({terms.per_revision('mon.month_rev', revisions, known)} AND {terms.per_revision('c.rev', revisions, known)})"
    return f"""
SELECT c.*, mon.month_rev, mon.ms, mon.me, mon.window_days, mon.closes, mon.window_revision,
  CASE WHEN c.rev IS NULL THEN 'claim made before the earliest revision'
       WHEN mon.month IS NULL THEN 'month outside the compiled months'
       WHEN NOT {ok} THEN 'a value the policy does not define'
       WHEN {any_of(d, 'outages', 'o', 'o.e < o.s')} THEN 'an outage ends before it starts' END AS doubt
FROM (SELECT *, {claim_rev} AS rev FROM {staged} WHERE sure) c
LEFT JOIN {values_sql(d, rows, claims=True)} ON mon.month = c.month AND mon.claim_rev = c.rev"""


def doubt_sql(family: Family, dialect: Dialect, staged: str, options: Options) -> str:
    """SELECT pos, doubt: the sure claims facts_sql leaves to the row engine, and why."""
    return f"SELECT pos, doubt FROM ({_checked_sql(family, dialect, staged, options)}) checked WHERE doubt IS NOT NULL"


def facts_sql(family: Family, dialect: Dialect, staged: str, options: Options) -> str:
    """One row per sure claim the SQL decides (see doubt_sql for the others), in input order, as
    engine.columnar.plan.FactsShape says: pos, rev (the claim's revision, the decision's), rev_0
    (the month's), record, customer, every fact of FACT_TYPES, the fields the rules read
    (FIELD_TYPES), and what the result needs: uptime_version, uptime_sha256 (the month's
    revision), minor_units, credit_amount (the credit when eligible, as money text), zero_amount."""
    d, revisions = dialect, family.revisions
    checked = _checked_sql(family, d, staged, options)
    crit = terms.critical(d, "x.month_rev", revisions, "o.functions")
    excl = terms.excluded(d, "x.month_rev", revisions, "o.cause")
    pn, pd = "((x.me - x.ms - COALESCE(u.b, 0) + COALESCE(u.c, 0)) * 100)", "(x.me - x.ms)"
    tier_p = lambda part: terms.tier(d, "x.month_rev", revisions, pn, pd, lambda t: t.percent if t else 0, part)  # noqa: E731
    tier_b = lambda part: terms.tier(d, "x.month_rev", revisions, pn, pd, lambda t: t.below if t else None, part)  # noqa: E731
    base = lambda part: terms.contract_base(d, "x.rev", revisions, "x.contract__billing", lambda f: _amount(d, f), part)  # noqa: E731
    minor = terms.minor_units(d, "x.rev", revisions, "x.contract__currency")
    amount_n = f"({d.to_big(base('n'))} * {tier_p('n')})"
    amount_d = f"({d.to_big(base('d'))} * {tier_p('d')} * 100)"
    version = terms.per_revision("x.month_rev", revisions, lambda r: d.text(r.revision))
    sha = terms.per_revision("x.month_rev", revisions, lambda r: d.text(r.sha256))
    m = str(terms.MICROS_PER_MINUTE)
    frac = lambda name, n, dd: terms.fraction_columns(d, name, n, dd)  # noqa: E731
    ctes = f"""
WITH x AS (SELECT * FROM ({checked}) checked WHERE doubt IS NULL),
ov AS (SELECT pos, month_rev, ms, me, {explode(d, 'outages')} AS o FROM x),
iv AS (
  SELECT x.pos, GREATEST(o.s, x.ms) AS s, LEAST(o.e, x.me) AS e, {excl} AS excluded
  FROM ov x
  WHERE {crit} AND GREATEST(o.s, x.ms) < LEAST(o.e, x.me)),
u AS ({union_sql('iv', ('pos',))})"""
    facts = f"""
SELECT x.pos, x.rev, x.month_rev AS rev_0, x.id AS record, x.customer, x.month,
  x.ms AS month_start, x.me AS month_end,
  {frac('total_minutes', '(x.me - x.ms)', m)},
  {frac('unavailable_minutes', 'COALESCE(u.b, 0)', m)},
  {frac('excluded_minutes', 'COALESCE(u.c, 0)', m)},
  {frac('uptime_percent', pn, pd)},
  {frac('credit_percent', tier_p('n'), tier_p('d'))},
  {frac('tier_below', tier_b('n'), tier_b('d'))},
  x.submitted_us AS submitted_at, x.support_case,
  x.contract__billing AS billing, x.contract__currency AS currency,
  x.contract__billing AS {field_column('contract.billing')}, x.submitted_us AS {field_column('submitted_at')},
  x.support_case AS {field_column('support_case')},
  {frac('base_amount', base('n'), base('d'))},
  x.window_days, x.closes AS window_closes_at, x.window_revision,
  {terms.settlement(d, 'x.rev', revisions, 'x.contract__billing')} AS settlement,
  {version} AS uptime_version, {sha} AS uptime_sha256, {minor} AS minor_units,
  {amount_n} AS credit_n, {amount_d} AS credit_d
FROM x LEFT JOIN u ON u.pos = x.pos"""
    return f"{ctes}\n{terms.with_money_texts(d, facts)}"


def shape(family: Family, dialect: Dialect, options: Options) -> FactsShape:
    """What facts_sql's relation holds for the plan: the result as engine.kinds.credit_claim
    writes it, eligibility and amount from the reasons the plan's rules give (engine.core.credit.settle)."""
    d = dialect
    eligible = f"({d.list_len('reasons')} = 0)"
    shown = lambda name: text.decimal_text(f"{name}__n", f"{name}__d", d)  # noqa: E731
    result = (
        ResultField("eligible", "bool", eligible),
        ResultField("credit_percent", "text", shown("credit_percent")),
        ResultField("credit_amount", "text", f"(CASE WHEN {eligible} THEN credit_amount ELSE zero_amount END)"),
        ResultField("currency", "text", "currency"),
        ResultField("settlement", "text", f"(CASE WHEN {eligible} THEN settlement END)"),
        ResultField("reasons", "texts", "reasons"),
        ResultField("uptime_version", "text", "uptime_version"),
        ResultField("uptime_percent", "text", shown("uptime_percent")),
        ResultField("window_closes_at", "text", text.iso("window_closes_at", d)),
    )
    return FactsShape("credit_claim", FACT_TYPES, FIELD_TYPES, result,
                      outcome=f"(CASE WHEN {eligible} THEN 'eligible' ELSE 'not_eligible' END)")
