"""The `case` kind: a support case and its first-response clock.

The revision is the one in force when the case was submitted; the facts are
engine.core.facts.case's; the outcome is met, breached or pending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence, TYPE_CHECKING

from engine.core.facts import CASE_FACTS
from engine.core.facts.case import case_facts
from engine.errors import Problem
from engine.exact import decimal_text
from engine.kinds import Anchor, Kind, field_instant
from engine.kinds.checks import PolicyValues
from engine.timeutil import iso

if TYPE_CHECKING:
    from engine.core.evaluate import Decision, Finding
    from engine.core.records import Record
    from engine.policy.family import Revision


def _derive(record: "Record", revisions: Sequence["Revision"], now: datetime,
            history: Sequence["Revision"]) -> dict[str, Any]:
    return case_facts(record, revisions[0], now)


def _result(record: "Record", revisions: Sequence["Revision"], facts: Mapping[str, Any],
            findings: Sequence["Finding"], now: datetime) -> dict[str, Any]:
    return {
        "severity": facts["severity"],
        "current_severity": facts["current_severity"],
        "response_target_minutes": decimal_text(facts["response_target_minutes"]),
        "response_minutes": None if facts["response_minutes"] is None else decimal_text(facts["response_minutes"]),
        "response_met": facts["response_met"],
        "clock_start": None if facts["clock_start"] is None else iso(facts["clock_start"]),
        "response_deadline": None if facts["response_deadline"] is None else iso(facts["response_deadline"]),
        "evaluated_at": iso(now),
    }


_WORDS = {True: "met", False: "breached", None: "pending"}


def _outcome(decision: "Decision") -> str:
    return _WORDS[decision.result["response_met"]]


def _summary(decision: "Decision", lang: str) -> str:
    r, explain = decision.result, decision.revision.data["explain"]
    if r["response_met"] is None:
        met = explain["table"]["pending"][lang]
    else:
        met = explain["outcomes"][_WORDS[r["response_met"]]][lang]
    shown = r["response_minutes"] if r["response_minutes"] is not None else "-"
    return f"sev{r['current_severity']} {shown}/{r['response_target_minutes']} min {met}"


def _check(record: "Record", revision: "Revision") -> list[Problem]:
    values = PolicyValues(record, revision)
    f = record.fields
    values.known(f["severity"], revision.severities, "severity", ("severity",))
    values.known(f["channel"], revision.case_channels, "channel", ("channel",))
    for ev in record.events:
        if ev.type == "severity_change":
            values.known(ev.to, revision.severities, "severity", ("events", ev.index, "to"))
        elif ev.type == revision.initial_response.event and ev.via is not None:
            values.known(ev.via, revision.response_channels, "response channel", ("events", ev.index, "via"))
        elif ev.via is not None:
            values.known(ev.via, revision.case_channels, "channel", ("events", ev.index, "via"))
    values.outages()
    return values.problems


KIND = Kind(
    name="case",
    schema="records/case.schema.json",
    facts=CASE_FACTS,
    anchors=(Anchor("record", "submitted_at", "case", field_instant("submitted_at")),),
    derive=_derive,
    result=_result,
    outcome=_outcome,
    summary=_summary,
    outcomes=("met", "breached", "pending"),
    check=_check,
)
