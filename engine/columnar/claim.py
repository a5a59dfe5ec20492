"""Credit claims in SQL: stage (typed columns, `sure`) and facts, as
engine.core.facts.claim and engine.core.credit compute them.

Two revisions meet, as in engine.kinds.credit_claim: the month's (uptime and
tiers, by the month's first instant: `month_rev`) and the claim's (window,
requirements, contract terms, by `submitted_at`: `rev`, the decision's). The
month's bounds and the claim window come from engine.columnar.months (the row
engine's own functions, run at compile time per month).

Staged columns (one row per claim; the core JSON shape read from `j`):
    pos, id, customer, month, submitted_at (text), submitted_us, support_case,
    contract__billing, contract__currency, contract__monthly_commitment,
    contract__annual_commitment (texts), outages (list of struct s, e, functions,
    cause), sure.
"""

from __future__ import annotations

from typing import Any

from engine.columnar import terms
from engine.columnar.months import claim_months, values_sql
from engine.columnar.outages import union_sql
from engine.columnar.stamps import (MONTH_SHAPE, NAME_SHAPE, instant_sure, instant_us, matches, money_d, money_n,
                                    money_sure)
from engine.core.evaluate import Options
from engine.policy.family import Family

FACT_TYPES: dict[str, str] = {
    "month": "text", "month_start": "instant", "month_end": "instant",
    "total_minutes": "frac", "unavailable_minutes": "frac", "excluded_minutes": "frac",
    "uptime_percent": "frac", "credit_percent": "frac", "tier_below": "frac",
    "submitted_at": "instant", "support_case": "text", "billing": "text", "currency": "text",
    "base_amount": "frac", "window_days": "int", "window_closes_at": "instant", "window_revision": "text",
    "settlement": "text",
}

CLAIM_KEYS = ("contract", "customer", "id", "month", "outages", "submitted_at", "support_case", "type")
CONTRACT_KEYS = ("annual_commitment", "billing", "currency", "monthly_commitment")
OUTAGE_KEYS = ("cause", "end", "functions", "id", "note", "start")
# Characters that make a record doubtful as a whole: escapes (surrogates, control characters)
# and raw control characters or line separators (engine.io.schemas.CONTROL_CHARACTERS).
DOUBTFUL_TEXT = r"[\x00-\x1f\x7f-\x{9f}\x{2028}\x{2029}\\]"
YEARS_AHEAD = 5  # claim months tabled past the later of the latest revision and now; later ones go to the row engine


def _keys_ok(keys: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> str:
    """No key twice, none unknown, every required one present."""
    return (f"(len({keys}) = len(list_distinct({keys})) AND list_has_all({terms.texts(allowed)}, {keys})"
            f" AND list_has_all({keys}, {terms.texts(required)}))")


def _is(doc: str, path: str, json_type: str) -> str:
    return f"COALESCE(json_type({doc}, '{path}') = '{json_type}', FALSE)"


def _id_ok(doc: str, path: str) -> str:
    value = f"json_extract_string({doc}, '{path}')"
    return f"({_is(doc, path, 'VARCHAR')} AND length({value}) >= 1 AND strlen({value}) <= 200)"


def _name_ok(dialect: Any, doc: str, path: str) -> str:
    return f"({_is(doc, path, 'VARCHAR')} AND COALESCE({matches(dialect, f'json_extract_string({doc}, {chr(39)}{path}{chr(39)})', NAME_SHAPE)}, FALSE))"


def _outage_ok(dialect: Any, o: str) -> str:
    """SQL boolean over one outage's JSON `o`: surely valid against the record schema, end >= start."""
    start, end = f"json_extract_string({o}, '$.start')", f"json_extract_string({o}, '$.end')"
    fns = f"json_extract({o}, '$.functions[*]')"
    keys = f"json_keys({o})"
    return (f"(COALESCE(json_type({o}) = 'OBJECT', FALSE) AND {_keys_ok(keys, OUTAGE_KEYS, ('cause', 'end', 'functions', 'start'))}"
            f" AND (NOT list_contains({keys}, 'id') OR {_id_ok(o, '$.id')})"
            f" AND (NOT list_contains({keys}, 'note') OR {_is(o, '$.note', 'VARCHAR')})"
            f" AND {_is(o, '$.start', 'VARCHAR')} AND {_is(o, '$.end', 'VARCHAR')}"
            f" AND {instant_sure(dialect, start)} AND {instant_sure(dialect, end)}"
            f" AND {_is(o, '$.functions', 'ARRAY')} AND len({fns}) >= 1"
            f" AND COALESCE(list_bool_and(list_transform({fns}, lambda f: COALESCE(json_type(f) = 'VARCHAR', FALSE)"
            f" AND COALESCE({matches(dialect, 'json_extract_string(f, ' + chr(39) + '$' + chr(39) + ')', NAME_SHAPE)}, FALSE))), FALSE)"
            f" AND {_name_ok(dialect, o, '$.cause')})")


def _outage_struct(dialect: Any, o: str) -> str:
    start, end = f"json_extract_string({o}, '$.start')", f"json_extract_string({o}, '$.end')"
    return (f"struct_pack(s := {instant_us(dialect, start)}, e := {instant_us(dialect, end)},"
            f" functions := list_transform(json_extract({o}, '$.functions[*]'), lambda f: json_extract_string(f, '$')),"
            f" cause := json_extract_string({o}, '$.cause'))")


def _money_ok(dialect: Any, doc: str, keys: str, name: str) -> str:
    path = f"$.contract.{name}"
    return f"(NOT list_contains({keys}, '{name}') OR ({_is(doc, path, 'VARCHAR')} AND {money_sure(dialect, f'json_extract_string({doc}, {chr(39)}{path}{chr(39)})')}))"


def stage_sql(dialect: Any, raw: str) -> str:
    """SELECT over `raw` (pos, j): the staged claim columns and `sure` (FALSE for any doubt)."""
    ck = "json_keys(json_extract(j, '$.contract'))"
    outs = "json_extract(j, '$.outages[*]')"
    checks = " AND ".join([
        "COALESCE(json_type(j) = 'OBJECT', FALSE)",
        _keys_ok("json_keys(j)", CLAIM_KEYS, CLAIM_KEYS),
        _is("j", "$.type", "VARCHAR"), "json_extract_string(j, '$.type') = 'credit_claim'",
        _id_ok("j", "$.id"), _id_ok("j", "$.customer"),
        _is("j", "$.month", "VARCHAR"), f"COALESCE({matches(dialect, 'json_extract_string(j, ' + chr(39) + '$.month' + chr(39) + ')', MONTH_SHAPE)}, FALSE)",
        _is("j", "$.submitted_at", "VARCHAR"), instant_sure(dialect, "json_extract_string(j, '$.submitted_at')"),
        f"({_is('j', '$.support_case', 'NULL')} OR {_id_ok('j', '$.support_case')})",
        _is("j", "$.contract", "OBJECT"), _keys_ok(ck, CONTRACT_KEYS, ("billing", "currency")),
        _name_ok(dialect, "j", "$.contract.billing"),
        f"{_is('j', '$.contract.currency', 'VARCHAR')} AND COALESCE({matches(dialect, 'json_extract_string(j, ' + chr(39) + '$.contract.currency' + chr(39) + ')', '^[A-Z]{3}$')}, FALSE)",
        _money_ok(dialect, "j", ck, "monthly_commitment"), _money_ok(dialect, "j", ck, "annual_commitment"),
        _is("j", "$.outages", "ARRAY"),
        f"COALESCE(list_bool_and(list_transform({outs}, lambda o: {_outage_ok(dialect, 'o')})), TRUE)",
    ])
    sure = f"(json_valid(j) AND NOT regexp_matches(j, '{DOUBTFUL_TEXT}') AND {checks})"
    sub = "json_extract_string(j, '$.submitted_at')"
    return f"""
SELECT pos, sure,
  CASE WHEN sure THEN json_extract_string(j, '$.id') END AS id,
  CASE WHEN sure THEN json_extract_string(j, '$.customer') END AS customer,
  CASE WHEN sure THEN json_extract_string(j, '$.month') END AS month,
  CASE WHEN sure THEN {sub} END AS submitted_at,
  CASE WHEN sure THEN {instant_us(dialect, sub)} END AS submitted_us,
  CASE WHEN sure THEN json_extract_string(j, '$.support_case') END AS support_case,
  CASE WHEN sure THEN json_extract_string(j, '$.contract.billing') END AS contract__billing,
  CASE WHEN sure THEN json_extract_string(j, '$.contract.currency') END AS contract__currency,
  CASE WHEN sure THEN json_extract_string(j, '$.contract.monthly_commitment') END AS contract__monthly_commitment,
  CASE WHEN sure THEN json_extract_string(j, '$.contract.annual_commitment') END AS contract__annual_commitment,
  CASE WHEN sure THEN list_transform({outs}, lambda o: {_outage_struct(dialect, 'o')}) END AS outages
FROM (SELECT pos, j, CASE WHEN json_valid(j) THEN {sure} ELSE FALSE END AS sure FROM {raw}) staged_raw"""


def _amount(dialect: Any, field: str) -> tuple[str, str]:
    col = f"contract__{field}"
    return f"{money_n(dialect, col)}", f"{money_d(dialect, col)}"


def _checked_sql(family: Family, dialect: Any, staged: str, options: Options) -> str:
    """The sure claims joined with their month, their claim revision chosen, and `doubt`: why
    the row engine must decide one after all (NULL when the SQL decides it)."""
    revisions = family.revisions
    now_year = options.now.year
    rows = claim_months(family, options, revisions[0].effective.year, max(revisions[-1].effective.year, now_year) + YEARS_AHEAD)
    if options.as_of is not None:
        claim_rev = str(revisions.index(family.at(options.as_of)))
    else:
        whens = " ".join(f"WHEN submitted_us >= {_us(r)} THEN {i}" for i, r in reversed(list(enumerate(revisions))))
        claim_rev = f"(CASE {whens} END)"

    def known(revision: Any) -> str:
        outs = f"COALESCE(list_bool_and(list_transform(outages, lambda o: {terms.outage_known(revision, 'o.functions', 'o.cause')})), TRUE)"
        has = lambda name: f"contract__{name} IS NOT NULL"  # noqa: E731
        return f"({outs} AND {terms.contract_known(revision, 'contract__billing', 'contract__currency', has)})"

    ok = f"({terms.per_revision('mon.month_rev', revisions, known)} AND {terms.per_revision('c.rev', revisions, known)})"
    return f"""
SELECT c.*, mon.month_rev, mon.ms, mon.me, mon.window_days, mon.closes, mon.window_revision,
  CASE WHEN c.rev IS NULL THEN 'claim made before the earliest revision'
       WHEN mon.month IS NULL THEN 'month outside the compiled months'
       WHEN NOT {ok} THEN 'a value the policy does not define'
       WHEN list_bool_or(list_transform(outages, lambda o: o.e < o.s)) THEN 'an outage ends before it starts' END AS doubt
FROM (SELECT *, {claim_rev} AS rev FROM {staged} WHERE sure) c
LEFT JOIN {values_sql(rows, claims=True)} ON mon.month = c.month AND mon.claim_rev = c.rev"""


def _us(revision: Any) -> int:
    from engine.timeutil import micros

    return micros(revision.starts_at)


def doubt_sql(family: Family, dialect: Any, staged: str, options: Options) -> str:
    """SELECT pos, doubt: the sure claims facts_sql leaves to the row engine, and why."""
    return f"SELECT pos, doubt FROM ({_checked_sql(family, dialect, staged, options)}) checked WHERE doubt IS NOT NULL"


def facts_sql(family: Family, dialect: Any, staged: str, options: Options) -> str:
    """One row per sure claim the SQL decides: pos, rev (the claim's revision), month_rev, the
    record's columns, every fact of FACT_TYPES, and what the result needs (uptime_version,
    uptime_sha256, minor_units, credit_amount when eligible, zero_amount)."""
    revisions = family.revisions
    checked = _checked_sql(family, dialect, staged, options)
    crit = terms.critical("x.month_rev", revisions, "o.functions")
    excl = terms.excluded("x.month_rev", revisions, "o.cause")
    pn, pd = "((x.me - x.ms - COALESCE(u.b, 0) + COALESCE(u.c, 0)) * 100)", "(x.me - x.ms)"
    tier_p = lambda part: terms.tier("x.month_rev", revisions, pn, pd, lambda t: t.percent if t else 0, part)  # noqa: E731
    tier_b = lambda part: terms.tier("x.month_rev", revisions, pn, pd, lambda t: t.below if t else None, part)  # noqa: E731
    base = lambda part: terms.contract_base("x.rev", revisions, "x.contract__billing", lambda f: _amount(dialect, f), part)  # noqa: E731
    minor = terms.minor_units("x.rev", revisions, "x.contract__currency")
    amount_n = f"(CAST({base('n')} AS HUGEINT) * {tier_p('n')})"
    amount_d = f"(CAST({base('d')} AS HUGEINT) * {tier_p('d')} * 100)"
    version = terms.per_revision("x.month_rev", revisions, lambda r: terms.text(r.revision))
    sha = terms.per_revision("x.month_rev", revisions, lambda r: terms.text(r.sha256))
    m = terms.MICROS_PER_MINUTE
    return f"""
WITH x AS (SELECT * FROM ({checked}) checked WHERE doubt IS NULL),
iv AS (
  SELECT x.pos, GREATEST(o.s, x.ms) AS s, LEAST(o.e, x.me) AS e, {excl} AS excluded
  FROM (SELECT pos, month_rev, ms, me, unnest(outages) AS o FROM x) x
  WHERE {crit} AND GREATEST(o.s, x.ms) < LEAST(o.e, x.me)),
u AS ({union_sql('iv', ('pos',))})
SELECT x.pos, x.rev, x.month_rev, x.id, x.customer, x.month,
  x.ms AS month_start, x.me AS month_end,
  {terms.fraction_columns('total_minutes', '(x.me - x.ms)', str(m))},
  {terms.fraction_columns('unavailable_minutes', 'COALESCE(u.b, 0)', str(m))},
  {terms.fraction_columns('excluded_minutes', 'COALESCE(u.c, 0)', str(m))},
  {terms.fraction_columns('uptime_percent', pn, pd)},
  {terms.fraction_columns('credit_percent', tier_p('n'), tier_p('d'))},
  {terms.fraction_columns('tier_below', tier_b('n'), tier_b('d'))},
  x.submitted_us AS submitted_at, x.support_case,
  x.contract__billing, x.contract__currency,
  x.contract__billing AS billing, x.contract__currency AS currency,
  {terms.fraction_columns('base_amount', base('n'), base('d'))},
  x.window_days, x.closes AS window_closes_at, x.window_revision,
  {terms.settlement('x.rev', revisions, 'x.contract__billing')} AS settlement,
  {version} AS uptime_version, {sha} AS uptime_sha256, {minor} AS minor_units,
  {terms.money_text(amount_n, amount_d, minor)} AS credit_amount,
  {terms.money_text('0', '1', minor)} AS zero_amount
FROM x LEFT JOIN u ON u.pos = x.pos
ORDER BY x.pos"""
