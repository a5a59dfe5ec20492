"""The month's outages as rows for a timeline: where each falls in the month and how
the uptime formula counted it (unavailable, excluded, or not at all).

The classification follows the month's revision (its critical functions and
excluded causes), as `engine.facts.uptime` does. Each row also says how many of
its minutes B and C count, with the overlap rule applied in record order: a
minute already counted by an earlier row (or, for C, by any attributable
outage) is not counted again, so the rows add up to the decision's B and C.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction

from engine.core.evaluate import Decision
from engine.core.records import Outage
from engine.timeutil import micros, minutes_between

MICROS_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class OutageRow:
    number: int  # 1-based, in record order
    outage: Outage
    category: str  # "counted", "excluded" or "ignored"
    start: datetime  # clipped to the month
    end: datetime
    minutes_in_month: Fraction
    before_month: bool  # started before the month
    after_month: bool  # ended after the month
    in_b: Fraction = Fraction(0)  # minutes of this row B counts (a critical function down, not already counted)
    in_c: Fraction = Fraction(0)  # minutes of this row C counts (excluded, no unavailability, not already counted)


def outage_rows(decision: Decision) -> list[OutageRow]:
    """Every outage of an uptime or claim decision, clipped to its month, with its share of B and C."""
    revision = decision.selections[0].revision
    start, end = decision.facts["month_start"], decision.facts["month_end"]
    rows = []
    for number, outage in enumerate(decision.record.outages, start=1):
        if not revision.critical_functions.intersection(outage.functions):
            category = "ignored"
        elif outage.cause in revision.excluded_causes:
            category = "excluded"
        else:
            category = "counted"
        lo, hi = max(outage.start, start), min(outage.end, end)
        minutes = minutes_between(lo, hi) if lo < hi else Fraction(0)
        rows.append(OutageRow(number, outage, category, min(max(lo, start), end), max(min(hi, end), start), minutes,
                              outage.start < start, outage.end > end))
    return _with_shares(rows)


def _with_shares(rows: list[OutageRow]) -> list[OutageRow]:
    """Each row's minutes in B and C: B takes a row's minutes (counted or
    excluded: a critical function was down either way) that no earlier row
    took; C takes an excluded row's minutes that no counted row and no earlier
    excluded row took, so an exclusion gives back only time no attributable
    outage covers (the uptime formula's overlap rule)."""
    span = {r.number: (micros(r.start), micros(r.end)) for r in rows}
    counted_all = [span[r.number] for r in rows if r.category == "counted"]
    seen_b: list[tuple[int, int]] = []
    seen_c: list[tuple[int, int]] = list(counted_all)
    out = []
    for r in rows:
        part = span[r.number]
        in_b = in_c = 0
        if r.category != "ignored":
            in_b = _uncovered(part, seen_b)
            seen_b.append(part)
        if r.category == "excluded":
            in_c = _uncovered(part, seen_c)
            seen_c.append(part)
        out.append(replace(r, in_b=Fraction(in_b, MICROS_PER_MINUTE), in_c=Fraction(in_c, MICROS_PER_MINUTE)))
    return out


def _uncovered(part: tuple[int, int], covered: list[tuple[int, int]]) -> int:
    """Microseconds of `part` that no interval of `covered` overlaps."""
    lo, hi = part
    if hi <= lo:
        return 0
    taken = 0
    cursor = lo
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in covered if a < hi and b > lo):
        if b <= cursor:
            continue
        taken += b - max(a, cursor)
        cursor = b
    return hi - lo - taken
