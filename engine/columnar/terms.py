"""A revision's uptime and credit terms as SQL constants, one CASE branch per
revision: critical functions, excluded causes, tiers, contract types, currencies.
Every number comes from the Revision objects (nothing of the SLA is written here).

Fractions are pairs of integer columns `x__n`, `x__d` (d > 0), compared by
cross-multiplication, as engine.core.facts.uptime.choose_tier does.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

from engine.policy.family import Revision

MICROS_PER_MINUTE = 60_000_000


def text(value: str | None) -> str:
    """A SQL string literal (or NULL)."""
    return "CAST(NULL AS VARCHAR)" if value is None else "'" + value.replace("'", "''") + "'"


def texts(values: Sequence[str]) -> str:
    """A SQL list literal of strings, sorted (an empty list is typed)."""
    return "[" + ", ".join(text(v) for v in sorted(values)) + "]" if values else "CAST([] AS VARCHAR[])"


def per_revision(rev: str, revisions: Sequence[Revision], branch: Callable[[Revision], str]) -> str:
    """`CASE rev WHEN 0 THEN ... END`, one branch per revision (the branch inlines its constants)."""
    whens = " ".join(f"WHEN {i} THEN {branch(r)}" for i, r in enumerate(revisions))
    return f"(CASE {rev} {whens} END)"


def critical(rev: str, revisions: Sequence[Revision], functions: str) -> str:
    """SQL boolean: the outage touched a critical function of the revision."""
    return per_revision(rev, revisions, lambda r: f"list_has_any({functions}, {texts(r.critical_functions)})")


def excluded(rev: str, revisions: Sequence[Revision], cause: str) -> str:
    """SQL boolean: the outage's cause is an uptime exclusion of the revision."""
    return per_revision(rev, revisions, lambda r: f"list_contains({texts(r.excluded_causes)}, {cause})")


def outage_known(revision: Revision, functions: str, cause: str) -> str:
    """SQL boolean: every function and the cause are ones the revision names (engine.kinds.checks)."""
    causes = revision.attributable_causes | revision.excluded_causes
    return f"(list_has_all({texts(revision.functions)}, {functions}) AND list_contains({texts(causes)}, {cause}))"


def tier(rev: str, revisions: Sequence[Revision], n: str, d: str, pick: Callable[[object], Fraction | None], part: str) -> str:
    """The lowest tier threshold the uptime n/d is strictly below: `pick(tier)`'s numerator or
    denominator (`part`), or the value for no tier (pick(None))."""
    def branch(r: Revision) -> str:
        whens = " ".join(f"WHEN {n} * {t.below.denominator} < {t.below.numerator} * {d} THEN {_part(pick(t), part)}"
                         for t in r.tiers)
        none = _part(pick(None), part)
        return f"(CASE {whens} ELSE {none} END)" if whens else none
    return per_revision(rev, revisions, branch)


def _part(value: Fraction | None, part: str) -> str:
    if value is None:
        return "CAST(NULL AS BIGINT)"
    return str(value.numerator if part == "n" else value.denominator)


def contract_base(rev: str, revisions: Sequence[Revision], billing: str, amount: Callable[[str], tuple[str, str]], part: str) -> str:
    """The contract's monthly base under the revision (its base field / divide_by), `part` "n" or "d";
    NULL for a contract type the revision does not credit. `amount(field)` gives the field's (n, d) SQL."""
    def branch(r: Revision) -> str:
        whens = []
        for name, terms in sorted(r.contracts.items()):
            n, d = amount(terms.base_field)
            whens.append(f"WHEN {text(name)} THEN {n if part == 'n' else f'{d} * {terms.divide_by}'}")
        return f"(CASE {billing} {' '.join(whens)} END)" if whens else "CAST(NULL AS HUGEINT)"
    return per_revision(rev, revisions, branch)


def settlement(rev: str, revisions: Sequence[Revision], billing: str) -> str:
    """How the revision settles a credit for the contract type, or NULL."""
    def branch(r: Revision) -> str:
        whens = " ".join(f"WHEN {text(name)} THEN {text(t.settlement)}" for name, t in sorted(r.contracts.items()))
        return f"(CASE {billing} {whens} END)" if whens else "CAST(NULL AS VARCHAR)"
    return per_revision(rev, revisions, branch)


def contract_known(revision: Revision, billing: str, currency: str, has_field: Callable[[str], str]) -> str:
    """SQL boolean: the currency is the revision's and a credited contract type has its base field
    (engine.kinds.credit_claim's check and engine.check.months.contract_problems)."""
    fields = " ".join(f"WHEN {text(name)} THEN {has_field(t.base_field)}" for name, t in sorted(revision.contracts.items()))
    has_base = f"(CASE {billing} {fields} ELSE TRUE END)" if fields else "TRUE"
    return f"(list_contains({texts(revision.currencies)}, {currency}) AND {has_base})"


def minor_units(rev: str, revisions: Sequence[Revision], currency: str) -> str:
    """The currency's minor units under the revision (NULL for a currency it does not know)."""
    def branch(r: Revision) -> str:
        whens = " ".join(f"WHEN {text(c)} THEN {m}" for c, m in sorted(r.currencies.items()))
        return f"(CASE {currency} {whens} END)" if whens else "CAST(NULL AS INTEGER)"
    return per_revision(rev, revisions, branch)


def money_text(n: str, d: str, minor: str) -> str:
    """An amount n/d rounded half-up to `minor` decimal places, written as engine.exact.money_text
    writes it ('833.33', '0.00', '12'). n >= 0, d > 0, minor 0..6."""
    powers = " ".join(f"WHEN {m} THEN {10 ** m}" for m in range(7))
    scale = f"CAST(CASE {minor} {powers} END AS HUGEINT)"
    units = f"((2 * ({n}) * {scale} + ({d})) // (2 * ({d})))"
    whole = f"CAST({units} // {scale} AS VARCHAR)"
    frac = f"lpad(CAST({units} % {scale} AS VARCHAR), {minor}, '0')"
    return f"(CASE WHEN {minor} = 0 THEN CAST({units} AS VARCHAR) ELSE {whole} || '.' || {frac} END)"


def fraction_columns(name: str, n: str, d: str) -> str:
    """`n AS name__n, d AS name__d` (a "frac" fact)."""
    return f"{n} AS {name}__n, {d} AS {name}__d"
