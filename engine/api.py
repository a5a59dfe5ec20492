"""The public Python API: load policies, decide records, replay a dispute, verify a
receipt, with plain data in and out and no argparse. The `sla` command line and
the HTTP service (`sla serve`) both sit on it.

    from engine.api import Engine
    engine = Engine.load()                       # the bundled policies, or Engine.load("my-policies/")
    result = engine.evaluate([{"type": "case", ...}], now="2026-01-01T00:00:00Z")
    result.decisions                             # one JSON-ready dict per decided record
    result.rejected                              # [{"index": 0, "problems": [...]}] for records that could not be decided

Errors in what the caller passes (an unknown family, a malformed `now`) raise
`engine.errors.UsageError`; records that cannot be decided are returned, never raised,
so one bad record does not hide the decisions of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from decimal import Decimal
from fractions import Fraction

from engine.batch import Rejected, decide_one
from engine.core.facts.uptime import TierCheck
from engine.exact import decimal_text, is_exact
from engine.render.explain import explain as explain_text
from engine.timeutil import iso
from engine.core.evaluate import Decision, Options
from engine.core.records import Source
from engine.disputes.bundle import Verdict, bundle_from_data, replay
from engine.disputes.receipt import Verification, build_receipt, verify
from engine.errors import Problem, UsageError
from engine.io.resources import policies_dir
from engine.io.seenids import SeenIds
from engine.policy.family import Family, load_policies
from engine.timeutil import TimeFormatError, parse_date, parse_instant

__all__ = ["Engine", "Evaluation", "explain_json", "problem_json"]


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem as data: where it is (file, line, record, field path) and what is wrong."""
    out: dict[str, Any] = {"message": problem.message}
    for key in ("file", "line", "record"):
        value = getattr(problem, key, None)
        if value is not None:
            out[key] = value
    if problem.path:
        out["path"] = [part for part in problem.path]
    out["text"] = problem.render()
    return out


@dataclass
class Evaluation:
    """What `Engine.evaluate` returns: decisions in input order, and every record it could not decide."""

    decisions: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    objects: list[Decision] = field(default_factory=list)  # the decisions as engine objects, for explain

    @property
    def failing(self) -> int:
        """How many decisions carry a breached or violation finding."""
        return sum(d.failing for d in self.objects)


@dataclass(frozen=True)
class Engine:
    """A loaded, compiled set of policy families. Immutable: reloading makes a new Engine,
    so a caller holding one never sees a mix of old and new policies."""

    families: Mapping[str, Family]
    root: Path

    @classmethod
    def load(cls, root: str | Path | None = None) -> "Engine":
        """Load and compile every family under `root` (default: the bundled policies).
        Raises PolicyError, listing every problem, when a policy is invalid."""
        folder = Path(root) if root is not None else policies_dir()
        return cls(families=load_policies(folder), root=folder)

    def family(self, name: str | None = None) -> Family:
        """The family called `name`, or the only one there is."""
        if name is not None:
            if name not in self.families:
                raise UsageError(f"no policy family {name!r} in {self.root}; have {', '.join(self.families)}")
            return self.families[name]
        if len(self.families) > 1:
            raise UsageError(f"several policy families ({', '.join(self.families)}); name one")
        return next(iter(self.families.values()))

    def options(self, now: str | datetime | None = None, as_of: str | date | None = None,
                lang: str = "en", explain: bool = False) -> Options:
        """Evaluation options from plain values: `now` an RFC 3339 instant with offset, `as_of` a date."""
        return Options(now=_instant(now), as_of=_day(as_of), lang=lang, explain=explain)

    def evaluate(self, records: Iterable[Mapping[str, Any]], *, policy: str | None = None,
                 now: str | datetime | None = None, as_of: str | date | None = None, lang: str = "en",
                 source: str = "<api>", explain: bool = False) -> Evaluation:
        """Decide each record (dicts as in `schemas/records/`), in order. Duplicate ids
        within one call are rejected as `sla evaluate` rejects them within one run.
        `explain=True` keeps each rule's tried steps on the decision objects (see `explain_json`)."""
        family = self.family(policy)
        options = self.options(now, as_of, lang, explain)
        out = Evaluation()
        with SeenIds() as seen:
            for index, raw in enumerate(records):
                item = decide_one(raw, Source(file=f"{source}[{index}]", index=index), family, options, seen)
                if isinstance(item, Rejected):
                    out.rejected.append({"index": index, "problems": [problem_json(p) for p in item.problems]})
                else:
                    out.objects.append(item)
                    out.decisions.append(item.to_json())
        return out

    def replay(self, bundle: Mapping[str, Any], *, now: str | datetime | None = None,
               as_of: str | date | None = None, lang: str = "en", source: str = "<api>") -> Verdict:
        """A dispute bundle's verdict (raises BundleError listing the bundle's problems)."""
        loaded = bundle_from_data(bundle, source)
        family = self.family(loaded.policy)
        instant = now if now is not None else loaded.now
        return replay(loaded, family, self.options(instant, as_of, lang))

    def receipt(self, verdict: Verdict, source: str | None = None) -> dict[str, Any]:
        """A receipt for a verdict: the canonical input, the decision and every hash it depends on."""
        return build_receipt(verdict, source)

    def verify(self, receipt: Any, source: str = "<api>") -> Verification:
        """Check a receipt is intact and re-run it against these policies."""
        return verify(receipt, self.families, source)


def _instant(value: str | datetime | None) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UsageError("now: a naive datetime is ambiguous; give it a UTC offset")
        return value
    try:
        return parse_instant(value)
    except TimeFormatError as exc:
        raise UsageError(f"now: {exc}") from None


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return parse_date(value)
    except TimeFormatError as exc:
        raise UsageError(f"as_of: {exc}") from None


# --------------------------------------------------------------------------- explain as data
# Used by `sla serve` (`POST /v1/evaluate?explain=true`); `sla explain` prints the same
# trace as text. Kept apart from `Engine` so the text renderer stays the single source
# of the wording.

def explain_json(decision: Decision, family: Family, lang: str = "en") -> dict[str, Any]:
    """The explain trace of one decision (evaluated with `explain=True`) as data: the
    revision chosen for each role and why, every derived fact (exact numbers as decimal
    strings, instants in RFC 3339), each rule's outcomes as tried, and the same trace
    as text (`sla explain`)."""
    return {
        "revisions": [{"role": s.role, "policy": s.revision.family, "revision": s.revision.revision,
                       "sha256": s.revision.sha256, "anchor": s.anchor, "anchor_value": s.anchor_value}
                      for s in decision.selections],
        "facts": {name: _plain_fact(value) for name, value in decision.facts.items()},
        "rules": [{"rule": f.rule, "clause": f.clause, "revision": f.revision.revision, "outcome": f.outcome,
                   "steps": [{"outcome": s.outcome, "condition": s.condition, "held": s.held} for s in f.steps]}
                  for f in decision.findings],
        "text": explain_text(decision, family, lang),
    }


def _plain_fact(value: Any) -> Any:
    """A derived fact as JSON: exact numbers as decimal strings (a fraction that does not
    terminate as `n/d`), instants in RFC 3339, a checked tier row as its threshold and answer."""
    if isinstance(value, Fraction):
        return decimal_text(value) if is_exact(value) else f"{value.numerator}/{value.denominator}"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, TierCheck):
        return {"below": _plain_fact(value.tier.below), "percent": _plain_fact(value.tier.percent),
                "uptime_below": value.below, "chosen": value.chosen}
    if isinstance(value, Mapping):
        return {str(k): _plain_fact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain_fact(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)
