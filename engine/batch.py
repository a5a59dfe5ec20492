"""Evaluating whole files: read, validate, evaluate, and account for every record.

Counts always add up: every record read is either decided or rejected with the
reasons, and decisions keep input order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, TextIO

from .errors import Problem, RecordError
from .evaluate import Decision, Options, evaluate
from .inputs import InputProblem, RawRecord, expand, read_records
from .policy import Family
from .records import RecordProblems, parse_record, record_problems


@dataclass
class Batch:
    decisions: list[Decision] = field(default_factory=list)
    rejected: list[list[Problem]] = field(default_factory=list)  # one list of problems per rejected record or file
    read: int = 0

    @property
    def problems(self) -> list[Problem]:
        return [p for group in self.rejected for p in group]


def evaluate_files(paths: Iterable[str], family: Family, options: Options, stdin: TextIO | None = None) -> Batch:
    """Decide every record in `paths` (files, directories or `-`)."""
    batch = Batch()
    seen: dict[str, str] = {}
    for name in expand(list(paths)):
        try:
            for raw in read_records(name, stdin):
                batch.read += 1
                if isinstance(raw, Problem):
                    batch.rejected.append([raw])
                else:
                    _one(raw, family, options, batch, seen)
        except InputProblem as exc:
            batch.read += 1  # the unreadable rest of the file counts as one rejected input, so counts add up
            batch.rejected.append([exc.problem])
    return batch


def _one(raw: RawRecord, family: Family, options: Options, batch: Batch, seen: dict[str, str]) -> None:
    problems = record_problems(raw.data, raw.source)
    if problems:
        batch.rejected.append(problems)
        return
    try:
        record = parse_record(raw.data, raw.source)
    except RecordProblems as exc:
        batch.rejected.append(exc.problems)
        return
    where = f"{raw.source.file}:{raw.source.line}" if raw.source.line else raw.source.file
    if record.id in seen:
        batch.rejected.append([Problem(f"duplicate record id (first at {seen[record.id]})", file=raw.source.file,
                                       line=raw.source.line_of(("id",)), record=record.id, path=("id",))])
        return
    seen[record.id] = where
    try:
        batch.decisions.append(evaluate(record, family, options))
    except RecordError as exc:
        batch.rejected.append(exc.problems)
