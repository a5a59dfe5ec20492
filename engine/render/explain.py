"""A decision as a readable trace: which revision and why, every derived fact with
its arithmetic, every rule's outcomes as tried, and the clause quoted.

All wording comes from the revision's `explain` section (zh and en); this module
only fills in values and indents.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

from engine.lang.conditions import show
from engine.core.evaluate import Decision, Finding, Selection
from engine.exact import is_exact
from engine.policy.family import Family, Revision

INDENT = "  "


class _Words:
    """The explain templates of one revision in one language."""

    def __init__(self, revision: Revision, lang: str):
        self.spec: Mapping[str, Any] = revision.data["explain"]
        self.lang = lang

    def __call__(self, key: str, **values: Any) -> str:
        return self.spec[key][self.lang].format_map(_Shown(values))

    def pick(self, group: str, key: str, **values: Any) -> str:
        entry = self.spec[group].get(key)
        return entry[self.lang].format_map(_Shown(values)) if entry else key


class _Shown(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: str) -> str:
        value = super().__getitem__(key)
        return value if isinstance(value, str) else show(value)


def explain(decision: Decision, family: Family, lang: str) -> str:
    """The whole trace of one decision (evaluated with `Options(explain=True)`)."""
    words = _Words(decision.revision, lang)
    record = decision.record
    lines = [words("heading", record=record.id, type=record.type, customer=record.customer)]
    lines.append(INDENT + words.pick("sections", "revisions"))
    for selection in decision.selections:
        lines += [INDENT * 2 + line for line in _selection(selection, family, words)]
    lines.append(INDENT + words.pick("sections", "facts"))
    lines += [INDENT * 2 + line for line in _facts(decision, words)]
    lines.append(INDENT + words.pick("sections", "rules"))
    for finding in decision.findings:
        lines += [INDENT * 2 + line for line in _finding(finding, lang)]
    return "\n".join(lines) + "\n"


def _selection(selection: Selection, family: Family, words: _Words) -> list[str]:
    role = words.pick("roles", {"record": "record", "uptime and tiers": "uptime", "claim procedure": "claim"}[selection.role])
    revision = selection.revision
    if selection.anchor == "--as-of":
        return [words("revision_as_of", role=role, revision=revision.revision, anchor_value=selection.anchor_value)]
    first = words("revision_chosen", role=role, revision=revision.revision, starts_at=revision.starts_at,
                  anchor=selection.anchor, anchor_value=selection.anchor_value)
    later = [r for r in family.revisions if r.effective > revision.effective]
    if later:
        second = words("revision_next", next=later[0].revision, next_starts_at=later[0].starts_at,
                       anchor_value=selection.anchor_value)
    else:
        second = words("revision_latest")
    return [first, INDENT + second]


def _facts(decision: Decision, words: _Words) -> list[str]:
    facts = decision.facts
    lines = []
    if "total_minutes" in facts:
        lines += _uptime_arithmetic(decision, words)
    skip = {"tier_checks", "total_minutes", "unavailable_minutes", "excluded_minutes", "uptime_percent"}
    for name, value in facts.items():
        if name not in skip:
            lines.append(words("fact", name=words.pick("facts", name), value=value))
    if decision.record.type == "credit_claim":
        lines.append(_amount(decision, words))
    return lines


def _uptime_arithmetic(decision: Decision, words: _Words) -> list[str]:
    facts = decision.facts
    terms = decision.revision.data["uptime"]["terms"]
    uptime = facts["uptime_percent"] / 100
    exact = show(uptime) if is_exact(uptime) else f"{uptime.numerator}/{uptime.denominator}"
    lines = [
        words("uptime_terms", total_minutes=facts["total_minutes"], unavailable_minutes=facts["unavailable_minutes"],
              excluded_minutes=facts["excluded_minutes"], A=terms["A"][words.lang], B=terms["B"][words.lang],
              C=terms["C"][words.lang]),
        words("uptime_formula", total_minutes=facts["total_minutes"], unavailable_minutes=facts["unavailable_minutes"],
              excluded_minutes=facts["excluded_minutes"], uptime_exact=exact, uptime_percent=facts["uptime_percent"]),
    ]
    for check in facts["tier_checks"]:
        answer = words.pick("answers", "yes" if check.below else "no")
        lines.append(INDENT + words("tier_row", below=check.tier.below, percent=check.tier.percent,
                                    uptime_percent=facts["uptime_percent"], answer=answer))
    if facts["tier_below"] is None:
        lines.append(INDENT + words("tier_none"))
    else:
        lines.append(INDENT + words("tier_chosen", credit_percent=facts["credit_percent"]))
    return lines


def _amount(decision: Decision, words: _Words) -> str:
    result, facts = decision.result, decision.facts
    if not result["eligible"]:
        return words("amount_ineligible", currency=result["currency"], reasons=", ".join(result["reasons"]))
    minor = decision.revision.currencies[result["currency"]]
    return words("amount", base_amount=_money(facts["base_amount"]), credit_percent=facts["credit_percent"],
                 credit_amount=result["credit_amount"], currency=result["currency"], minor_units=minor)


def _money(value: Fraction) -> str:
    return show(value) if is_exact(value) else f"{value.numerator}/{value.denominator}"


def _finding(finding: Finding, lang: str) -> list[str]:
    words = _Words(finding.revision, lang)
    outcome = words.pick("outcomes", finding.outcome)
    lines = [words("rule", rule=finding.rule, clause=finding.clause, revision=finding.revision.revision, outcome=outcome)]
    for number, step in enumerate(finding.steps, start=1):
        if step.condition is None:
            lines.append(INDENT + words("step_default", number=number))
        else:
            answer = words.pick("answers", "yes" if step.held else "no")
            lines.append(INDENT + words("step", number=number, condition=step.condition, answer=answer))
    lines.append(INDENT + words("message", message=finding.message))
    text = finding.revision.clause_text(finding.clause, lang)
    if finding.revision.data["clauses"][finding.clause].get("wording") == "unknown" and "clause_unknown" in words.spec:
        quote = words("clause_unknown", clause=finding.clause, revision=finding.revision.revision, text=text)
    else:
        quote = words("clause", clause=finding.clause, text=text)
    lines += [INDENT + line for line in _indented(quote)]
    return lines


def _indented(text: str) -> list[str]:
    """A multi-line quote keeps its later lines under its first."""
    first, *rest = text.split("\n")
    return [first, *(INDENT + line for line in rest)]


# --- the same trace as data ----------------------------------------------------


def explain_data(decision: Decision, family: Family, lang: str) -> dict[str, Any]:
    """The trace of one decision as JSON-ready data (for the API and the HTTP
    service): the revisions chosen and why, every derived fact (exact values as
    decimal text, instants in RFC 3339), each rule's outcomes as tried with the
    clause quoted, and `text`, the same trace as `sla explain` prints it."""
    return {
        "revisions": [_selection_data(s) for s in decision.selections],
        "facts": {name: _fact_data(name, value) for name, value in decision.facts.items()},
        "rules": [_finding_data(f, lang) for f in decision.findings],
        "text": explain(decision, family, lang),
    }


def _selection_data(selection: Selection) -> dict[str, Any]:
    revision = selection.revision
    return {"role": selection.role, "revision": revision.revision, "effective": revision.effective.isoformat(),
            "starts_at": show(revision.starts_at), "anchor": selection.anchor, "anchor_value": selection.anchor_value,
            "sha256": revision.sha256}


def _fact_data(name: str, value: Any) -> Any:
    if name == "tier_checks":
        return [{"below": show(c.tier.below), "percent": show(c.tier.percent), "uptime_below": c.below, "chosen": c.chosen}
                for c in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value, key=str) if isinstance(value, (frozenset, set)) else value
        return [_fact_data(name, v) for v in items]
    return show(value)


def _finding_data(finding: Finding, lang: str) -> dict[str, Any]:
    out = finding.to_json()
    out["revision"] = finding.revision.revision
    out["steps"] = [{"outcome": s.outcome, "condition": s.condition, "held": s.held} for s in finding.steps]
    out["clause_text"] = finding.revision.clause_text(finding.clause, lang)
    return out
