"""Policy revisions: loaded from YAML, validated, compiled once, selected by date.

A `Revision` is one file, resolved into the typed parameters the fact
derivations read and the compiled rules; a `Family` holds a policy's revisions
sorted by effective date and answers `at(day)` with the one in force. Nothing
here knows a number of any SLA: they all come from the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from engine.lang.conditions import Condition, ConditionError, Vocabulary, compile_condition
from engine.errors import PathPart, PolicyError, Problem
from engine.exact import to_fraction
from engine.core.facts import FACTS
from engine.core.records import record_fields
from engine.timeutil import TimeFormatError, iso, parse_date, zone
from engine.io.documents import load_document
from engine.io.yamlload import Loaded

Lang = str
POLICY_SCHEMA = "policy.schema.json"


@dataclass(frozen=True)
class Severity:
    level: int
    target_minutes: Fraction
    submission_channels: tuple[str, ...]


@dataclass(frozen=True)
class Tier:
    below: Fraction
    percent: Fraction


@dataclass(frozen=True)
class Contract:
    base_field: str
    divide_by: int
    settlement: str


@dataclass(frozen=True)
class EventMatch:
    event: str
    via: frozenset[str]


@dataclass(frozen=True)
class SeverityChange:
    """How a severity change before the initial response re-targets the clock,
    for a shorter new target and for a longer or equal one (facts.case)."""

    shorter_target: str
    longer_or_equal_target: str


# The old single setting `response.retarget_clock_from`, as the pair it means.
LEGACY_RETARGET = {"change": SeverityChange("restart_at_change", "restart_at_change"),
                   "submission": SeverityChange("from_submission", "from_submission")}


@dataclass(frozen=True)
class Outcome:
    when: Condition | None
    outcome: str
    reason: str | None
    message: Mapping[str, str]
    index: int


@dataclass(frozen=True)
class Rule:
    id: str
    applies_to: str
    clause: str
    outcomes: tuple[Outcome, ...]
    line: int | None


@dataclass(eq=False)
class Revision:
    """One policy file, validated and compiled (compared and hashed by identity)."""

    family: str
    revision: str
    effective: date
    path: Path
    sha256: str
    data: dict[str, Any]
    loaded: Loaded
    tz: Any
    severities: dict[int, Severity]
    case_channels: frozenset[str]
    response_channels: frozenset[str]
    initial_response: EventMatch
    escalation_request: EventMatch
    severity_change: SeverityChange
    reopen_after_response: frozenset[int]  # severities whose escalation after the response opens a clock on any channel
    critical_functions: frozenset[str]
    functions: frozenset[str]
    attributable_causes: frozenset[str]
    excluded_causes: frozenset[str]
    tiers: tuple[Tier, ...]  # lowest threshold first
    contracts: dict[str, Contract]
    currencies: dict[str, int]
    window_days: int
    rules: dict[str, tuple[Rule, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.family}@{self.revision}"

    def clause_text(self, clause: str, lang: Lang) -> str:
        """The clause's text in `lang` (zh verbatim from the SLA, en ours)."""
        return self.data["clauses"][clause][lang]

    def line_of(self, *path: PathPart) -> int | None:
        return self.loaded.line_of(tuple(path))

    @property
    def starts_at(self) -> datetime:
        """The first instant in force: midnight of the effective date in the policy's zone."""
        return datetime(self.effective.year, self.effective.month, self.effective.day, tzinfo=self.tz)


class Family:
    """All revisions of one policy, sorted by effective date."""

    def __init__(self, name: str, revisions: Iterable[Revision]):
        self.name = name
        self.revisions: tuple[Revision, ...] = tuple(sorted(revisions, key=lambda r: r.effective))

    def at(self, day: date) -> Revision:
        """The latest revision whose effective date is on or before `day`."""
        chosen = None
        for revision in self.revisions:
            if revision.effective <= day:
                chosen = revision
        if chosen is None:
            first = self.revisions[0]
            raise LookupError(
                f"{day.isoformat()} is before the earliest revision of {self.name} "
                f"({first.revision}, effective {first.effective.isoformat()})"
            )
        return chosen

    def in_force(self, anchor: Callable[[Revision], datetime]) -> Revision:
        """The latest revision in force at the record's anchor instant. The anchor
        is asked of each revision because a month's first instant depends on the
        revision's time zone."""
        chosen = None
        for revision in self.revisions:
            if revision.starts_at <= anchor(revision):
                chosen = revision
        if chosen is None:
            first = self.revisions[0]
            raise LookupError(
                f"{iso(anchor(first))} is before the earliest revision of {self.name} "
                f"({first.revision}, in force from {iso(first.starts_at)})"
            )
        return chosen

    def by_revision(self, name: str) -> Revision:
        for revision in self.revisions:
            if revision.revision == name:
                return revision
        known = ", ".join(r.revision for r in self.revisions)
        raise LookupError(f"{self.name} has no revision {name!r}; it has {known}")


def load_revision(path: Path) -> Revision:
    """Read, validate and compile one policy file. Raises PolicyError with every problem."""
    document = load_document(path, POLICY_SCHEMA, PolicyError)
    return _Builder(path, document.sha256, document.loaded).build()


class _Builder:
    """Turns a schema-valid document into a Revision, collecting semantic problems."""

    def __init__(self, path: Path, sha256: str, loaded: Loaded):
        self.path, self.sha256, self.loaded = path, sha256, loaded
        self.data: dict[str, Any] = loaded.data
        self.problems: list[Problem] = []

    def problem(self, message: str, *path: PathPart) -> None:
        self.problems.append(Problem(message, file=str(self.path), line=self.loaded.line_of(path), path=tuple(path)))

    def build(self) -> Revision:
        d = self.data
        effective = self._date("effective")
        revision_date = self._date("revision")
        if self.path.stem != d["revision"]:
            self.problem(f"file is named {self.path.name} but holds revision {d['revision']!r}; name it {d['revision']}.yaml", "revision")
        if self.path.parent.name != d["policy"]:
            self.problem(f"file is in folder {self.path.parent.name!r} but names policy {d['policy']!r}", "policy")
        tz = self._zone()
        self._check_clause_refs()
        self._check_channels()
        revision = Revision(
            family=d["policy"],
            revision=d["revision"],
            effective=effective or revision_date or date.min,
            path=self.path,
            sha256=self.sha256,
            data=d,
            loaded=self.loaded,
            tz=tz,
            severities=self._severities(),
            case_channels=frozenset(d["case_channels"]),
            response_channels=frozenset(d["response_channels"]),
            initial_response=_event_match(d["response"]["initial_response"]),
            escalation_request=_event_match(d["response"]["escalation_request"]),
            severity_change=self._severity_change(),
            reopen_after_response=frozenset(d["response"].get("reopen_after_response", ())),
            critical_functions=frozenset(k for k, v in d["uptime"]["functions"].items() if v["critical"]),
            functions=frozenset(d["uptime"]["functions"]),
            attributable_causes=frozenset(d["uptime"]["attributable_causes"]),
            excluded_causes=frozenset(d["uptime"]["exclusions"]["causes"]),
            tiers=self._tiers(),
            contracts={k: Contract(v["base"]["field"], v["base"].get("divide_by", 1), v["settlement"]) for k, v in d["credits"]["contracts"].items()},
            currencies=dict(d["credits"]["currencies"]),
            window_days=d["claims"]["window"]["days"],
        )
        revision.rules = self._rules()
        if self.problems:
            raise PolicyError(self.problems)
        return revision

    def _severity_change(self) -> SeverityChange:
        """`response.severity_change`, or the old `retarget_clock_from` it replaces (one of the two)."""
        response = self.data["response"]
        if "severity_change" in response and "retarget_clock_from" in response:
            self.problem("give either severity_change or the older retarget_clock_from, not both", "response", "retarget_clock_from")
        if "severity_change" in response:
            rule = response["severity_change"]
            return SeverityChange(rule["shorter_target"], rule["longer_or_equal_target"])
        if "retarget_clock_from" in response:
            return LEGACY_RETARGET[response["retarget_clock_from"]]
        self.problem("response needs severity_change, e.g. {shorter_target: from_change, longer_or_equal_target: from_submission}",
                     "response")
        return LEGACY_RETARGET["change"]

    def _date(self, key: str) -> date | None:
        try:
            return parse_date(self.data[key])
        except TimeFormatError as exc:
            self.problem(str(exc), key)
            return None

    def _zone(self) -> Any:
        try:
            return zone(self.data["timezone"])
        except TimeFormatError as exc:
            self.problem(str(exc), "timezone")
            return None

    def _severities(self) -> dict[int, Severity]:
        out = {}
        for key, value in self.data["severities"].items():
            target = value["response_target"]
            minutes = Fraction(target.get("days", 0) * 1440 + target.get("hours", 0) * 60 + target.get("minutes", 0)) + Fraction(target.get("seconds", 0), 60)
            out[int(key)] = Severity(int(key), minutes, tuple(value["submission_channels"]))
        return dict(sorted(out.items()))

    def _tiers(self) -> tuple[Tier, ...]:
        tiers = []
        for i, row in enumerate(self.data["credits"]["tiers"]):
            below, percent = to_fraction(row["below"]), to_fraction(row["percent"])
            for name, value in (("below", below), ("percent", percent)):
                if not 0 <= value <= 100:
                    self.problem(f"{name} must be a percentage from 0 to 100; got {row[name]}", "credits", "tiers", i, name)
            tiers.append(Tier(below, percent))
        return tuple(sorted(tiers, key=lambda t: t.below))

    def _check_clause_refs(self) -> None:
        """Every clause a section, change or rule cites must exist."""
        clauses = set(self.data["clauses"])
        refs: list[tuple[str, tuple[PathPart, ...]]] = []
        for section in ("response", "designated_contacts", "initial_troubleshooting", "uptime", "credits", "claims"):
            if isinstance(self.data.get(section), dict) and "clause" in self.data[section]:
                refs.append((self.data[section]["clause"], (section, "clause")))
        refs.append((self.data["uptime"]["exclusions"]["clause"], ("uptime", "exclusions", "clause")))
        for i, change in enumerate(self.data.get("changes", [])):
            refs += [(c, ("changes", i, "clauses", j)) for j, c in enumerate(change["clauses"])]
        for i, rule in enumerate(self.data["rules"]):
            refs.append((rule["clause"], ("rules", i, "clause")))
        from engine.io.schemas import did_you_mean

        for clause, path in refs:
            if clause not in clauses:
                self.problem(f"unknown clause id {clause!r}{did_you_mean(clause, sorted(clauses))}", *path)

    def _check_channels(self) -> None:
        d = self.data
        cases, responses = set(d["case_channels"]), set(d["response_channels"])
        for level, sev in d["severities"].items():
            for j, channel in enumerate(sev["submission_channels"]):
                if channel not in cases:
                    self.problem(f"{channel!r} is not one of case_channels ({', '.join(sorted(cases))})", "severities", level, "submission_channels", j)
        for j, channel in enumerate(d["response"]["initial_response"]["via"]):
            if channel not in responses:
                self.problem(f"{channel!r} is not one of response_channels ({', '.join(sorted(responses))})", "response", "initial_response", "via", j)
        for j, channel in enumerate(d["response"]["escalation_request"]["via"]):
            if channel not in cases:
                self.problem(f"{channel!r} is not one of case_channels ({', '.join(sorted(cases))})", "response", "escalation_request", "via", j)
        for j, level in enumerate(d["response"].get("reopen_after_response", ())):
            if level not in {int(k) for k in d["severities"]}:
                self.problem(f"severity {level} is not one of the severities", "response", "reopen_after_response", j)
        overlap = set(d["uptime"]["attributable_causes"]) & set(d["uptime"]["exclusions"]["causes"])
        for cause in sorted(overlap):
            self.problem(f"cause {cause!r} is both attributable and excluded", "uptime", "attributable_causes")

    def _rules(self) -> dict[str, tuple[Rule, ...]]:
        by_type: dict[str, list[Rule]] = {t: [] for t in FACTS}
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.data["rules"]):
            if rule["id"] in seen:
                self.problem(f"duplicate rule id {rule['id']!r} (also rules[{seen[rule['id']]}])", "rules", i, "id")
            seen[rule["id"]] = i
            vocab = Vocabulary(frozenset(FACTS[rule["applies_to"]]), record_fields(rule["applies_to"]), self.data)
            outcomes = []
            for j, spec in enumerate(rule["outcomes"]):
                outcomes.append(self._outcome(spec, vocab, ("rules", i, "outcomes", j), j))
                if "when" not in spec and j != len(rule["outcomes"]) - 1:
                    self.problem("an outcome without `when` is the default and must come last", "rules", i, "outcomes", j)
            by_type[rule["applies_to"]].append(
                Rule(rule["id"], rule["applies_to"], rule["clause"], tuple(outcomes), self.loaded.line_of(("rules", i)))
            )
        return {k: tuple(v) for k, v in by_type.items()}

    def _outcome(self, spec: dict[str, Any], vocab: Vocabulary, path: tuple[PathPart, ...], index: int) -> Outcome:
        condition = None
        if "when" in spec:
            try:
                condition = compile_condition(spec["when"], vocab, path + ("when",))
            except ConditionError as exc:
                self.problem(exc.problem.message, *exc.problem.path)
        for lang, template in spec["message"].items():
            self._check_template(template, vocab, path + ("message", lang))
        return Outcome(condition, spec["outcome"], spec.get("reason"), spec["message"], index)

    def _check_template(self, template: str, vocab: Vocabulary, path: tuple[PathPart, ...]) -> None:
        import string

        from engine.io.schemas import did_you_mean

        try:
            names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        except ValueError as exc:
            self.problem(f"message is not a valid template: {exc}", *path)
            return
        for name in names:
            if name not in vocab.facts:
                self.problem(f"message names unknown fact {{{name}}}{did_you_mean(name, sorted(vocab.facts))}", *path)


def _event_match(spec: Mapping[str, Any]) -> EventMatch:
    return EventMatch(spec["event"], frozenset(spec["via"]))


def load_family_dir(folder: Path) -> Family:
    """Every `*.yaml` revision directly in `folder` (not its tests)."""
    revisions, problems = [], []
    for path in sorted(folder.glob("*.yaml")):
        try:
            revisions.append(load_revision(path))
        except PolicyError as exc:
            problems += exc.problems
    problems += check_family(folder, revisions)
    if problems:
        raise PolicyError(problems)
    if not revisions:
        raise PolicyError([Problem("no policy revisions (*.yaml) in this folder", file=str(folder))])
    return Family(folder.name, revisions)


def check_family(folder: Path, revisions: list[Revision]) -> list[Problem]:
    problems = []
    by_day: dict[date, Revision] = {}
    for revision in revisions:
        other = by_day.get(revision.effective)
        if other is not None:
            problems.append(Problem(
                f"effective date {revision.effective} is also that of {other.path.name}; one day, one revision",
                file=str(revision.path), line=revision.line_of("effective"), path=("effective",)))
        by_day[revision.effective] = revision
    return problems


def load_policies(root: Path) -> dict[str, Family]:
    """Every policy family under `root` (one folder each)."""
    if not root.is_dir():
        raise PolicyError([Problem("policy folder not found", file=str(root))])
    families, problems = {}, []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml"))):
        try:
            families[folder.name] = load_family_dir(folder)
        except PolicyError as exc:
            problems += exc.problems
    if problems:
        raise PolicyError(problems)
    if not families:
        raise PolicyError([Problem("no policy families found (expected FAMILY/REVISION.yaml)", file=str(root))])
    return families
