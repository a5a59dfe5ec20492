"""`sla test` for machines and for coverage: JUnit XML and JSON reports (like `opa test
--format`), and which rule outcomes no policy test reaches (like `opa test --coverage`).

Coverage counts, for every revision a test ran against, each outcome of each rule: an
outcome is reached when some test's decision has that rule's finding from that outcome
(the outcome tried last, since the first that holds decides). A rule that never fired
for its record type leaves all its outcomes unreached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, TextIO
from xml.sax.saxutils import escape, quoteattr

from engine.exact import decimal_text
from engine.policy.family import Family, Revision
from engine.policy.testing import PolicyTestResult, TestRun, format_failure, shown_path


@dataclass(frozen=True)
class OutcomeRef:
    """One outcome of one rule of one revision."""

    revision: Revision
    rule: str
    index: int
    outcome: str
    reason: str | None
    line: int | None

    @property
    def key(self) -> tuple[int, str, int]:
        return (id(self.revision), self.rule, self.index)

    def to_json(self) -> dict[str, Any]:
        out = {"policy": self.revision.family, "revision": self.revision.revision, "file": str(self.revision.path),
               "line": self.line, "rule": self.rule, "outcome_index": self.index, "outcome": self.outcome}
        if self.reason:
            out["reason"] = self.reason
        return out

    def render(self) -> str:
        file = shown_path(self.revision.path)
        where = f"{file}:{self.line}" if self.line else file
        reason = f" ({self.reason})" if self.reason else ""
        return f"{where}: {self.rule} outcome {self.index + 1}: {self.outcome}{reason}"


@dataclass(frozen=True)
class Coverage:
    outcomes: tuple[OutcomeRef, ...]
    reached: frozenset[tuple[int, str, int]]

    @property
    def missed(self) -> list[OutcomeRef]:
        return [o for o in self.outcomes if o.key not in self.reached]

    @property
    def percent(self) -> str:
        if not self.outcomes:
            return "100"
        share = Fraction(100 * (len(self.outcomes) - len(self.missed)), len(self.outcomes))
        return decimal_text(Fraction(int(share * 10), 10))  # one decimal place, truncated

    def to_json(self) -> dict[str, Any]:
        return {"outcomes": len(self.outcomes), "reached": len(self.outcomes) - len(self.missed),
                "percent": self.percent, "not_reached": [o.to_json() for o in self.missed]}

    def render(self) -> str:
        lines = [f"coverage: {len(self.outcomes) - len(self.missed)} of {len(self.outcomes)} rule outcomes "
                 f"reached by a test ({self.percent}%)"]
        if self.missed:
            lines.append("not reached by any test:")
            lines += [f"  {o.render()}" for o in self.missed]
        return "\n".join(lines) + "\n"


def outcomes_of(families: Iterable[Family]) -> list[OutcomeRef]:
    """Every outcome of every rule of every revision, in file order."""
    out = []
    for family in families:
        for revision in family.revisions:
            for i, rule in enumerate(revision.data["rules"]):
                for j, spec in enumerate(rule["outcomes"]):
                    out.append(OutcomeRef(revision, rule["id"], j, spec["outcome"], spec.get("reason"),
                                          revision.line_of("rules", i, "outcomes", j)))
    return out


def coverage(run: TestRun) -> Coverage:
    """Which outcomes the run's decisions reached (the run must have been made with explain
    on, so each finding knows how many outcomes its rule tried)."""
    reached = set()
    for result in run.results:
        if result.decision is None:
            continue
        for finding in result.decision.findings:
            if finding.steps:
                reached.add((id(finding.revision), finding.rule, len(finding.steps) - 1))
    return Coverage(tuple(outcomes_of(run.families)), frozenset(reached))


def write_json(run: TestRun, out: TextIO, cover: Coverage | None = None) -> None:
    """One JSON object: every test with its outcome and mismatches, the counts, invalid files."""
    data: dict[str, Any] = {
        "passed": run.passed, "failed": run.failed,
        "tests": [_test_json(r) for r in run.results],
        "invalid": [{"file": p.file, "line": p.line, "message": p.message, "text": p.render()} for p in run.invalid],
    }
    if cover is not None:
        data["coverage"] = cover.to_json()
    out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _test_json(result: PolicyTestResult) -> dict[str, Any]:
    test = result.test
    return {"file": test.file, "line": test.line, "name": test.name, "passed": result.passed,
            "mismatches": [{"key": m.key, "expected": m.expected, "actual": m.actual, "line": m.line,
                            "clauses": [f"{c.clause}@{c.revision.revision}" for c in m.clauses]}
                           for m in result.mismatches]}


def write_junit(run: TestRun, out: TextIO) -> None:
    """JUnit XML, one suite per test file, as CI test reporters read it. No times, so the
    same tests give the same file."""
    suites: dict[str, list[PolicyTestResult]] = {}
    for result in run.results:
        suites.setdefault(result.test.file, []).append(result)
    errors_by_file: dict[str, list[str]] = {}
    for problem in run.invalid:
        errors_by_file.setdefault(problem.file or "(unknown)", []).append(problem.render())
    total_errors = sum(len(v) for v in errors_by_file.values())
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<testsuites name="sla test" tests="{len(run.results) + total_errors}" failures="{run.failed}" '
              f'errors="{total_errors}">\n')
    for file, results in suites.items():
        failures = sum(not r.passed for r in results)
        out.write(f'  <testsuite name={quoteattr(file)} tests="{len(results)}" failures="{failures}" errors="0" '
                  f'skipped="0">\n')
        for result in results:
            test = result.test
            attrs = f'classname={quoteattr(file)} name={quoteattr(test.name)} file={quoteattr(test.file)}'
            if test.line:
                attrs += f' line="{test.line}"'
            if result.passed:
                out.write(f"    <testcase {attrs}/>\n")
            else:
                first = result.mismatches[0]
                message = f"{first.key}: expected {first.expected}, actual {first.actual}"
                out.write(f"    <testcase {attrs}><failure type=\"mismatch\" message={quoteattr(message)}>"
                          f"{escape(format_failure(result))}</failure></testcase>\n")
        out.write("  </testsuite>\n")
    for file, texts in errors_by_file.items():
        out.write(f'  <testsuite name={quoteattr(file)} tests="{len(texts)}" failures="0" errors="{len(texts)}" '
                  f'skipped="0">\n')
        for text in texts:
            out.write(f"    <testcase classname={quoteattr(file)} name=\"(invalid test file)\">"
                      f"<error type=\"invalid\" message={quoteattr(text)}/></testcase>\n")
        out.write("  </testsuite>\n")
    out.write("</testsuites>\n")
