"""Parameters tied to the clause whose text states them.

A revision declares, under `clause_parameters`, which parameters each clause's text
states (in both languages):

    clause_parameters:
      credits.request: [claims.window.days]

so a report never quotes "within thirty (30) days" next to a 45-day verdict. `sla lint`
uses the declaration three ways: every declared clause and parameter must exist; every
number of a parameter must appear in the clause's text in each language; and a
parameter that changed from the previous revision while the clause's text (in either
language) did not is an error. `sla diff` shows each changed parameter next to its
clause's text (`pairs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from engine.errors import PathPart, Problem
from engine.policy.family import Revision

SECTION = "clause_parameters"
LANGS = ("en", "zh")
_MISSING = object()
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Tie:
    """A parameter changed between two revisions, and what its clause's text did."""

    parameter: str
    clause: str
    old: Any
    new: Any
    text_unchanged: tuple[str, ...]  # languages whose clause text stayed the same

    def to_json(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "clause": self.clause,
                "clause_text_unchanged": list(self.text_unchanged)}


def declared(revision: Revision) -> dict[str, list[str]]:
    """Clause id -> the parameters (dotted paths) its text states."""
    return {clause: list(params) for clause, params in (revision.data.get(SECTION) or {}).items()}


def value_at(data: Any, dotted: str) -> Any:
    """The value at a dotted path (`severities.1.response_target`), or _MISSING."""
    node = data
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and part.isdigit() and int(part) in node:
            node = node[int(part)]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def numbers(value: Any) -> list[str]:
    """The numbers in a parameter's value, as written (`45`, `12.5`, `15`)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int) or (isinstance(value, str) and _NUMBER.match(value)):
        return [str(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return []


def states(text: str, number: str) -> bool:
    """Whether `text` states `number` as a whole number (30 is not in 300 or 3.0)."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)", text) is not None


def check_revision(revision: Revision) -> Iterator[Problem]:
    """Declared clauses and parameters exist, and each parameter's numbers are in its clause's text."""
    clauses = revision.data["clauses"]
    for clause, params in declared(revision).items():
        if clause not in clauses:
            yield _at(revision, (SECTION, clause), f"unknown clause id {clause!r}")
            continue
        for i, param in enumerate(params):
            value = value_at(revision.data, param)
            if value is _MISSING:
                yield _at(revision, (SECTION, clause, i), f"{param} names no parameter of this revision")
                continue
            for lang in LANGS:
                missing = [n for n in numbers(value) if not states(clauses[clause][lang], n)]
                if missing:
                    yield _at(revision, (SECTION, clause, i),
                              f"{param} is {', '.join(missing)} but the {lang} text of clause {clause} does not state "
                              f"{'it' if len(missing) == 1 else 'them'}; update the clause text")


def ties(old: Revision, new: Revision) -> list[Tie]:
    """Every declared parameter of `new` whose value differs in `old`, with the languages
    whose clause text did not change."""
    out = []
    for clause, params in declared(new).items():
        if clause not in new.data["clauses"]:
            continue
        before_text = old.data["clauses"].get(clause, {})
        after_text = new.data["clauses"][clause]
        for param in params:
            before, after = value_at(old.data, param), value_at(new.data, param)
            if before is _MISSING or after is _MISSING or before == after:
                continue
            same = tuple(lang for lang in LANGS if before_text.get(lang) == after_text.get(lang))
            out.append(Tie(param, clause, before, after, same))
    return out


def check_change(old: Revision, new: Revision) -> Iterator[Problem]:
    """A parameter changed from `old` to `new` while its clause's text did not."""
    for tie in ties(old, new):
        if not tie.text_unchanged:
            continue
        index = declared(new)[tie.clause].index(tie.parameter)
        langs = " and ".join(tie.text_unchanged)
        yield _at(new, (SECTION, tie.clause, index),
                  f"{tie.parameter} changed from {_show(tie.old)} to {_show(tie.new)} since revision {old.revision}, but "
                  f"the {langs} text of clause {tie.clause} did not; a report would quote the old text next to the "
                  f"new value. Update clauses.{tie.clause} ({langs})")


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _at(revision: Revision, path: tuple[PathPart, ...], message: str) -> Problem:
    return Problem(message, file=str(revision.path), line=revision.line_of(*path), path=path)
