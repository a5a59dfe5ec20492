"""The month's outages as rows for a timeline: where each falls in the month and how
the uptime formula counted it (unavailable, excluded, or not at all).

The classification follows the month's revision (its critical functions and
excluded causes), as `engine.facts.uptime` does; the totals B and C come from the
decision's facts, since overlapping outages count once there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from engine.core.evaluate import Decision
from engine.core.records import Outage
from engine.timeutil import minutes_between


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


def outage_rows(decision: Decision) -> list[OutageRow]:
    """Every outage of an uptime or claim decision, clipped to its month."""
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
    return rows
