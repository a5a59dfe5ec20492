"""The record types (case, uptime month, credit claim): checked against their JSON
Schema, then parsed into typed values (aware datetimes, exact money) so the core
never sees a string where it needs a time or a number.

Checks that depend on a policy (is severity 5 defined? is `reporting` a known
function?) are in `check_against`, run once the revision is known.
"""

from __future__ import annotations

import itertools

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, Mapping, TYPE_CHECKING

from engine.errors import PathPart, Problem
from engine.exact import to_fraction
from engine import kinds
from engine.io.schemas import CONTROL_CHARACTERS, Uncounted, did_you_mean, iter_problems, schema, surely_valid
from engine.timeutil import TimeFormatError, parse_instant, parse_month

if TYPE_CHECKING:
    from engine.policy.family import Revision


@dataclass(frozen=True)
class Source:
    """Where a record came from, for error messages."""

    file: str
    line: int | None = None
    index: int | None = None
    lines: Mapping[tuple[PathPart, ...], int] | None = None  # per-path lines (YAML input)

    def line_of(self, path: tuple[PathPart, ...]) -> int | None:
        if self.lines:
            path = tuple(path)
            while path:
                if path in self.lines:
                    return self.lines[path]
                path = path[:-1]
        return self.line


@dataclass(frozen=True)
class Event:
    type: str
    at: datetime
    via: str | None
    to: int | None
    index: int


@dataclass(frozen=True)
class Outage:
    start: datetime
    end: datetime
    functions: tuple[str, ...]
    cause: str
    index: int


@dataclass(frozen=True)
class Record:
    """One validated input record. `fields` is the record with typed values, which
    rule conditions read through `{field: ...}`."""

    type: str
    id: str
    customer: str
    fields: Mapping[str, Any]
    source: Source
    raw: Mapping[str, Any]
    events: tuple[Event, ...] = ()
    outages: tuple[Outage, ...] = ()


def _field_paths(schema: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths of a record schema's object properties (arrays are not addressable)."""
    out: set[str] = set()
    for key, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{key}"
        out.add(path)
        if sub.get("type") == "object":
            out |= _field_paths(sub, path + ".")
    return out


@lru_cache(maxsize=None)
def record_fields(kind: str) -> frozenset[str]:
    """The dotted field paths a rule of record kind `kind` may read (`{field: contract.billing}`),
    from the kind's schema (read on first use, so importing the core opens no file)."""
    return frozenset(_field_paths(schema(kinds.get(kind).schema)))


kinds.on_change(record_fields.cache_clear)


# Ids and customers are printed inside one-line errors and table rows: a line
# break or control character in one would split or forge lines (CR, ESC...).
_CONTROL = CONTROL_CHARACTERS
_PRINTED = ("id", "customer", "support_case")


def _unprintable(raw: dict[str, Any], source: Source) -> list[Problem]:
    return [Problem(f"{raw[key]!r} holds a line break or control character; it is printed on one line, so write it without",
                    file=source.file, line=source.line_of((key,)), path=(key,))
            for key in _PRINTED if isinstance(raw.get(key), str) and _CONTROL.search(raw[key])]


def printed_id(value: Any) -> str | None:
    """`value` as the record id a one-line error names: text without a line break or control
    character (see _unprintable), else None."""
    return value if isinstance(value, str) and not _CONTROL.search(value) else None


def record_problems(raw: Any, source: Source) -> list[Problem]:
    """Schema problems of one raw record, each with file, line, record id and path."""
    rid = printed_id(raw.get("id")) if isinstance(raw, dict) else None
    where = dict(file=source.file, record=rid)
    if not isinstance(raw, dict):
        return [Problem(f"a record is a JSON object; got {type(raw).__name__}", line=source.line, **where)]
    rtype = raw.get("type")
    known = kinds.names()
    if rtype not in known:
        options = ", ".join(known)
        hint = did_you_mean(rtype, list(known)) if isinstance(rtype, str) else ""
        message = "missing field 'type'" if rtype is None else f"unknown record type {rtype!r}{hint}"
        return [Problem(f"{message}; expected one of {options}", line=source.line_of(("type",)), path=("type",), **where)]
    unprintable = _unprintable(raw, source)
    name = kinds.get(rtype).schema
    if not unprintable and surely_valid(name, raw):
        return []
    uncounted = Uncounted()
    found = iter_problems(name, raw, uncounted)
    problems = unprintable + [p.located(line=source.line_of(p.path), **where)
                              for p in itertools.islice(found, max(PROBLEMS_PER_RECORD - len(unprintable), 0))]
    hidden = sum(1 for _ in found) + uncounted.more  # counted, never kept: memory does not grow per problem
    if hidden:
        problems.append(Problem(f"{hidden} more problem(s) in this record not shown (the first {len(problems)} are)",
                                line=source.line, **where))
    return problems


PROBLEMS_PER_RECORD = 20  # shown per record: a hostile record cannot make its rejection cost memory per problem


def parse_record(raw: Mapping[str, Any], source: Source) -> Record:
    """A schema-valid raw record as a typed Record. Raises RecordProblems."""
    problems: list[Problem] = []

    def fail(message: str, path: tuple[PathPart, ...]) -> None:
        problems.append(Problem(message, file=source.file, line=source.line_of(path), record=raw["id"], path=path))

    def instant(path: tuple[PathPart, ...], text: str) -> datetime | None:
        try:
            parsed = parse_instant(text)
            if not _SAFE_YEARS[0] < parsed.year < _SAFE_YEARS[1]:  # only there can an offset leave datetime's years
                parsed.astimezone(timezone.utc)  # 9999-12-31T23:59:59-01:00 is a valid text but no representable instant
            return parsed
        except TimeFormatError as exc:
            fail(str(exc), path)
        except OverflowError:
            fail(f"{text!r} falls outside the years 0001-9999 in UTC", path)
        return None

    fields: dict[str, Any] = dict(raw)
    events: list[Event] = []
    outages: list[Outage] = []
    if "month" in raw:
        try:
            parse_month(raw["month"])
        except TimeFormatError as exc:
            fail(str(exc), ("month",))
    if "submitted_at" in raw:
        fields["submitted_at"] = instant(("submitted_at",), raw["submitted_at"])
    for i, ev in enumerate(raw.get("events", [])):
        at = instant(("events", i, "at"), ev["at"])
        if at is not None and fields.get("submitted_at") is not None and at < fields["submitted_at"]:
            fail(f"event at {ev['at']} is before the case was submitted ({raw['submitted_at']})", ("events", i, "at"))
        events.append(_made(Event, {"type": ev["type"], "at": at, "via": ev.get("via"), "to": ev.get("to"), "index": i}))
    for i, out in enumerate(raw.get("outages", [])):
        start, end = instant(("outages", i, "start"), out["start"]), instant(("outages", i, "end"), out["end"])
        if start is not None and end is not None and end < start:
            fail(f"outage ends ({out['end']}) before it starts ({out['start']})", ("outages", i, "end"))
        outages.append(_made(Outage, {"start": start, "end": end, "functions": tuple(out["functions"]), "cause": out["cause"], "index": i}))
    if "contract" in raw:
        contract = dict(raw["contract"])
        for key in ("monthly_commitment", "annual_commitment"):
            if key in contract:
                contract[key] = to_fraction(contract[key])
        fields["contract"] = contract
    if problems:
        raise RecordProblems(problems)
    ordered = tuple(sorted(events, key=_EVENT_ORDER))
    return _made(Record, {"type": raw["type"], "id": raw["id"], "customer": raw["customer"], "fields": fields, "source": source,
                          "raw": raw, "events": ordered, "outages": tuple(outages)})


_EVENT_ORDER = attrgetter("at", "index")
_SAFE_YEARS = (1, 9999)  # strictly inside these, a UTC offset (under a day) cannot leave datetime's range
_new, _set = object.__new__, object.__setattr__


def _made(cls: type, fields: dict[str, Any]) -> Any:
    """A frozen dataclass instance equal to `cls(**fields)` (every field given),
    without its field-by-field __init__: records are made a million times a run."""
    instance = _new(cls)
    _set(instance, "__dict__", fields)
    return instance


class RecordProblems(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def check_against(record: Record, revision: "Revision") -> list[Problem]:
    """Values a policy defines (severities, channels, functions, causes, contracts,
    currencies), as the record's kind checks them."""
    return kinds.get(record.type).check(record, revision)
