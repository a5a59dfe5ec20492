"""Evaluating whole files: read, validate, evaluate, and account for every record.

Counts always add up: every record read is either decided or rejected with the
reasons (read = evaluated + rejected), and decisions keep input order.
`decide_files` yields them one by one as it reads, so a caller can stream a
file of any size; `evaluate_files` collects them for callers that want a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, TextIO

from engine.errors import Problem, RecordError
from engine.core.evaluate import Decision, Options, evaluate
from engine.io.inputs import InputProblem, expand, read_records
from engine.policy.family import Family
from engine.core.records import RecordProblems, Source, parse_record, record_problems
from engine.io.nearids import NearIds, near_message
from engine.io.seenids import SeenIds


@dataclass(frozen=True)
class Rejected:
    """A record (or the unreadable rest of a file) that was not decided, and why."""

    problems: tuple[Problem, ...]


@dataclass
class Tally:
    """Running counts of a batch: read = evaluated + rejected at every step."""

    read: int = 0
    evaluated: int = 0
    rejected: int = 0
    failing: int = 0  # decisions with a breached or violation finding
    warnings: list[str] = field(default_factory=list)  # near-duplicate ids, for the caller to print and clear


@dataclass
class Batch:
    decisions: list[Decision] = field(default_factory=list)
    rejected: list[list[Problem]] = field(default_factory=list)  # one list of problems per rejected record or file
    read: int = 0

    @property
    def problems(self) -> list[Problem]:
        return [p for group in self.rejected for p in group]


def decide_files(paths: Iterable[str], family: Family, options: Options, stdin: TextIO | None = None,
                 tally: Tally | None = None, near_duplicates: bool = False) -> Iterator[Decision | Rejected]:
    """Every record in `paths` (files, directories or `-`), decided or rejected,
    lazily and in input order. `tally`, when given, is kept up to date; with
    `near_duplicates`, an id that differs from an earlier one only by spaces, case
    or look-alike characters adds a warning to `tally.warnings`."""
    tally = tally if tally is not None else Tally()
    near = NearIds() if near_duplicates else None
    try:
        yield from _decide_files(paths, family, options, stdin, tally, near)
    finally:
        if near is not None:
            near.close()


def _decide_files(paths: Iterable[str], family: Family, options: Options, stdin: TextIO | None, tally: Tally,
                  near: NearIds | None) -> Iterator[Decision | Rejected]:
    with SeenIds() as seen:
        for name in expand(list(paths)):
            try:
                for raw in read_records(name, stdin):
                    tally.read += 1
                    item = Rejected((raw,)) if isinstance(raw, Problem) else decide_one(raw.data, raw.source, family, options, seen)
                    if near is not None and not isinstance(item, Rejected):
                        _near(near, item, tally)
                    _count(tally, item)
                    yield item
            except InputProblem as exc:
                tally.read += 1  # the unreadable rest of the file counts as one rejected input, so counts add up
                item = Rejected((exc.problem,))
                _count(tally, item)
                yield item


def _near(near: NearIds, decision: Decision, tally: Tally) -> None:
    source = decision.record.source
    place = f"{source.file}:{source.line}" if source.line else str(source.file)
    earlier = near.earlier(decision.record.id, place)
    if earlier is not None:
        tally.warnings.append(f"{place}: warning: {near_message(decision.record.id, earlier)}")


def _count(tally: Tally, item: Decision | Rejected) -> None:
    if isinstance(item, Rejected):
        tally.rejected += 1
    else:
        tally.evaluated += 1
        tally.failing += item.failing


def evaluate_files(paths: Iterable[str], family: Family, options: Options, stdin: TextIO | None = None) -> Batch:
    """Decide every record in `paths`, collected in memory (see `decide_files` to stream)."""
    batch = Batch()
    tally = Tally()
    for item in decide_files(paths, family, options, stdin, tally):
        if isinstance(item, Rejected):
            batch.rejected.append(list(item.problems))
        else:
            batch.decisions.append(item)
    batch.read = tally.read
    return batch


def decide_one(data: object, source: Source, family: Family, options: Options, seen: SeenIds) -> Decision | Rejected:
    """One record's data, checked, parsed, deduplicated by id and decided, or rejected with every reason."""
    problems = record_problems(data, source)
    if problems:
        return Rejected(tuple(problems))
    try:
        record = parse_record(data, source)
    except RecordProblems as exc:
        return Rejected(tuple(exc.problems))
    first = seen.first_seen(record.id, source.file, source.line)
    if first is not None:
        return Rejected((Problem(f"duplicate record id (first at {first})", file=source.file,
                                 line=source.line_of(("id",)), record=record.id, path=("id",)),))
    try:
        return evaluate(record, family, options)
    except RecordError as exc:
        return Rejected(tuple(exc.problems))
