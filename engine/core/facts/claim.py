"""Facts of a credit claim. Two revisions meet here: the month's (for uptime and
tiers, by the month's first instant) and the claim's (for the window, the
requirements and settlement, by the instant the claim was made)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TYPE_CHECKING

from engine.core.credit import contract_facts
from engine.core.records import Record
from engine.core.facts.uptime import uptime_facts

if TYPE_CHECKING:
    from engine.policy.family import Revision


def claim_facts(record: Record, month_revision: "Revision", claim_revision: "Revision") -> dict[str, Any]:
    """Every fact named in `facts.CLAIM_FACTS`, plus the uptime facts of the month."""
    f = record.fields
    contract = f["contract"]
    facts = uptime_facts(record, month_revision)
    money = contract_facts(claim_revision, contract)  # the same terms `sla check` credits a month by
    facts.update(
        submitted_at=f["submitted_at"],
        support_case=f["support_case"],
        billing=money["billing"],
        currency=money["currency"],
        base_amount=money["base_amount"],
        window_days=claim_revision.window_days,
        window_closes_at=facts["month_end"] + timedelta(days=claim_revision.window_days),
        settlement=money["settlement"],
    )
    return facts
