"""The record types (case, uptime month, credit claim): checked against their JSON
Schema, then parsed into typed values (aware datetimes, exact money) so the core
never sees a string where it needs a time or a number.

Checks that depend on a policy (is severity 5 defined? is `reporting` a known
function?) are in `check_against`, run once the revision is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, Mapping, TYPE_CHECKING

from engine.errors import PathPart, Problem
from engine.exact import to_fraction
from engine.io.schemas import CONTROL_CHARACTERS, RECORD_TYPES, did_you_mean, iter_problems, record_schema_name, schema, surely_valid
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
def record_fields(record_type: str) -> frozenset[str]:
    """The dotted field paths a rule of `record_type` may read (`{field: contract.billing}`),
    from the record's schema (read on first use, so importing the core opens no file)."""
    return frozenset(_field_paths(schema(record_schema_name(record_type))))


# Ids and customers are printed inside one-line errors and table rows: a line
# break or control character in one would split or forge lines (CR, ESC...).
_CONTROL = CONTROL_CHARACTERS
_SCHEMA_NAME = {rtype: record_schema_name(rtype) for rtype in RECORD_TYPES}
_PRINTED = ("id", "customer", "support_case")


def _unprintable(raw: dict[str, Any], source: Source) -> list[Problem]:
    return [Problem(f"{raw[key]!r} holds a line break or control character; it is printed on one line, so write it without",
                    file=source.file, line=source.line_of((key,)), path=(key,))
            for key in _PRINTED if isinstance(raw.get(key), str) and _CONTROL.search(raw[key])]


def record_problems(raw: Any, source: Source) -> list[Problem]:
    """Schema problems of one raw record, each with file, line, record id and path."""
    rid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    if rid is not None and _CONTROL.search(rid):
        rid = None  # never printed as it is (see _unprintable)
    where = dict(file=source.file, record=rid)
    if not isinstance(raw, dict):
        return [Problem(f"a record is a JSON object; got {type(raw).__name__}", line=source.line, **where)]
    rtype = raw.get("type")
    if rtype not in RECORD_TYPES:
        options = ", ".join(RECORD_TYPES)
        hint = did_you_mean(rtype, list(RECORD_TYPES)) if isinstance(rtype, str) else ""
        message = "missing field 'type'" if rtype is None else f"unknown record type {rtype!r}{hint}"
        return [Problem(f"{message}; expected one of {options}", line=source.line_of(("type",)), path=("type",), **where)]
    unprintable = _unprintable(raw, source)
    if not unprintable and surely_valid(_SCHEMA_NAME[rtype], raw):
        return []
    return unprintable + [p.located(line=source.line_of(p.path), **where) for p in iter_problems(_SCHEMA_NAME[rtype], raw)]


def parse_record(raw: Mapping[str, Any], source: Source) -> Record:
    """A schema-valid raw record as a typed Record. Raises RecordProblems."""
    problems: list[Problem] = []

    def fail(message: str, path: tuple[PathPart, ...]) -> None:
        problems.append(Problem(message, file=source.file, line=source.line_of(path), record=raw["id"], path=path))

    def instant(path: tuple[PathPart, ...], text: str) -> datetime | None:
        try:
            parsed = parse_instant(text)
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
    """Values a policy defines: severities, channels, functions, causes, contracts, currencies."""
    problems: list[Problem] = []

    def fail(message: str, path: tuple[PathPart, ...]) -> None:
        problems.append(Problem(f"{message} (policy {revision.label})", file=record.source.file,
                                line=record.source.line_of(path), record=record.id, path=path))

    def known(value: Any, allowed: Any, what: str, path: tuple[PathPart, ...]) -> None:
        if value not in allowed:
            names = sorted(map(str, allowed))
            fail(f"unknown {what} {value!r}{did_you_mean(str(value), names)}; expected one of {', '.join(names)}", path)

    f = record.fields
    if record.type == "case":
        known(f["severity"], revision.severities, "severity", ("severity",))
        known(f["channel"], revision.case_channels, "channel", ("channel",))
        for ev in record.events:
            if ev.type == "severity_change":
                known(ev.to, revision.severities, "severity", ("events", ev.index, "to"))
            elif ev.type == revision.initial_response.event and ev.via is not None:
                known(ev.via, revision.response_channels, "response channel", ("events", ev.index, "via"))
            elif ev.via is not None:
                known(ev.via, revision.case_channels, "channel", ("events", ev.index, "via"))
    causes = revision.attributable_causes | revision.excluded_causes
    for out in record.outages:
        for j, name in enumerate(out.functions):
            known(name, revision.functions, "function", ("outages", out.index, "functions", j))
        known(out.cause, causes, "cause", ("outages", out.index, "cause"))
    if record.type == "credit_claim":
        contract = f["contract"]
        known(contract["currency"], revision.currencies, "currency", ("contract", "currency"))
        terms = revision.contracts.get(contract["billing"])
        if terms is not None and terms.base_field not in contract:
            fail(f"a {contract['billing']} contract needs {terms.base_field}", ("contract",))
    return problems
