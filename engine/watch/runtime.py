"""durable-rules, run by us: a fixed pool of sessions per revision, with the
cases' next deadlines kept here and only each session's earliest one armed as
a durable-rules timer.

Design (measured, see docs/watch.md and bench/watch_scale.py): durable-rules
preallocates about 185 KB per session, so one session per open case cost about
200 MB per 1,000 cases. Here every revision's ruleset has a fixed pool of
`POOL` sessions; a case belongs to one of them by a stable hash of its id, its
events are posted to that session (the rule that matches is the event's
correlation: which clock transition it is), and the case's own state (its
record so far) lives in the watcher's store, not in durable-rules. Each session
keeps one `wake` timer, armed for the earliest next deadline of its cases; the
runtime holds those deadlines in a heap per session. Memory per open case is
then the watcher's own state (about 2.5 KB), whatever the pool.

What durable-rules 2.0.28 does on its own, and what this module does instead
(each covered by tests/test_watch_durable.py; the private names it takes are in
durable_private.py, each with its own test):

- Its `Host` starts background threads that dispatch actions and timers every
  0.2 s, so when an action runs depends on thread timing. A quiet host starts no
  thread: a posted message runs its action inside `post` (synchronously, because
  every action takes one argument), and `pulse` asserts due timers and drains the
  actions they release, from the watcher's own loop.
- A ruleset holds at most 1,024 sessions (`MAX_STATE_INDEX_LENGTH`), and
  `delete_state` of a session other than the newest leaves the engine's session
  list stale (another session's timers never fire again). A fixed pool of a few
  sessions, never deleted while the watcher runs, stays clear of both.
- An exception in an action is swallowed into the session's state
  (`exception`). Every action runs inside a wrapper that records the failure, and
  every session an action touched is checked for `exception` afterwards;
  either raises `ActionFailed`.
- Timers have whole-second resolution on wall-clock time (`time(NULL)`). A
  session's timer is asked for at the whole second at or before its earliest
  wake-up, and pulsed only once that exact wake-up has passed on the precise
  clock (and at least 25 ms into the timer's second: time(NULL) lags), so an
  alert is not up to a second late; its action takes every case whose wake-up
  has passed; the others keep waiting and the timer is re-armed for the next.
- Session ids are hashed (FNV-1a, 32 bit) and two ids with the same hash share a
  session, and ids are written unescaped into timer messages: sessions have
  short numeric ids, checked for hash collisions; case ids never reach the engine.
"""

from __future__ import annotations

import heapq
import json
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from engine.policy.family import Revision
from engine.timeutil import micros
from engine.watch import durable_private
from engine.watch.rules import WAKE_TIMER, GuardrailError, compile_ruleset

POOL = 4  # sessions per revision's ruleset: enough to keep each wake-up's heap small, few enough to cost ~1 MB
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


@dataclass(eq=False)
class Shard:
    """One session of a revision's ruleset, and the next deadlines of its cases."""

    name: str  # the ruleset's name
    sid: str
    revision: Revision
    ruleset: Any
    heap: list[tuple[datetime, int, str]] = field(default_factory=list)  # (wake, sequence, case id), stale entries included
    wakes: dict[str, tuple[datetime, int]] = field(default_factory=dict)  # case id -> its live heap entry
    armed_s: int | None = None  # the epoch second the engine's timer is due at, or None
    due_ns: int = 0  # the exact earliest wake-up it was armed for (epoch ns): pulsed once this has passed
    created: bool = False  # exists in the engine

    def earliest(self) -> datetime | None:
        """The earliest live wake-up (dropping stale heap entries on the way)."""
        heap = self.heap
        while heap:
            wake, seq, case_id = heap[0]
            if self.wakes.get(case_id) == (wake, seq):
                return wake
            heapq.heappop(heap)
        return None


def require_durable() -> None:
    """Raise ImportError, saying how to install it, when durable-rules cannot be imported
    (what `sla watch` checks before it reads anything)."""
    durable_private.durable_engine()


@dataclass(eq=False)
class Session:
    """Where one open case lives: its shard (a session of its revision's ruleset)."""

    shard: Shard
    case_id: str

    @property
    def sid(self) -> str:
        return self.shard.sid


Handler = Callable[[str, Session, Any], "datetime | None"]


def _pulse_at(shard: Shard) -> int:
    """When to pulse a session's timer (epoch ns): its exact wake-up, and never before
    the engine's coarse clock has reached the timer's second."""
    return max(shard.due_ns, shard.armed_s * 1_000_000_000 + PULSE_MARGIN_NS)


class Runtime:
    """The durable-rules host of a watcher: one fixed ruleset per revision, a fixed
    pool of sessions each, timers pulsed and actions drained by the caller's loop.

    `handler(rule, session, c)` is called inside each action, once per case the
    action concerns; it returns when that case should next wake (or None), and the
    runtime keeps that instant and arms its session's timer for the earliest.
    """

    def __init__(self, revisions: Iterable[Revision], handler: Handler, pool: int = POOL,
                 wall_ns: Callable[[], int] = time.time_ns):
        if not 1 <= pool <= MAX_SESSIONS:
            raise GuardrailError(f"a pool of {pool} sessions per ruleset: durable-rules holds 1 to {MAX_SESSIONS}")
        self.host = durable_private.quiet_host()
        self._engine = durable_private.durable_engine()
        self.handler = handler
        self.pool = pool
        self.wall_ns = wall_ns
        self.revisions = {r.revision: r for r in revisions}
        self.shards: dict[str, list[Shard]] = {}
        self._by_name: dict[str, list[Shard]] = {}
        self._failures: list[str] = []
        self._touched: set[tuple[str, str]] = set()
        self._posting: Session | None = None
        self._now: datetime | None = None
        self._message_ids = 0
        self._sequence = 0
        self._dirty: set[Shard] = set()
        self.peak_sessions = 0  # sessions the engine holds, all rulesets together
        sids = [str(i) for i in range(pool)]
        if len({fnv1a32(sid) for sid in sids}) != pool:
            raise GuardrailError("two session ids of the pool share a durable-rules hash")
        for revision in self.revisions.values():
            name = f"watch.{revision.family}.{revision.revision}"
            self.host.register_rulesets({name: compile_ruleset(revision, lambda rule, r=revision.revision: self._action(r, rule))})
            ruleset = self.host.get_ruleset(name)
            self.shards[revision.revision] = [Shard(name, sid, revision, ruleset) for sid in sids]
            self._by_name[name] = self.shards[revision.revision]

    # -- cases ---------------------------------------------------------------

    def assign(self, case_id: str, revision: Revision) -> Session:
        """The session of a newly open case: fixed by its id, so the same after a restart."""
        shards = self.shards[revision.revision]
        return Session(shards[zlib.crc32(case_id.encode("utf-8")) % len(shards)], case_id)

    def release(self, session: Session) -> None:
        """The case is closed: it has no next wake-up any more."""
        if session.shard.wakes.pop(session.case_id, None) is not None:
            self._dirty.add(session.shard)
            self._settle()

    def rulesets(self) -> int:
        return len(self.shards)

    def live_sessions(self) -> dict[str, int]:
        """Sessions in the engine per ruleset: at most the pool, whatever the number of cases."""
        return {shards[0].name: sum(s.created for s in shards) for shards in self.shards.values()}

    # -- messages ------------------------------------------------------------

    def post(self, session: Session, message: dict[str, Any]) -> None:
        """Post one message for the case; its rule's action runs before this returns."""
        shard = session.shard
        self._created(shard)
        self._message_ids += 1
        body = {**message, "sid": shard.sid, "id": f"m{self._message_ids}"}
        self._posting = session
        try:
            self.host.post(shard.name, body)
        except self._engine.MessageNotHandledException:
            raise GuardrailError(f"no rule of {shard.name} takes {json.dumps(message)} (case {session.case_id})") from None
        finally:
            self._posting = None
        self._check()
        self._settle()

    def arm(self, session: Session, due: datetime) -> None:
        """Give a case a wake-up from outside an action (on restart)."""
        self._schedule(session.shard, session.case_id, due)
        self._settle()

    def pulse(self, now: datetime | None = None) -> int:
        """Assert the timers of every session that has one due and run the actions
        they release: each takes its cases whose wake-up is at or before `now`
        (default: the wall clock). Returns how many sessions woke."""
        self._settle()
        wall = self.wall_ns()
        self._now = now or datetime.fromtimestamp(wall / 1e9, timezone.utc)
        woke = 0
        try:
            for shards in self.shards.values():
                due = [s for s in shards if s.armed_s is not None and _pulse_at(s) <= wall]
                if not due:
                    continue
                shards[0].ruleset.dispatch_timers()
                durable_private.drain(shards[0].ruleset, lambda error: self._failures.append(f"{shards[0].name}: {error}"))
                woke += sum(s.armed_s is None for s in due)  # fired (else the engine's clock had not ticked yet: next pulse)
        finally:
            self._now = None
        self._check()
        self._settle()
        return woke

    def armed(self) -> int:
        """Cases with a wake-up to come."""
        return sum(len(s.wakes) for shards in self.shards.values() for s in shards)

    def next_due_ns(self) -> int | None:
        """When the earliest armed timer is due (epoch ns), or None."""
        self._settle()
        dues = [_pulse_at(s) for shards in self.shards.values() for s in shards if s.armed_s is not None]
        return min(dues) if dues else None

    def shutdown(self) -> None:
        """Free the engine's memory: every session (newest first) and every ruleset.
        The runtime is unusable afterwards. (The engine never frees a ruleset by itself.)"""
        for shards in self.shards.values():
            for shard in reversed(shards):
                if shard.created:
                    self.host.delete_state(shard.name, shard.sid)
                    shard.created = False
                shard.heap.clear()
                shard.wakes.clear()
            durable_private.delete_ruleset(shards[0].ruleset)
        self.shards = {}
        self._by_name.clear()

    def state(self, session: Session) -> dict[str, Any]:
        """The session's state as durable-rules keeps it."""
        return self.host.get_state(session.shard.name, session.sid)

    # -- internals -----------------------------------------------------------

    def _created(self, shard: Shard) -> None:
        if not shard.created:
            shard.created = True
            self.peak_sessions += 1

    def _schedule(self, shard: Shard, case_id: str, wake: datetime | None) -> None:
        if wake is None:
            if shard.wakes.pop(case_id, None) is not None:
                self._dirty.add(shard)
            return
        if shard.wakes.get(case_id, (None,))[0] == wake:
            return
        self._sequence += 1
        entry = (wake, self._sequence)
        shard.wakes[case_id] = entry
        heapq.heappush(shard.heap, (wake, self._sequence, case_id))
        self._dirty.add(shard)

    def _settle(self) -> None:
        """Arm (or cancel) the engine timer of every session whose earliest wake-up changed."""
        dirty, self._dirty = self._dirty, set()
        for shard in sorted(dirty, key=lambda s: (s.name, int(s.sid))):
            earliest = shard.earliest()
            if len(shard.heap) > 64 and len(shard.heap) > 4 * len(shard.wakes):  # mostly stale: rebuild
                shard.heap = [(w, q, c) for c, (w, q) in shard.wakes.items()]
                heapq.heapify(shard.heap)
            want = None if earliest is None else micros(earliest) // 1_000_000
            if earliest is not None:
                shard.due_ns = micros(earliest) * 1000
            if want == shard.armed_s:
                continue
            if shard.armed_s is not None:
                shard.ruleset.cancel_timer(shard.sid, WAKE_TIMER)
                shard.armed_s = None
            if want is not None:
                if not shard.created:  # a timer needs its session to exist
                    self.host.update_state(shard.name, {"sid": shard.sid})
                    self._created(shard)
                seconds = max(0, want - self.wall_ns() // 1_000_000_000)
                shard.ruleset.start_timer(shard.sid, WAKE_TIMER, seconds, False)
                shard.armed_s = self.wall_ns() // 1_000_000_000 + seconds

    def _action(self, revision: str, rule: str) -> Callable[[Any], None]:
        """The action of one rule: exactly one positional argument, failures recorded."""

        def action(c: Any) -> None:
            shard = self.shards[revision][int(c.s.sid)]
            self._touched.add((shard.name, shard.sid))
            try:
                if rule == "wake":
                    self._wake(shard, c)
                else:
                    session = self._posting
                    if session is None or session.shard is not shard:
                        raise GuardrailError(f"rule {rule!r} of {shard.name} session {shard.sid} fired outside a post")
                    self._schedule(shard, session.case_id, self.handler(rule, session, c))
            except BaseException as exc:
                self._failures.append(f"action {rule!r} of {shard.name} (session {shard.sid}): {type(exc).__name__}: {exc}")
                raise

        action.__qualname__ = f"watch_action_{rule}"
        return action

    def _wake(self, shard: Shard, c: Any) -> None:
        """The session's timer fired: every case whose wake-up has come is handled, in
        order of wake-up (then of scheduling); the timer is re-armed afterwards."""
        shard.armed_s = None
        self._dirty.add(shard)
        now = self._now or datetime.fromtimestamp(self.wall_ns() / 1e9, timezone.utc)
        due: list[str] = []
        while True:
            earliest = shard.earliest()
            if earliest is None or earliest > now:
                break
            _, _, case_id = heapq.heappop(shard.heap)
            del shard.wakes[case_id]
            due.append(case_id)
        for case_id in due:
            self._schedule(shard, case_id, self.handler("wake", Session(shard, case_id), c))

    def _check(self) -> None:
        """Raise if any action failed, by our record or by the engine's (`exception` in a session's state)."""
        touched, self._touched = self._touched, set()
        failures, self._failures = self._failures, []
        for name, sid in sorted(touched):
            state = self.host.get_state(name, sid)
            if "exception" in state:
                failures.append(f"{name} session {sid}: {state['exception']}")
        if failures:
            raise ActionFailed("; ".join(failures))
