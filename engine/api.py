"""The public Python API: load policies, decide records, explain decisions, replay
a dispute, verify a receipt, with plain data in and out and no argparse. The `sla`
command line (evaluate, replay, verify) and the HTTP service (`sla serve`) both
sit on it; README.md ("Python API") shows it at work.

    from engine.api import Engine
    engine = Engine.load()                       # the bundled policies, or Engine.load("my-policies/")
    result = engine.evaluate([{"type": "case", ...}], now="2026-01-01T00:00:00Z")
    result.decisions                             # one JSON-ready dict per decided record
    result.rejected                              # [{"index": 0, "problems": [...]}] for records that could not be decided
    engine.explain([...], now=...).decisions     # the same decisions, each with its "explain" trace as data

Errors in what the caller passes (an unknown family, a malformed `now`) raise
`engine.errors.UsageError`; records that cannot be decided are returned, never raised,
so one bad record does not hide the decisions of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, TextIO

from engine.batch import Rejected, Tally, decide_files, decide_one
from engine.core.evaluate import Decision, Options
from engine.core.records import Source
from engine.disputes.bundle import Bundle, Verdict, bundle_from_data, load_bundle, replay
from engine.disputes.receipt import Verification, build_receipt, verify
from engine.errors import Problem, UsageError
from engine.io.resources import policies_dir
from engine.io.seenids import SeenIds
from engine.policy.family import Family, load_policies
from engine.render.explain import explain_data
from engine.timeutil import TimeFormatError, parse_date, parse_instant

__all__ = ["Engine", "Evaluation", "problem_json"]


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
                 source: str = "<api>") -> Evaluation:
        """Decide each record (dicts as in `schemas/records/`), in order. Duplicate ids
        within one call are rejected as `sla evaluate` rejects them within one run."""
        return self._decide(records, policy, self.options(now, as_of, lang), source)

    def explain(self, records: Iterable[Mapping[str, Any]], *, policy: str | None = None,
                now: str | datetime | None = None, as_of: str | date | None = None, lang: str = "en",
                source: str = "<api>") -> Evaluation:
        """As `evaluate`, with each decision's trace as data under its `explain` key:
        the revisions chosen and why, every derived fact, each rule's outcomes as
        tried with the clause quoted, and the text `sla explain` prints."""
        family = self.family(policy)
        out = self._decide(records, policy, self.options(now, as_of, lang, explain=True), source)
        for decision, data in zip(out.objects, out.decisions):
            data["explain"] = explain_data(decision, family, lang)
        return out

    def _decide(self, records: Iterable[Mapping[str, Any]], policy: str | None, options: Options, source: str) -> Evaluation:
        family = self.family(policy)
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

    def stream(self, paths: Iterable[str], *, policy: str | None = None, now: str | datetime | None = None,
               as_of: str | date | None = None, lang: str = "en", explain: bool = False,
               stdin: TextIO | None = None, tally: Tally | None = None) -> Iterator[Decision | Rejected]:
        """Every record in record files (`.json`, `.jsonl`, `.yaml`, folders, or `-`
        for `stdin`), decided or rejected, lazily and in input order, in bounded
        memory: what `sla evaluate` runs. `tally`, when given, keeps the counts."""
        return decide_files(paths, self.family(policy), self.options(now, as_of, lang, explain), stdin, tally)

    def replay(self, bundle: Mapping[str, Any] | Bundle | str | Path, *, now: str | datetime | None = None,
               as_of: str | date | None = None, lang: str = "en", source: str = "<api>",
               policy: str | None = None) -> Verdict:
        """A dispute bundle's verdict (raises BundleError listing the bundle's problems).
        `bundle` is the bundle as data, the path of a bundle file (.yaml, .yml, .json:
        its problems then name their lines), or a Bundle already read.
        The family is the bundle's `policy:`, else `policy`, else the only one."""
        if isinstance(bundle, (str, Path)):
            loaded = load_bundle(bundle)
        else:
            loaded = bundle if isinstance(bundle, Bundle) else bundle_from_data(bundle, source)
        family = self.family(loaded.policy or policy)
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
