"""Facts of a credit claim. Two revisions meet here: the month's (for uptime and
tiers, by the month's first instant) and the claim's (for the requirements and
settlement, by the instant the claim was made).

The claim window is the one in force when it closes (`claims.window.decided_by:
window_close`, the default): starting from the revision in force at the month's
end, a later revision decides the window only if it took effect while the window
was still open. A right that expired under the revision in force when it expired
stays expired, and a revision that widens the window helps the months whose
window it finds open. `decided_by: claim_submission` takes the window of the
revision in force when the claim was made (how the engine read it before).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Sequence, TYPE_CHECKING

from engine.core.records import Record
from engine.core.facts.uptime import uptime_facts

if TYPE_CHECKING:
    from engine.policy.family import Revision

WINDOW_CLOSE, CLAIM_SUBMISSION = "window_close", "claim_submission"


def claim_facts(record: Record, month_revision: "Revision", claim_revision: "Revision",
                revisions: Sequence["Revision"] = ()) -> dict[str, Any]:
    """Every fact named in `facts.CLAIM_FACTS`, plus the uptime facts of the month.
    `revisions` is the family, oldest first, for the window rule (empty: the claim
    revision alone, as under --as-of)."""
    f = record.fields
    contract = f["contract"]
    facts = uptime_facts(record, month_revision)
    terms = claim_revision.contracts.get(contract["billing"])
    base = contract[terms.base_field] / terms.divide_by if terms else None
    rule = claim_revision.data["claims"]["window"].get("decided_by", WINDOW_CLOSE)
    if rule == WINDOW_CLOSE and revisions:
        window, closes = window_at_close(facts["month_end"], revisions)
    else:
        window = claim_revision
        closes = facts["month_end"] + timedelta(days=window.window_days)
    facts.update(
        submitted_at=f["submitted_at"],
        support_case=f["support_case"],
        billing=contract["billing"],
        currency=contract["currency"],
        base_amount=base,
        window_days=window.window_days,
        window_closes_at=closes,
        window_revision=window.revision,
        settlement=terms.settlement if terms else None,
    )
    return facts


def window_at_close(month_end: datetime, revisions: Sequence["Revision"]) -> tuple["Revision", datetime]:
    """The revision whose window is in force when the window closes, and that instant.

    Revision i is in force from its start until the next one's; while it is, the
    window closes at max(its start, month_end + its days). The first revision
    whose close falls before the next one takes effect decides."""
    starts = [r.starts_at for r in revisions]
    first = max((i for i, s in enumerate(starts) if s <= month_end), default=0)
    i = first
    while True:
        closes = max(month_end if i == first else starts[i], month_end + timedelta(days=revisions[i].window_days))
        if i + 1 == len(revisions) or closes < starts[i + 1]:
            return revisions[i], closes
        i += 1
