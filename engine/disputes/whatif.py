"""What-if across revisions: the same dispute decided under every revision of the
family, and why the outcome changes from one revision to the next.

Each row is a replay with `Options(as_of=revision.effective)`: every record is
decided as if that revision had governed everything (month, tiers and claim
procedure alike). That is hypothetical: the actual verdict may combine two
revisions (the month's and the claim date's). Between neighbouring rows every
rule whose outcome or message changed is named with its clause, whether the
clause's text changed, and the later revision's change-log entries citing it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from engine.disputes.bundle import Bundle, Verdict, replay
from engine.core.evaluate import Finding, Options
from engine.policy.family import Family, Revision

# Summary keys shown per revision and compared between neighbouring revisions.
COMPARED = ("verdict", "uptime_percent", "credit_percent", "eligible", "credit_amount", "reasons", "settlement")


@dataclass(frozen=True)
class RuleChange:
    record: str
    rule: str
    clause: str
    before: Finding | None
    after: Finding | None
    clause_changed: bool
    change_log: tuple[Mapping[str, Any], ...]  # the later revision's `changes` entries citing the clause


@dataclass(frozen=True)
class Step:
    """What differs between the verdicts of two neighbouring revisions."""

    before: Revision
    after: Revision
    fields: tuple[tuple[str, Any, Any], ...]  # (summary key, before, after)
    rules: tuple[RuleChange, ...]

    @property
    def outcome_changed(self) -> bool:
        return any(key == "verdict" for key, _, _ in self.fields)


@dataclass(frozen=True)
class WhatIf:
    actual: Verdict
    rows: tuple[tuple[Revision, Verdict], ...]
    steps: tuple[Step, ...]

    def governs(self, revision: Revision) -> list[str]:
        """The roles this revision had in the actual verdict ("uptime and tiers", ...)."""
        return list(dict.fromkeys(s.role for d in self.actual.decisions for s in d.selections if s.revision is revision))

    def to_json(self) -> dict[str, Any]:
        return {
            "what_if": "each row decides every record as if that revision governed everything (--as-of its effective date)",
            "actual": self.actual.summary(),
            "revisions": [{"revision": r.revision, "effective": r.effective.isoformat(), "sha256": r.sha256,
                           "governs": self.governs(r), **{k: v.summary().get(k) for k in COMPARED}}
                          for r, v in self.rows],
            "changes": [_step_json(s) for s in self.steps],
        }


def all_revisions(bundle: Bundle, family: Family, options: Options) -> WhatIf:
    """The actual verdict and one what-if verdict per revision, oldest first."""
    actual = replay(bundle, family, replace(options, as_of=None))
    rows = tuple((r, replay(bundle, family, replace(options, as_of=r.effective))) for r in family.revisions)
    steps = tuple(_step(a, b) for a, b in zip(rows, rows[1:]))
    return WhatIf(actual, rows, steps)


def _step(before: tuple[Revision, Verdict], after: tuple[Revision, Verdict]) -> Step:
    (rev_a, va), (rev_b, vb) = before, after
    sa, sb = va.summary(), vb.summary()
    fields = tuple((k, sa.get(k), sb.get(k)) for k in COMPARED if sa.get(k) != sb.get(k))
    rules: list[RuleChange] = []
    for da, db in zip(va.decisions, vb.decisions):
        fa = {f.rule: f for f in da.findings}
        fb = {f.rule: f for f in db.findings}
        for rule in dict.fromkeys([*fa, *fb]):
            a, b = fa.get(rule), fb.get(rule)
            if a is not None and b is not None and (a.outcome, a.message) == (b.outcome, b.message):
                continue
            clause = (b or a).clause  # type: ignore[union-attr]
            rules.append(RuleChange(da.record.id, rule, clause, a, b, _clause_changed(rev_a, rev_b, clause),
                                    _change_log(rev_b, clause)))
    return Step(rev_a, rev_b, fields, tuple(rules))


def _clause_changed(a: Revision, b: Revision, clause: str) -> bool:
    texts_a, texts_b = a.data["clauses"].get(clause, {}), b.data["clauses"].get(clause, {})
    return any(texts_a.get(lang) != texts_b.get(lang) for lang in ("zh", "en"))


def _change_log(revision: Revision, clause: str) -> tuple[Mapping[str, Any], ...]:
    return tuple(c for c in revision.data.get("changes", []) if clause in c.get("clauses", []))


def _step_json(step: Step) -> dict[str, Any]:
    return {
        "from": step.before.revision, "to": step.after.revision, "outcome_changed": step.outcome_changed,
        "fields": [{"key": k, "from": a, "to": b} for k, a, b in step.fields],
        "rules": [{"record": c.record, "rule": c.rule, "clause": c.clause,
                   "from": c.before.outcome if c.before else None, "to": c.after.outcome if c.after else None,
                   "message": c.after.message if c.after else None, "clause_changed": c.clause_changed,
                   "change_log": [{"en": e["en"], "zh": e["zh"]} for e in c.change_log]} for c in step.rules],
    }
