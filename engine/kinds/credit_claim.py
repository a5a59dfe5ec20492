"""The `credit_claim` kind: a customer's claim for a month's uptime credit.

Two revisions meet: the month's (uptime and tiers, by the month's first
instant; its uptime rules run) and the claim's (window, requirements and
settlement, by the instant the claim was made; its credit_claim rules run, and it
is the decision's revision). The credit is engine.core.credit's, the one `sla
check` uses too.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence, TYPE_CHECKING

from engine.core.credit import settle
from engine.core.facts import CLAIM_FACTS
from engine.core.facts.claim import claim_facts
from engine.errors import Problem
from engine.exact import decimal_text, is_exact
from engine.kinds import Anchor, Kind, field_instant
from engine.kinds.checks import PolicyValues
from engine.kinds.uptime import MONTH_ANCHOR_LABEL, month_start
from engine.render.amounts import grouped, money
from engine.timeutil import iso

if TYPE_CHECKING:
    from engine.core.evaluate import Decision, Finding
    from engine.core.records import Record
    from engine.policy.family import Revision


def _derive(record: "Record", revisions: Sequence["Revision"], now: datetime,
            history: Sequence["Revision"]) -> dict[str, Any]:
    month_rev, claim_rev = revisions
    return claim_facts(record, month_rev, claim_rev, history)


def _result(record: "Record", revisions: Sequence["Revision"], facts: Mapping[str, Any],
            findings: Sequence["Finding"], now: datetime) -> dict[str, Any]:
    month_rev, claim_rev = revisions
    credit = settle(claim_rev, facts, tuple([f.reason for f in findings if f.reason]))
    return {
        "eligible": credit.eligible,
        "credit_percent": decimal_text(facts["credit_percent"]),
        "credit_amount": credit.amount,
        "currency": credit.currency,
        "settlement": credit.settlement,
        "reasons": [*credit.reasons],
        "uptime_version": month_rev.revision,
        "uptime_percent": decimal_text(facts["uptime_percent"]),
        "window_closes_at": iso(facts["window_closes_at"]),
    }


def _extra(revisions: Sequence["Revision"]) -> dict[str, Any]:
    return {"uptime_sha256": revisions[0].sha256}


def _outcome(decision: "Decision") -> str:
    return "eligible" if decision.result["eligible"] else "not_eligible"


def _summary(decision: "Decision", lang: str) -> str:
    r, table = decision.result, decision.revision.data["explain"]["table"]
    if r["eligible"]:
        verdict = table["eligible"][lang]
    else:
        verdict = table["not_eligible"][lang] + " (" + ", ".join(r["reasons"]) + ")"
    return f"{verdict}: {r['credit_percent']}% = {money(r['credit_amount'], r['currency'])}"


def _explain(decision: "Decision", words: Callable[..., str]) -> list[str]:
    """The credit amount's arithmetic, or why it is zero."""
    result, facts = decision.result, decision.facts
    if not result["eligible"]:
        return [words("amount_ineligible", currency=result["currency"], reasons=", ".join(result["reasons"]))]
    base: Fraction = facts["base_amount"]
    shown = grouped(base) if is_exact(base) else f"{base.numerator}/{base.denominator}"  # an annual fee / 12 as its exact fraction
    return [words("amount", base_amount=shown, credit_percent=facts["credit_percent"], credit_amount=grouped(result["credit_amount"]),
                  currency=result["currency"], minor_units=decision.revision.currencies[result["currency"]])]


def _check(record: "Record", revision: "Revision") -> list[Problem]:
    values = PolicyValues(record, revision)
    values.outages()
    contract = record.fields["contract"]
    values.known(contract["currency"], revision.currencies, "currency", ("contract", "currency"))
    terms = revision.contracts.get(contract["billing"])
    if terms is not None and terms.base_field not in contract:
        values.fail(f"a {contract['billing']} contract needs {terms.base_field}", ("contract",))
    return values.problems


KIND = Kind(
    name="credit_claim",
    schema="records/credit_claim.schema.json",
    facts=CLAIM_FACTS,
    anchors=(Anchor("uptime and tiers", MONTH_ANCHOR_LABEL, "uptime", month_start),
             Anchor("claim procedure", "submitted_at", "credit_claim", field_instant("submitted_at"))),
    derive=_derive,
    result=_result,
    outcome=_outcome,
    summary=_summary,
    outcomes=("eligible", "not_eligible"),
    check=_check,
    extra=_extra,
    explain=_explain,
)
