"""Customer-months of `sla check` in SQL: one uptime record per customer and month
of --months, built from the outage incidents and the contracts exactly as
engine.check.months builds them, and their facts as engine.core.facts.uptime
computes them (decided as the `uptime` kind).

Input relations (the staged incidents and contracts: rows the row engine's
reading accepted, see `incident_rows` / `contract_rows`, or engine.columnar's
staging of them):

    INCIDENT_COLUMNS  line BIGINT (file order), customer VARCHAR (NULL: platform-wide,
                      '*' or empty in the export), s BIGINT, e BIGINT (microseconds, e >= s),
                      functions VARCHAR[], cause VARCHAR
    CONTRACT_COLUMNS  line BIGINT (file order), customer VARCHAR, billing VARCHAR,
                      currency VARCHAR, monthly_commitment VARCHAR, annual_commitment VARCHAR
                      (decimal texts or NULL)

Each customer-month holds the customer's own incidents and the platform-wide ones
that touch the month, clipped to it. Platform-wide intervals are measured once per
month; only the customer-months with incidents of their own measure the union of
both. The customers are the contracts' (in file order), or without contracts the
incidents' (in order of first appearance), as engine.check.run does; a
customer-month's `pos` is customer index x number of months + month index.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from engine.columnar import terms
from engine.columnar.months import uptime_months, values_sql
from engine.columnar.outages import union_sql
from engine.columnar import text
from engine.columnar.dialect import Dialect
from engine.columnar.plan import FactsShape, ResultField
from engine.columnar.stamps import byte_length, finds, money_d, money_n
from engine.check.months import Contract, OutageIndex
from engine.core.evaluate import Options
from engine.policy.family import Family

INCIDENT_COLUMNS = ("line", "customer", "s", "e", "functions", "cause")
INCIDENT_TYPES = ("BIGINT", "VARCHAR", "BIGINT", "BIGINT", "VARCHAR[]", "VARCHAR")
CONTRACT_COLUMNS = ("line", "customer", "billing", "currency", "monthly_commitment", "annual_commitment")
CONTRACT_TYPES = ("BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR")
CUSTOMER_COLUMNS = ("customer", "cust_idx")  # cust_idx: the customer's place in decision order, from 0

FACT_TYPES: dict[str, str] = {
    "month": "text", "month_start": "instant", "month_end": "instant",
    "total_minutes": "frac", "unavailable_minutes": "frac", "excluded_minutes": "frac",
    "uptime_percent": "frac", "credit_percent": "frac", "tier_below": "frac",
}

# What makes a customer-month's record fail its schema in the row engine: an id over the
# schema's length, or a customer with a control character (engine.core.records).
CONTROL = r"[\x00-\x1f\x7f-\x{9f}\x{2028}\x{2029}]"
ID_LIMIT = 200


def incident_rows(index: OutageIndex, customers: Sequence[str] | None = None) -> Iterator[tuple[Any, ...]]:
    """The incidents the row engine's reading accepted (platform-wide ones and those of `customers`, by
    default every customer's), as INCIDENT_COLUMNS rows."""
    own = index.customers.values() if customers is None else (index.customers.get(c, ()) for c in customers)
    for incident in [*index.platform, *(i for rows in own for i in rows)]:
        _, _, _, functions, cause, _ = incident.parts
        yield incident.line, incident.customer, incident.start, incident.end, list(functions), cause


def contract_rows(contracts: Mapping[str, Contract], customers: Sequence[str] | None = None) -> Iterator[tuple[Any, ...]]:
    """The accepted contracts (of `customers`, in their order; by default all, in file order), as
    CONTRACT_COLUMNS rows."""
    chosen = contracts.values() if customers is None else (contracts[c] for c in customers if c in contracts)
    for c in chosen:
        t = c.terms
        yield c.line, c.customer, t["billing"], t["currency"], t.get("monthly_commitment"), t.get("annual_commitment")


def create_sql(name: str, columns: Sequence[str], types: Sequence[str]) -> str:
    """CREATE TABLE for one of the input relations (DuckDB types)."""
    return f"CREATE TABLE {name} (" + ", ".join(f"{c} {t}" for c, t in zip(columns, types)) + ")"


def _customers_sql(incidents: str, contracts: str | None) -> str:
    """The customers in decision order: the contracts', else the incidents'."""
    from_incidents = (f"SELECT customer, ROW_NUMBER() OVER (ORDER BY MIN(line)) - 1 AS cust_idx FROM {incidents}"
                      f" WHERE customer IS NOT NULL GROUP BY customer")
    if contracts is None:
        return from_incidents
    return (f"SELECT customer, ROW_NUMBER() OVER (ORDER BY line) - 1 AS cust_idx FROM {contracts}"
            f" UNION ALL SELECT * FROM ({from_incidents}) WHERE NOT EXISTS (SELECT 1 FROM {contracts})")


def _intervals_sql(d: Dialect, family: Family, incidents: str, platform: bool) -> str:
    """The critical outages of each month (own: per customer too), clipped to it."""
    revisions = family.revisions
    who = "i.customer IS NULL" if platform else "i.customer IS NOT NULL"
    keys = "mon.month_idx" if platform else "i.customer, mon.month_idx"
    return f"""
  SELECT {keys}, GREATEST(i.s, mon.ms) AS s, LEAST(i.e, mon.me) AS e,
    {terms.excluded(d, 'mon.month_rev', revisions, 'i.cause')} AS excluded
  FROM {incidents} i JOIN mon ON i.s < mon.me AND i.e > mon.ms
  WHERE {who} AND {terms.critical(d, 'mon.month_rev', revisions, 'i.functions')}"""


def _checked_sql(d: Dialect, family: Family, incidents: str, options: Options, months: Sequence[str], contracts: str | None,
                 customers: str | None) -> str:
    """Every customer-month with its counts, contract and `doubt` (why the row engine must decide it)."""
    rows = uptime_months(family, options, months)
    none = d.null("text")
    contract_cols = ("c.billing, c.currency, c.monthly_commitment, c.annual_commitment, c.customer IS NOT NULL AS has_contract"
                     if contracts else
                     f"{none} AS billing, {none} AS currency, {none} AS monthly_commitment, {none} AS annual_commitment,"
                     " FALSE AS has_contract")
    contract_join = f"LEFT JOIN {contracts} c ON c.customer = k.customer" if contracts else ""
    return f"""
WITH mon AS (SELECT * FROM {values_sql(d, rows, claims=False)}),
cust AS ({_customers_sql(incidents, contracts) if customers is None else f"SELECT customer, cust_idx FROM {customers}"}),
plat_iv AS ({_intervals_sql(d, family, incidents, True)}),
own_iv AS ({_intervals_sql(d, family, incidents, False)}),
own_keys AS (SELECT DISTINCT customer, month_idx FROM own_iv),
mix_iv AS (SELECT * FROM own_iv UNION ALL
  SELECT k.customer, p.month_idx, p.s, p.e, p.excluded FROM own_keys k JOIN plat_iv p ON p.month_idx = k.month_idx),
plat_u AS ({union_sql('plat_iv', ('month_idx',))}),
mix_u AS ({union_sql('mix_iv', ('customer', 'month_idx'))})
SELECT k.cust_idx * {len(rows)} + mon.month_idx AS pos, mon.month_rev AS rev, {d.concat('k.customer', "'/'", 'mon.month')} AS id,
  k.customer, mon.month, mon.ms, mon.me,
  COALESCE(mu.b, pu.b, 0) AS b, COALESCE(mu.c, pu.c, 0) AS c, {contract_cols},
  CASE WHEN {byte_length(d, 'k.customer')} + 1 + length(mon.month) > {ID_LIMIT} THEN 'record id longer than the schema allows'
       WHEN {finds(d, 'k.customer', CONTROL)} THEN 'customer holds a control character' END AS doubt
FROM cust k CROSS JOIN mon
LEFT JOIN mix_u mu ON mu.customer = k.customer AND mu.month_idx = mon.month_idx
LEFT JOIN plat_u pu ON pu.month_idx = mon.month_idx
{contract_join}"""


def doubt_sql(family: Family, dialect: Dialect, staged: str, options: Options, *, months: Sequence[str],
              contracts: str | None = None, customers: str | None = None) -> str:
    """SELECT pos, id, doubt: the customer-months facts_sql leaves to the row engine, and why."""
    return (f"SELECT pos, id, doubt FROM ({_checked_sql(dialect, family, staged, options, months, contracts, customers)}) checked"
            f" WHERE doubt IS NOT NULL")


def facts_sql(family: Family, dialect: Dialect, staged: str, options: Options, *, months: Sequence[str],
              contracts: str | None = None, customers: str | None = None) -> str:
    """One row per customer-month the SQL decides, in decision order, as engine.columnar.plan.FactsShape
    says: pos, rev (the month's revision), record, customer, every fact of FACT_TYPES, and the
    contract's credit terms under that
    revision for the month's credit owed (engine.check.months.credit_owed): has_contract, billing,
    currency, base_amount, settlement, credit_amount (when eligible), zero_amount.
    `staged` is the incidents relation (INCIDENT_COLUMNS), `contracts` the contracts'. `customers`
    (CUSTOMER_COLUMNS), when given, names the customers to decide and their places in decision order:
    the run passes a slice of them at a time, with only their incidents and contracts, so a query's
    memory is bounded by the slice, not by the export."""
    d, revisions = dialect, family.revisions
    pn, pd = "((x.me - x.ms - x.b + x.c) * 100)", "(x.me - x.ms)"
    tier_p = lambda part: terms.tier(d, "x.rev", revisions, pn, pd, lambda t: t.percent if t else 0, part)  # noqa: E731
    tier_b = lambda part: terms.tier(d, "x.rev", revisions, pn, pd, lambda t: t.below if t else None, part)  # noqa: E731
    amount = lambda field: (money_n(d, f"x.{field}"), money_d(d, f"x.{field}"))  # noqa: E731
    base = lambda part: terms.contract_base(d, "x.rev", revisions, "x.billing", amount, part)  # noqa: E731
    minor = terms.minor_units(d, "x.rev", revisions, "x.currency")
    amount_n = f"({d.to_big(base('n'))} * {tier_p('n')})"
    amount_d = f"({d.to_big(base('d'))} * {tier_p('d')} * 100)"
    m = str(terms.MICROS_PER_MINUTE)
    frac = lambda name, n, den: terms.fraction_columns(d, name, n, den)  # noqa: E731
    return terms.with_money_texts(d, f"""
SELECT x.pos, x.rev, x.id AS record, x.customer, x.month, x.ms AS month_start, x.me AS month_end,
  {frac('total_minutes', '(x.me - x.ms)', m)},
  {frac('unavailable_minutes', 'x.b', m)},
  {frac('excluded_minutes', 'x.c', m)},
  {frac('uptime_percent', pn, pd)},
  {frac('credit_percent', tier_p('n'), tier_p('d'))},
  {frac('tier_below', tier_b('n'), tier_b('d'))},
  x.has_contract, x.billing, x.currency,
  {frac('base_amount', base('n'), base('d'))},
  {terms.settlement(d, 'x.rev', revisions, 'x.billing')} AS settlement,
  {minor} AS minor_units, {amount_n} AS credit_n, {amount_d} AS credit_d
FROM ({_checked_sql(d, family, staged, options, months, contracts, customers)}) x
WHERE x.doubt IS NULL""")


RESULT = ("total_minutes", "unavailable_minutes", "excluded_minutes", "uptime_percent", "credit_percent")


def shape(family: Family, dialect: Dialect, options: Options) -> FactsShape:
    """What facts_sql's relation holds for the plan: the result as engine.kinds.uptime writes it
    (exact decimal texts), the outcome credit_due when the credit percent is above zero."""
    result = tuple(ResultField(name, "text", text.decimal_text(f"{name}__n", f"{name}__d", dialect)) for name in RESULT)
    return FactsShape("uptime", FACT_TYPES, {}, result,
                      outcome="(CASE WHEN credit_percent__n > 0 THEN 'credit_due' ELSE 'no_credit' END)")
