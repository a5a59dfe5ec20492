"""The live response clocks of one case: a pure state machine, no I/O, no clock.

Every call is given the instant it happens at, so the machine is exact and
testable with any clock. What the clocks *are* comes from batch evaluation: at
each instant every clock of the case (its severity, start, target, the first
human response on it, met/breached/no verdict) is `response_clocks` of
`engine.core.facts.case.case_facts` on the events seen so far. Retargeting after
a severity change, a Sev1 on the portal waiting for a critical-support request,
automated replies that never stop a clock: all of it is the batch code, not a
copy of it. So the verdict the watcher writes for a clock is the verdict batch
gives that clock on the same events (for the deciding clock, `sla evaluate`'s
`response_met`).

On top of that this module decides only *when to say what*, per clock, for
every clock of the case (a later clock after a breached one gets its own):

- `warning` once for each of the policy's `response.warning_shares` of the
  target that passes with the clock still running (no human response, no
  severity change closing it, by then);
- `breached` once batch says the clock is breached (its deadline passed without
  a human response, or the response came late);
- `met` once batch says it is met.

Alerts are a function of the event stream, not of when the watcher happened to
look: evaluating at instant t writes every alert due by t that has not been
written yet, each stamped `at` t, the instant of the event or of the wake-up
that caused it (never the wall clock), so two replays of the same log write the
same alerts. Each alert has a stable id (case / severity / clock start / kind)
so a restarted watcher never writes one twice, and a clock gets at most one of
`met` and `breached`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, Mapping

from engine.lang.conditions import Scope
from engine.core.evaluate import render_message
from engine.exact import decimal_text, to_fraction
from engine import kinds
from engine.core.facts.case import ClockVerdict
from engine.policy.family import Revision
from engine.render.catalogue import Messages
from engine.core.records import Record, Source, parse_record
from engine.timeutil import iso, minutes_between

ALERT_KINDS = ("warning", "breached", "met")
VERDICTS = ("met", "breached")
_MICRO = timedelta(microseconds=1)


def warning_shares(revision: Revision) -> tuple[Fraction, ...]:
    """The policy's shares of the target at which a running clock warns, lowest
    first: `response.warning_shares`, or the older single `warning_share`, or none
    (then the watcher writes no warnings)."""
    response = revision.data["response"]
    texts = response.get("warning_shares", [response["warning_share"]] if "warning_share" in response else [])
    return tuple(sorted(to_fraction(text) for text in texts))


def warning_share(revision: Revision) -> Fraction | None:
    """The first (lowest) warning share, or None when the revision sets none."""
    shares = warning_shares(revision)
    return shares[0] if shares else None


def warning_id(key: str, share: Fraction, shares: tuple[Fraction, ...]) -> str:
    """The id of a clock's warning: `KEY/warning` when the policy has one warning
    point (as before several were possible), else `KEY/warning@SHARE`."""
    return f"{key}/warning" if len(shares) == 1 else f"{key}/warning@{decimal_text(share)}"


def warning_instant(start: datetime, target_minutes: Fraction, share: Fraction) -> datetime:
    """The first instant at which `share` of the target has passed (rounded up to a microsecond)."""
    micros = math.ceil(target_minutes * share * 60_000_000)
    return start + timedelta(microseconds=micros)


def clock_warning_at(clock: ClockVerdict, share: Fraction) -> datetime | None:
    """When `share` of a clock's time has passed: of its target, or of the shorter
    time to its deadline when a severity change capped it (None if none is left)."""
    window = min(clock.target, minutes_between(clock.start, clock.deadline))
    return warning_instant(clock.start, window, share) if window > 0 else None


@dataclass(frozen=True)
class Alert:
    """One line of the alert stream."""

    kind: str
    id: str
    case: str
    customer: str
    severity: int
    at: datetime  # when the watcher decided it
    due: datetime  # when it fell due: the warning instant, the deadline, or the response
    clock_start: datetime
    deadline: datetime
    target_minutes: Fraction
    elapsed_minutes: Fraction
    response_at: datetime | None
    revision: Revision
    clause: str
    rule: str | None = None  # the policy rule whose finding this verdict is (met / breached)
    messages: Mapping[str, str] | None = None  # that finding's message, by language
    clock: int = 1  # which clock of the case, counting from 1 (batch's `response_clocks`)
    share: Fraction | None = None  # on a warning: the share of the target that had passed

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        out: dict[str, Any] = {
            "alert": self.kind,
            "id": self.id,
            "case": self.case,
            "customer": self.customer,
            "severity": self.severity,
            "target_minutes": decimal_text(self.target_minutes),
            "elapsed_minutes": decimal_text(self.elapsed_minutes),
            "at": iso(self.at),
            "due": iso(self.due),
            "clock_start": iso(self.clock_start),
            "deadline": iso(self.deadline),
            "response_at": iso(self.response_at) if self.response_at else None,
            "policy": self.revision.family,
            "revision": self.revision.revision,
            "sha256": self.revision.sha256,
            "clause": self.clause,
            "clock": self.clock,
        }
        if self.rule is not None and self.messages is not None:
            out["rule"] = self.rule
            out["message"] = self.messages[lang]
        if self.kind == "warning":
            out["warning_share"] = decimal_text(self.share if self.share is not None else Fraction(0))
            out["message"] = Messages("watch", lang)(
                "warning", case=self.case, severity=self.severity, elapsed_minutes=self.elapsed_minutes,
                target_minutes=self.target_minutes, deadline=self.deadline)
        return out


@dataclass(frozen=True)
class Late:
    """An event that arrived after alerts for later instants had been written:
    it is applied, but the alerts already written stand (and may disagree with
    batch evaluation of the same events)."""

    case: str
    event_at: datetime
    alert_at: datetime


@dataclass
class CaseClock:
    """One open case: its record as seen so far, the revision in force at its
    submission, the instant it has been evaluated up to, and the alerts written."""

    raw: dict[str, Any]  # the case record (JSON values) with the events seen so far
    revision: Revision
    source: Source
    horizon: datetime  # the latest instant this case has been evaluated at
    written: set[str] = field(default_factory=set)  # ids of alerts already decided
    last_alert_at: datetime | None = None
    closed_at: datetime | None = None
    wake: datetime | None = None  # the next wake-up as last computed (kept in the state, re-armed on restart)
    _record: Record | None = field(default=None, repr=False)
    _facts: Mapping[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def submitted(cls, record: Record, revision: Revision) -> "CaseClock":
        """A new case from a parsed record; its own events are applied one by one after this."""
        raw = dict(record.raw)
        raw["events"] = []
        return cls(raw, revision, record.source, record.fields["submitted_at"])

    @property
    def id(self) -> str:
        return self.raw["id"]

    @property
    def last_at(self) -> datetime:
        """The latest instant of the case's own history (submission or last event)."""
        record = self.record
        return record.events[-1].at if record.events else record.fields["submitted_at"]

    @property
    def record(self) -> Record:
        if self._record is None:
            self._record = parse_record(self.raw, self.source)
        return self._record

    # -- transitions ---------------------------------------------------------

    def advance(self, now: datetime) -> list[Alert]:
        """Evaluate at `now` (never earlier than already evaluated) and return the
        alerts now due, of every clock, in the order they fell due."""
        t = max(now, self.horizon)
        self.horizon = t
        facts = _facts(self.record, self.revision, t)
        self._facts = facts
        shares = warning_shares(self.revision)
        out: list[Alert] = []
        for clock in facts["response_clocks"]:
            if clock.start is None:
                continue
            key = self._key(clock)
            if any(f"{key}/{v}" in self.written for v in VERDICTS):
                continue
            stops = [x for x in (clock.response_at, clock.ended_at) if x is not None]
            for share in shares:
                warn_at = clock_warning_at(clock, share)
                if (warn_at is not None and warn_at <= t and warning_id(key, share, shares) not in self.written
                        and (not stops or min(stops) > warn_at)):
                    out.append(self._alert("warning", key, clock, facts, t, warn_at, share))
            if clock.met is not None:
                kind = "met" if clock.met else "breached"
                out.append(self._alert(kind, key, clock, facts, t, clock.response_at if clock.met else clock.deadline))
        out.sort(key=lambda a: (a.due, a.clock, a.kind == "warning" and 0 or 1))
        for alert in out:
            self.written.add(alert.id)
            self.last_alert_at = t
        return out

    def catch_up(self, now: datetime) -> list[Alert]:
        """A wake-up at `now`: evaluate at each instant something fell due up to `now`
        (a warning instant, the first instant after a deadline), in order, so every
        alert is stamped with the instant it fell due, not with `now`."""
        out: list[Alert] = []
        while True:
            wake = self.next_wake()
            if wake is None or wake > now:
                return out
            out += self.advance(wake)

    def apply(self, event: dict[str, Any], at: datetime) -> tuple[list[Alert], Late | None]:
        """Add one event (its JSON form, as in a case record) that happened at `at`:
        first catch up to `at` on the events seen so far, then take the event in."""
        late = None
        if self.last_alert_at is not None and at < self.last_alert_at:
            late = Late(self.id, at, self.last_alert_at)
        alerts = self.advance(at)
        self.raw["events"].append(event)
        self._record = None
        alerts += self.advance(at)
        return alerts, late

    def close(self, at: datetime) -> list[Alert]:
        """The case is closed at `at`: whatever is due by then is written; nothing after."""
        alerts = self.advance(at)
        self.closed_at = at
        return alerts

    # -- what comes next -----------------------------------------------------

    def next_wake(self) -> datetime | None:
        """The next instant something can fall due without a new event (a warning, or
        a breach one microsecond after the deadline) on the running clock, or None
        when no clock runs (decided, waiting for a request, or closed)."""
        if self.closed_at is not None:
            return None
        facts = self._facts if self._facts is not None else _facts(self.record, self.revision, self.horizon)
        shares = warning_shares(self.revision)
        candidates = []
        for clock in facts["response_clocks"]:
            if clock.start is None or clock.met is not None or clock.ended_at is not None:
                continue
            key = self._key(clock)
            if any(f"{key}/{v}" in self.written for v in VERDICTS):
                continue
            candidates.append(clock.deadline + _MICRO)
            for share in shares:
                warn_at = clock_warning_at(clock, share)
                if warn_at is not None and warning_id(key, share, shares) not in self.written and warn_at > self.horizon:
                    candidates.append(warn_at)
        return min(candidates) if candidates else None

    def forget(self) -> None:
        """Drop what is cached from the record (recomputed when needed): an open case
        then costs its JSON record and its alert ids, about 1.5 KB."""
        self._record = None
        self._facts = None

    @property
    def running(self) -> bool:
        """A started clock is still undecided: the watcher must keep its timer."""
        return self.next_wake() is not None

    def status(self) -> str:
        """`running`, `waiting` (not started: a request is needed), `decided` or `closed`."""
        if self.closed_at is not None:
            return "closed"
        facts = self._facts if self._facts is not None else _facts(self.record, self.revision, self.horizon)
        if facts["clock_start"] is None:
            return "waiting"
        return "running" if self.running else "decided"

    # -- helpers -------------------------------------------------------------

    def _key(self, clock: ClockVerdict) -> str:
        return f"{self.id}/{clock.severity}/{iso(clock.start)}"

    def _alert(self, kind: str, key: str, clock: ClockVerdict, facts: Mapping[str, Any], t: datetime, due: datetime,
               share: Fraction | None = None) -> Alert:
        minutes = minutes_between(clock.start, clock.response_at) if clock.response_at is not None else None
        elapsed = minutes_between(clock.start, t) if kind == "warning" or minutes is None else minutes
        clause = self.revision.data["response"]["clause"]
        rule, messages = (None, None)
        if kind in VERDICTS:
            rule, messages = self._finding(kind, clause, self._clock_facts(facts, clock, minutes))
        alert_id = warning_id(key, share, warning_shares(self.revision)) if share is not None else f"{key}/{kind}"
        return Alert(kind, alert_id, self.id, self.raw["customer"], clock.severity, t, due, clock.start,
                     clock.deadline, clock.target, elapsed, clock.response_at if kind != "warning" else None,
                     self.revision, clause, rule, messages, clock.number, share)

    @staticmethod
    def _clock_facts(facts: Mapping[str, Any], clock: ClockVerdict, minutes: Any) -> dict[str, Any]:
        """The case's facts as if this clock decided (a later clock after a breached
        one is worded with its own numbers, as batch words the deciding one)."""
        return {**facts, "clock_severity": clock.severity, "clock_start": clock.start,
                "response_target_minutes": clock.target, "response_deadline": clock.deadline,
                "response_at": clock.response_at, "response_minutes": minutes, "response_met": clock.met}

    def _finding(self, kind: str, clause: str, facts: Mapping[str, Any]) -> tuple[str | None, dict[str, str] | None]:
        """The policy's own finding for this verdict, worded as `sla evaluate` words it:
        the rule on the response clause whose first holding outcome is `kind`."""
        scope = Scope(self.record.fields, facts)
        for rule in self.revision.rules.get("case", ()):
            if rule.clause != clause:
                continue
            for outcome in rule.outcomes:
                if outcome.when is None or outcome.when.test(scope):
                    if outcome.outcome == kind:
                        return rule.id, {lang: render_message(text, facts, self.revision.code_words(lang) if lang != "en" else None)
                                         for lang, text in outcome.message.items()}
                    break
        return None, None


def _facts(record: Any, revision: Any, now: datetime) -> dict[str, Any]:
    """The facts of a case at `now`, as its record kind derives them (engine.kinds)."""
    return kinds.get(record.type).derive(record, (revision,), now, ())
