"""A decision's outcome in one word, for verdicts, the decision log and its filters.

credit_claim: `eligible` | `not_eligible`; uptime: `credit_due` | `no_credit`;
case: `met` | `breached` | `pending` (no human response yet, or a clock that
has not started).
"""

from __future__ import annotations

from engine import kinds
from engine.core.evaluate import Decision

OUTCOMES = ("eligible", "not_eligible", "credit_due", "no_credit", "met", "breached", "pending")


def outcome_of(decision: Decision) -> str:
    """The one-word outcome of a decision, as its record's kind words it (see the module docstring)."""
    return kinds.get(decision.record.type).outcome(decision)


def month_of(decision: Decision) -> str:
    """The month a decision is about: the record's month, or for a case the month
    (in the policy's time zone) it was submitted in."""
    if "month" in decision.record.fields:
        return decision.record.fields["month"]
    submitted = decision.record.fields["submitted_at"].astimezone(decision.revision.tz)
    return f"{submitted.year:04d}-{submitted.month:02d}"
