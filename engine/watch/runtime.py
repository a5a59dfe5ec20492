"""durable-rules, run by us: sessions, shards, timers and actions, deterministically.

What durable-rules 2.0.28 does on its own, and what this module does instead
(each measured here, each covered by tests/test_watch_durable.py):

- Its `Host` starts background threads that dispatch actions and timers every
  0.2 s, so when an action runs depends on thread timing. `QuietHost` starts no
  thread: a posted message runs its action inside `post` (synchronously, because
  every action takes one argument), and `pulse` asserts due timers and drains the
  actions they release, from the watcher's own loop.
- A ruleset holds at most 1,024 sessions (`MAX_STATE_INDEX_LENGTH`; the 1,025th
  raises MemoryError). Cases are spread over shards: several instances of the
  same revision's ruleset, each kept at or below `MAX_SESSIONS`.
- `delete_state` of a session that is not the most recently created one leaves
  the engine's list of sessions stale: afterwards another live session's timers
  never fire (and a freed session may be visited). So a closed case's session is
  deleted with `host.delete_state` as soon as that is safe, i.e. in reverse order
  of creation; until then it is a tombstone, reused for the next case of that
  shard. Never `c.delete_state()` inside an action.
- An exception in an action is swallowed into the session's state
  (`exception`). Every action runs inside a wrapper that records the failure, and
  every session an action touched is checked for `exception` afterwards;
  either raises `ActionFailed`.
- Timers have whole-second resolution on wall-clock time (`time(NULL)`): a
  timer started for n seconds is due at the start of a whole second, so it can
  come up to a second early or late against the instant wanted. The watcher asks
  for the wake-up it needs rounded up to the second (never early), pulses 25 ms
  into the second (time(NULL) lags), and a wake-up that finds nothing due yet
  simply re-arms.
- Session ids are hashed (FNV-1a, 32 bit) and two ids with the same hash share a
  session, and ids are written unescaped into timer messages: sessions get short
  numeric ids, checked for hash collisions, never case ids.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from engine.policy.family import Revision
from engine.timeutil import micros
from engine.watch.rules import WAKE_TIMER, GuardrailError, compile_ruleset

MAX_SESSIONS = 1024  # durable-rules 2.0.28: MAX_STATE_INDEX_LENGTH sessions per ruleset
# The engine's clock is time(NULL), the kernel's coarse clock, which was measured
# here to lag the precise clock by up to ~4 ms after a second begins: a pulse right
# at the second would still carry the previous second. Pulse this much later.
PULSE_MARGIN_NS = 25_000_000


class ActionFailed(Exception):
    """An action raised: durable-rules would have swallowed it into the session state."""


def fnv1a32(text: str) -> int:
    """durable-rules' hash of a session id (fnv1Hash32 in its state.c)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def _durable() -> Any:
    try:
        from durable import engine
    except ImportError as exc:  # not installed, or a Python it does not build/import on
        raise ImportError(f"sla watch needs durable-rules (pip install 'sla-engine[live]'): {exc}") from None
    return engine


def require_durable() -> None:
    """Raise ImportError, saying how to install it, when durable-rules cannot be imported
    (what `sla watch` checks before it reads anything)."""
    _durable()


@dataclass(eq=False)
class Session:
    """One open case's session: a session id in one shard."""

    shard: "Shard"
    sid: str
    case_id: str
    created: bool = False  # exists in the engine (a message or timer was sent for it)


@dataclass(eq=False)
class Shard:
    """One instance of a revision's ruleset, holding at most MAX_SESSIONS sessions."""

    name: str
    revision: Revision
    ruleset: Any
    created: list[str] = field(default_factory=list)  # sessions that exist in the engine, in creation order
    tombstones: set[str] = field(default_factory=set)  # closed, not yet safe to delete
    sessions: dict[str, Session] = field(default_factory=dict)  # live sessions by sid
    reserved: int = 0  # live sessions not created in the engine yet
    timers: dict[str, tuple[int, int]] = field(default_factory=dict)  # sid -> (due epoch second, generation)
    hashes: set[int] = field(default_factory=set)
    next_sid: int = 0

    @property
    def size(self) -> int:
        """Sessions counted against the engine's limit (tombstones included)."""
        return len(self.created) + self.reserved


Handler = Callable[[str, Session, Any], "datetime | None"]


class Runtime:
    """The durable-rules host of a watcher: one fixed ruleset per revision,
    sharded, with timers pulsed and actions drained by the caller's loop.

    `handler(rule, session, c)` is called inside each action; it returns when the
    session should next wake (or None) and the runtime arms or cancels the timer.
    """

    def __init__(self, revisions: Iterable[Revision], handler: Handler, max_sessions: int = MAX_SESSIONS,
                 wall_ns: Callable[[], int] = time.time_ns):
        engine = _durable()

        class QuietHost(engine.Host):
            def _run(self) -> None:  # no background dispatch threads: `pulse` does it
                pass

        self._engine = engine
        self.host = QuietHost()
        self.handler = handler
        self.max_sessions = max_sessions
        self.wall_ns = wall_ns
        self.revisions = {r.revision: r for r in revisions}
        self.shards: dict[str, list[Shard]] = {name: [] for name in self.revisions}
        self._by_name: dict[str, Shard] = {}
        self._failures: list[str] = []
        self._touched: set[tuple[str, str]] = set()
        self._message_ids = 0
        self._generation = 0
        self.peak_sessions = 0  # most sessions the engine held at once, all rulesets together
        self._sessions = 0
        for revision in self.revisions.values():  # compile once up front: a policy the ruleset cannot express fails at start
            compile_ruleset(revision, self._action)

    # -- sessions ------------------------------------------------------------

    def assign(self, case_id: str, revision: Revision) -> Session:
        """A session for a newly open case: a tombstone reused, else a new id in a
        shard with room, else a new shard."""
        shards = self.shards[revision.revision]
        for shard in shards:
            if shard.tombstones:
                sid = shard.tombstones.pop()
                return self._live(shard, Session(shard, sid, case_id, created=True))
        for shard in shards:
            if shard.size < self.max_sessions:
                break
        else:
            shard = self._new_shard(revision)
        shard.reserved += 1
        return self._live(shard, Session(shard, self._new_sid(shard), case_id))

    def release(self, session: Session) -> None:
        """The case is closed: its timer is cancelled and its session deleted with
        `host.delete_state` as soon as no later-created session would be disturbed."""
        shard = session.shard
        del shard.sessions[session.sid]
        if session.sid in shard.timers:
            shard.ruleset.cancel_timer(session.sid, WAKE_TIMER)
            del shard.timers[session.sid]
        if not session.created:
            shard.reserved -= 1
            shard.hashes.discard(fnv1a32(session.sid))
            return
        shard.tombstones.add(session.sid)
        while shard.created and shard.created[-1] in shard.tombstones:
            sid = shard.created.pop()
            shard.tombstones.discard(sid)
            shard.hashes.discard(fnv1a32(sid))
            self.host.delete_state(shard.name, sid)
            self._sessions -= 1

    def rulesets(self) -> int:
        return sum(len(shards) for shards in self.shards.values())

    def live_sessions(self) -> dict[str, int]:
        """Sessions in the engine per ruleset (tombstones included): never above the limit."""
        return {s.name: len(s.created) for shards in self.shards.values() for s in shards}

    # -- messages ------------------------------------------------------------

    def post(self, session: Session, message: dict[str, Any]) -> None:
        """Post one message for the session; its rule's action runs before this returns."""
        self._created(session)
        self._message_ids += 1
        body = {**message, "sid": session.sid, "id": f"m{self._message_ids}"}
        engine = self._engine
        try:
            self.host.post(session.shard.name, body)
        except engine.MessageNotHandledException:
            raise GuardrailError(f"no rule of {session.shard.name} takes {json.dumps(message)} (case {session.case_id})") from None
        self._check()

    def arm(self, session: Session, due: datetime) -> None:
        """Arm the session's wake timer from outside an action (on restart)."""
        if not session.created:  # a timer needs its session to exist: create it with its state
            self.host.update_state(session.shard.name, {"sid": session.sid, "clock": "resumed"})
            self._created(session)
        seconds = self._seconds_until(due)
        session.shard.ruleset.start_timer(session.sid, WAKE_TIMER, seconds, False)
        self._note_timer(session, seconds)

    def pulse(self) -> int:
        """Assert the timers of every shard that has one due and run the actions they
        release. Returns how many shards were pulsed."""
        now_s = (self.wall_ns() - PULSE_MARGIN_NS) // 1_000_000_000
        pulsed = 0
        for shards in self.shards.values():
            for shard in shards:
                if not shard.timers or min(due for due, _ in shard.timers.values()) > now_s:
                    continue
                before = {sid: entry for sid, entry in shard.timers.items() if entry[0] <= now_s}
                shard.ruleset.dispatch_timers()
                self._drain(shard)
                for sid, entry in before.items():  # armed a second before the engine's clock ticked: not yet
                    if shard.timers.get(sid) == entry:
                        shard.timers[sid] = (entry[0] + 1, entry[1])
                pulsed += 1
        self._check()
        return pulsed

    def armed(self) -> int:
        """Sessions with a wake timer armed."""
        return sum(len(s.timers) for shards in self.shards.values() for s in shards)

    def next_due_ns(self) -> int | None:
        """The earliest armed timer's due time (epoch ns), or None."""
        dues = [due for shards in self.shards.values() for s in shards for due, _ in s.timers.values()]
        return min(dues) * 1_000_000_000 + PULSE_MARGIN_NS if dues else None

    def shutdown(self) -> None:
        """Free the engine's memory: every session (newest first) and every ruleset.
        The runtime is unusable afterwards. (The engine never frees a ruleset by itself.)"""
        import durable_rules_engine

        for shards in self.shards.values():
            for shard in shards:
                while shard.created:
                    self.host.delete_state(shard.name, shard.created.pop())
                shard.sessions.clear()
                shard.tombstones.clear()
                shard.timers.clear()
                durable_rules_engine.delete_ruleset(shard.ruleset._handle)
        self.shards = {name: [] for name in self.revisions}
        self._by_name.clear()

    def state(self, session: Session) -> dict[str, Any]:
        """The session's state as durable-rules keeps it."""
        return self.host.get_state(session.shard.name, session.sid)

    # -- internals -----------------------------------------------------------

    def _new_shard(self, revision: Revision) -> Shard:
        index = len(self.shards[revision.revision])
        name = f"watch.{revision.family}.{revision.revision}.{index}"
        self.host.register_rulesets({name: compile_ruleset(revision, self._action)})
        shard = Shard(name, revision, self.host.get_ruleset(name))
        self.shards[revision.revision].append(shard)
        self._by_name[name] = shard
        return shard

    def _new_sid(self, shard: Shard) -> str:
        while True:
            sid = str(shard.next_sid)
            shard.next_sid += 1
            digest = fnv1a32(sid)
            if digest not in shard.hashes:
                shard.hashes.add(digest)
                return sid

    def _live(self, shard: Shard, session: Session) -> Session:
        shard.sessions[session.sid] = session
        return session

    def _created(self, session: Session) -> None:
        shard = session.shard
        if not session.created:
            session.created = True
            shard.created.append(session.sid)
            shard.reserved -= 1
            self._sessions += 1
            self.peak_sessions = max(self.peak_sessions, self._sessions)
            if len(shard.created) > self.max_sessions:
                raise GuardrailError(f"{shard.name} would hold {len(shard.created)} sessions (limit {self.max_sessions})")

    def _action(self, rule: str) -> Callable[[Any], None]:
        """The action of one rule: exactly one positional argument, failures recorded."""

        def action(c: Any) -> None:
            shard = self._by_name[c._ruleset._name]
            sid = c.s.sid
            self._touched.add((shard.name, sid))
            try:
                session = shard.sessions[sid]
                wake = self.handler(rule, session, c)
                if wake is None:
                    if sid in shard.timers:
                        c.cancel_timer(WAKE_TIMER)
                        del shard.timers[sid]
                else:
                    seconds = self._seconds_until(wake)
                    c.start_timer(WAKE_TIMER, seconds)
                    self._note_timer(session, seconds)
            except BaseException as exc:
                self._failures.append(f"action {rule!r} of {shard.name} (session {sid}): {type(exc).__name__}: {exc}")
                raise

        action.__qualname__ = f"watch_action_{rule}"
        return action

    def _seconds_until(self, due: datetime) -> int:
        """Whole seconds to ask the engine for, so its timer (due at its whole-second
        clock + seconds) is not before `due`."""
        now_s = self.wall_ns() // 1_000_000_000
        remaining_us = micros(due) - now_s * 1_000_000
        return max(0, -(-remaining_us // 1_000_000))

    def _note_timer(self, session: Session, seconds: int) -> None:
        self._generation += 1
        due_s = self.wall_ns() // 1_000_000_000 + seconds
        session.shard.timers[session.sid] = (due_s, self._generation)

    def _drain(self, shard: Shard) -> None:
        """Run every action the engine has ready in this shard (what the host's
        dispatch thread would do, here, now)."""
        import durable_rules_engine

        def done(error: Any, _state: Any) -> None:
            if error:
                self._failures.append(f"{shard.name}: {error}")

        ruleset = shard.ruleset
        while True:
            result = durable_rules_engine.start_action(ruleset._handle)
            if not result:
                return
            ruleset._flush_actions(json.loads(result[0]), {"message": json.loads(result[1])}, result[2], done)

    def _check(self) -> None:
        """Raise if any action failed, by our record or by the engine's (`exception` in a session's state)."""
        touched, self._touched = self._touched, set()
        failures, self._failures = self._failures, []
        for name, sid in sorted(touched):
            shard = self._by_name[name]
            if sid in shard.sessions or sid in shard.tombstones:  # not deleted
                state = self.host.get_state(name, sid)
                if "exception" in state:
                    failures.append(f"{name} session {sid}: {state['exception']}")
        if failures:
            raise ActionFailed("; ".join(failures))
