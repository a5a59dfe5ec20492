"""Customer-months from outage incidents and contracts.

`--months 2024-01..2024-12` names the months; every customer (from the
contracts, or from the incidents when there are no contracts) gets one uptime
record per month, holding the outages that touched that month: the customer's
own incidents and the platform-wide ones (customer empty or '*'). The engine
clips each outage to the month, so an incident across a month end counts in
both months, each for its own part.

The credit a contract would be owed for a month is the month's credit percent
(under the revision in force for that month) times the contract's monthly
committed fee, by the same policy terms a claim uses (eligible contract types,
annual commitment / 12, rounding to the currency's minor unit).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from fractions import Fraction
from typing import Any, Iterator

from engine.errors import UsageError
from engine.core.evaluate import Options
from engine.exact import money_text, to_fraction
from engine.core.facts.uptime import month_window
from engine.policy.family import Family, Revision
from engine.timeutil import TimeFormatError, micros, parse_month

_RANGE = re.compile(r"^(\d{4}-\d{2})(?:\.\.(\d{4}-\d{2}))?$")
PLATFORM = "*"


def parse_months(text: str) -> list[str]:
    """`2024-01..2024-12`, `2024-03`, or several joined by commas, in calendar order."""
    months: list[str] = []
    for part in text.split(","):
        m = _RANGE.match(part.strip())
        if not m:
            raise UsageError(f"--months: {part.strip()!r} is not a month or range; expected e.g. 2024-01..2024-12 or 2024-03")
        try:
            first, last = parse_month(m.group(1)), parse_month(m.group(2) or m.group(1))
        except TimeFormatError as exc:
            raise UsageError(f"--months: {exc}") from None
        if last < first:
            raise UsageError(f"--months: {part.strip()!r} ends before it starts")
        year, month = first
        while (year, month) <= last:
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(dict.fromkeys(months))


@dataclass(frozen=True)
class MonthInfo:
    """A month of --months, with the revision in force for it and its bounds in microseconds."""

    month: str
    revision: Revision
    start: int
    end: int


def month_infos(months: list[str], family: Family, options: Options) -> list[MonthInfo]:
    out = []
    for month in months:
        try:
            if options.as_of is not None:
                revision = family.at(options.as_of)
            else:
                revision = family.in_force(lambda r, m=month: month_window(m, r)[0])
        except LookupError as exc:
            raise UsageError(f"--months: {month}: {exc}") from None
        start, end = month_window(month, revision)
        out.append(MonthInfo(month, revision, micros(start), micros(end)))
    return out


@dataclass(frozen=True, slots=True)
class Incident:
    """One accepted incident row: where it was, whom it hit, when, and the outage
    as the core record format writes it, kept compact (tens of thousands are held
    while the customer-months are built): (id, start, end, functions, cause)."""

    line: int
    customer: str | None  # None: platform-wide
    start: int
    end: int
    parts: tuple[Any, ...]

    @staticmethod
    def of(line: int, customer: str | None, start: int, end: int, outage: dict[str, Any]) -> "Incident":
        functions = tuple(sys.intern(f) for f in outage["functions"])
        parts = (outage.get("id"), outage["start"], outage["end"], functions, sys.intern(outage["cause"]), outage.get("note"))
        return Incident(line, None if customer is None else sys.intern(customer), start, end, parts)

    @property
    def outage(self) -> dict[str, Any]:
        """The outage as a record holds it."""
        rid, start, end, functions, cause, note = self.parts
        out: dict[str, Any] = {} if rid is None else {"id": rid}
        out.update(start=start, end=end, functions=list(functions), cause=cause)
        if note is not None:
            out["note"] = note
        return out

    def touches(self, month: MonthInfo) -> bool:
        if self.start == self.end:
            return month.start <= self.start < month.end
        return self.start < month.end and self.end > month.start


@dataclass
class OutageIndex:
    """Accepted incidents by customer, platform-wide ones apart, in file order."""

    customers: dict[str, list[Incident]] = field(default_factory=dict)
    platform: list[Incident] = field(default_factory=list)

    def add(self, incident: Incident) -> None:
        if incident.customer is None:
            self.platform.append(incident)
        else:
            self.customers.setdefault(incident.customer, []).append(incident)

    def outages(self, customer: str, month: MonthInfo) -> list[dict[str, Any]]:
        """The outages of one customer-month: its own and the platform-wide ones, in file order."""
        hits = [i for i in self.customers.get(customer, ()) if i.touches(month)]
        hits += [i for i in self.platform if i.touches(month)]
        hits.sort(key=lambda i: i.line)
        return [i.outage for i in hits]


@dataclass(frozen=True)
class Contract:
    customer: str
    line: int
    terms: dict[str, Any]  # billing, monthly_commitment | annual_commitment, currency (as in a claim)


@dataclass(slots=True)
class CustomerMonth:
    """One customer's month, to be decided as an uptime record: its outages and its contract's terms."""

    customer: str
    month: str
    outages: list[dict[str, Any]]
    terms: dict[str, Any] | None  # None: the customer has no contract


def customer_months(customers: list[str], months: list[MonthInfo], index: OutageIndex,
                    contracts: dict[str, Contract]) -> Iterator[CustomerMonth]:
    """Every customer and month, in that order."""
    for customer in customers:
        contract = contracts.get(customer)
        for month in months:
            yield CustomerMonth(customer, month.month, index.outages(customer, month), contract.terms if contract else None)


def uptime_record(customer: str, month: str, outages: list[dict[str, Any]]) -> dict[str, Any]:
    """The core uptime record of one customer-month."""
    return {"type": "uptime", "id": f"{customer}/{month}", "customer": customer, "month": month, "outages": outages}


@dataclass(frozen=True)
class Owed:
    """What a contract would be owed for a month: the amount, or why nothing."""

    eligible: bool
    amount: str
    currency: str
    billing: str
    reason: str | None


def credit_owed(terms: dict[str, Any], revision: Revision, credit_percent: Fraction) -> Owed:
    """The month's credit for this contract under `revision`'s contract terms."""
    currency, billing = terms["currency"], terms["billing"]
    minor = revision.currencies[currency]
    contract = revision.contracts.get(billing)
    if contract is None:
        return Owed(False, money_text(Fraction(0), minor), currency, billing, "contract_not_eligible")
    base = _amount(terms[contract.base_field])
    # base / divide_by x credit% / 100, as one exact fraction (a hundred thousand customer-months a year)
    amount = Fraction(base.numerator * credit_percent.numerator,
                      base.denominator * contract.divide_by * credit_percent.denominator * 100)
    due = credit_percent.numerator > 0
    return Owed(due, money_text(amount, minor), currency, billing, None if due else "no_credit_due")


@lru_cache(maxsize=4096)
def _amount(text: str) -> Fraction:
    """A contract's decimal amount, exact (each contract's is read twelve times a year)."""
    return to_fraction(text)


def contract_problems(terms: dict[str, Any], revisions: list[Revision]) -> list[tuple[tuple[str, ...], str]]:
    """What the policy says about a contract row, for every revision of --months."""
    out: list[tuple[tuple[str, ...], str]] = []
    for revision in dict.fromkeys(revisions):
        if terms["currency"] not in revision.currencies:
            out.append((("currency",), f"unknown currency {terms['currency']!r} (policy {revision.label})"))
        contract = revision.contracts.get(terms["billing"])
        if contract is not None and contract.base_field not in terms:
            out.append(((), f"a {terms['billing']} contract needs {contract.base_field} (policy {revision.label})"))
    return list(dict.fromkeys(out))


def incident_problems(outage: dict[str, Any], revisions: list[Revision]) -> list[tuple[tuple[str, ...], str]]:
    """Functions and causes the policy does not know, for every revision the incident's months use."""
    out: list[tuple[tuple[str, ...], str]] = []
    for revision in dict.fromkeys(revisions):
        for j, name in enumerate(outage["functions"]):
            if name not in revision.functions:
                out.append((("functions", j), f"unknown function {name!r}; expected one of {', '.join(sorted(revision.functions))} (policy {revision.label})"))
        causes = revision.attributable_causes | revision.excluded_causes
        if outage["cause"] not in causes:
            out.append((("cause",), f"unknown cause {outage['cause']!r}; expected one of {', '.join(sorted(causes))} (policy {revision.label})"))
    return list(dict.fromkeys(out))
