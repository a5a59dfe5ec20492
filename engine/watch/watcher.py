"""The watcher: reads events, keeps every open case's clock on durable-rules,
writes alerts, and keeps its state so a restart resumes where it stopped.

One loop, one thread of control (a second thread only reads input):

1. take the input lines that have arrived; each is checked (events.py), then
   posted to its case's durable-rules session (one of a fixed pool), whose rule's
   action applies it to the case's clocks (clock.py); the runtime keeps the
   case's next wake-up and arms the session's timer for the earliest;
2. pulse durable-rules' timers (runtime.py): each due wake timer runs its
   action, which evaluates the clock at the loop's instant;
3. commit what changed (cases, new alerts, input position) to the state file,
   then write the new alerts, then mark them written (store.py, alerts.py);
4. without --follow, stop once the input has ended and no clock is running.

A line that cannot be taken (malformed JSON, unknown type, unknown or closed
case, time going backwards for its case, a value its revision does not define)
is reported on stderr with its line, and the watcher goes on.
"""

from __future__ import annotations

import json
import queue
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TextIO

from engine.errors import Problem
from engine.policy.family import Family
from engine.render.catalogue import Messages
from engine.core.records import RecordProblems, Source, check_against, parse_record
from engine.timeutil import iso, parse_instant
from engine.watch.alerts import AlertWriter
from engine.watch.clock import Alert, CaseClock
from engine.watch.events import CaseEvent, Closed, Submitted, parse_line, submitted_id
from engine.watch.reader import CaughtUp, End, Line, Notice, Reader
from engine.watch.runtime import Runtime, Session
from engine.watch.store import NO_WAKE, Store


def system_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Summary:
    cases: int = 0
    warning: int = 0
    met: int = 0
    breached: int = 0
    bad: int = 0
    stopped: bool = False  # interrupted (the state is kept) rather than finished
    peak_sessions: int = 0
    rulesets: int = 0

    def text(self, lang: str = "en") -> str:
        """The run's counts for people, in the catalogue's words."""
        return Messages("watch", lang)("summary", cases=self.cases, warning=self.warning, met=self.met,
                                       breached=self.breached, bad=self.bad, peak_sessions=self.peak_sessions,
                                       rulesets=self.rulesets)


class Watcher:
    def __init__(self, family: Family, store: Store, writer: AlertWriter, errors: TextIO, label: str,
                 follow: bool = False, clock: Callable[[], datetime] = system_now, lang: str = "en"):
        self.family = family
        self.lang = lang
        self.store = store
        self.writer = writer
        self.errors = errors
        self.label = label
        self.follow = follow
        self.clock = clock
        self.now = clock()
        self.runtime = Runtime(family.revisions, self._on_rule)
        self.cases: dict[str, CaseClock] = {}
        self.sessions: dict[str, Session] = {}
        self.closed: dict[str, str] = {}
        self.rejected: dict[str, int] = {}  # case ids whose case_submitted line was refused, by line
        self.summary = Summary()
        self.position: tuple[int, int] | None = None
        self._current: CaseEvent | Closed | None = None
        self._outbox: list[Alert] = []
        self._dirty: set[str] = set()
        self._stop = False

    # -- resuming ------------------------------------------------------------

    def resume(self) -> None:
        """Take up the state file's open cases: alerts committed but not written are
        written (unless the output already has them), and every running clock gets
        its next wake-up back (computed from its events, so right however long the
        watcher was down): whatever fell due meanwhile is written at the first pulse."""
        written = self.store.alert_ids()
        for row in self.store.cases():
            if row.closed_at is not None:
                self.closed[row.id] = row.closed_at
                continue
            revision = self.family.by_revision(row.revision)
            case = CaseClock(row.raw or {}, revision, Source(row.file, row.line), parse_instant(row.horizon),
                             written.pop(row.id, set()),
                             parse_instant(row.last_alert_at) if row.last_alert_at else None)
            self.cases[row.id] = case
            session = self.sessions[row.id] = self.runtime.assign(row.id, revision)
            if row.wake is None:  # not recorded: recomputed from the events
                case.wake = case.next_wake()
                case.forget()
            else:
                case.wake = None if row.wake == NO_WAKE else parse_instant(row.wake)
            if case.wake is not None:
                self.runtime.arm(session, case.wake)
        in_output = self.writer.ids_written()
        pending = self.store.unwritten()
        for alert_id, body in pending:
            if alert_id not in in_output:
                self._count(body["alert"])
                self.writer.write(body)
        self.store.mark_written(alert_id for alert_id, _ in pending)

    # -- the loop ------------------------------------------------------------

    def run(self, reader: Reader) -> Summary:
        """Until the input has ended and every clock is decided (or, with --follow,
        until interrupted)."""
        restore = self._on_signals()
        reader.start()
        ended = False
        # Timers wait until what the file already holds has been taken: after a
        # restart, a response written while the watcher was down must count before
        # a deadline it beat is declared breached. (Standard input cannot say.)
        caught_up = reader.name == "-"
        try:
            while not self._stop:
                items = self._take(reader.items, self._wait_seconds() if caught_up else 0.5)
                self.now = self.clock()
                for item in items:
                    if isinstance(item, (End, CaughtUp)):
                        ended = ended or isinstance(item, End)
                        caught_up = True
                    elif isinstance(item, Notice):
                        print(item.message, file=self.errors, flush=True)
                    else:
                        self.take_line(item)
                self.now = self.clock()
                if caught_up:
                    self.runtime.pulse(self.now)
                self._persist()
                if ended and not self.follow and self.runtime.armed() == 0:
                    break
        except KeyboardInterrupt:
            self._stop = True
        finally:
            reader.stop()
            restore()
        try:
            self._persist()
        finally:
            self.summary.peak_sessions = self.runtime.peak_sessions
            self.summary.rulesets = self.runtime.rulesets()
            self.runtime.shutdown()
        self.summary.stopped = self._stop
        return self.summary

    def stop(self) -> None:
        self._stop = True

    def _take(self, items: "queue.Queue[Any]", wait: float) -> list[Any]:
        out = []
        try:
            out.append(items.get(timeout=wait))
            while len(out) < 2000:
                out.append(items.get_nowait())
        except queue.Empty:
            pass
        return out

    def _wait_seconds(self) -> float:
        due = self.runtime.next_due_ns()
        if due is None:
            return 0.5
        return max(20_000_000, min(500_000_000, due - time.time_ns())) / 1_000_000_000

    def _on_signals(self) -> Callable[[], None]:
        """SIGTERM and SIGINT stop the loop between steps (never inside one), keeping the state."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.signal(sig, lambda *_: self.stop()) for sig in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

    # -- one input line ------------------------------------------------------

    def take_line(self, item: Line) -> None:
        self.position = (item.end, item.number)
        if item.problem is not None:
            self._bad([item.problem])
            return
        parsed = parse_line(item.text or "", self.label, item.number)
        if isinstance(parsed, list):
            refused = submitted_id(item.text or "")  # later events of that case say why they are not taken
            if refused is not None and refused not in self.cases and refused not in self.closed:
                self.rejected[refused] = item.number
            self._bad(parsed)
        elif isinstance(parsed, Submitted):
            self._submit(parsed)
        elif isinstance(parsed, CaseEvent):
            self._event(parsed)
        else:
            self._close(parsed)

    def _submit(self, item: Submitted) -> None:
        record = item.record
        where = {"file": self.label, "line": item.line, "record": record.id}
        if record.id in self.cases:
            case = self.cases[record.id]
            self._bad([Problem(f"case {record.id} is already open (submitted on line {case.source.line})", path=("case", "id"), **where)])
            return
        if record.id in self.closed:
            self._bad([Problem(f"case {record.id} was closed at {self.closed[record.id]}; its id cannot be submitted again",
                               path=("case", "id"), **where)])
            return
        try:
            revision = self.family.in_force(lambda r: record.fields["submitted_at"])
        except LookupError as exc:
            self.rejected[record.id] = item.line
            self._bad([Problem(str(exc), path=("case", "submitted_at"), **where)])
            return
        problems = check_against(record, revision)
        if problems:
            self.rejected[record.id] = item.line
            self._bad([Problem(p.message, file=self.label, line=item.line, path=("case", *p.path), record=record.id) for p in problems])
            return
        case = CaseClock.submitted(record, revision)
        self.cases[record.id] = case
        session = self.sessions[record.id] = self.runtime.assign(record.id, revision)
        self.summary.cases += 1
        self._current = None
        self.runtime.post(session, {"kind": "case_submitted", "severity": record.fields["severity"],
                                    "channel": record.fields["channel"]})
        for event in record.events:  # the record's own events, in time order
            self._post_event(case, CaseEvent(record.id, event.at, dict(record.raw["events"][event.index]), item.line))

    def _event(self, item: CaseEvent) -> None:
        case = self._open_case(item.case_id, item.at, item.line)
        if case is None:
            return
        problems = self._policy_problems(case, item)
        if problems:
            self._bad(problems)
            return
        self._post_event(case, item)

    def _close(self, item: Closed) -> None:
        case = self._open_case(item.case_id, item.at, item.line)
        if case is None:
            return
        self._current = item
        session = self.sessions.pop(item.case_id)
        self.runtime.post(session, {"kind": "case_closed"})
        self.runtime.release(session)
        del self.cases[item.case_id]
        self.closed[item.case_id] = iso(item.at)
        self._dirty.add(item.case_id)

    def _open_case(self, case_id: str, at: datetime, line: int) -> CaseClock | None:
        where = {"file": self.label, "line": line, "record": case_id}
        case = self.cases.get(case_id)
        if case is None:
            if case_id in self.closed:
                self._bad([Problem(f"case {case_id} was closed at {self.closed[case_id]}", path=("case_id",), **where)])
            elif case_id in self.rejected:
                self._bad([Problem(f"case {case_id} is not watched: its case_submitted line {self.rejected[case_id]} was refused",
                                   path=("case_id",), **where)])
            else:
                self._bad([Problem(f"unknown case {case_id!r}: no case_submitted line for it came before", path=("case_id",), **where)])
            return None
        if at < case.last_at:
            self._bad([Problem(f"time goes backwards: {iso(at)} is before the case's previous event at {iso(case.last_at)}",
                               path=("at",), **where)])
            return None
        return case

    def _policy_problems(self, case: CaseClock, item: CaseEvent) -> list[Problem]:
        """Values the case's revision must define (a severity, a channel) in this event."""
        probe = {k: v for k, v in case.raw.items() if k != "events"} | {"events": [item.event]}
        try:
            problems = check_against(parse_record(probe, case.source), case.revision)
        except RecordProblems as exc:
            problems = exc.problems
        return [Problem(p.message, file=self.label, line=item.line, path=p.path[2:] if p.path[:1] == ("events",) else p.path,
                        record=case.id) for p in problems]

    def _post_event(self, case: CaseClock, item: CaseEvent) -> None:
        self._current = item
        message = {"kind": item.type} | {k: item.event[k] for k in ("via", "to") if k in item.event}
        self.runtime.post(self.sessions[case.id], message)

    # -- inside durable-rules actions ------------------------------------------

    def _on_rule(self, rule: str, session: Session, c: Any) -> datetime | None:
        """What each rule's action does to its case; returns when the case should wake next."""
        case = self.cases[session.case_id]
        current = self._current
        if rule == "wake":
            alerts = case.catch_up(self.now)
        elif rule == "case_submitted":
            alerts = case.advance(case.horizon)
        elif rule == "case_closed":
            assert isinstance(current, Closed)
            alerts = case.close(current.at)
        else:
            assert isinstance(current, CaseEvent) and current.case_id == case.id
            alerts, late = case.apply(current.event, current.at)
            if late is not None:
                print(f"{self.label}:{current.line}: record {case.id}: note: {current.type} at {iso(late.event_at)} arrived "
                      f"after alerts up to {iso(late.alert_at)} were written; they stand, so `sla evaluate` on these "
                      f"events may differ", file=self.errors, flush=True)
        self._outbox += alerts
        self._dirty.add(case.id)
        case.wake = case.next_wake()
        case.forget()
        return case.wake

    # -- state and output ----------------------------------------------------

    def _persist(self) -> None:
        """Commit, then write, then mark written: a kill at any point loses and repeats nothing."""
        if not (self._outbox or self._dirty or self.position is not None):
            return
        alerts, self._outbox = self._outbox, []
        dirty, self._dirty = self._dirty, set()
        bodies = [(a.id, a.case, a.to_json(self.lang)) for a in alerts]
        self.store.save([self._row(case_id) for case_id in sorted(dirty)], bodies, self.position)
        self.position = None
        for _, _, body in bodies:
            self._count(body["alert"])
            self.writer.write(body)
        self.store.mark_written(alert_id for alert_id, _, _ in bodies)

    def _row(self, case_id: str) -> dict[str, Any]:
        case = self.cases.get(case_id)
        if case is None:  # closed
            return {"id": case_id, "revision": "", "raw": None, "file": self.label, "line": None,
                    "horizon": self.closed[case_id], "last_alert_at": None, "closed_at": self.closed[case_id], "wake": NO_WAKE}
        return {"id": case_id, "revision": case.revision.revision, "raw": json.dumps(case.raw, ensure_ascii=False, default=str),
                "file": case.source.file, "line": case.source.line, "horizon": iso(case.horizon),
                "last_alert_at": iso(case.last_alert_at) if case.last_alert_at else None, "closed_at": None,
                "wake": NO_WAKE if case.wake is None else iso(case.wake)}

    def _count(self, kind: str) -> None:
        setattr(self.summary, kind, getattr(self.summary, kind) + 1)

    def _bad(self, problems: list[Problem]) -> None:
        self.summary.bad += 1
        for problem in problems:
            print(problem.render(), file=self.errors, flush=True)


def identity(events: str, output: str | None, family: Family) -> dict[str, str]:
    """What a state file belongs to: the input, the output and the policy files."""
    return {
        "input": "-" if events == "-" else str(Path(events).resolve()),
        "output": "-" if output is None else str(Path(output).resolve()),
        "policy": json.dumps({"family": family.name, "revisions": {r.revision: r.sha256 for r in family.revisions}}, sort_keys=True),
    }
