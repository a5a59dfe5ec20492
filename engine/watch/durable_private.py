"""Every use the watcher makes of durable-rules' private behaviour, in one place.

durable-rules (the `durable` package and its C extension `durable_rules_engine`)
has no public way to run a host without its background threads, to run the
actions its engine has ready, or to free a ruleset. The watcher needs all
three, so it relies on private names of exactly one release, pinned in
pyproject.toml (the `live` and `test` extras). Each reliance is listed in
`RELIANCES` and has its own test in tests/test_watch_durable_private.py, which
fails loudly when a release changes it. Nothing else in the project touches a
private name of durable-rules.
"""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any, Callable

PINNED_VERSION = "2.0.28"

RELIANCES = {
    "version": "the installed durable-rules is the pinned release, the one these reliances were measured on",
    "host_run": "Host.__init__ starts its dispatch threads by calling self._run(); a subclass overriding "
                "_run starts none",
    "start_action": "durable_rules_engine.start_action(ruleset._handle) returns (state, message, handle) "
                    "JSON strings for the next ready action, or a false value when none is ready",
    "flush_actions": "Ruleset._flush_actions(state, {'message': message}, handle, complete) runs that action "
                     "(synchronously for a one-argument action) and calls complete(error, state)",
    "delete_ruleset": "durable_rules_engine.delete_ruleset(ruleset._handle) frees a registered ruleset "
                      "(nothing public does)",
}


def durable_engine() -> Any:
    """durable-rules' `durable.engine` module, or ImportError with how to install it."""
    try:
        from durable import engine
    except ImportError as exc:  # not installed, or a Python it does not build/import on
        raise ImportError(f"sla watch needs durable-rules (pip install 'sla-engine[live]'): {exc}") from None
    return engine


def installed_version() -> str | None:
    """The installed durable-rules release, or None."""
    try:
        return metadata.version("durable_rules")
    except metadata.PackageNotFoundError:
        return None


def quiet_host() -> Any:
    """A durable-rules host that starts no background thread (reliance `host_run`):
    actions run inside `post`, timers when `drain` is called."""
    engine = durable_engine()

    class QuietHost(engine.Host):
        def _run(self) -> None:  # no background dispatch threads: the watcher's loop does it
            pass

    return QuietHost()


def drain(ruleset: Any, on_error: Callable[[Any], None]) -> int:
    """Run every action the engine has ready in `ruleset` (what the host's dispatch
    thread would do), now, in this thread (reliances `start_action`, `flush_actions`).
    Returns how many ran."""
    import durable_rules_engine

    def complete(error: Any, _state: Any) -> None:
        if error:
            on_error(error)

    ran = 0
    while True:
        result = durable_rules_engine.start_action(ruleset._handle)
        if not result:
            return ran
        ruleset._flush_actions(json.loads(result[0]), {"message": json.loads(result[1])}, result[2], complete)
        ran += 1


def delete_ruleset(ruleset: Any) -> None:
    """Free a registered ruleset's engine memory (reliance `delete_ruleset`)."""
    import durable_rules_engine

    durable_rules_engine.delete_ruleset(ruleset._handle)
