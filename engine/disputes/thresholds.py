"""How far a decision was from going the other way, computed exactly.

Three distances a dispute handler asks about:
- tiers: how many more minutes of unavailability would have reached the next
  (worse) credit tier, and how many fewer would have left the current one, from
  A, B, C and the tiers of the revision that governed the month;
- the claim window: how long before (or after) the window closed the claim was
  made, or how long before the month ended;
- revisions: how long after its revision took effect, and before the next one
  did, the instant that chose the revision was.

Pure arithmetic on facts the core derived; no SLA number lives here (tiers and
window come from the revision, through the facts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Mapping

from engine.core.evaluate import Selection
from engine.exact import SHOWN_PLACES, decimal_text
from engine.policy.family import Family, Revision, Tier
from engine.timeutil import parse_instant


def shown_up(value: Fraction, places: int = SHOWN_PLACES) -> str:
    """A distance as a decimal rounded up, so "more than X minutes" and "X fewer
    minutes" stay true when X does not terminate (exact values are unchanged)."""
    scale = 10 ** places
    return decimal_text(Fraction(math.ceil(value * scale), scale))


@dataclass(frozen=True)
class TierStep:
    """Crossing one threshold: `tier` is the credit tier on the other side (None: no credit)."""

    below: Fraction  # the threshold crossed, in percent
    tier: Tier | None
    minutes: Fraction  # minutes of unavailability (B - C) between here and the threshold
    points: Fraction  # uptime percentage points between here and the threshold


@dataclass(frozen=True)
class TierDistance:
    revision: Revision
    total_minutes: Fraction
    net_unavailable: Fraction  # B - C
    uptime_percent: Fraction
    current: Tier | None
    worse: TierStep | None  # more than `minutes` more unavailability reaches this tier
    better: TierStep | None  # at least `minutes` less unavailability leaves the current tier


def _budget(total: Fraction, below: Fraction) -> Fraction:
    """The most unavailability (B - C) that keeps the uptime at or above `below`%."""
    return total * (100 - below) / 100


def tier_distance(facts: Mapping[str, Any], revision: Revision) -> TierDistance:
    """Distances to the neighbouring thresholds of the month's uptime. "Below" is
    strict, so reaching a worse tier takes strictly more than `worse.minutes`;
    leaving the current tier takes `better.minutes` or more."""
    total = facts["total_minutes"]
    net = facts["unavailable_minutes"] - facts["excluded_minutes"]
    uptime = facts["uptime_percent"]
    tiers = revision.tiers  # lowest threshold first
    reached = [t for t in tiers if uptime < t.below]
    current = reached[0] if reached else None
    not_reached = [t for t in tiers if not uptime < t.below]
    worse = None
    if not_reached:
        nearest = not_reached[-1]
        worse = TierStep(nearest.below, nearest, _budget(total, nearest.below) - net, uptime - nearest.below)
    better = None
    if current is not None:
        above = [t for t in tiers if t.below > current.below]
        better = TierStep(current.below, above[0] if above else None, net - _budget(total, current.below),
                          current.below - uptime)
    return TierDistance(revision, total, net, uptime, current, worse, better)


@dataclass(frozen=True)
class WindowDistance:
    """Where the claim fell against its month and its window."""

    position: str  # "before_month_end", "within_window" or "after_window"
    submitted_at: datetime
    month_end: datetime
    closes_at: datetime  # the first late instant
    margin: timedelta  # always positive: the gap to the nearer edge named by `position`


def window_distance(facts: Mapping[str, Any]) -> WindowDistance:
    """The claim's submission against the month's end and the window's close (the
    facts `month_end` and `window_closes_at`, both first instants after)."""
    submitted, month_end, closes = facts["submitted_at"], facts["month_end"], facts["window_closes_at"]
    if submitted < month_end:
        return WindowDistance("before_month_end", submitted, month_end, closes, month_end - submitted)
    if submitted >= closes:
        return WindowDistance("after_window", submitted, month_end, closes, submitted - closes)
    return WindowDistance("within_window", submitted, month_end, closes, closes - submitted)


@dataclass(frozen=True)
class RevisionMargin:
    """How close the instant that chose a revision was to the revision's edges."""

    selection: Selection
    anchor: datetime
    since_start: timedelta  # from the revision taking effect to the anchor
    next: Revision | None
    until_next: timedelta | None  # from the anchor to the next revision taking effect


def revision_margin(selection: Selection, family: Family) -> RevisionMargin | None:
    """None for an --as-of selection (no instant chose it)."""
    if selection.anchor == "--as-of":
        return None
    anchor = parse_instant(selection.anchor_value)
    revision = selection.revision
    later = [r for r in family.revisions if r.effective > revision.effective]
    nxt = later[0] if later else None
    return RevisionMargin(selection, anchor, anchor - revision.starts_at, nxt,
                          nxt.starts_at - anchor if nxt else None)
