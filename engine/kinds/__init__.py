"""Record kinds: what the core needs to know about each type of record.

A kind (one module each: `case`, `uptime`, `credit_claim`) names its JSON Schema,
the anchor instant(s) that choose the revision in force, the facts it derives,
how its decision's result, outcome word and summary phrase are made, and the
checks that depend on the policy. The core (engine.core.evaluate), the
renderers and the policy loader look a kind up here by the record's `type`
instead of branching on it, so a new kind is one module plus its schema:

    from engine.kinds import Kind, Anchor, register
    register(Kind(name="toy", schema="records/toy.schema.json", facts={...}, anchors=(...), derive=..., result=...))

`register` also accepts the schema document itself (`schema_document=`), for a
kind whose schema is not in the bundled `schemas/` folder.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence, TYPE_CHECKING

if TYPE_CHECKING:
    from engine.core.evaluate import Decision, Finding
    from engine.core.records import Record
    from engine.errors import Problem
    from engine.policy.family import Revision

BUILTIN = ("engine.kinds.case", "engine.kinds.uptime", "engine.kinds.credit_claim")


@dataclass(frozen=True)
class Anchor:
    """One revision a record's decision uses, and how it is chosen.

    role: what the revision governs ("record", "uptime and tiers", "claim procedure");
    label: what is compared with the effective dates, as explain writes it;
    rules: the `applies_to` whose rules run under this revision;
    instant: the record's anchor instant, asked of each revision (a month's first
    instant depends on the revision's time zone).
    """

    role: str
    label: str
    rules: str
    instant: Callable[["Record"], Callable[["Revision"], datetime]]


def field_instant(name: str) -> Callable[["Record"], Callable[["Revision"], datetime]]:
    """An anchor instant that is a field of the record (the same for every revision)."""

    def instant(record: "Record") -> Callable[["Revision"], datetime]:
        value = record.fields[name]
        return lambda revision: value

    return instant


def _no_problems(record: "Record", revision: "Revision") -> list["Problem"]:
    return []


@dataclass(frozen=True)
class Kind:
    """Everything kind-specific the engine needs. The decision's own revision is
    the last anchor's; the facts are derived with every anchor's revision."""

    name: str
    schema: str  # name under schemas/, e.g. "records/case.schema.json"
    facts: Mapping[str, str]  # fact name -> what it means (rules and messages may use these)
    anchors: tuple[Anchor, ...]
    # (record, its anchors' revisions, now, the family's revisions oldest first or () under --as-of) -> facts
    derive: Callable[["Record", tuple["Revision", ...], datetime, Sequence["Revision"]], dict[str, Any]]
    result: Callable[["Record", tuple["Revision", ...], Mapping[str, Any], tuple["Finding", ...], datetime], dict[str, Any]]
    outcome: Callable[["Decision"], str]  # the decision in one word (see engine.core.outcomes)
    summary: Callable[["Decision", str], str]  # the decision in one phrase, in a language
    outcomes: tuple[str, ...] = ()  # every word `outcome` may return
    check: Callable[["Record", "Revision"], list["Problem"]] = _no_problems  # values the policy must define
    extra: Callable[[Sequence["Revision"]], dict[str, Any]] | None = None  # more top-level keys of the decision
    explain: Callable[["Decision", Callable[..., str]], list[str]] | None = None  # more fact lines for `sla explain`
    schema_document: Mapping[str, Any] | None = field(default=None, compare=False)


_KINDS: dict[str, Kind] = {}
_LOADED = False


def register(kind: Kind) -> Kind:
    """Make `kind` known to the engine (replacing a kind of the same name)."""
    _builtin()
    if kind.schema_document is not None:
        from engine.io.schemas import add_schema

        add_schema(kind.schema, dict(kind.schema_document))
    _KINDS[kind.name] = kind
    _changed()
    return kind


def unregister(name: str) -> None:
    """Forget a kind (tests that register a toy kind put things back)."""
    _KINDS.pop(name, None)
    _changed()


def get(name: str) -> Kind:
    """The kind named `name`; KeyError for an unknown one (records are checked before)."""
    _builtin()
    return _KINDS[name]


def names() -> tuple[str, ...]:
    """Every known kind, built-in ones first, in registration order."""
    global _NAMES
    if _NAMES is None:
        _builtin()
        _NAMES = tuple(_KINDS)
    return _NAMES


_NAMES: tuple[str, ...] | None = None


_LISTENERS: list[Callable[[], None]] = []


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` when the set of kinds changes (caches derived from kinds reset)."""
    _LISTENERS.append(listener)


def _changed() -> None:
    global _NAMES
    _NAMES = None
    for listener in _LISTENERS:
        listener()


def _builtin() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for module in BUILTIN:
        kind = importlib.import_module(module).KIND
        _KINDS.setdefault(kind.name, kind)
