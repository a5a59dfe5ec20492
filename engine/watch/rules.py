"""One revision's live-clock ruleset for durable-rules, compiled from its YAML.

durable-rules correlates: a message posted for a session (one per open case)
fires the one rule whose condition matches, and a named timer of that session
comes back as a message once it is due. Which rule an event fires is decided by
the policy, not by Python constants:

    case_submitted          a case of a severity and on a channel the policy defines
    initial_response        response.initial_response: its event by one of its channels
    escalation_request      response.escalation_request: its event by one of its channels
    never_initial_response  response.never_initial_response (automated replies): recorded, the clock runs on
    severity_change         a change to a severity the policy defines
    other_event             any other event type of a case record (e.g. a critical-support
                            request by portal): recorded, no effect on the clock
    case_closed             the case is closed
    wake                    the session's `wake` timer is due (a warning or the breach)

The ruleset is fixed per revision: compiled once, the same for every case and
every shard, never changed while running.

Guardrails (durable-rules 2.0.28, measured; see docs/watch.md):
- every rule has a *positive discriminator*, an equality on the message kind or
  the timer name, in every branch of its condition. A rule that matches on
  absence ("no response yet") matches again after it fires and loops forever;
  `check_discriminators` refuses such a rule.
- every action takes exactly one positional argument. durable-rules runs a
  two-argument action asynchronously and waits for a callback that never comes
  (and rejects other counts only when the action is first run); `check_action`
  refuses it up front.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from engine.policy.family import Revision
from engine.io.schemas import schema

Action = Callable[[Any], None]
DISCRIMINATORS = ("kind", "$timerName")
WAKE_TIMER = "wake"
RULE_NAMES = ("case_submitted", "initial_response", "escalation_request", "never_initial_response",
              "severity_change", "other_event", "case_closed", "wake")


class GuardrailError(Exception):
    """Our own use of durable-rules broke one of its guardrails: a bug in the engine, never bad input."""


@lru_cache(maxsize=1)
def case_event_types() -> tuple[str, ...]:
    """The event types of a case record, as the record schema lists them."""
    return tuple(schema("records/case.schema.json")["properties"]["events"]["items"]["properties"]["type"]["enum"])


def compile_ruleset(revision: Revision, action_for: Callable[[str], Action]) -> dict[str, dict[str, Any]]:
    """A fresh durable-rules definition of `revision` (durable-rules consumes the
    `run` entries, so each ruleset instance needs its own copy). `action_for(name)`
    gives the action of each rule. The result passes both guardrail checks."""
    response = revision.data["response"]
    levels = sorted(revision.severities)
    initial, escalation = revision.initial_response, revision.escalation_request
    never = [t for t in response.get("never_initial_response", []) if t not in (initial.event, escalation.event)]
    conditions: dict[str, Any] = {
        "case_submitted": _all(_kind("case_submitted"), _one_of("severity", levels),
                               _one_of("channel", sorted(revision.case_channels))),
        "initial_response": _all(_kind(initial.event), _one_of("via", sorted(initial.via))),
        "escalation_request": _all(_kind(escalation.event), _one_of("via", sorted(escalation.via))),
        "severity_change": _all(_kind("severity_change"), _one_of("to", levels)),
        "case_closed": _kind("case_closed"),
    }
    if never:
        conditions["never_initial_response"] = _any(*(_kind(t) for t in never))
    other = _other_events(initial.event, initial.via, escalation.event, escalation.via, never)
    if other:
        conditions["other_event"] = _any(*other)
    definition = {name: {"all": [{"m": condition}], "run": action_for(name)} for name, condition in conditions.items()}
    definition["wake"] = {"all": [{"m$all": [{"base": {"$timerName": WAKE_TIMER}},
                                             {"timeout": {"$gte": {"$time": {"base": "$baseTime"}}}}]}],
                          "run": action_for("wake")}
    check_discriminators(definition)
    for rule in definition.values():
        check_action(rule["run"])
    return definition


def _other_events(initial_event: str, initial_via: Iterable[str], escalation_event: str,
                  escalation_via: Iterable[str], never: list[str]) -> list[Any]:
    """Branches for events of a case record that no other rule takes: each keeps its
    kind as the positive discriminator, with the channels the policy does not count."""
    branches = []
    for event_type in case_event_types():
        if event_type == initial_event:
            branches.append(_all(_kind(event_type), *({"$neq": {"via": v}} for v in sorted(initial_via))))
        elif event_type == escalation_event:
            branches.append(_all(_kind(event_type), *({"$neq": {"via": v}} for v in sorted(escalation_via))))
        elif event_type not in never and event_type != "severity_change":
            branches.append(_kind(event_type))
    return branches


def _kind(value: str) -> dict[str, Any]:
    return {"kind": value}


def _one_of(name: str, values: Iterable[Any]) -> Any:
    return _any(*({name: v} for v in values))


def _all(*parts: Any) -> Any:
    return parts[0] if len(parts) == 1 else {"$and": list(parts)}


def _any(*parts: Any) -> Any:
    return parts[0] if len(parts) == 1 else {"$or": list(parts)}


# -- guardrails --------------------------------------------------------------

def check_discriminators(definition: Mapping[str, Mapping[str, Any]]) -> None:
    """Every rule must test a message for an equality on a discriminator field
    (`kind`, or `$timerName` for a timer), in every branch of an `$or`."""
    for name, rule in definition.items():
        messages = _messages(rule)
        if not any(_positive(condition) for condition in messages):
            raise GuardrailError(f"rule {name!r} has no positive discriminator (an equality on "
                                 f"{' or '.join(DISCRIMINATORS)} in every branch): durable-rules would fire it "
                                 f"again after every action, for ever")


def _messages(rule: Mapping[str, Any]) -> list[Any]:
    out = []
    for part in rule.get("all", rule.get("any", [])):
        for key, value in part.items():
            if key.endswith("$all") or key.endswith("$any"):
                out += [c for sub in value for c in sub.values()]
            else:
                out.append(value)
    return out


def _positive(condition: Any) -> bool:
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return False
    (key, value), = condition.items()
    if key == "$and":
        return any(_positive(c) for c in value)
    if key == "$or":
        return bool(value) and all(_positive(c) for c in value)
    return key in DISCRIMINATORS and not isinstance(value, Mapping)


def check_action(action: Any) -> None:
    """An action must take exactly one positional argument (the closure `c`), as a
    plain function or a bound method: durable-rules reads `__code__.co_argcount`."""
    code = getattr(action, "__code__", None)
    if code is None or not callable(action):
        raise GuardrailError(f"action {action!r} is not a function or bound method; durable-rules needs __code__")
    count = code.co_argcount - (1 if inspect.ismethod(action) else 0)
    parameters = [p for p in inspect.signature(action).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    if count != 1 or len(parameters) != 1 or parameters[0].kind is inspect.Parameter.VAR_POSITIONAL:
        raise GuardrailError(f"action {getattr(action, '__qualname__', action)!r} takes {len(parameters)} positional "
                             f"argument(s); durable-rules actions take exactly one (two makes it asynchronous: it "
                             f"would wait for a callback that never comes)")
