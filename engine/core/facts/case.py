"""Facts of a support case: which response clock decides, and whether it was met.

A clock has a severity, a start, a target and a deadline. It starts at
submission, or, when the case's channel may not raise that severity (a Sev1 on
the portal), at the policy's escalation request (a phone call for critical
support); without such a request it never starts.

A severity change before the initial response closes the running clock (breached
if its deadline had already passed) and re-targets it, as the policy's
`response.severity_change` says for a shorter and for a longer-or-equal target:

- `from_change`: the new target runs from the change (or from the escalation
  request), but never past the deadline already running;
- `from_submission`: the new target runs from submission;
- `restart_at_change`: the new target runs from the change, whatever was running
  (the behaviour before issue 10, kept selectable).

A severity the case's channel needs a request for (Sev1 on the portal) always
runs from that request: `from_submission` reads as `restart_at_change` there.

and never earlier than submission plus the new target:

    new_deadline = max(submitted_at + T_new, min(changed_at + T_new, current_deadline))

A change after the initial response only matters when it opens a new clock: an
escalation the case's channel needs a request for, or one to a severity the
policy lists in `response.reopen_after_response` (on every channel). Such a
clock starts a new episode: later changes measure "from submission" from its
start, as a response given before it never answers it. The deciding clock is the
first breached one, else the last.

The customer's duties (designated contacts, initial troubleshooting, what a
portal case contains) are read from optional record fields; each is null when
the record does not say, and none of them touches the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TYPE_CHECKING

from engine.core.records import Event, Record
from engine.timeutil import minutes_between

if TYPE_CHECKING:
    from engine.policy.family import EventMatch, Revision, SeverityChange

FROM_CHANGE, FROM_SUBMISSION, RESTART_AT_CHANGE = "from_change", "from_submission", "restart_at_change"
RETARGET_MODES = (FROM_CHANGE, FROM_SUBMISSION, RESTART_AT_CHANGE)


@dataclass(frozen=True)
class Clock:
    severity: int
    start: datetime | None
    target: Any  # Fraction minutes
    until: datetime | None = None  # the deadline when a running one capped it; else start + target

    def deadline(self) -> datetime | None:
        if self.start is None:
            return None
        return self.until if self.until is not None else self.start + _minutes(self.target)


_DURATIONS: dict[tuple[int, int], timedelta] = {}  # targets are few: each converted once


def _minutes(value: Any) -> timedelta:
    """An exact Fraction of minutes as a timedelta (microsecond precision)."""
    key = (value.numerator, value.denominator)
    known = _DURATIONS.get(key)
    if known is not None:
        return known
    micros = value * 60_000_000
    if micros.denominator != 1:
        raise ValueError(f"a response target of {value} minutes is finer than a microsecond")
    if len(_DURATIONS) < 1024:
        _DURATIONS[key] = timedelta(microseconds=int(micros))
    return timedelta(microseconds=int(micros))


def _first(events: tuple[Event, ...], match: "EventMatch", at_or_after: datetime, used: set[int] = frozenset()) -> Event | None:  # type: ignore[assignment]
    for event in events:
        if event.type == match.event and event.via in match.via and event.at >= at_or_after and event.index not in used:
            return event
    return None


def retargeted(mode: str, submitted: datetime, start: datetime | None, target: Any, running: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The (start, deadline) of the clock a severity change opens.

    `start` is where the new target naturally runs from (the change, or the
    escalation request; None while a needed request has not come), `running` the
    deadline of the clock it replaces (None when that clock never started)."""
    if mode == FROM_SUBMISSION:
        return submitted, submitted + _minutes(target)
    if start is None:
        return None, None
    own = start + _minutes(target)
    if mode == RESTART_AT_CHANGE or running is None:
        return start, own
    return start, max(submitted + _minutes(target), min(own, running))


def case_facts(record: Record, revision: "Revision", now: datetime) -> dict[str, Any]:
    """Every case fact named in `facts.CASE_FACTS`."""
    f = record.fields
    submitted: datetime = f["submitted_at"]
    channel = f["channel"]
    events = record.events
    severity = f["severity"]
    rule = revision.severity_change
    used: set[int] = set()

    def request_after(at: datetime) -> Event | None:
        request = _first(events, revision.escalation_request, at, used)
        if request is not None:
            used.add(request.index)
        return request

    def initial_clock(level: int) -> Clock:
        params = revision.severities[level]
        if channel in params.submission_channels:
            return Clock(level, submitted, params.target_minutes)
        request = request_after(submitted)
        return Clock(level, request.at if request else None, params.target_minutes)

    clock = initial_clock(severity)
    breached: Clock | None = None
    escalated_to = escalation_at = None
    current = severity
    base = submitted  # what `from_submission` measures from: submission, or the start of a clock reopened after the response
    for change in (e for e in events if e.type == "severity_change"):
        if change.to == current:
            continue
        answered = clock.start is not None and _answered_by(events, revision, clock, change.at)
        needs_request = channel not in revision.severities[change.to].submission_channels
        if needs_request:
            escalated_to = change.to
        if answered and not needs_request and change.to not in revision.reopen_after_response:
            current = change.to
            continue
        if breached is None and _breached_by(events, revision, clock, change.at):
            breached = clock
        request = request_after(submitted) if needs_request else None
        if needs_request:
            escalation_at = request.at if request else None
        clock = _next_clock(rule, revision, clock, change, current, request, needs_request, base, answered)
        if answered:
            base = clock.start or change.at
        current = change.to
    deciding = breached or clock
    return {
        "severity": severity,
        "channel": channel,
        "submission_channels": revision.severities[severity].submission_channels,
        "current_severity": current,
        "escalated_to_restricted_severity": escalated_to is not None,
        "escalated_to": escalated_to,
        "escalation_request_at": escalation_at,
        "now": now,
    } | _response_facts(record, revision, deciding, now) | duty_facts(record, revision)


def _next_clock(rule: "SeverityChange", revision: "Revision", clock: Clock, change: Event, current: int, request: Event | None,
                needs_request: bool, submitted: datetime, answered: bool) -> Clock:
    """The clock a severity change opens (see the module docstring)."""
    target = revision.severities[change.to].target_minutes
    natural = (request.at if request else None) if needs_request else change.at
    if answered:  # a new clock after the initial response runs from its own start
        return Clock(change.to, natural, target)
    shorter = target < revision.severities[current].target_minutes
    mode = rule.shorter_target if shorter else rule.longer_or_equal_target
    if needs_request and mode == FROM_SUBMISSION:
        mode = RESTART_AT_CHANGE  # a severity the channel needs a request for runs from that request
    start, deadline = retargeted(mode, submitted, natural, target, clock.deadline())
    if start is None:
        return Clock(change.to, None, target)
    return Clock(change.to, start, target, deadline)


def _answered_by(events: tuple[Event, ...], revision: "Revision", clock: Clock, before: datetime) -> bool:
    response = _first(events, revision.initial_response, clock.start)  # type: ignore[arg-type]
    return response is not None and response.at <= before


def _breached_by(events: tuple[Event, ...], revision: "Revision", clock: Clock, at: datetime) -> bool:
    """Whether `clock` was already breached at `at`: answered by then, but after
    its deadline, or not answered by then and its deadline already passed."""
    if clock.start is None:
        return False
    response = _first(events, revision.initial_response, clock.start)
    deadline = clock.deadline()
    if response is not None and response.at <= at:
        return response.at > deadline
    return deadline < at


def _response_facts(record: Record, revision: "Revision", clock: Clock, now: datetime) -> dict[str, Any]:
    deadline = clock.deadline()
    response = _first(record.events, revision.initial_response, clock.start) if clock.start else None
    minutes = minutes_between(clock.start, response.at) if response else None
    if response is not None:
        met: bool | None = response.at <= deadline  # exact to the microsecond
    elif deadline is not None and deadline < now:
        met = False
    else:
        met = None
    return {
        "clock_severity": clock.severity,
        "clock_start": clock.start,
        "response_target_minutes": clock.target,
        "response_deadline": deadline,
        "response_at": response.at if response else None,
        "response_minutes": minutes,
        "response_met": met,
    }


def duty_facts(record: Record, revision: "Revision") -> dict[str, Any]:
    """The designated contacts as the record states them (null = the record does
    not say), next to what the revision asks for; the policy's rules read the
    other duties (troubleshooting, portal case contents) from the record's fields."""
    f = record.fields
    contacts = f.get("designated_contacts") or {}
    wanted = revision.data.get("designated_contacts") or {}
    return {
        "primary_contacts": contacts.get("primary"),
        "backup_contacts": contacts.get("backup"),
        "required_primary_contacts": wanted.get("primary"),
        "required_backup_contacts": wanted.get("backup_at_least"),
    }
