"""The pure core: a record and a policy family in, a decision out. No I/O.

Pipeline per record, each step as the record's kind (engine.kinds) defines it:
select the revision in force for each of the kind's anchors (by its anchor
instant, or the `as_of` day) -> check the record's values against them -> derive
facts -> run each anchor's compiled rules -> build the result.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping

from engine.lang.conditions import Scope, show
from engine.errors import Problem, RecordError
from engine import kinds
from engine.policy.family import Family, Revision, Rule
from engine.core.records import Record
from engine.timeutil import iso

FAILING_OUTCOMES = frozenset({"breached", "violation"})
_new, _set = object.__new__, object.__setattr__  # to make frozen dataclasses on the hot path (see _finding)


@dataclass(frozen=True)
class Step:
    """One outcome of a rule as tried: its condition's explanation and whether it held."""

    outcome: str
    condition: str | None
    held: bool


@dataclass(frozen=True)
class Finding:
    rule: str
    outcome: str
    clause: str
    message: str
    reason: str | None
    revision: Revision
    steps: tuple[Step, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = {"rule": self.rule, "outcome": self.outcome, "clause": self.clause, "message": self.message}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Selection:
    """Which revision governed part of a decision, and why."""

    role: str  # "record", "uptime" or "claim procedure"
    revision: Revision
    anchor: str  # what was compared with the effective dates
    anchor_value: str

    def __getattr__(self, name: str) -> Any:
        """`anchor_value` of a selection made on the hot path (see _select) is
        written out when first read: most decisions never show it."""
        instant = self.__dict__.get("_anchor_instant")
        if name == "anchor_value" and instant is not None:
            value = iso(instant)
            object.__setattr__(self, "anchor_value", value)
            return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@dataclass(frozen=True)
class Decision:
    record: Record
    revision: Revision
    result: dict[str, Any]
    findings: tuple[Finding, ...]
    facts: Mapping[str, Any]
    selections: tuple[Selection, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> bool:
        return any(f.outcome in FAILING_OUTCOMES for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.record.id,
            "type": self.record.type,
            "customer": self.record.customer,
            "policy": self.revision.family,
            "version": self.revision.revision,
            "sha256": self.revision.sha256,
            **self.extra,
            "result": self.result,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True)
class Options:
    now: datetime
    as_of: date | None = None
    lang: str = "en"
    explain: bool = False


def evaluate(record: Record, family: Family, options: Options) -> Decision:
    """Decide one record. Raises RecordError when the record cannot be evaluated.

    The record's kind (engine.kinds) says which revisions it needs (one per
    anchor), which facts it derives and how its result is made; the rules of
    each anchor run under that anchor's revision, and the last anchor's revision
    is the decision's."""
    kind = _KINDS.get(record.type)
    if kind is None:
        kind = _KINDS[record.type] = kinds.get(record.type)
    anchors = kind.anchors
    if len(anchors) == 1:  # most kinds: one revision (spelt out, it is the hot path)
        (a,) = anchors
        selections: tuple[Selection, ...] = (_select(family, options, record, a.role, a.label, a.instant(record)),)
        revision = selections[0].revision
        revisions = (revision,)
        found = kind.check(record, revision)
        if found:
            raise RecordError(found)
        facts = kind.derive(record, revisions, options.now, () if options.as_of is not None else family.revisions)
        findings = _run(revision.rules.get(a.rules, ()), revision, record, facts, options)
    else:
        chosen = [_select(family, options, record, a.role, a.label, a.instant(record)) for a in anchors]
        selections = tuple(chosen)
        revisions = tuple([s.revision for s in chosen])
        _checked(record, kind, revisions)
        facts = kind.derive(record, revisions, options.now, () if options.as_of is not None else family.revisions)
        findings = ()
        for anchor, revision in zip(anchors, revisions):
            findings += _run(revision.rules.get(anchor.rules, ()), revision, record, facts, options)
    result = kind.result(record, revisions, facts, findings, options.now)
    extra = None if kind.extra is None else kind.extra(revisions)
    if options.as_of is not None:  # decided under the revision of another day: a what-if, labelled in every output
        extra = {**(extra or {}), "what_if": what_if_label(options.as_of)}
    return _decision(record, revisions[-1], result, findings, facts, selections, extra)


def what_if_label(as_of: date | None) -> str | None:
    """How a what-if run is labelled (decisions, receipts, the log, output): "as-of DATE", or None for the decision."""
    return f"as-of {as_of.isoformat()}" if as_of is not None else None


_KINDS: dict[str, kinds.Kind] = {}  # the kinds looked up so far (a dict lookup on the hot path)
kinds.on_change(_KINDS.clear)


_STARTS: dict[int, tuple[Family, tuple[tuple[Revision, datetime], ...]]] = {}  # id(family) -> (family, starts)


def _in_force(family: Family, instant_for: Callable[[Revision], datetime]) -> Revision:
    """`family.in_force`, with each revision's first instant worked out once per
    family rather than once per record (it was a tenth of a case's time)."""
    entry = _STARTS.get(id(family))
    if entry is None or entry[0] is not family:  # the entry holds the family, so its id is not reused meanwhile
        if len(_STARTS) > 64:
            _STARTS.clear()
        entry = _STARTS[id(family)] = (family, tuple((r, r.starts_at) for r in family.revisions))
    for revision, start in reversed(entry[1]):  # the latest that holds is the one, as in Family.in_force
        if start <= instant_for(revision):
            return revision
    return family.in_force(instant_for)  # raises the LookupError that names the earliest revision


def _select(family: Family, options: Options, record: Record, role: str, anchor: str,
            instant_for: Callable[[Revision], datetime]) -> Selection:
    try:
        if options.as_of is not None:
            return Selection(role, family.at(options.as_of), "--as-of", options.as_of.isoformat())
        revision = _in_force(family, instant_for)
        selection = _new(Selection)  # Selection(role, revision, anchor, ...) without the frozen __init__
        _set(selection, "__dict__", {"role": role, "revision": revision, "anchor": anchor, "_anchor_instant": instant_for(revision)})
        return selection
    except LookupError as exc:
        raise RecordError([Problem(str(exc), file=record.source.file, line=record.source.line_of((anchor.split()[0],)),
                                   record=record.id, path=(anchor.split()[0],))]) from None


def _checked(record: Record, kind: kinds.Kind, revisions: tuple[Revision, ...]) -> None:
    """The record's values against every revision it uses, each problem once."""
    problems: list[Problem] = []
    for revision in dict.fromkeys(revisions):
        problems += [p for p in kind.check(record, revision) if p not in problems]
    if problems:
        raise RecordError(problems)


def _run(rules: tuple[Rule, ...], revision: Revision, record: Record, facts: Mapping[str, Any], options: Options) -> tuple[Finding, ...]:
    """Each rule's first outcome whose condition holds becomes its finding."""
    scope = _new(Scope)  # Scope(record.fields, facts), without the frozen __init__
    _set(scope, "__dict__", {"fields": record.fields, "facts": facts})
    findings = []
    rule = None
    try:
        if options.explain or options.lang != "en":
            for rule in rules:
                finding = _fire(rule, revision, scope, facts, options)
                if finding is not None:
                    findings.append(finding)
        else:  # the hot path, spelt out: no steps to keep, English messages
            for rule in rules:
                for outcome in rule.outcomes:
                    when = outcome.when
                    if when is None or when.test(scope):
                        findings.append(_finding(rule.id, outcome.outcome, rule.clause, _renderer(outcome.message["en"])(facts),
                                                 outcome.reason, revision, ()))
                        break
    except TypeError as exc:
        assert rule is not None
        raise RecordError([Problem(f"rule {rule.id} of {revision.label} cannot compare these values: {exc}",
                                   file=record.source.file, line=record.source.line, record=record.id)]) from None
    return tuple(findings)


def _fire(rule: Rule, revision: Revision, scope: Scope, facts: Mapping[str, Any], options: Options) -> Finding | None:
    steps: list[Step] = []
    for outcome in rule.outcomes:
        if options.explain:
            held, text = outcome.when.explain(scope) if outcome.when else (True, None)
            steps.append(Step(outcome.outcome, text, held))
        else:
            held = outcome.when is None or outcome.when.test(scope)
        if held:
            lang = options.lang
            message = render_message(outcome.message[lang], facts, revision.code_words(lang) if lang != "en" else None)
            return _finding(rule.id, outcome.outcome, rule.clause, message, outcome.reason, revision, tuple(steps))
    return None


def _decision(record: Record, revision: Revision, result: dict[str, Any], findings: tuple[Finding, ...],
              facts: Mapping[str, Any], selections: tuple[Selection, ...], extra: dict[str, Any] | None = None) -> Decision:
    """A Decision equal to `Decision(...)`, made without the frozen field-by-field __init__."""
    decision = _new(Decision)
    _set(decision, "__dict__", {"record": record, "revision": revision, "result": result, "findings": findings, "facts": facts,
                                "selections": selections, "extra": {} if extra is None else extra})
    return decision


def _finding(rule: str, outcome: str, clause: str, message: str, reason: str | None, revision: Revision,
             steps: tuple[Step, ...]) -> Finding:
    """A Finding equal to `Finding(...)`, made without the frozen dataclass's
    field-by-field __init__ (half the cost; several per decision)."""
    finding = _new(Finding)
    _set(finding, "__dict__", {"rule": rule, "outcome": outcome, "clause": clause, "message": message, "reason": reason,
                               "revision": revision, "steps": steps})
    return finding


def render_message(template: str, facts: Mapping[str, Any], codes: Mapping[str, str] | None = None) -> str:
    """A policy message with facts filled in as a person reads them; `codes`
    (the policy's `explain.codes` in the message's language) puts codes such as
    `phone` in words."""
    return _renderer(template)(_Worded(facts, codes) if codes else facts)


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {}  # template -> its compiled renderer


def _renderer(template: str) -> Callable[[Mapping[str, Any]], str]:
    """The function that renders `template` from facts, compiled once per template."""
    render = _RENDERERS.get(template)
    if render is None:
        render = _compile_template(template)
        if len(_RENDERERS) < 4096:
            _RENDERERS[template] = render
    return render


def _compile_template(template: str) -> Callable[[Mapping[str, Any]], str]:
    """A template of `{name}` placeholders as one generated function: its literals
    and `show(facts[name])` joined, with no per-call parsing or loop. A template
    using more of the format language renders through str.format_map, as it always did."""
    parts = _parse_template(template)
    if parts is False:
        return lambda facts: template.format_map(_Shown(facts))
    pieces = []
    for literal, name in parts:
        if literal:
            pieces.append(repr(literal))
        if name is not None:
            pieces.append(f"show(facts[{name!r}])")
    namespace: dict[str, Any] = {"show": show}
    exec(f"def render(facts):\n    return {' + '.join(pieces) or repr('')}\n", namespace)  # names are identifiers, literals repr'd
    return namespace["render"]


def _parse_template(template: str) -> Any:
    """A message template as (literal text, fact name or None) pairs, or False
    when it uses more of the format language than `{name}` (then str.format_map
    renders it, as it always did)."""
    parts = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        if name is not None and (spec or conversion or not name.isidentifier()):
            return False
        parts.append((literal, name))
    return tuple(parts)


_FORMATTER = string.Formatter()


class _Worded(Mapping[str, Any]):
    """Facts whose codes (a string, or strings in a list) read as the policy's words."""

    def __init__(self, facts: Mapping[str, Any], codes: Mapping[str, str]):
        self.facts, self.codes = facts, codes

    def __getitem__(self, name: str) -> Any:
        value = self.facts[name]
        if isinstance(value, str):
            return self.codes.get(value, value)
        if isinstance(value, (tuple, list, frozenset, set)) and all(isinstance(v, str) for v in value):
            return [self.codes.get(v, v) for v in (sorted(value) if isinstance(value, (frozenset, set)) else value)]
        return value

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.facts)

    def __len__(self) -> int:
        return len(self.facts)


class _Shown:
    """Facts rendered on demand, only those a template names."""

    def __init__(self, facts: Mapping[str, Any]):
        self.facts = facts

    def __getitem__(self, name: str) -> str:
        return show(self.facts[name])
