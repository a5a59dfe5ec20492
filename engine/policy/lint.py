"""Semantic checks of policy revisions, beyond what the schema can say.

`sla validate` answers "can the engine load this?"; `sla lint` also asks "does
it make sense?": tiers that overlap or whose credit does not rise as uptime
falls, rules comparing a severity or channel with a value the policy does not
define, revisions whose names and effective dates disagree in order. Every
problem names its file, line and path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from engine.errors import PathPart, PolicyError, Problem
from engine.exact import decimal_text, to_fraction
from engine.policy import clauseparams
from engine.policy.family import Family, Revision, check_family, load_revision
from engine.io.schemas import did_you_mean
from engine.lang import ast

# Operands whose values the policy enumerates: literal values compared with them must exist.
_SEVERITY = {("field", "severity"), ("fact", "severity"), ("fact", "current_severity"),
             ("fact", "clock_severity"), ("fact", "escalated_to")}
_CHANNEL = {("field", "channel"), ("fact", "channel")}
_CURRENCY = {("field", "contract.currency"), ("fact", "currency")}
_COMPARE = ("eq", "ne", "in", "not_in")


def lint_paths(paths: list[Path]) -> tuple[list[Problem], int]:
    """Load and lint every revision under `paths` (files, family folders or policy roots).
    Returns every problem and the number of revision files read."""
    problems: list[Problem] = []
    families: dict[Path, list[Revision]] = {}
    count = 0
    for file in _revision_files(paths):
        count += 1
        try:
            revision = load_revision(file)
        except PolicyError as exc:
            problems += exc.problems
            continue
        problems += list(lint_revision(revision))
        families.setdefault(file.parent, []).append(revision)
    for folder, revisions in families.items():
        problems += check_family(folder, revisions)
        problems += list(lint_family(Family(folder.name, revisions)))
    if count == 0:
        problems.append(Problem("no policy revision files (*.yaml) found", file=", ".join(map(str, paths))))
    return problems, count


def _revision_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_file():
            files.append(path)
        elif any(path.glob("*.yaml")):
            files += sorted(path.glob("*.yaml"))
        else:
            files += sorted(path.glob("*/*.yaml"))
    return files


def lint_revision(revision: Revision) -> Iterator[Problem]:
    """Every semantic problem in one revision."""
    yield from _tiers(revision)
    yield from _rule_literals(revision)
    yield from clauseparams.check_revision(revision)


def lint_family(family: Family) -> Iterator[Problem]:
    """Revisions must be named in the order they take effect, and a parameter that changed
    from the previous revision must come with a changed text of the clause stating it."""
    for earlier, later in zip(family.revisions, family.revisions[1:]):
        yield from clauseparams.check_change(earlier, later)
    by_name = sorted(family.revisions, key=lambda r: r.revision)
    for earlier, later in zip(by_name, by_name[1:]):
        if later.effective < earlier.effective:
            yield _at(later, ("effective",),
                      f"revision {later.revision} takes effect on {later.effective}, not after revision "
                      f"{earlier.revision} ({earlier.effective}); effective dates must follow the revisions' order")


def _at(revision: Revision, path: tuple[PathPart, ...], message: str) -> Problem:
    return Problem(message, file=str(revision.path), line=revision.line_of(*path), path=path)


def _tiers(revision: Revision) -> Iterator[Problem]:
    rows = revision.data["credits"]["tiers"]
    seen: dict[Any, int] = {}
    for i, row in enumerate(rows):
        below = to_fraction(row["below"])
        if below in seen:
            yield _at(revision, ("credits", "tiers", i, "below"),
                      f"tier below {decimal_text(below)}% overlaps tiers[{seen[below]}] (same threshold); "
                      f"each threshold may appear once")
        seen.setdefault(below, i)
    ordered = sorted(enumerate(rows), key=lambda item: to_fraction(item[1]["below"]), reverse=True)
    for (_, higher), (j, lower) in zip(ordered, ordered[1:]):
        if to_fraction(lower["below"]) == to_fraction(higher["below"]):
            continue
        if to_fraction(lower["percent"]) <= to_fraction(higher["percent"]):
            yield _at(revision, ("credits", "tiers", j, "percent"),
                      f"credit {lower['percent']}% below {lower['below']}% does not rise above the "
                      f"{higher['percent']}% of the tier below {higher['below']}%; credits must rise as uptime falls")
    for i, row in enumerate(rows):
        if to_fraction(row["percent"]) == 0:
            yield _at(revision, ("credits", "tiers", i, "percent"),
                      f"tier below {row['below']}% grants 0%: a gap in the credit table; remove the row")


def _rule_literals(revision: Revision) -> Iterator[Problem]:
    """Literals compared with a severity, channel or currency must be ones the revision defines."""
    vocab = {
        "severity": (sorted(revision.severities), "severity"),
        "channel": (sorted(revision.case_channels), "channel"),
        "currency": (sorted(revision.currencies), "currency"),
    }
    rules = sorted((rule for rules in revision.rules.values() for rule in rules), key=lambda r: r.index)
    for rule in rules:
        for outcome in rule.outcomes:
            if outcome.when is None:
                continue
            for node in ast.walk(outcome.when.node):
                if not isinstance(node, (ast.Compare, ast.In)) or node.op not in _COMPARE:
                    continue
                yield from _enumerated(revision, rule.id, node, vocab)


def _enumerated(revision: Revision, rule: str, node: ast.Compare | ast.In,
                vocab: dict[str, tuple[list[Any], str]]) -> Iterator[Problem]:
    sides = (node.left, node.right) if isinstance(node, ast.Compare) else (node.item, node.container)
    for side, other in ((0, 1), (1, 0)):
        kind = _kind(sides[side])
        if kind is None or not isinstance(sides[other], ast.Literal):
            continue
        raw = sides[other].raw  # type: ignore[union-attr]
        literals = raw if isinstance(node, ast.In) and other == 1 else [raw]
        if not isinstance(literals, list) or any(isinstance(v, dict) for v in literals):
            continue
        allowed, what = vocab[kind]
        for value in literals:
            if value not in allowed:
                names = [str(a) for a in allowed]
                yield _at(revision, node.at.path + (node.op, other),
                          f"rule {rule} compares with {what} {value!r}, which this revision does not define"
                          f"{did_you_mean(str(value), names)}; defined: {', '.join(names)}")


def _kind(operand: ast.Node) -> str | None:
    if not isinstance(operand, (ast.Field, ast.Fact)):
        return None
    key = ("field" if isinstance(operand, ast.Field) else "fact", operand.name)
    if key in _SEVERITY:
        return "severity"
    if key in _CHANNEL:
        return "channel"
    if key in _CURRENCY:
        return "currency"
    return None
