"""The durable-rules guardrails of `sla watch`, one test (or two) each.

Where a guardrail exists because of how durable-rules 2.0.28 behaves, a test
first shows that behaviour on the bare library (the measurement), then that the
watcher's runtime (engine/watch/runtime.py) stays clear of it.
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

import durable.engine as durable_engine  # the test extra installs durable-rules: without it these tests fail, never skip

from engine.policy.family import Revision, load_policies
from engine.io.resources import policies_dir
from engine.watch import durable_private
from engine.watch.rules import (
    GuardrailError, check_action, check_discriminators, compile_ruleset)
from engine.watch.runtime import MAX_SESSIONS, POOL, ActionFailed, Runtime, fnv1a32

from watch_helpers import TEST_POLICIES


def BareHost() -> Any:
    """durable-rules' own host, minus its background threads (a test drives it)."""
    return durable_private.quiet_host()


def drain(ruleset: Any) -> None:
    durable_private.drain(ruleset, lambda error: None)


TIMER_RULE = {"all": [{"m$all": [{"base": {"$timerName": "wake"}}, {"timeout": {"$gte": {"$time": {"base": "$baseTime"}}}}]}]}


@pytest.fixture(scope="module")
def bundled() -> list[Revision]:
    return list(load_policies(policies_dir())["genesys-cloud"].revisions)


@pytest.fixture(scope="module")
def test_revision() -> Revision:
    return load_policies(TEST_POLICIES)["genesys-cloud"].revisions[0]


def noop(c: Any) -> None:
    pass


def conditions(definition: dict[str, Any]) -> dict[str, Any]:
    return {name: {k: v for k, v in rule.items() if k != "run"} for name, rule in definition.items()}


class Recorder:
    """A runtime handler that records each action and asks for a fixed wake-up."""

    def __init__(self, wake: datetime | None = None):
        self.calls: list[tuple[str, str]] = []
        self.wake = wake

    def __call__(self, rule: str, session: Any, c: Any) -> datetime | None:
        self.calls.append((rule, session.case_id))
        return self.wake if rule != "wake" else None


@pytest.fixture
def runtime_factory():
    made: list[Runtime] = []

    def make(revisions: list[Revision], handler: Callable[..., Any], **kwargs: Any) -> Runtime:
        runtime = Runtime(revisions, handler, **kwargs)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.shutdown()


# -- a fixed ruleset per revision, compiled from the policy's YAML -------------

def test_each_revision_compiles_to_one_fixed_ruleset_from_its_yaml(bundled):
    for revision in bundled:
        first, second = compile_ruleset(revision, lambda name: noop), compile_ruleset(revision, lambda name: noop)
        assert conditions(first) == conditions(second), "compiling twice gives the same ruleset"
        rules = conditions(first)
        assert set(rules) == {"case_submitted", "initial_response", "escalation_request", "never_initial_response",
                              "severity_change", "other_event", "case_closed", "wake"}
        response = revision.data["response"]
        taken = rules["initial_response"]["all"][0]["m"]["$and"]
        assert taken[0] == {"kind": response["initial_response"]["event"]}
        assert taken[1] == {"$or": [{"via": v} for v in sorted(response["initial_response"]["via"])]}
        levels = rules["severity_change"]["all"][0]["m"]["$and"][1]["$or"]
        assert levels == [{"to": int(k)} for k in sorted(revision.data["severities"], key=int)]
        assert rules["never_initial_response"]["all"][0]["m"] == {"kind": "automated_reply"}


def test_a_yaml_edit_changes_the_compiled_ruleset(tmp_path: Path):
    text = (TEST_POLICIES / "genesys-cloud" / "2024-10-01.yaml").read_text(encoding="utf-8")
    old = "  initial_response: {event: human_response, via: [phone, case_note]}\n"
    assert text.count(old) == 1
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    (folder / "2024-10-01.yaml").write_text(text.replace(old, old.replace("phone, case_note", "phone")), encoding="utf-8")
    revision = load_policies(tmp_path)["genesys-cloud"].revisions[0]
    rules = conditions(compile_ruleset(revision, lambda name: noop))
    assert rules["initial_response"]["all"][0]["m"] == {"$and": [{"kind": "human_response"}, {"via": "phone"}]}
    other = rules["other_event"]["all"][0]["m"]["$or"]
    assert {"$and": [{"kind": "human_response"}, {"$neq": {"via": "phone"}}]} in other, \
        "a case note is then no initial response: it fires the no-effect rule"


def test_cases_share_a_fixed_pool_of_sessions_of_one_ruleset_per_revision(test_revision, runtime_factory):
    recorder = Recorder()
    runtime = runtime_factory([test_revision], recorder, pool=2)
    sessions = [runtime.assign(f"C-{i}", test_revision) for i in range(5)]
    for session in sessions:
        runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    assert recorder.calls == [("case_submitted", f"C-{i}") for i in range(5)], "each action concerns its own case"
    assert runtime.rulesets() == 1
    assert list(runtime.live_sessions().values()) == [2], "5 cases, 2 sessions"
    assert {s.sid for s in sessions} == {"0", "1"}
    again = runtime_factory([test_revision], Recorder(), pool=2)
    assert [again.assign(s.case_id, test_revision).sid for s in sessions] == [s.sid for s in sessions], \
        "a case's session follows from its id, the same after a restart"


# -- a positive discriminator on every rule -----------------------------------

def test_every_compiled_rule_has_a_positive_discriminator(bundled, test_revision):
    for revision in [*bundled, test_revision]:
        check_discriminators(compile_ruleset(revision, lambda name: noop))


@pytest.mark.parametrize("condition", [
    {"$nex": {"responded": 1}},                                      # "no response yet"
    {"$neq": {"kind": "human_response"}},                            # anything but a response
    {"$or": [{"kind": "human_response"}, {"$neq": {"via": "x"}}]},   # one branch without it
    {"severity": 1},                                                 # an equality, but not on the kind
])
def test_a_rule_without_a_positive_discriminator_is_refused(condition):
    with pytest.raises(GuardrailError, match="positive discriminator"):
        check_discriminators({"waiting": {"all": [{"m": condition}], "run": noop}})


# -- actions take exactly one positional argument -----------------------------

class Holder:
    def method(self, c: Any) -> None:
        pass


def test_compiled_actions_and_bound_methods_take_one_argument(test_revision):
    for rule in compile_ruleset(test_revision, lambda name: noop).values():
        check_action(rule["run"])
    check_action(Holder().method)


@pytest.mark.parametrize("action", [
    lambda c, callback: None,            # durable-rules would run it asynchronously and wait for ever
    lambda c, name="wake": None,          # a default does not help: co_argcount is still 2
    lambda: None,
    lambda *args: None,
])
def test_an_action_with_another_signature_is_refused(action):
    with pytest.raises(GuardrailError, match="exactly one"):
        check_action(action)


def test_a_callable_object_is_refused_because_durable_rules_reads_its_code():
    class Callable:
        def __call__(self, c: Any) -> None:
            pass

    with pytest.raises(GuardrailError, match="__code__"):
        check_action(Callable())


# -- action exceptions are swallowed into the state: the runtime checks -------

def test_durable_rules_swallows_an_action_exception_into_the_session_state():
    def boom(c: Any) -> None:
        raise RuntimeError("kaboom")

    host = BareHost()
    host.register_rulesets({"swallow": {"boom": {"all": [{"m": {"kind": "boom"}}], "run": boom}}})
    host.post("swallow", {"sid": "1", "id": "m1", "kind": "boom"})  # returns normally
    assert "kaboom" in host.get_state("swallow", "1")["exception"]


def test_the_runtime_raises_when_an_action_fails(test_revision, runtime_factory):
    def failing(rule: str, session: Any, c: Any) -> None:
        raise ValueError(f"cannot handle {session.case_id}")

    runtime = runtime_factory([test_revision], failing)
    session = runtime.assign("C-1", test_revision)
    with pytest.raises(ActionFailed, match="case_submitted.*cannot handle C-1"):
        runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})


def test_the_runtime_also_reads_an_exception_left_in_a_session_state(test_revision, runtime_factory):
    """The backstop: a failure recorded only by durable-rules (not by our wrapper) is found too."""
    runtime = runtime_factory([test_revision], Recorder())
    session = runtime.assign("C-1", test_revision)
    runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    runtime.host.update_state(session.shard.name, {"sid": session.sid, "exception": "from the engine"})
    runtime._touched.add((session.shard.name, session.sid))
    with pytest.raises(ActionFailed, match="from the engine"):
        runtime._check()


# -- the host's background threads: none; we run actions and timers ----------

def test_the_runtime_starts_no_threads_and_runs_actions_inside_post(test_revision, runtime_factory):
    before = set(threading.enumerate())
    recorder = Recorder()
    runtime = runtime_factory([test_revision], recorder)
    session = runtime.assign("C-1", test_revision)
    runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    assert recorder.calls == [("case_submitted", "C-1")], "the action ran before post returned"
    time.sleep(0.3)
    assert set(threading.enumerate()) - before == set(), "no thread was started"


def test_a_due_timer_fires_only_when_the_runtime_pulses(test_revision, runtime_factory):
    recorder = Recorder(wake=datetime.now(timezone.utc))  # due at once
    runtime = runtime_factory([test_revision], recorder)
    session = runtime.assign("C-1", test_revision)
    runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    time.sleep(1.1)
    assert recorder.calls == [("case_submitted", "C-1")], "nothing runs behind our back"
    assert runtime.pulse() == 1
    assert recorder.calls[-1] == ("wake", "C-1")
    assert runtime.armed() == 0


def test_two_runs_of_the_same_input_fire_the_same_actions_in_the_same_order(test_revision, runtime_factory):
    def one_run() -> list[tuple[str, str]]:
        recorder = Recorder()
        runtime = runtime_factory([test_revision], recorder, pool=3)
        sessions = {f"C-{i}": runtime.assign(f"C-{i}", test_revision) for i in range(7)}
        for case_id, session in sessions.items():
            runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
            runtime.post(session, {"kind": "automated_reply"})
            runtime.post(session, {"kind": "human_response", "via": "case_note"})
        runtime.pulse()
        return recorder.calls

    assert one_run() == one_run()


# -- timers: whole seconds, wall-clock; pulsed at the exact instant ----------------------------------------

def test_a_timer_fires_just_after_the_instant_asked_not_at_the_next_whole_second(test_revision, runtime_factory):
    fired: list[int] = []
    due = datetime.now(timezone.utc) + timedelta(seconds=1.3)

    def handler(rule: str, session: Any, c: Any) -> datetime | None:
        if rule == "wake":
            fired.append(time.time_ns())
            return None
        return due

    runtime = runtime_factory([test_revision], handler)
    session = runtime.assign("C-1", test_revision)
    runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    deadline = time.time() + 4
    while not fired and time.time() < deadline:
        runtime.pulse()
        time.sleep(0.01)
    assert fired, "the timer fired"
    due_ns = int(due.timestamp()) * 1_000_000_000 + due.microsecond * 1000
    whole = -(-due_ns // 1_000_000_000) * 1_000_000_000
    assert fired[0] >= due_ns, "never before the instant asked"
    assert fired[0] - whole < 600_000_000, "by the whole second after it (plus the pulse margin and some load)"
    assert fired[0] - due_ns < 300_000_000, "in fact just after it: the engine's timer is armed at the second before"


# -- one session per open case; delete_state when it closes -------------------

def test_durable_rules_loses_a_timer_when_a_session_other_than_the_newest_is_deleted():
    """The measurement behind deleting sessions newest first: deleting A0 while A1
    and A2 live leaves the engine's session list stale, and A2's timer never fires.
    The stale entry points at freed state, so what the engine reads there depends on
    what reused that memory: alone, nothing (the timer is simply lost); late in a full
    suite, a record without an id (`assert_timers` fails with error 204,
    ERR_NO_ID_DEFINED, and dispatching stops). Either way A2's timer is lost."""
    import durable_rules_engine

    fired: list[str] = []

    def arm(c: Any) -> None:
        c.start_timer("wake", 1)

    def woke(c: Any) -> None:
        fired.append(c.s.sid)

    host = BareHost()
    host.register_rulesets({"stale": {"arm": {"all": [{"m": {"kind": "arm"}}], "run": arm},
                                      "woke": {**copy.deepcopy(TIMER_RULE), "run": woke}}})
    for sid in ("A0", "A1", "A2"):
        host.post("stale", {"sid": sid, "id": "m1", "kind": "arm"})
    host.delete_state("stale", "A0")
    ruleset = host.get_ruleset("stale")
    end = time.time() + 2.6
    while time.time() < end:
        try:
            ruleset.dispatch_timers()
        except durable_rules_engine.error as exc:
            assert "error code: 204" in str(exc), exc  # the freed state read back (see the docstring)
            break
        drain(ruleset)
        time.sleep(0.05)
    assert "A2" not in fired, "A2 was never visited again"
    assert set(fired) <= {"A1"}


def test_closing_cases_in_any_order_keeps_every_other_timer(test_revision, runtime_factory):
    due = datetime.now(timezone.utc) + timedelta(seconds=1)
    recorder = Recorder(wake=due)
    runtime = runtime_factory([test_revision], recorder)
    sessions = [runtime.assign(f"C-{i}", test_revision) for i in range(40)]
    for session in sessions:
        runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    rng = random.Random(6)
    closing = rng.sample(sessions, 25)
    for session in closing:
        runtime.post(session, {"kind": "case_closed"})
        runtime.release(session)
    newcomers = [runtime.assign(f"N-{i}", test_revision) for i in range(10)]
    for session in newcomers:  # reuse tombstoned sessions
        runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    end = time.time() + 3.5
    while runtime.armed() and time.time() < end:
        runtime.pulse()
        time.sleep(0.02)
    woke = sorted(case for rule, case in recorder.calls if rule == "wake")
    expected = sorted([s.case_id for s in sessions if s not in closing] + [s.case_id for s in newcomers])
    assert woke == expected, "every open case's timer fired once, none of a closed case"
    assert runtime.live_sessions()[sessions[0].shard.name] <= 40


def test_a_closed_case_drops_its_wake_up_and_no_session_is_deleted_while_running(test_revision, runtime_factory):
    """Sessions of the pool live as long as the watcher: delete_state (which can lose
    another session's timers, above) is only called at shutdown."""
    runtime = runtime_factory([test_revision], Recorder(wake=datetime.now(timezone.utc) + timedelta(hours=1)), pool=1)
    first, second = runtime.assign("C-1", test_revision), runtime.assign("C-2", test_revision)
    for session in (first, second):
        runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    name = first.shard.name
    assert runtime.armed() == 2
    runtime.release(first)
    assert runtime.armed() == 1 and runtime.live_sessions()[name] == 1
    runtime.release(second)
    assert runtime.armed() == 0 and runtime.next_due_ns() is None, "no case waits: the session's timer is cancelled"
    assert runtime.host.get_state(name, first.sid)["sid"] == first.sid, "the session itself stays"


def test_session_ids_are_short_numbers_without_hash_collisions(test_revision, runtime_factory):
    runtime = runtime_factory([test_revision], Recorder(), pool=64)
    sessions = [runtime.assign(f"case with \"quotes\" {i}", test_revision) for i in range(300)]
    for session in sessions:
        runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    sids = {s.sid for s in sessions}
    assert all(sid.isdigit() for sid in sids) and len(sids) <= 64
    assert len({fnv1a32(sid) for sid in sids}) == len(sids)
    assert all("quotes" not in json.dumps(runtime.state(s)) for s in sessions), "case ids never reach the engine"


def test_durable_rules_merges_two_session_ids_with_the_same_hash():
    """The measurement behind numeric, collision-checked session ids. (The pair was
    found by hashing random hex strings; a collision is expected after ~77,000.)"""
    pair = ("500aa0ce53", "e7e3290e51bc")
    assert fnv1a32(pair[0]) == fnv1a32(pair[1])
    host = BareHost()
    host.register_rulesets({"merge": {"note": {"all": [{"m": {"kind": "note"}}], "run": noop}}})
    host.post("merge", {"sid": pair[0], "id": "m1", "kind": "note"})
    assert host.get_state("merge", pair[1])["sid"] == pair[0], "the second id finds the first one's session"


# -- at most 1,024 live sessions per ruleset: shards --------------------------

def test_durable_rules_refuses_the_1025th_session_of_a_ruleset():
    host = BareHost()
    host.register_rulesets({"full": {"note": {"all": [{"m": {"kind": "note"}}], "run": noop}}})
    for i in range(MAX_SESSIONS):
        host.post("full", {"sid": str(i), "id": "m1", "kind": "note"})
    with pytest.raises(MemoryError):
        host.post("full", {"sid": str(MAX_SESSIONS), "id": "m1", "kind": "note"})


def test_more_open_cases_than_a_ruleset_holds_sessions_use_only_the_pool(test_revision, runtime_factory):
    recorder = Recorder(wake=datetime.now(timezone.utc) + timedelta(hours=1))
    runtime = runtime_factory([test_revision], recorder)
    for i in range(MAX_SESSIONS + 5):
        session = runtime.assign(f"C-{i}", test_revision)
        runtime.post(session, {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    assert sorted(runtime.live_sessions().values()) == [POOL]
    assert runtime.armed() == MAX_SESSIONS + 5, "every case keeps its own wake-up"


def test_a_wake_up_takes_every_due_case_of_its_session_in_order_and_leaves_the_rest(test_revision, runtime_factory):
    now = datetime.now(timezone.utc)
    wakes = {"C-1": now - timedelta(seconds=2), "C-2": now - timedelta(seconds=3), "C-3": now + timedelta(hours=1)}

    def handler(rule: str, session: Any, c: Any) -> datetime | None:
        calls.append((rule, session.case_id))
        return None if rule == "wake" else wakes[session.case_id]

    calls: list[tuple[str, str]] = []
    runtime = runtime_factory([test_revision], handler, pool=1)
    for case_id in wakes:
        runtime.post(runtime.assign(case_id, test_revision), {"kind": "case_submitted", "severity": 2, "channel": "portal"})
    calls.clear()
    end = time.time() + 3
    while not calls and time.time() < end:
        runtime.pulse()
        time.sleep(0.02)
    assert calls == [("wake", "C-2"), ("wake", "C-1")], "earliest first; C-3 not yet"
    assert runtime.armed() == 1 and runtime.next_due_ns() // 1_000_000_000 >= int(wakes["C-3"].timestamp())
