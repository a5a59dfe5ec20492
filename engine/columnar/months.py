"""What the SQL needs to know about months, worked out in Python at compile time
with the row engine's own functions, so it agrees with it by construction.

A month's bounds depend on the policy's time zone, its revision on those bounds,
and a claim's window on the month's end and the family's revisions
(engine.core.facts.claim): all of it is a function of the month alone (and, for
the window under `decided_by: claim_submission`, of the claim's revision). The
SQL joins these rows instead of doing calendar arithmetic in a time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Sequence

from engine.columnar.dialect import Dialect
from engine.core.evaluate import Options
from engine.core.facts.claim import WINDOW_CLOSE, window_at_close
from engine.core.facts.uptime import month_window
from engine.policy.family import Family, Revision
from engine.timeutil import micros


@dataclass(frozen=True)
class MonthRow:
    """One month as the SQL joins it (`claim_rev` is None for a customer-month)."""

    month: str
    month_rev: int
    claim_rev: int | None
    start: int
    end: int
    window_days: int | None = None
    closes: int | None = None
    window_revision: str | None = None


def month_revision(family: Family, options: Options, month: str) -> Revision | None:
    """The revision deciding a month's uptime, as engine.core.evaluate selects it; None before the earliest."""
    if options.as_of is not None:
        try:
            return family.at(options.as_of)
        except LookupError:
            return None
    try:
        return family.in_force(lambda r: month_window(month, r)[0])
    except LookupError:
        return None


def uptime_months(family: Family, options: Options, months: Sequence[str]) -> list[MonthRow]:
    """The rows of --months, in order (every one has a revision: `sla check` refuses the run otherwise)."""
    out = []
    for month in months:
        revision = month_revision(family, options, month)
        if revision is None:
            raise LookupError(f"{month} is before the earliest revision of {family.name}")
        start, end = month_window(month, revision)
        out.append(MonthRow(month, family.revisions.index(revision), None, micros(start), micros(end)))
    return out


def claim_months(family: Family, options: Options, first_year: int, last_year: int) -> list[MonthRow]:
    """Every month of the years, for every revision a claim may be made under:
    the month's revision, bounds and the claim window (engine.core.facts.claim)."""
    revisions = family.revisions
    history = () if options.as_of is not None else revisions
    claim_revs = [family.at(options.as_of)] if options.as_of is not None else list(revisions)
    out = []
    for year in range(first_year, last_year + 1):
        for number in range(1, 13):
            month = f"{year:04d}-{number:02d}"
            revision = month_revision(family, options, month)
            if revision is None:
                continue
            start, end = month_window(month, revision)
            for claim_rev in claim_revs:
                window, closes = _window(claim_rev, end, history)
                out.append(MonthRow(month, revisions.index(revision), revisions.index(claim_rev), micros(start), micros(end),
                                    window.window_days, micros(closes), window.revision))
    return out


def _window(claim_rev: Revision, month_end: Any, history: Sequence[Revision]) -> tuple[Revision, Any]:
    """The claim window's revision and closing instant, as claim_facts works them out."""
    rule = claim_rev.data["claims"]["window"].get("decided_by", WINDOW_CLOSE)
    if rule == WINDOW_CLOSE and history:
        return window_at_close(month_end, history)
    return claim_rev, month_end + timedelta(days=claim_rev.window_days)


def values_sql(d: Dialect, rows: Sequence[MonthRow], claims: bool) -> str:
    """The month rows as an inline relation `(VALUES ...) AS mon(...)`."""
    def text(value: str | None) -> str:
        return d.null("text") if value is None else d.text(value)

    if claims:
        cols = "month, month_rev, claim_rev, ms, me, window_days, closes, window_revision"
        body = ", ".join(f"({text(r.month)}, {r.month_rev}, {r.claim_rev}, CAST({r.start} AS BIGINT), CAST({r.end} AS BIGINT), "
                         f"{r.window_days}, CAST({r.closes} AS BIGINT), {text(r.window_revision)})" for r in rows)
    else:
        cols = "month_idx, month, month_rev, ms, me"
        body = ", ".join(f"({i}, {text(r.month)}, {r.month_rev}, CAST({r.start} AS BIGINT), CAST({r.end} AS BIGINT))"
                         for i, r in enumerate(rows))
    return f"(VALUES {body}) AS mon({cols})"
