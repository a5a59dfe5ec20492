"""A revision's uptime and credit terms as SQL constants, one CASE branch per
revision: critical functions, excluded causes, tiers, contract types, currencies.
Every number comes from the Revision objects (nothing of the SLA is written here).

Fractions are pairs of integer columns `x__n`, `x__d` (d > 0), compared by
cross-multiplication, as engine.core.facts.uptime.choose_tier does.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

from engine.columnar.dialect import Dialect
from engine.columnar.stamps import has_all, has_any
from engine.policy.family import Revision

MICROS_PER_MINUTE = 60_000_000


def text(d: Dialect, value: str | None) -> str:
    """A SQL string literal (or a typed NULL)."""
    return d.null("text") if value is None else d.text(value)


def texts(d: Dialect, values: Sequence[str]) -> str:
    """A SQL list literal of strings, sorted."""
    return d.texts(tuple(sorted(values)))


def per_revision(rev: str, revisions: Sequence[Revision], branch: Callable[[Revision], str]) -> str:
    """`CASE rev WHEN 0 THEN ... END`, one branch per revision (the branch inlines its constants)."""
    whens = " ".join(f"WHEN {i} THEN {branch(r)}" for i, r in enumerate(revisions))
    return f"(CASE {rev} {whens} END)"


def critical(d: Dialect, rev: str, revisions: Sequence[Revision], functions: str) -> str:
    """SQL boolean: the outage touched a critical function of the revision."""
    return per_revision(rev, revisions, lambda r: has_any(d, functions, texts(d, r.critical_functions)))


def excluded(d: Dialect, rev: str, revisions: Sequence[Revision], cause: str) -> str:
    """SQL boolean: the outage's cause is an uptime exclusion of the revision."""
    return per_revision(rev, revisions, lambda r: d.list_contains(texts(d, r.excluded_causes), cause))


def outage_known(d: Dialect, revision: Revision, functions: str, cause: str) -> str:
    """SQL boolean: every function and the cause are ones the revision names (engine.kinds.checks)."""
    causes = revision.attributable_causes | revision.excluded_causes
    return f"({has_all(d, texts(d, revision.functions), functions)} AND {d.list_contains(texts(d, causes), cause)})"


def tier(d: Dialect, rev: str, revisions: Sequence[Revision], num: str, den: str,
         pick: Callable[[object], Fraction | int | None], part: str) -> str:
    """For the uptime num/den: `pick(tier)` of the lowest tier whose threshold it is strictly below
    (choose_tier), its numerator or denominator (`part` "n" or "d"); pick(None) when there is none."""
    def branch(r: Revision) -> str:
        whens = " ".join(f"WHEN {num} * {t.below.denominator} < {t.below.numerator} * {den} THEN {_part(d, pick(t), part)}"
                         for t in r.tiers)
        none = _part(d, pick(None), part)
        return f"(CASE {whens} ELSE {none} END)" if whens else none
    return per_revision(rev, revisions, branch)


def _part(d: Dialect, value: Fraction | int | None, part: str) -> str:
    if value is None:
        return d.null("int")
    return str(value.numerator if part == "n" else value.denominator)


def contract_base(d: Dialect, rev: str, revisions: Sequence[Revision], billing: str, amount: Callable[[str], tuple[str, str]], part: str) -> str:
    """The contract's monthly base under the revision (its base field / divide_by), `part` "n" or "d";
    NULL for a contract type the revision does not credit. `amount(field)` gives the field's (n, d) SQL."""
    def branch(r: Revision) -> str:
        whens = []
        for name, contract in sorted(r.contracts.items()):
            num, den = amount(contract.base_field)
            whens.append(f"WHEN {text(d, name)} THEN {num if part == 'n' else f'{den} * {contract.divide_by}'}")
        return f"(CASE {billing} {' '.join(whens)} END)" if whens else d.to_big("NULL")
    return per_revision(rev, revisions, branch)


def settlement(d: Dialect, rev: str, revisions: Sequence[Revision], billing: str) -> str:
    """How the revision settles a credit for the contract type, or NULL."""
    def branch(r: Revision) -> str:
        whens = " ".join(f"WHEN {text(d, name)} THEN {text(d, t.settlement)}" for name, t in sorted(r.contracts.items()))
        return f"(CASE {billing} {whens} END)" if whens else d.null("text")
    return per_revision(rev, revisions, branch)


def contract_known(d: Dialect, revision: Revision, billing: str, currency: str, has_field: Callable[[str], str]) -> str:
    """SQL boolean: the currency is the revision's and a credited contract type has its base field
    (engine.kinds.credit_claim's check and engine.check.months.contract_problems)."""
    fields = " ".join(f"WHEN {text(d, name)} THEN {has_field(t.base_field)}" for name, t in sorted(revision.contracts.items()))
    has_base = f"(CASE {billing} {fields} ELSE TRUE END)" if fields else "TRUE"
    return f"({d.list_contains(texts(d, revision.currencies), currency)} AND {has_base})"


def minor_units(d: Dialect, rev: str, revisions: Sequence[Revision], currency: str) -> str:
    """The currency's minor units under the revision (NULL for a currency it does not know)."""
    def branch(r: Revision) -> str:
        whens = " ".join(f"WHEN {text(d, c)} THEN {m}" for c, m in sorted(r.currencies.items()))
        return f"(CASE {currency} {whens} END)" if whens else d.null("int")
    return per_revision(rev, revisions, branch)


def money_text(dialect: Dialect, n: str, d: str, minor: str) -> str:
    """An amount n/d rounded half-up to `minor` decimal places, written as engine.exact.money_text
    writes it ('833.33', '0.00', '1250'). n >= 0, d > 0, minor 0..6."""
    powers = " ".join(f"WHEN {m} THEN {10 ** m}" for m in range(7))
    scale = dialect.to_big(f"CASE {minor} {powers} END")
    units = dialect.intdiv(f"2 * ({n}) * {scale} + ({d})", f"2 * ({d})")
    whole = dialect.to_text(dialect.intdiv(units, scale))
    frac = f"lpad({dialect.to_text(dialect.mod(units, scale))}, {minor}, '0')"
    joined = dialect.concat(whole, dialect.text("."), frac)
    return f"(CASE WHEN {minor} = 0 THEN {dialect.to_text(units)} ELSE {joined} END)"


def with_money_texts(dialect: Dialect, facts: str) -> str:
    """The rows of `facts` (a SELECT with pos, minor_units and a credit's credit_n / credit_d) with their
    credit_amount and zero_amount texts, in pos order. The texts are written over those columns, not over
    the expressions behind them: over the expressions they were ≈28,000 characters of SQL and most of a
    query's planning time (a customer-months query 0.43 -> 0.11 CPU-s, a claims chunk 0.53 -> 0.21)."""
    return (f"SELECT f.*, {money_text(dialect, 'f.credit_n', 'f.credit_d', 'f.minor_units')} AS credit_amount,\n"
            f"  {money_text(dialect, '0', '1', 'f.minor_units')} AS zero_amount\nFROM ({facts}) f\nORDER BY f.pos")


def fraction_columns(dialect: Dialect, name: str, n: str, d: str) -> str:
    """`n AS name__n, d AS name__d` (a "frac" fact: two columns of the dialect's exact wide integer)."""
    return f"{dialect.to_big(n)} AS {name}__n, {dialect.to_big(d)} AS {name}__d"
