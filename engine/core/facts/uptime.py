"""Facts of an uptime month: the SLA's A, B and C, the uptime, and the credit tier.

A is the month's length in the policy's time zone. B is the union of every
outage that touched a critical function, clipped to the month, so overlapping
outages count once. C is the part of B covered only by excluded causes: where an
attributable outage overlaps an excluded one, that time stays unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TYPE_CHECKING

from engine.intervals import clip, measure_union_and_only
from engine.core.records import Record
from engine.timeutil import micros, month_bounds, parse_month

if TYPE_CHECKING:
    from engine.policy.family import Revision, Tier

MICROS_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class TierCheck:
    """One row of the tier table as checked against the uptime (for explain)."""

    tier: "Tier"
    below: bool
    chosen: bool


_WINDOWS: dict[tuple[str, Any], tuple[Any, Any]] = {}  # (month, zone) -> bounds: a claim asks several times


def month_window(month: str, revision: "Revision") -> tuple[Any, Any]:
    """The month's first instant and the first instant after it, in the policy's zone."""
    key = (month, revision.tz)
    known = _WINDOWS.get(key)
    if known is not None:
        return known
    year, number = parse_month(month)
    bounds = month_bounds(year, number, revision.tz)
    if len(_WINDOWS) < 4096:
        _WINDOWS[key] = bounds
    return bounds


def uptime_facts(record: Record, revision: "Revision") -> dict[str, Any]:
    """Every fact named in `facts.UPTIME_FACTS`, plus `tier_checks` for explain."""
    start, end = month_window(record.fields["month"], revision)
    window = (micros(start), micros(end))
    counted, excluded = [], []
    for outage in record.outages:
        if not revision.critical_functions.intersection(outage.functions):
            continue
        part = clip((micros(outage.start), micros(outage.end)), window)
        if part is None:
            continue
        (excluded if outage.cause in revision.excluded_causes else counted).append(part)
    b, c = measure_union_and_only(counted, excluded)
    a = window[1] - window[0]
    percent = Fraction((a - b + c) * 100, a)  # (A - B + C) / A as a percentage, in one exact step
    checks = choose_tier(percent, revision)
    chosen = next((t.tier for t in checks if t.chosen), None)
    return {
        "month": record.fields["month"],
        "month_start": start,
        "month_end": end,
        "total_minutes": Fraction(a, MICROS_PER_MINUTE),
        "unavailable_minutes": Fraction(b, MICROS_PER_MINUTE),
        "excluded_minutes": Fraction(c, MICROS_PER_MINUTE),
        "uptime_percent": percent,
        "credit_percent": chosen.percent if chosen else Fraction(0),
        "tier_below": chosen.below if chosen else None,
        "tier_checks": checks,
    }


def choose_tier(percent: Fraction, revision: "Revision") -> tuple[TierCheck, ...]:
    """Every tier row with whether the uptime is strictly below it; only the
    lowest such threshold is chosen (tiers never add up)."""
    n, d = percent.numerator, percent.denominator  # exact comparisons by cross-multiplying: Fraction's < is slow
    below = [n * t.below.denominator < t.below.numerator * d for t in revision.tiers]
    lowest = next((t for t, hit in zip(revision.tiers, below) if hit), None)
    return tuple(TierCheck(t, hit, t is lowest) for t, hit in zip(revision.tiers, below))
