"""One test per private behaviour of durable-rules the watcher relies on
(engine/watch/durable_private.py, `RELIANCES`). Each fails loudly when a
durable-rules release changes it; the release is pinned in pyproject.toml.
"""

from __future__ import annotations

import inspect
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import durable.engine as durable_engine  # the test extra installs durable-rules: without it these tests fail, never skip
import durable_rules_engine

from engine.watch import durable_private
from engine.watch.durable_private import PINNED_VERSION, RELIANCES

ROOT = Path(__file__).resolve().parent.parent
TESTED: set[str] = set()


def reliance(name: str):
    """Mark a test as the one for reliance `name` (checked: every reliance has one)."""
    assert name in RELIANCES, name
    TESTED.add(name)
    return lambda test: test


TIMER = {"all": [{"m$all": [{"base": {"$timerName": "wake"}}, {"timeout": {"$gte": {"$time": {"base": "$baseTime"}}}}]}]}


def arm_now(c: Any) -> None:
    c.start_timer("wake", 0)


@reliance("version")
def test_the_installed_durable_rules_is_the_pinned_release():
    assert durable_private.installed_version() == PINNED_VERSION, (
        f"durable-rules {durable_private.installed_version()} is installed; engine/watch/durable_private.py was "
        f"measured on {PINNED_VERSION}: re-measure every reliance before moving the pin")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    for extra in ("live", "test"):
        assert f"durable-rules=={PINNED_VERSION}" in extras[extra], f"the {extra} extra pins durable-rules"


@reliance("host_run")
def test_overriding_host_run_starts_no_dispatch_thread():
    # (durable-rules' own Host is not started here: its timer threads would outlive the test.)
    assert "self._run()" in inspect.getsource(durable_engine.Host.__init__), "Host.__init__ starts its threads via _run"
    assert "threading.Timer" in inspect.getsource(durable_engine.Host._run), "_run is what starts the dispatch threads"
    before = set(threading.enumerate())
    host = durable_private.quiet_host()
    host.register_rulesets({"hr": {"note": {"all": [{"m": {"kind": "note"}}], "run": lambda c: None}}})
    host.post("hr", {"sid": "1", "id": "m1", "kind": "note"})
    time.sleep(0.3)
    assert set(threading.enumerate()) - before == set()


@reliance("start_action")
def test_start_action_hands_out_the_next_ready_action_as_three_json_strings():
    fired: list[str] = []
    host = durable_private.quiet_host()
    host.register_rulesets({"ra": {"arm": {"all": [{"m": {"kind": "arm"}}], "run": arm_now},
                                   "woke": {**TIMER, "run": lambda c: fired.append(c.s.sid)}}})
    ruleset = host.get_ruleset("ra")
    assert durable_rules_engine.start_action(ruleset._handle) is None or not durable_rules_engine.start_action(ruleset._handle)
    host.post("ra", {"sid": "1", "id": "m1", "kind": "arm"})
    time.sleep(1.05)
    ruleset.dispatch_timers()
    result = durable_rules_engine.start_action(ruleset._handle)
    assert result and len(result) == 3 and isinstance(result[0], str) and isinstance(result[1], str)
    assert '"$timerName"' in result[1] or "wake" in result[1]
    ruleset._flush_actions(__import__("json").loads(result[0]), {"message": __import__("json").loads(result[1])},
                           result[2], lambda e, s: None)
    assert fired == ["1"]


@reliance("flush_actions")
def test_flush_actions_runs_a_one_argument_action_at_once_and_reports_completion():
    assert list(inspect.signature(durable_engine.Ruleset._flush_actions).parameters) == \
        ["self", "state", "result_container", "state_offset", "complete"]
    fired: list[str] = []
    errors: list[Any] = []
    host = durable_private.quiet_host()
    host.register_rulesets({"fa": {"arm": {"all": [{"m": {"kind": "arm"}}], "run": arm_now},
                                   "woke": {**TIMER, "run": lambda c: fired.append(c.s.sid)}}})
    host.post("fa", {"sid": "7", "id": "m1", "kind": "arm"})
    time.sleep(1.05)
    ruleset = host.get_ruleset("fa")
    ruleset.dispatch_timers()
    assert durable_private.drain(ruleset, errors.append) == 1
    assert fired == ["7"] and errors == []
    assert durable_private.drain(ruleset, errors.append) == 0, "nothing left"


@reliance("delete_ruleset")
def test_delete_ruleset_frees_a_registered_ruleset():
    host = durable_private.quiet_host()
    host.register_rulesets({"dr": {"note": {"all": [{"m": {"kind": "note"}}], "run": lambda c: None}}})
    ruleset = host.get_ruleset("dr")
    host.post("dr", {"sid": "1", "id": "m1", "kind": "note"})
    durable_private.delete_ruleset(ruleset)
    try:
        durable_rules_engine.start_action(ruleset._handle)
    except Exception:
        pass
    else:
        raise AssertionError("the freed ruleset's handle is no longer valid")


def test_every_reliance_has_its_test():
    assert TESTED == set(RELIANCES)


def test_no_other_module_uses_a_private_name_of_durable_rules():
    """`_handle`, `_flush_actions`, a Host subclass and `durable_rules_engine` appear only in durable_private.py."""
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        if path.name == "durable_private.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "durable" not in text:  # no use of durable-rules at all
            continue
        for name in ("._handle", "._flush_actions", "engine.Host", "durable_rules_engine", "._ruleset"):
            if name in text:
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
