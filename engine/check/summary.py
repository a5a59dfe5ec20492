"""The summary of a check: counts that add up, response times per severity,
customer-months below the first credit tier, and totals per currency.

Percentiles are nearest-rank on the exact response times: the p-th percentile
of n sorted values is the value at rank ceil(p/100 * n) (1-based), so it is
always one of the measured times, never an interpolation; the median is the
50th percentile by the same rule (the lower middle value when n is even).
Response times are kept as integer microseconds, counted per distinct time
(engine.check.times), so they can be sorted exactly at the end; every other
number is a running total.
"""

from __future__ import annotations

import json
import sys
from engine.render.catalogue import Messages
from array import array
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Sequence, TextIO

from engine.check.rows import CREDITED, CaseRow, ClaimRow, Contribution, CreditedMonth, MonthRow
from engine.check.times import Distribution, Times
from engine.exact import decimal_text
from engine.io.csvsafe import SafeDictWriter

MICROS_PER_MINUTE = 60_000_000
PERCENTILES = (50, 95)


def nearest_rank(values: Sequence[int], p: int) -> int:
    """The p-th percentile of sorted `values` by the nearest-rank method."""
    rank = -(-p * len(values) // 100)
    return values[max(rank, 1) - 1]


def minutes_text(micros: int) -> str:
    return decimal_text(Fraction(micros, MICROS_PER_MINUTE))


@dataclass
class Counts:
    """Rows of one source: read = evaluated + rejected (+ outside --months for incidents)."""

    read: int = 0
    evaluated: int = 0
    rejected: int = 0
    outside: int = 0

    def line(self, name: str, lang: str = "en") -> str:
        """`cases: 1,000 read = 998 evaluated + 2 rejected`, in the catalogue's words."""
        w = Messages("check", lang)
        kind = "built" if name == "customer-months" else "used" if name in ("outages", "contracts") else "read"
        text = w(f"count.{kind}", source=w(f"source.{name}") if lang != "en" else name, read=f"{self.read:,}",
                 done=f"{self.evaluated:,}")
        if self.outside:
            text += w("count.outside", outside=f"{self.outside:,}")
        return text + w("count.rejected", rejected=f"{self.rejected:,}")


@dataclass
class Severity:
    cases: int = 0
    met: int = 0
    breached: int = 0
    pending: int = 0
    targets: set[str] = field(default_factory=set)
    times: Times = field(default_factory=Times)
    _distribution: Any = field(default=None, repr=False)

    def distribution(self) -> Distribution:
        """The response times' distribution (worked out once, for the table, the files and the plots)."""
        if self._distribution is None or len(self._distribution) != len(self.times):
            self._distribution = self.times.distribution()
        return self._distribution


@dataclass
class Month:
    customers: int = 0
    credited: int = 0
    revision: str = ""
    total: int = 0
    down: array = field(default_factory=lambda: array("q"))  # net unavailable micros per customer


@dataclass
class Summary:
    counts: dict[str, Counts] = field(default_factory=dict)
    severities: dict[int, Severity] = field(default_factory=dict)
    months: dict[str, Month] = field(default_factory=dict)
    credited: list[CreditedMonth] = field(default_factory=list)  # customer-months below the first tier
    owed: dict[str, Decimal] = field(default_factory=dict)  # currency -> total owed (eligible contracts)
    claimed: dict[str, Decimal] = field(default_factory=dict)  # currency -> eligible claims' amounts
    claims: Counter = field(default_factory=Counter)  # eligible / not_eligible / each reason
    failing: Counter = field(default_factory=Counter)  # records with a breached / violation finding
    _credited_sorted: list[CreditedMonth] = field(default_factory=list, repr=False)

    def count(self, source: str) -> Counts:
        return self.counts.setdefault(source, Counts())

    def add(self, row: Contribution) -> None:
        if row.breached:
            self.failing["breached"] += 1
        if row.violation:
            self.failing["violation"] += 1
        kind = type(row)
        if kind is CaseRow:
            self._add_case(row)  # type: ignore[arg-type]
        elif kind is MonthRow:
            self._add_month(row)  # type: ignore[arg-type]
        else:
            self._add_claim(row)  # type: ignore[arg-type]

    def _add_failing(self, breached: Sequence[bool], violation: Sequence[bool]) -> None:
        """How many of a column of records have a breached and a violation finding (no key for none)."""
        for flag, name in ((breached, "breached"), (violation, "violation")):
            n = sum(map(bool, flag))
            if n:
                self.failing[name] += n

    def _add_case(self, row: CaseRow) -> None:
        s = self.severities.get(row.severity)
        if s is None:
            s = self.severities[row.severity] = Severity()
        s.cases += 1
        s.targets.add(row.target)
        if row.met is True:
            s.met += 1
        elif row.met is False:
            s.breached += 1
        else:
            s.pending += 1
        if row.response_micros is not None:
            s.times.append(row.response_micros)

    def add_cases(self, severity: Sequence[int], micros: Sequence[int | None], met: Sequence[bool | None],
                  target: Sequence[str], breached: Sequence[bool], violation: Sequence[bool]) -> None:
        """Many decided cases at once, given column by column (a chunk the SQL decided): the same
        numbers as `add` of each case's CaseRow, without an object and a call per case."""
        self._add_failing(breached, violation)
        for (level, is_met, tgt), n in Counter(zip(severity, met, target)).items():
            s = self.severities.get(level)
            if s is None:
                s = self.severities[level] = Severity()
            s.cases += n
            s.targets.add(tgt)
            if is_met is True:
                s.met += n
            elif is_met is False:
                s.breached += n
            else:
                s.pending += n
        for level in set(severity):  # a few severities: a pass each is cheaper than a call per case
            self.severities[level].times.add([us for lvl, us in zip(severity, micros) if lvl == level and us is not None])

    def _add_month(self, row: MonthRow) -> None:
        m = self._month(row.month, row.revision, row.total_micros)
        m.customers += 1
        m.down.append(row.down_micros)
        if row.credit_percent != "0":
            self._add_credited(m, row)

    def _month(self, name: str, revision: str, total: int) -> Month:
        """The month's totals (started by its first customer-month, whose revision and length it keeps)."""
        m = self.months.get(name)
        if m is None:
            m = self.months[name] = Month(revision=revision, total=total)
        return m

    def add_months(self, month: Sequence[str], revision: Sequence[str], total: Sequence[int], down: Sequence[int],
                   breached: Sequence[bool], violation: Sequence[bool], credited: Sequence[MonthRow]) -> None:
        """Many decided customer-months at once, given column by column (a query the SQL decided whole),
        with the MonthRow of each one below the first tier (`credited`, in the same order): the same
        numbers as `add` of each month's MonthRow, without an object and a call per month."""
        self._add_failing(breached, violation)
        for name, rev, tot, d in zip(month, revision, total, down):
            m = self._month(name, rev, tot)
            m.customers += 1
            m.down.append(d)
        for row in credited:
            self._add_credited(self.months[row.month], row)

    def _add_credited(self, m: Month, row: MonthRow) -> None:
        """A customer-month below the first tier: counted in its month, listed, and its credit owed summed."""
        m.credited += 1
        owed = row.owed
        if owed is not None and owed.eligible:
            self.owed[owed.currency] = self.owed.get(owed.currency, Decimal(0)) + Decimal(owed.amount)
        self.credited.append(CreditedMonth(
            _i(row.customer), _i(row.month), row.uptime_percent, _i(row.tier_below), _i(row.credit_percent), _i(row.revision),
            None if owed is None else _i(owed.billing), None if owed is None else owed.amount,
            None if owed is None else _i(owed.currency), None if owed is None else owed.eligible,
            None if owed is None else _i(owed.reason)))

    def _add_claim(self, row: ClaimRow) -> None:
        self.claims["eligible" if row.eligible else "not_eligible"] += 1
        for reason in row.reasons:
            self.claims[reason] += 1
        if row.eligible:
            self.claimed[row.currency] = self.claimed.get(row.currency, Decimal(0)) + Decimal(row.amount)

    def merge(self, other: "Summary") -> None:
        """Add a chunk's partial summary (its counts are kept by the caller)."""
        for level, theirs in other.severities.items():
            mine = self.severities.get(level)
            if mine is None:
                self.severities[level] = theirs
                continue
            mine.cases += theirs.cases
            mine.met += theirs.met
            mine.breached += theirs.breached
            mine.pending += theirs.pending
            mine.targets |= theirs.targets
            mine.times.extend(theirs.times)
        for name, theirs_m in other.months.items():
            m = self.months.get(name)
            if m is None:
                self.months[name] = theirs_m
                continue
            m.customers += theirs_m.customers
            m.credited += theirs_m.credited
            m.down.extend(theirs_m.down)
        self.credited += other.credited
        for mine_d, theirs_d in ((self.owed, other.owed), (self.claimed, other.claimed)):
            for currency, amount in theirs_d.items():
                mine_d[currency] = mine_d.get(currency, Decimal(0)) + amount
        self.claims.update(other.claims)
        self.failing.update(other.failing)

    # -- the numbers ---------------------------------------------------------

    def severity_rows(self) -> list[dict[str, Any]]:
        rows = []
        for level in sorted(self.severities):
            s = self.severities[level]
            times = s.distribution()
            decided = s.met + s.breached
            row = {"severity": level, "cases": s.cases, "met": s.met, "breached": s.breached, "pending": s.pending,
                   "breach_rate_percent": decimal_text(Fraction(s.breached * 100, s.cases)) if s.cases else None,
                   "responded": len(times), "decided": decided,
                   "target_minutes": "/".join(sorted(s.targets, key=Fraction))}
            for p in PERCENTILES:
                row[f"p{p}_minutes"] = minutes_text(times.nearest_rank(p)) if times else None
            rows.append(row)
        return rows

    def month_rows(self) -> list[dict[str, Any]]:
        rows = []
        for month in sorted(self.months):
            m = self.months[month]
            downs = sorted(m.down)
            worst = downs[-1] if downs else 0
            median = nearest_rank(downs, 50) if downs else 0
            rows.append({"month": month, "revision": m.revision, "customers": m.customers, "credited": m.credited,
                         "lowest_uptime_percent": decimal_text(Fraction((m.total - worst) * 100, m.total)),
                         "median_uptime_percent": decimal_text(Fraction((m.total - median) * 100, m.total))})
        return rows

    def credited_rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Customer-months below the first tier, lowest uptime first (the first `limit` of them)."""
        return [row.to_dict() for row in self.credited_sorted()[:limit]]

    def credited_sorted(self) -> list[CreditedMonth]:
        if len(self._credited_sorted) != len(self.credited):
            # an uptime is a finite decimal (engine.exact.decimal_text): Decimal orders it exactly as its
            # Fraction would, several times cheaper to build (36,000 credited months: ≈0.7 CPU-s less)
            self._credited_sorted = sorted(self.credited, key=lambda r: (Decimal(r.uptime_percent), r.customer, r.month))
        return self._credited_sorted

    def write_json(self, out: TextIO) -> None:
        """The JSON summary, written as it goes: a million-row summary is never one string."""
        document = self.to_json(rows=False)
        out.write("{")
        for i, (key, value) in enumerate(document.items()):
            out.write(("," if i else "") + f"\n  {json.dumps(key)}: ")
            if key == "customer_months_below_first_tier":
                rows = self.credited_sorted()
                out.write("[" if rows else "[]")
                for j, row in enumerate(rows):
                    out.write(("," if j else "") + "\n    " + json.dumps(row.to_dict(), ensure_ascii=False))
                out.write("\n  ]" if rows else "")
            else:
                out.write(json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  "))
        out.write("\n}\n")

    def to_json(self, rows: bool = True) -> dict[str, Any]:
        return {
            "counts": {k: vars(v) for k, v in self.counts.items()},
            "severities": self.severity_rows(),
            "months": self.month_rows(),
            "customer_months_below_first_tier": self.credited_rows() if rows else None,
            "credit_owed_by_currency": {c: str(v) for c, v in sorted(self.owed.items())},
            "claims": dict(sorted(self.claims.items())),
            "claimed_by_currency": {c: str(v) for c, v in sorted(self.claimed.items())},
            "records_failing": dict(sorted(self.failing.items())),
            "percentile_method": "nearest-rank: the value at rank ceil(p/100 * n) of the n sorted exact response times",
        }

    def write_csv(self, out: TextIO) -> None:
        """One table, a `section` column telling the kind of row apart (severity,
        customer_month, owed_total, claimed_total, count)."""
        columns = ["section", "severity", "customer", "month", "currency", "cases", "met", "breached", "pending",
                   "breach_rate_percent", "p50_minutes", "p95_minutes", "target_minutes", "uptime_percent", "tier_below",
                   "credit_percent", "billing", "credit_owed", "eligible", "revision", "source", "read", "evaluated",
                   "rejected", "total"]
        writer = SafeDictWriter(out, columns, lineterminator="\n", extrasaction="ignore")  # no cell runs as a formula
        writer.writeheader()
        for source, c in self.counts.items():
            writer.writerow({"section": "count", "source": source, "read": c.read, "evaluated": c.evaluated, "rejected": c.rejected})
        for row in self.severity_rows():
            writer.writerow({"section": "severity", **row})
        for row in self.credited_sorted():
            writer.writerow({"section": "customer_month", **{k: ("" if v is None else v) for k, v in zip(CREDITED, row.values())}})
        for currency, total in sorted(self.owed.items()):
            writer.writerow({"section": "owed_total", "currency": currency, "total": str(total)})
        for currency, total in sorted(self.claimed.items()):
            writer.writerow({"section": "claimed_total", "currency": currency, "total": str(total)})


def _i(text: str | None) -> str | None:
    """Repeated words (customers, months, tiers, currencies) kept once in memory."""
    return None if text is None else sys.intern(text)
