"""The live response clock of one case: a pure state machine, no I/O, no clock.

Every call is given the instant it happens at, so the machine is exact and
testable with any clock. What the clock *is* comes from batch evaluation: at
each instant the deciding clock (its severity, start, target, the first human
response on it, met/breached/pending) is `engine.facts.case.case_facts` on the
events seen so far. Retargeting after a severity change, a Sev1 on the portal
waiting for a critical-support request, automated replies that never stop a
clock: all of it is the batch code, not a copy of it. So the verdict the watcher
writes for a clock is the verdict `sla evaluate` gives on the same events.

On top of that this module decides only *when to say what*, per clock:

- `warning` once the policy's `response.warning_share` of the target has passed
  with the clock still running (no human response by then);
- `breached` once batch says `response_met: false` (the deadline passed without
  a human response, or the response came late);
- `met` once batch says `response_met: true`.

Alerts are a function of the event stream, not of when the watcher happened to
look: evaluating at instant t writes every alert due by t that has not been
written yet (a warning that fell due before the response that ended its clock
is written first). Each alert has a stable id (case / severity / clock start /
kind) so a restarted watcher never writes one twice, and a clock gets at most
one of `met` and `breached`.
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
from engine.core.facts.case import case_facts
from engine.policy.family import Revision
from engine.core.records import Record, Source, parse_record
from engine.timeutil import iso, minutes_between

ALERT_KINDS = ("warning", "breached", "met")
VERDICTS = ("met", "breached")
_MICRO = timedelta(microseconds=1)


def warning_share(revision: Revision) -> Fraction | None:
    """The policy's share of the target after which a running clock warns, or None
    when the revision sets none (then the watcher writes no warnings)."""
    text = revision.data["response"].get("warning_share")
    return None if text is None else to_fraction(text)


def warning_instant(start: datetime, target_minutes: Fraction, share: Fraction) -> datetime:
    """The first instant at which `share` of the target has passed (rounded up to a microsecond)."""
    micros = math.ceil(target_minutes * share * 60_000_000)
    return start + timedelta(microseconds=micros)


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
        }
        if self.rule is not None and self.messages is not None:
            out["rule"] = self.rule
            out["message"] = self.messages[lang]
        if self.kind == "warning":
            out["warning_share"] = decimal_text(warning_share(self.revision) or Fraction(0))
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
        """Evaluate at `now` (never earlier than already evaluated) and return the alerts now due."""
        t = max(now, self.horizon)
        self.horizon = t
        facts = case_facts(self.record, self.revision, t)
        self._facts = facts
        start = facts["clock_start"]
        if start is None:
            return []
        key = self._key(facts)
        out: list[Alert] = []
        decided = any(f"{key}/{v}" in self.written for v in VERDICTS)
        warn_at = self._warning_at(facts)
        response = facts["response_at"]
        if (warn_at is not None and warn_at <= t and not decided and f"{key}/warning" not in self.written
                and (response is None or response > warn_at)):
            out.append(self._alert("warning", key, facts, t, warn_at))
        verdict = facts["response_met"]
        if verdict is not None and not decided:
            kind = "met" if verdict else "breached"
            out.append(self._alert(kind, key, facts, t, response if verdict else facts["response_deadline"]))
        for alert in out:
            self.written.add(alert.id)
            self.last_alert_at = t
        return out

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
        """The next instant something can fall due without a new event (a warning or
        the breach, one microsecond after the deadline), or None when the deciding
        clock is decided or not started."""
        facts = self._facts if self._facts is not None else case_facts(self.record, self.revision, self.horizon)
        if self.closed_at is not None or facts["clock_start"] is None or facts["response_met"] is not None:
            return None
        key = self._key(facts)
        if any(f"{key}/{v}" in self.written for v in VERDICTS):
            return None
        candidates = [facts["response_deadline"] + _MICRO]
        warn_at = self._warning_at(facts)
        if warn_at is not None and f"{key}/warning" not in self.written and warn_at > self.horizon:
            candidates.append(warn_at)
        return min(candidates)

    @property
    def running(self) -> bool:
        """A started clock is still undecided: the watcher must keep its timer."""
        return self.next_wake() is not None

    def status(self) -> str:
        """`running`, `waiting` (not started: a request is needed), `decided` or `closed`."""
        if self.closed_at is not None:
            return "closed"
        facts = self._facts if self._facts is not None else case_facts(self.record, self.revision, self.horizon)
        if facts["clock_start"] is None:
            return "waiting"
        return "running" if self.running else "decided"

    # -- helpers -------------------------------------------------------------

    def _key(self, facts: Mapping[str, Any]) -> str:
        return f"{self.id}/{facts['clock_severity']}/{iso(facts['clock_start'])}"

    def _warning_at(self, facts: Mapping[str, Any]) -> datetime | None:
        share = warning_share(self.revision)
        if share is None:
            return None
        start, deadline = facts["clock_start"], facts["response_deadline"]
        window = min(facts["response_target_minutes"], minutes_between(start, deadline))  # a severity change may cap it
        return warning_instant(start, window, share) if window > 0 else None

    def _alert(self, kind: str, key: str, facts: Mapping[str, Any], t: datetime, due: datetime) -> Alert:
        start = facts["clock_start"]
        if kind == "warning" or facts["response_minutes"] is None:
            elapsed = minutes_between(start, t)
        else:
            elapsed = facts["response_minutes"]
        clause = self.revision.data["response"]["clause"]
        rule, messages = self._finding(kind, clause, facts) if kind in VERDICTS else (None, None)
        return Alert(kind, f"{key}/{kind}", self.id, self.raw["customer"], facts["clock_severity"], t, due, start,
                     facts["response_deadline"], facts["response_target_minutes"], elapsed,
                     facts["response_at"] if kind != "warning" else None, self.revision, clause, rule, messages)

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
                        return rule.id, {lang: render_message(text, facts) for lang, text in outcome.message.items()}
                    break
        return None, None
