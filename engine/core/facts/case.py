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
first breached one, else the last. Every clock the case ran, in order, with its
own verdict, is the fact `response_clocks` (live clocks alert on each; explain
shows each).

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
    if not any(e.type == "severity_change" for e in events):
        return _one_clock(record, revision, clock, now)
    clocks: list[Clock] = [clock]  # every clock, in order; each but the last ended at the change in `ended`
    ended: list[datetime] = []
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
        clocks.append(clock)
        ended.append(change.at)
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
        "response_clocks": response_clocks(record, revision, clocks, ended, now),
    } | _response_facts(record, revision, deciding, now) | duty_facts(record, revision)


def _one_clock(record: Record, revision: "Revision", clock: Clock, now: datetime) -> dict[str, Any]:
    """case_facts for a case without a severity change (most cases): one clock, which
    decides; its response looked up once. The same facts, values and order as the
    general path gives for such a case (tests/test_severity_change_clock.py compares them)."""
    f = record.fields
    severity = f["severity"]
    start, target = clock.start, clock.target
    deadline = None if start is None else start + _minutes(target)
    response = _first(record.events, revision.initial_response, start) if start is not None else None
    if response is not None:
        met: bool | None = response.at <= deadline  # type: ignore[operator]
    elif deadline is not None and deadline < now:
        met = False
    else:
        met = None
    at = response.at if response is not None else None
    verdict = _new(ClockVerdict)  # ClockVerdict(1, ...) without the frozen __init__
    _set(verdict, "__dict__", {"number": 1, "severity": severity, "start": start, "target": target, "deadline": deadline,
                               "ended_at": None, "response_at": at, "met": met})
    return {
        "severity": severity,
        "channel": f["channel"],
        "submission_channels": revision.severities[severity].submission_channels,
        "current_severity": severity,
        "escalated_to_restricted_severity": False,
        "escalated_to": None,
        "escalation_request_at": None,
        "now": now,
        "response_clocks": (verdict,),
        "clock_severity": severity,
        "clock_start": start,
        "response_target_minutes": target,
        "response_deadline": deadline,
        "response_at": at,
        "response_minutes": minutes_between(start, at) if at is not None else None,  # type: ignore[arg-type]
        "response_met": met,
    } | duty_facts(record, revision)


_new, _set = object.__new__, object.__setattr__


@dataclass(frozen=True)
class ClockVerdict:
    """One of a case's response clocks with its own verdict (`number` counts from 1)."""

    number: int
    severity: int
    start: datetime | None
    target: Any  # Fraction minutes
    deadline: datetime | None  # start + target, or earlier when a severity change capped it
    ended_at: datetime | None  # the severity change that closed it, or None for the last clock
    response_at: datetime | None  # the first initial response on it while it ran
    met: bool | None  # true / false, or null while pending, not started, or closed by a change in time


def response_clocks(record: Record, revision: "Revision", clocks: list[Clock], ended: list[datetime],
                    now: datetime) -> tuple[ClockVerdict, ...]:
    """Each clock's verdict as if it alone decided: a clock closed by a change is
    breached if it was already breached then, met if answered in time before it,
    else without a verdict; the last clock is judged as the deciding one is."""
    out = []
    for number, clock in enumerate(clocks, 1):
        end = ended[number - 1] if number <= len(ended) else None
        deadline = clock.deadline()
        response = _first(record.events, revision.initial_response, clock.start) if clock.start else None
        if response is not None and end is not None and response.at > end:
            response = None
        limit = now if end is None else min(now, end)
        if response is not None:
            met: bool | None = response.at <= deadline
        elif deadline is not None and deadline < limit:
            met = False
        else:
            met = None
        out.append(ClockVerdict(number, clock.severity, clock.start, clock.target, deadline, end,
                                response.at if response else None, met))
    return tuple(out)


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
