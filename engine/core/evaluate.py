"""The pure core: a record and a policy family in, a decision out. No I/O.

Pipeline per record: select the revision in force (by the record's anchor
instant, or the `as_of` day) -> check the record's values against it -> derive
facts -> run the revision's compiled rules -> build the result.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Callable, Mapping

from engine.lang.conditions import Scope, show
from engine.errors import Problem, RecordError
from engine.exact import decimal_text, money_text
from engine.core.facts.case import case_facts
from engine.core.facts.claim import claim_facts
from engine.core.facts.uptime import month_window, uptime_facts
from engine.policy.family import Family, Revision, Rule
from engine.core.records import Record, check_against
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
    """Decide one record. Raises RecordError when the record cannot be evaluated."""
    return _EVALUATORS[record.type](record, family, options)


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


def _checked(record: Record, *revisions: Revision) -> None:
    if len(revisions) == 1:
        found = check_against(record, revisions[0])
        if found:
            raise RecordError(found)
        return
    problems: list[Problem] = []
    for revision in dict.fromkeys(revisions):
        problems += [p for p in check_against(record, revision) if p not in problems]
    if problems:
        raise RecordError(problems)


def _case(record: Record, family: Family, options: Options) -> Decision:
    sel = _select(family, options, record, "record", "submitted_at", lambda r: record.fields["submitted_at"])
    revision = sel.revision
    _checked(record, revision)
    facts = case_facts(record, revision, options.now)
    findings = _run(revision.rules["case"], revision, record, facts, options)
    result = {
        "severity": facts["severity"],
        "current_severity": facts["current_severity"],
        "response_target_minutes": decimal_text(facts["response_target_minutes"]),
        "response_minutes": _num(facts["response_minutes"]),
        "response_met": facts["response_met"],
        "clock_start": _instant(facts["clock_start"]),
        "response_deadline": _instant(facts["response_deadline"]),
        "evaluated_at": iso(options.now),
    }
    return _decision(record, revision, result, findings, facts, (sel,))


def _month_anchor(record: Record) -> Callable[[Revision], datetime]:
    return lambda r: month_window(record.fields["month"], r)[0]


def _uptime(record: Record, family: Family, options: Options) -> Decision:
    sel = _select(family, options, record, "record", "month (first instant)", _month_anchor(record))
    revision = sel.revision
    _checked(record, revision)
    facts = uptime_facts(record, revision)
    findings = _run(revision.rules["uptime"], revision, record, facts, options)
    return _decision(record, revision, _uptime_result(facts), findings, facts, (sel,))


def _uptime_result(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "total_minutes": decimal_text(facts["total_minutes"]),
        "unavailable_minutes": decimal_text(facts["unavailable_minutes"]),
        "excluded_minutes": decimal_text(facts["excluded_minutes"]),
        "uptime_percent": decimal_text(facts["uptime_percent"]),
        "credit_percent": decimal_text(facts["credit_percent"]),
    }


def _claim(record: Record, family: Family, options: Options) -> Decision:
    month_sel = _select(family, options, record, "uptime and tiers", "month (first instant)", _month_anchor(record))
    claim_sel = _select(family, options, record, "claim procedure", "submitted_at", lambda r: record.fields["submitted_at"])
    month_rev, claim_rev = month_sel.revision, claim_sel.revision
    _checked(record, month_rev, claim_rev)
    facts = claim_facts(record, month_rev, claim_rev, () if options.as_of is not None else family.revisions)
    findings = _run(month_rev.rules["uptime"], month_rev, record, facts, options)
    findings += _run(claim_rev.rules["credit_claim"], claim_rev, record, facts, options)
    reasons = [f.reason for f in findings if f.reason]
    eligible = not reasons
    minor = claim_rev.currencies[facts["currency"]]
    amount = facts["base_amount"] * facts["credit_percent"] / 100 if eligible else Fraction(0)
    result = {
        "eligible": eligible,
        "credit_percent": decimal_text(facts["credit_percent"]),
        "credit_amount": money_text(amount, minor),
        "currency": facts["currency"],
        "settlement": facts["settlement"] if eligible else None,
        "reasons": reasons,
        "uptime_version": month_rev.revision,
        "uptime_percent": decimal_text(facts["uptime_percent"]),
        "window_closes_at": iso(facts["window_closes_at"]),
    }
    extra = {"uptime_sha256": month_rev.sha256}
    return _decision(record, claim_rev, result, findings, facts, (month_sel, claim_sel), extra)


_EVALUATORS: dict[str, Callable[[Record, Family, Options], Decision]] = {
    "case": _case,
    "uptime": _uptime,
    "credit_claim": _claim,
}


def _run(rules: tuple[Rule, ...], revision: Revision, record: Record, facts: Mapping[str, Any], options: Options) -> tuple[Finding, ...]:
    """Each rule's first outcome whose condition holds becomes its finding."""
    scope = _new(Scope)  # Scope(record.fields, facts), without the frozen __init__
    _set(scope, "__dict__", {"fields": record.fields, "facts": facts})
    findings = []
    for rule in rules:
        try:
            finding = _fire(rule, revision, scope, facts, options)
        except TypeError as exc:
            raise RecordError([Problem(f"rule {rule.id} of {revision.label} cannot compare these values: {exc}",
                                       file=record.source.file, line=record.source.line, record=record.id)]) from None
        if finding is not None:
            findings.append(finding)
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
            message = render_message(outcome.message[options.lang], facts)
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


def render_message(template: str, facts: Mapping[str, Any]) -> str:
    """A policy message with facts filled in as a person reads them."""
    parts = _TEMPLATES.get(template)
    if parts is None:
        parts = _parse_template(template)
        if len(_TEMPLATES) < 4096:
            _TEMPLATES[template] = parts
    if parts is False:
        return template.format_map(_Shown(facts))
    out = []
    for literal, name in parts:
        out.append(literal)
        if name is not None:
            out.append(show(facts[name]))
    return "".join(out)


_TEMPLATES: dict[str, Any] = {}  # template -> its (literal, fact name) parts, parsed once


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


class _Shown:
    """Facts rendered on demand, only those a template names."""

    def __init__(self, facts: Mapping[str, Any]):
        self.facts = facts

    def __getitem__(self, name: str) -> str:
        return show(self.facts[name])


def _num(value: Fraction | None) -> str | None:
    return None if value is None else decimal_text(value)


def _instant(value: datetime | None) -> str | None:
    return None if value is None else iso(value)
