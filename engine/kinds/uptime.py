"""The `uptime` kind: one customer's month, its uptime and credit tier.

The revision is the one in force at the month's first instant (in the policy's
time zone); the facts are engine.core.facts.uptime's; the outcome is credit_due
or no_credit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence, TYPE_CHECKING

from engine.core.facts import UPTIME_FACTS
from engine.core.facts.uptime import month_window, uptime_facts
from engine.errors import Problem
from engine.exact import decimal_text
from engine.kinds import Anchor, Kind
from engine.kinds.checks import PolicyValues

if TYPE_CHECKING:
    from engine.core.evaluate import Decision, Finding
    from engine.core.records import Record
    from engine.policy.family import Revision


def month_start(record: "Record") -> Any:
    """The month's first instant, in each revision's time zone."""
    month = record.fields["month"]
    return lambda revision: month_window(month, revision)[0]


MONTH_ANCHOR_LABEL = "month (first instant)"


def _derive(record: "Record", revisions: Sequence["Revision"], now: datetime,
            history: Sequence["Revision"]) -> dict[str, Any]:
    return uptime_facts(record, revisions[0])


def _result(record: "Record", revisions: Sequence["Revision"], facts: Mapping[str, Any],
            findings: Sequence["Finding"], now: datetime) -> dict[str, Any]:
    """The uptime figures of a decision's result, as exact decimal texts."""
    return {
        "total_minutes": decimal_text(facts["total_minutes"]),
        "unavailable_minutes": decimal_text(facts["unavailable_minutes"]),
        "excluded_minutes": decimal_text(facts["excluded_minutes"]),
        "uptime_percent": decimal_text(facts["uptime_percent"]),
        "credit_percent": decimal_text(facts["credit_percent"]),
    }


def _outcome(decision: "Decision") -> str:
    return "credit_due" if decision.facts["credit_percent"] > 0 else "no_credit"


def _summary(decision: "Decision", lang: str) -> str:
    r = decision.result
    return f"{decision.revision.code_text('uptime', lang)} {r['uptime_percent']}% credit {r['credit_percent']}%"


def _check(record: "Record", revision: "Revision") -> list[Problem]:
    if not record.outages:
        return []
    values = PolicyValues(record, revision)
    values.outages()
    return values.problems


KIND = Kind(
    name="uptime",
    schema="records/uptime.schema.json",
    facts=UPTIME_FACTS,
    anchors=(Anchor("record", MONTH_ANCHOR_LABEL, "uptime", month_start),),
    derive=_derive,
    result=_result,
    outcome=_outcome,
    summary=_summary,
    outcomes=("credit_due", "no_credit"),
    check=_check,
)
