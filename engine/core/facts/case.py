"""Facts of a support case: which response clock decides, and whether it was met.

A clock has a severity, a start and a target. It starts at submission, or, when
the case's channel may not raise that severity (a Sev1 on the portal), at the
policy's escalation request (a phone call for critical support); without such a
request it never starts. A severity change before the initial response closes
the running clock (breached if its deadline had already passed) and re-targets:
the new clock starts at the change or at submission, as the policy says, or at a
new escalation request. A change after the initial response only matters when it
is an escalation needing a request, which opens a new clock. The deciding clock
is the first breached one, else the last. Every clock the case ran, in order,
with its own verdict, is the fact `response_clocks` (live clocks alert on each;
explain shows each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TYPE_CHECKING

from engine.core.records import Event, Record
from engine.timeutil import minutes_between

if TYPE_CHECKING:
    from engine.policy.family import EventMatch, Revision


@dataclass(frozen=True)
class Clock:
    severity: int
    start: datetime | None
    target: Any  # Fraction minutes

    def deadline(self) -> datetime | None:
        if self.start is None:
            return None
        return self.start + _minutes(self.target)


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


def case_facts(record: Record, revision: "Revision", now: datetime) -> dict[str, Any]:
    """Every case fact named in `facts.CASE_FACTS`."""
    f = record.fields
    submitted: datetime = f["submitted_at"]
    channel = f["channel"]
    events = record.events
    severity = f["severity"]
    used: set[int] = set()

    def clock_for(level: int, natural_start: datetime) -> tuple[Clock, Event | None]:
        params = revision.severities[level]
        if channel in params.submission_channels:
            return Clock(level, natural_start, params.target_minutes), None
        request = _first(events, revision.escalation_request, submitted, used)
        if request is not None:
            used.add(request.index)
        return Clock(level, request.at if request else None, params.target_minutes), request

    clock, _ = clock_for(severity, submitted)
    clocks: list[Clock] = [clock]  # every clock, in order; each but the last ended at the change in `ended`
    ended: list[datetime] = []
    breached: Clock | None = None
    escalated_to = escalation_at = None
    current = severity
    for change in (e for e in events if e.type == "severity_change"):
        if change.to == current:
            continue
        answered = clock.start is not None and _answered_by(events, revision, clock, change.at)
        needs_request = channel not in revision.severities[change.to].submission_channels
        if needs_request:
            escalated_to = change.to
        if answered and not needs_request:
            current = change.to
            continue
        if breached is None and _breached_by(events, revision, clock, change.at):
            breached = clock
        start = change.at if revision.retarget_clock_from == "change" else submitted
        clock, request = clock_for(change.to, start)
        clocks.append(clock)
        ended.append(change.at)
        if needs_request:
            escalation_at = request.at if request else None
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
    } | _response_facts(record, revision, deciding, now)


@dataclass(frozen=True)
class ClockVerdict:
    """One of a case's response clocks with its own verdict (`number` counts from 1)."""

    number: int
    severity: int
    start: datetime | None
    target: Any  # Fraction minutes
    deadline: datetime | None
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


def _answered_by(events: tuple[Event, ...], revision: "Revision", clock: Clock, before: datetime) -> bool:
    response = _first(events, revision.initial_response, clock.start)  # type: ignore[arg-type]
    return response is not None and response.at <= before


def _breached_by(events: tuple[Event, ...], revision: "Revision", clock: Clock, at: datetime) -> bool:
    """Whether `clock` was already breached at `at`: answered by then, but after
    its target, or not answered by then and its deadline already passed."""
    if clock.start is None:
        return False
    response = _first(events, revision.initial_response, clock.start)
    if response is not None and response.at <= at:
        return minutes_between(clock.start, response.at) > clock.target
    return clock.deadline() < at


def _response_facts(record: Record, revision: "Revision", clock: Clock, now: datetime) -> dict[str, Any]:
    deadline = clock.deadline()
    response = _first(record.events, revision.initial_response, clock.start) if clock.start else None
    minutes = minutes_between(clock.start, response.at) if response else None
    if response is not None:
        met: bool | None = response.at <= deadline  # the same as minutes <= target: the deadline is exact to the microsecond
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
