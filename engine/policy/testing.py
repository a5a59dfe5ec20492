"""Policy tests: YAML files in which legal/ops staff state what a policy must decide.

A test file lives next to the policies it tests (`policies/FAMILY/tests/*.yaml`):

    policy: genesys-cloud
    now: "2030-01-01T00:00:00Z"            # optional, for every test of the file
    tests:
      - name: A March claim filed on 1 May is late
        as_of: "2024-04-24"                  # optional: like `sla evaluate --as-of`
        record: {type: credit_claim, ...}    # one record in the record format
        expect:                              # any part of the decision
          eligible: false
          reasons: [late]
          findings: {claim.window: violation}
      - name: A month before the earliest revision is refused
        record: {type: uptime, ...}
        expect: {error: "before the earliest revision"}

Each test runs through the pure core (record_problems -> parse_record -> evaluate);
a record that is rejected has the `error` outcome. A failure names the file and
line, the test, every key whose value differs (expected and actual) and the
clause involved. The file is checked against `schemas/policy-test.schema.json`
and against the policy family (rule ids, reason codes), each problem as
`FILE:LINE: path: message`.

`run_command` is `sla test`; `engine.pytest_plugin` runs the same tests as pytest items.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping, TextIO

from engine import kinds
from engine.errors import PathPart, PolicyError, Problem, RecordError, SlaError
from engine.core.evaluate import Decision, Finding, Options, evaluate
from engine.policy.family import Family, Revision, load_family_dir
from engine.core.records import RecordProblems, Source, parse_record, record_problems
from engine.io.documents import read_document
from engine.io.schemas import did_you_mean, schema
from engine.policy.root import PolicyRoot, find_root
from engine.timeutil import TimeFormatError, parse_date, parse_instant

TEST_SCHEMA = "policy-test.schema.json"
SUFFIXES = (".yaml", ".yml")
TESTS_FOLDER = "tests"
EXIT_PASSED, EXIT_FAILED, EXIT_INVALID = 0, 1, 2

# Keys of `expect` that are not keys of the decision's `result`.
SPECIAL_KEYS = ("error", "version", "findings", "messages")

_REVISION_FILE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\.ya?ml$")
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
CLAUSE_TEXT_CHARS = 200


class InvalidTestFile(SlaError):
    """A policy test file cannot be read, or breaks the test-file schema or the policy's vocabulary."""


# --- loading -----------------------------------------------------------------


@dataclass(frozen=True)
class PolicyTest:
    """One test of a test file: a record and what its decision must show."""

    __test__ = False  # not a pytest class

    file: str  # the file as shown in messages
    path: Path
    index: int
    name: str
    line: int | None
    policy: str
    record: Any
    source: Source  # where the record is, so a rejection names the test file's lines
    expect: Mapping[str, Any]
    expect_lines: Mapping[tuple[str, ...], int]  # ("eligible",), ("findings", "claim.window") -> line
    now: datetime | None
    as_of: date | None
    lang: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def record_type(self) -> str | None:
        rtype = self.record.get("type") if isinstance(self.record, dict) else None
        return rtype if isinstance(rtype, str) else None


@dataclass(frozen=True)
class PolicyTestFile:
    __test__ = False

    path: Path
    file: str
    policy: str
    policy_line: int | None
    tests: tuple[PolicyTest, ...]


@lru_cache(maxsize=1)
def result_keys() -> dict[str, tuple[str, ...]]:
    """The keys of each record type's decision `result`, read from schemas/decision.schema.json."""
    out: dict[str, tuple[str, ...]] = {}
    for branch in schema("decision.schema.json").get("allOf", []):
        rtype = branch["if"]["properties"]["type"]["const"]
        out[rtype] = tuple(branch["then"]["properties"]["result"]["properties"])
    return out


def shown_path(path: Path) -> str:
    """A path as a person finds it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_test_file(path: Path, file: str | None = None) -> PolicyTestFile:
    """Read and check one test file. Raises InvalidTestFile with every problem, each with its line."""
    document = read_document(path, InvalidTestFile, file)
    file, loaded, data = document.file, document.loaded, document.data
    if data is None:
        raise InvalidTestFile([Problem("the file is empty; a test file has `policy:` and `tests:`", file=file, line=1)])
    problems = document.schema_problems(TEST_SCHEMA)
    if problems:
        raise InvalidTestFile(problems)

    def problem(message: str, *at: PathPart) -> None:
        problems.append(Problem(message, file=file, line=loaded.line_of(at), path=at))

    def instant(value: Any, *at: PathPart) -> datetime | None:
        if value is None:
            return None
        try:
            return parse_instant(value)
        except TimeFormatError as exc:
            problem(str(exc), *at)
            return None

    def day(value: Any, *at: PathPart) -> date | None:
        if value is None:
            return None
        try:
            return parse_date(value)
        except TimeFormatError as exc:
            problem(str(exc), *at)
            return None

    file_now = instant(data.get("now"), "now")
    file_as_of = day(data.get("as_of"), "as_of")
    file_lang = data.get("lang", "en")
    keys_by_type = result_keys()
    all_result_keys = {k for keys in keys_by_type.values() for k in keys}
    names: dict[str, int | None] = {}
    tests = []
    for i, spec in enumerate(data["tests"]):
        at = ("tests", i)
        name = spec["name"]
        if name in names:
            problem(f"two tests are named {name!r} (the first on line {names[name]}); give each test its own name", *at, "name")
        names.setdefault(name, loaded.line_of(at + ("name",)))
        expect = spec["expect"]
        if not expect or all(value == {} for value in expect.values()):
            problem("the test expects nothing; say what the decision must show, e.g. "
                    "{eligible: false, reasons: [late]}, or {error: \"...\"} for a rejected record", *at, "expect")
        if "error" in expect and len(expect) > 1:
            others = ", ".join(k for k in expect if k != "error")
            problem(f"`error` expects the record to be rejected, so there is no decision to check {others} against; "
                    "put those in a separate test", *at, "expect")
        rtype = spec["record"].get("type")
        if rtype in keys_by_type:
            allowed = set(keys_by_type[rtype]) | set(SPECIAL_KEYS)
            for key in expect:
                if key in all_result_keys and key not in allowed:
                    options = sorted(allowed)
                    problem(f"{key!r} is not part of a {rtype} decision{did_you_mean(key, options)} "
                            f"(a {rtype} decision has {', '.join(options)})", *at, "expect", key)
        base = at + ("record",)
        record_lines = {p[len(base):]: line for p, line in loaded.lines.items() if p[: len(base)] == base}
        expect_base = at + ("expect",)
        expect_lines = {tuple(map(str, p[len(expect_base):])): line for p, line in loaded.lines.items()
                        if p[: len(expect_base)] == expect_base and len(p) > len(expect_base)}
        tests.append(PolicyTest(
            file=file, path=path, index=i, name=name, line=loaded.line_of(at),
            policy=data["policy"], record=spec["record"],
            source=Source(file, loaded.line_of(base), None, record_lines),
            expect=expect, expect_lines=expect_lines,
            now=instant(spec.get("now"), *at, "now") or file_now,
            as_of=day(spec.get("as_of"), *at, "as_of") or file_as_of,
            lang=spec.get("lang", file_lang),
        ))
    if problems:
        raise InvalidTestFile(problems)
    return PolicyTestFile(path, file, data["policy"], loaded.line_of(("policy",)), tuple(tests))


def check_with_family(test_file: PolicyTestFile, family: Family) -> list[Problem]:
    """Names a test can only get wrong against the policy: rule ids, reason codes, settlements."""
    problems: list[Problem] = []
    reasons = sorted({o.reason for r in family.revisions for rules in r.rules.values() for rule in rules
                      for o in rule.outcomes if o.reason})
    settlements = sorted({c.settlement for r in family.revisions for c in r.contracts.values()})
    for test in test_file.tests:
        ids = sorted(_rule_ids(family, test.record_type))

        def problem(message: str, *key: str) -> None:
            problems.append(Problem(message, file=test.file, line=test.expect_lines.get(key, test.line),
                                    path=("tests", test.index, "expect", *key)))

        for section in ("findings", "messages"):
            for rule in test.expect.get(section, {}):
                if rule not in ids:
                    what = f"a {test.record_type} record" if test.record_type in result_keys() else "any record"
                    problem(f"{family.name} has no rule {rule!r} for {what}{_hint(rule, ids, 'its rules are')}",
                            section, rule)
        for j, code in enumerate(test.expect.get("reasons", [])):
            if code not in reasons:
                problems.append(Problem(f"{family.name} gives no reason {code!r}{_hint(code, reasons, 'its reasons are')}",
                                        file=test.file,
                                        line=test.expect_lines.get(("reasons", str(j)), test.expect_lines.get(("reasons",))),
                                        path=("tests", test.index, "expect", "reasons", j)))
        settlement = test.expect.get("settlement")
        if settlement is not None and settlement not in settlements:
            problem(f"{family.name} has no settlement {settlement!r}{_hint(settlement, settlements, 'it has')}",
                    "settlement")
    return problems


def _hint(word: str, options: list[str], listing: str) -> str:
    """`; did you mean 'x'?` when a name is close to one, else the list of names."""
    return did_you_mean(word, options) or f" ({listing} {', '.join(options)})"


def _rule_ids(family: Family, record_type: str | None) -> set[str]:
    """Rules whose findings a record of this type can have: those of each of its kind's
    anchors (a claim also runs the uptime rules)."""
    known = record_type is not None and record_type in kinds.names()
    types = tuple(a.rules for a in kinds.get(record_type).anchors) if known else (record_type,)
    return {rule.id for r in family.revisions for t, rules in r.rules.items()
            if record_type not in result_keys() or t in types for rule in rules}


# --- finding files and policies ------------------------------------------------


def is_family_dir(folder: Path) -> bool:
    """A policy family folder: it holds revision files named by their date (2024-04-24.yaml)."""
    return folder.is_dir() and any(p.is_file() and _REVISION_FILE.match(p.name) for p in folder.iterdir())


def is_policy_test_path(path: Path) -> bool:
    """A YAML file in the `tests` folder of a policy family folder (never a revision file)."""
    return (path.suffix in SUFFIXES and path.parent.name == TESTS_FOLDER and path.is_file()
            and is_family_dir(path.parent.parent))


def find_test_files(paths: list[str], policies_root: Path | None) -> tuple[list[Path], list[Problem]]:
    """The test files `paths` stand for: a file as given; a folder named `tests`, every YAML
    file in it; any other folder, the test files of the policy families under it. No
    paths: every FAMILY/tests/*.yaml under the policy root."""
    files: list[Path] = []
    problems: list[Problem] = []
    if not paths:
        root = find_root(policies_root)
        found = _tests_under(root.path)
        if not found:
            problems.append(Problem(f"no policy test files here (expected FAMILY/tests/*.yaml; {root.hint})",
                                    file=str(root.path)))
        return found, problems
    for name in paths:
        path = Path(name)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            found = _tests_under(path)
            if not found:
                problems.append(Problem(f"no policy test files in this folder (expected {TESTS_FOLDER}/*.yaml, "
                                        f"e.g. policies/genesys-cloud/tests/claims.yaml)", file=name))
            files += found
        else:
            problems.append(Problem("no such file or folder", file=name))
    return list(dict.fromkeys(files)), problems


def _tests_under(folder: Path) -> list[Path]:
    if folder.name == TESTS_FOLDER:
        return sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    return sorted(p for p in folder.rglob(f"{TESTS_FOLDER}/*") if is_policy_test_path(p)
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


class FamilyResolver:
    """The policy family a test file names, loaded once. Looked up in `policies_root` when
    given; otherwise beside the test file (ROOT/FAMILY/tests/x.yaml -> ROOT), else in the
    root the discovery order finds ($SLA_POLICIES, a policies/ folder here or above, the
    bundled policies)."""

    def __init__(self, policies_root: Path | None = None):
        self.root = policies_root
        self._cache: dict[Path, Family | SlaError] = {}

    def root_for(self, test_file: PolicyTestFile) -> PolicyRoot:
        if self.root is not None:
            return find_root(self.root)
        here = test_file.path.resolve().parent
        if here.name == TESTS_FOLDER and is_family_dir(here.parent):
            return PolicyRoot(here.parent.parent, "beside")
        return find_root()

    def family_for(self, test_file: PolicyTestFile) -> Family:
        """Raises InvalidTestFile for an unknown family, PolicyError for a broken one."""
        found = self.root_for(test_file)
        root = found.path
        folder = (root / test_file.policy).resolve()
        if not is_family_dir(folder):
            known = sorted(p.name for p in root.iterdir() if is_family_dir(p)) if root.is_dir() else []
            listing = f"; the families there are {', '.join(known)}" if known else "; it has no policy families"
            listing += f" ({found.hint})"
            raise InvalidTestFile([Problem(f"no policy family {test_file.policy!r}{did_you_mean(test_file.policy, known)}{listing}",
                                           file=test_file.file, line=test_file.policy_line, path=("policy",))])
        if folder not in self._cache:
            try:
                self._cache[folder] = load_family_dir(folder)
            except PolicyError as exc:
                self._cache[folder] = exc
        found = self._cache[folder]
        if isinstance(found, SlaError):
            raise found
        return found


# --- running -----------------------------------------------------------------


@dataclass(frozen=True)
class ClauseRef:
    clause: str
    revision: Revision

    def render(self, lang: str) -> str:
        try:
            text = " ".join(self.revision.clause_text(self.clause, lang).split())
        except KeyError:
            text = ""
        if len(text) > CLAUSE_TEXT_CHARS:
            text = text[: CLAUSE_TEXT_CHARS - 1].rstrip() + "…"
        return f"{self.clause} ({self.revision.label})" + (f": {text}" if text else "")


@dataclass(frozen=True)
class Mismatch:
    key: str  # "eligible", "findings.claim.window", "error", "decision"
    expected: str  # as shown to a person
    actual: str
    line: int | None
    clauses: tuple[ClauseRef, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class PolicyTestResult:
    __test__ = False

    test: PolicyTest
    mismatches: tuple[Mismatch, ...]
    decision: Decision | None
    problems: tuple[Problem, ...]  # why the record was rejected, if it was

    @property
    def passed(self) -> bool:
        return not self.mismatches


def decide(test: PolicyTest, family: Family, now: datetime,
           explain: bool = False) -> tuple[Decision | None, tuple[Problem, ...]]:
    """The pure core on the test's record: a decision, or the problems it was rejected with
    (`explain` keeps each rule's outcomes as tried, for coverage)."""
    problems = record_problems(test.record, test.source)
    if problems:
        return None, tuple(problems)
    try:
        record = parse_record(test.record, test.source)
        return evaluate(record, family, Options(now=test.now or now, as_of=test.as_of, lang=test.lang,
                                                explain=explain)), ()
    except RecordProblems as exc:
        return None, tuple(exc.problems)
    except RecordError as exc:
        return None, tuple(exc.problems)


def run_test(test: PolicyTest, family: Family, now: datetime | None = None, explain: bool = False) -> PolicyTestResult:
    """Evaluate one test and compare every expected key with the decision."""
    decision, problems = decide(test, family, now or datetime.now(timezone.utc), explain)
    expect = test.expect
    line = test.expect_lines.get
    mismatches: list[Mismatch] = []
    if "error" in expect:
        wanted = expect["error"]
        if decision is not None:
            mismatches.append(Mismatch("error", f"the record is rejected with a message containing {wanted!r}",
                                       f"it was decided: {_summary(decision)}", line(("error",)),
                                       _all_clauses(decision)))
        elif not any(_contains(p.render(), wanted) for p in problems):
            mismatches.append(Mismatch("error", f"a message containing {wanted!r}", _rejection(problems), line(("error",))))
        return PolicyTestResult(test, tuple(mismatches), decision, problems)
    if decision is None:
        mismatches.append(Mismatch("decision", "a decision", _rejection(problems), test.line))
        return PolicyTestResult(test, tuple(mismatches), None, problems)

    view = {**decision.result, "version": decision.revision.revision}
    findings = {f.rule: f for f in decision.findings}
    for key, wanted in expect.items():
        if key == "findings":
            for rule, outcome in wanted.items():
                got = findings.get(rule)
                if got is None or got.outcome != outcome:
                    actual = "(no finding)" if got is None else f"{got.outcome}: {got.message}"
                    mismatches.append(Mismatch(f"findings.{rule}", outcome, actual, line(("findings", rule)),
                                               _rule_clauses(rule, decision)))
        elif key == "messages":
            for rule, part in wanted.items():
                got = findings.get(rule)
                if got is None or not _contains(got.message, part):
                    actual = "(no finding)" if got is None else f"{got.outcome}: {got.message}"
                    mismatches.append(Mismatch(f"messages.{rule}", f"a message containing {part!r}", actual,
                                               line(("messages", rule)), _rule_clauses(rule, decision)))
        elif not same(wanted, view.get(key)):
            note = _selection_note(key, decision, family) if key in ("version", "uptime_version") else None
            clauses = () if note else _clauses_for(key, decision)
            mismatches.append(Mismatch(key, show(wanted), show(view.get(key)), line((key,)), clauses, note))
    return PolicyTestResult(test, tuple(mismatches), decision, ())


def _contains(text: str, part: str) -> bool:
    """Case- and spacing-insensitive substring match, as a person reads a message."""
    return " ".join(part.split()).casefold() in " ".join(text.split()).casefold()


def _rejection(problems: tuple[Problem, ...]) -> str:
    return "rejected: " + " | ".join(p.render() for p in problems)


def _summary(decision: Decision) -> str:
    shown = ", ".join(f"{k}: {show(v)}" for k, v in decision.result.items())
    return f"version {decision.revision.revision}; {shown}"


# --- comparing and showing values --------------------------------------------------


def same(expected: Any, actual: Any) -> bool:
    """Whether an expected value (as written in YAML) means the actual one. Numbers compare by
    value ("10", 10 and "10.0" are the same), instants as instants (any offset), lists of
    codes regardless of order; true, false and null only match themselves."""
    if expected is None or actual is None or isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or (type(expected) is type(actual) and expected == actual)
    if isinstance(expected, list) or isinstance(actual, list):
        return (isinstance(expected, list) and isinstance(actual, list)
                and Counter(map(str, expected)) == Counter(map(str, actual)))
    a, b = _number(expected), _number(actual)
    if a is not None and b is not None:
        return a == b
    a, b = _instant(expected), _instant(actual)
    if a is not None and b is not None:
        return a == b
    return str(expected) == str(actual)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _instant(value: Any) -> datetime | None:
    try:
        return parse_instant(value) if isinstance(value, str) else None
    except TimeFormatError:
        return None


def show(value: Any) -> str:
    """A value as YAML authors write it: true, null, [late], 12.5."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


# --- which clause is involved ----------------------------------------------------

# Result keys that no rule reads, by the policy section whose `clause` governs them.
_SECTION_OF = {
    "total_minutes": ("uptime",),
    "unavailable_minutes": ("uptime",),
    "excluded_minutes": ("uptime", "uptime.exclusions"),
    "uptime_percent": ("uptime",),
    "credit_percent": ("credits",),
    "credit_amount": ("credits",),
    "currency": ("credits",),
    "settlement": ("claims",),
    "window_closes_at": ("claims",),
    "severity": ("response",),
    "current_severity": ("response",),
    "response_target_minutes": ("response",),
    "response_minutes": ("response",),
    "response_met": ("response",),
    "clock_start": ("response",),
    "response_deadline": ("response",),
}
# Uptime keys of a claim are governed by the month's revision, not the claim's.
_MONTH_KEYS = {"total_minutes", "unavailable_minutes", "excluded_minutes", "uptime_percent", "credit_percent"}
# What a result key is computed from, when it is not a fact of the same name.
_FACTS_OF = {"credit_amount": ("credit_percent", "base_amount"), "settlement": ("settlement", "billing")}


def _clauses_for(key: str, decision: Decision) -> tuple[ClauseRef, ...]:
    """The clauses behind a result key: for eligibility, the findings that gave a reason (or,
    with none, the rules that could have); then the clause of the policy section that
    defines the value, and those of the findings whose rules read it."""
    refs: list[ClauseRef] = []
    if key in ("eligible", "reasons", "credit_amount", "settlement"):
        with_reason = [f for f in decision.findings if f.reason]
        refs += [ClauseRef(f.clause, f.revision) for f in with_reason or
                 [f for f in decision.findings if _can_give_reason(f)]]
    revision = _month_revision(decision) if key in _MONTH_KEYS else decision.revision
    for section in _SECTION_OF.get(key, ()):
        node: Any = revision.data
        for part in section.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get("clause"), str):
            refs.append(ClauseRef(node["clause"], revision))
    facts = _FACTS_OF.get(key, (key,))
    refs += [ClauseRef(f.clause, f.revision) for f in decision.findings if _reads(f, facts)]
    return _unique(refs)


def _rule_clauses(rule_id: str, decision: Decision) -> tuple[ClauseRef, ...]:
    for f in decision.findings:
        if f.rule == rule_id:
            return (ClauseRef(f.clause, f.revision),)
    for sel in decision.selections:
        for rules in sel.revision.rules.values():
            for rule in rules:
                if rule.id == rule_id:
                    return (ClauseRef(rule.clause, sel.revision),)
    return ()


def _all_clauses(decision: Decision) -> tuple[ClauseRef, ...]:
    return _unique([ClauseRef(f.clause, f.revision) for f in decision.findings if f.outcome in ("breached", "violation")])


def _unique(refs: list[ClauseRef]) -> tuple[ClauseRef, ...]:
    seen: dict[tuple[str, int], ClauseRef] = {}
    for ref in refs:
        seen.setdefault((ref.clause, id(ref.revision)), ref)
    return tuple(seen.values())


def _month_revision(decision: Decision) -> Revision:
    for sel in decision.selections:
        if sel.role == "uptime and tiers":
            return sel.revision
    return decision.revision


def _rule_spec(finding: Finding) -> Mapping[str, Any] | None:
    for spec in finding.revision.data.get("rules", []):
        if spec.get("id") == finding.rule:
            return spec
    return None


def _can_give_reason(finding: Finding) -> bool:
    spec = _rule_spec(finding)
    return bool(spec) and any("reason" in o for o in spec["outcomes"])


def _reads(finding: Finding, facts: tuple[str, ...]) -> bool:
    """Whether the finding's rule reads one of `facts` in a condition or names it in a message."""
    spec = _rule_spec(finding)
    if not spec:
        return False
    names: set[str] = set()
    for outcome in spec["outcomes"]:
        names |= set(_operand_names(outcome.get("when")))
        for template in outcome.get("message", {}).values():
            try:
                names |= {n for _, n, _, _ in string.Formatter().parse(template) if n}
            except ValueError:
                pass
    return any(f in names for f in facts)


def _operand_names(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in ("fact", "field") and isinstance(value, str):
                yield value.split(".")[-1] if key == "field" else value
            else:
                yield from _operand_names(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _operand_names(item)


def _selection_note(key: str, decision: Decision, family: Family) -> str:
    """Why a revision was chosen: the anchor compared with the revisions' effective dates."""
    wanted = (lambda s: s.role == "uptime and tiers") if key == "uptime_version" else (lambda s: s.role != "uptime and tiers")
    sel = next((s for s in decision.selections if wanted(s)), decision.selections[0])
    dates = ", ".join(f"{r.revision} (effective {r.effective.isoformat()})" for r in family.revisions)
    return (f"the {sel.role} revision is the latest one in force at {sel.anchor} {sel.anchor_value}; "
            f"{family.name} has {dates}")


# --- reporting -----------------------------------------------------------------


def format_failure(result: PolicyTestResult, header: bool = True) -> str:
    """A failed test as a person reads it: where, which test, each differing key with the
    expected and actual values and the clause involved."""
    test = result.test
    lines = [f"FAILED {test.where}: {test.name}"] if header else []
    for m in result.mismatches:
        at = f" (line {m.line})" if m.line else ""
        lines.append(f"  {m.key}{at}")
        lines.append(f"    expected: {m.expected}")
        lines.append(f"    actual:   {m.actual}")
        for ref in m.clauses:
            lines.append(f"    clause:   {ref.render(test.lang)}")
        if m.note:
            lines.append(f"    why:      {m.note}")
    return "\n".join(lines) + "\n"


@dataclass
class TestRun:
    """Every result of one `sla test` run, the families they ran against, and the test
    files that could not be run."""

    __test__ = False

    results: list[PolicyTestResult] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    family_of: dict[Path, Family] = field(default_factory=dict)  # test file -> the family its tests ran against
    now: datetime | None = None  # the run's "now" for tests whose file gives none

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def exit_code(self) -> int:
        if self.invalid:
            return EXIT_INVALID
        return EXIT_FAILED if self.failed else EXIT_PASSED


def run_tests(paths: list[str], policies_root: Path | None, explain: bool = False) -> TestRun:
    """Run the test files `paths` stand for (see find_test_files); `explain` keeps the
    outcomes each rule tried, which coverage reads."""
    files, invalid = find_test_files(paths, policies_root)
    resolver = FamilyResolver(policies_root)
    now = datetime.now(timezone.utc)
    run = TestRun(invalid=list(invalid), now=now)
    for path in files:
        try:
            test_file = load_test_file(path, shown_path(path) if not paths else str(path))
            family = resolver.family_for(test_file)
            problems = check_with_family(test_file, family)
            if problems:
                raise InvalidTestFile(problems)
        except SlaError as exc:
            run.invalid += exc.problems
            continue
        if all(f is not family for f in run.families):
            run.families.append(family)
        run.family_of[path] = family
        run.results += [run_test(test, family, now, explain) for test in test_file.tests]
    return run


def run_command(paths: list[str], policies_root: Path | None, stdout: TextIO, stderr: TextIO,
                verbose: bool = False) -> int:
    """`sla test [PATH...]`: run policy test files. PATHs are test files or folders (default:
    every FAMILY/tests/*.yaml under the policy root: --policies, $SLA_POLICIES, a policies/
    folder here or above, the bundled policies). Families are looked up in `policies_root`
    when given, else beside each test file, else in that root. Prints each failure, then
    `N passed, M failed`. Returns 0 when all pass, 1 when some fail, 2 when a test file (or
    the policy it names) is invalid."""
    run = run_tests(paths, policies_root)
    write_text(run, stdout, stderr, verbose)
    return run.exit_code


def write_text(run: TestRun, stdout: TextIO, stderr: TextIO, verbose: bool = False) -> None:
    """The human-readable report: failures (and passes with `verbose`), then the counts."""
    for result in run.results:
        if result.passed:
            if verbose:
                stdout.write(f"passed {result.test.where}: {result.test.name}\n")
        else:
            stdout.write(format_failure(result))
    for problem in run.invalid:
        stderr.write(problem.render() + "\n")
    stdout.write(f"{run.passed} passed, {run.failed} failed\n")
    if run.invalid:
        stderr.write(f"{len(run.invalid)} problem(s) in test files; those files were not run\n")


def count_tests(paths: list[str], policies_root: Path | None = None) -> int:
    """How many tests the files hold (for checks and summaries)."""
    files, _ = find_test_files(paths, policies_root)
    return sum(len(load_test_file(p).tests) for p in files)


__all__ = [
    "InvalidTestFile", "PolicyTest", "PolicyTestFile", "PolicyTestResult", "Mismatch", "ClauseRef",
    "FamilyResolver", "load_test_file", "check_with_family", "find_test_files", "is_policy_test_path",
    "run_test", "run_tests", "TestRun", "write_text", "format_failure", "run_command", "same", "show", "count_tests",
    "EXIT_PASSED", "EXIT_FAILED",
    "EXIT_INVALID",
]
