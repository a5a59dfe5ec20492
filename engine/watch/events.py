"""Reading the watcher's input: one JSON object per line, checked, with its line.

A line is either a submitted case

    {"type": "case_submitted", "case": {CASE RECORD}}

(a case record of `schemas/records/case.schema.json`; its `type` may be left
out, its `events` are optional and count as having happened), or an event of an
open case

    {"type": T, "case_id": ID, "at": INSTANT, ...}

with T one of the case record's event types (`automated_reply`,
`human_response` with `via`, `severity_change` with `to`,
`critical_support_request` with `via`; an optional `note`) or `case_closed`.
The fields are the case record's, checked by the same schema, so a line that
would be a bad event inside a case record is a bad line here, with the same
message. What needs the case (is it open? is time going backwards? is that
severity one the case's revision defines?) is checked by the watcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.errors import Problem
from engine.io.jsontext import decode as decode_json
from engine.core.records import Record, RecordProblems, Source, parse_record, record_problems
from engine.io.schemas import did_you_mean
from engine.timeutil import TimeFormatError, parse_instant
from engine.watch.rules import case_event_types

SUBMITTED, CLOSED = "case_submitted", "case_closed"


def watch_types() -> tuple[str, ...]:
    return (SUBMITTED, *case_event_types(), CLOSED)


@dataclass(frozen=True)
class Submitted:
    record: Record
    line: int


@dataclass(frozen=True)
class CaseEvent:
    """An event of an open case, in the form it takes inside a case record."""

    case_id: str
    at: datetime
    event: dict[str, Any]  # {type, at, via?, to?, note?}
    line: int

    @property
    def type(self) -> str:
        return self.event["type"]


@dataclass(frozen=True)
class Closed:
    case_id: str
    at: datetime
    line: int


Parsed = Submitted | CaseEvent | Closed


def parse_line(text: str, file: str, line: int) -> Parsed | list[Problem]:
    """One input line as a submitted case, a case event or a closing, or the problems with it."""
    where = {"file": file, "line": line}
    try:
        data = decode_json(text)
    except ValueError as exc:
        return [Problem(f"not valid JSON: {exc}", **where)]
    if not isinstance(data, dict):
        return [Problem(f"an event is a JSON object; got {type(data).__name__}", **where)]
    kind = data.get("type")
    types = watch_types()
    if kind not in types:
        hint = did_you_mean(kind, list(types)) if isinstance(kind, str) else ""
        message = "missing field 'type'" if kind is None else f"unknown event type {kind!r}{hint}"
        return [Problem(f"{message}; expected one of {', '.join(types)}", path=("type",), **where)]
    if kind == SUBMITTED:
        return _submitted(data, file, line)
    return _case_event(data, file, line)


def submitted_id(text: str) -> str | None:
    """The case id a case_submitted line names, if it names one (to say later why
    events of a case whose submission was refused are not taken)."""
    try:
        data = decode_json(text)
    except ValueError:
        return None
    case = data.get("case") if isinstance(data, dict) and data.get("type") == SUBMITTED else None
    case_id = case.get("id") if isinstance(case, dict) else None
    return case_id if isinstance(case_id, str) else None


def _submitted(data: dict[str, Any], file: str, line: int) -> Submitted | list[Problem]:
    where = {"file": file, "line": line}
    extra = sorted(set(data) - {"type", "case"})
    if extra:
        return [Problem(f"unknown key {extra[0]!r}; a case_submitted line has only 'type' and 'case'", path=(extra[0],), **where)]
    raw = data.get("case")
    if not isinstance(raw, dict):
        return [Problem("missing the case record: expected {\"type\": \"case_submitted\", \"case\": {...}}", path=("case",), **where)]
    if raw.get("type", "case") != "case":
        return [Problem(f"a case_submitted line holds a case record (type 'case'); got type {raw['type']!r}",
                        path=("case", "type"), **where)]
    raw = {"type": "case", **raw}
    source = Source(file, line)
    problems = record_problems(raw, source)
    if problems:
        return _prefixed(problems, "case")
    try:
        return Submitted(parse_record(raw, source), line)
    except RecordProblems as exc:
        return _prefixed(exc.problems, "case")


def _prefixed(problems: list[Problem], prefix: str) -> list[Problem]:
    return [Problem(p.message, file=p.file, line=p.line, path=(prefix, *p.path), record=p.record) for p in problems]


def _case_event(data: dict[str, Any], file: str, line: int) -> CaseEvent | Closed | list[Problem]:
    where = {"file": file, "line": line}
    case_id = data.get("case_id")
    record = case_id if isinstance(case_id, str) else None
    if not isinstance(case_id, str) or not case_id:
        return [Problem("missing or empty 'case_id': the id of a submitted case, e.g. \"CASE-1001\"", path=("case_id",), record=record, **where)]
    if "at" not in data:
        return [Problem("missing required field 'at'", path=("at",), record=case_id, **where)]
    event = {k: v for k, v in data.items() if k != "case_id"}
    if data["type"] == CLOSED:
        extra = sorted(set(event) - {"type", "at", "note"})
        if extra:
            return [Problem(f"unknown key {extra[0]!r}{did_you_mean(extra[0], ['at', 'note'])}; a case_closed line has "
                            f"type, case_id, at and an optional note", path=(extra[0],), record=case_id, **where)]
        at = _instant(event["at"], case_id, where)
        return at if isinstance(at, list) else Closed(case_id, at, line)
    # The event's fields are those of an event inside a case record: check it there.
    probe = {"type": "case", "id": case_id, "customer": "-", "severity": 1, "channel": "phone",
             "submitted_at": event["at"] if isinstance(event["at"], str) else "1970-01-01T00:00:00Z", "events": [event]}
    problems = [Problem(p.message, path=p.path[2:] if p.path[:1] == ("events",) else ("case_id",), record=case_id, **where)
                for p in record_problems(probe, Source(file, line)) if p.path[:2] == ("events", 0) or p.path == ("id",)]
    if problems:
        return problems
    at = _instant(event["at"], case_id, where)
    return at if isinstance(at, list) else CaseEvent(case_id, at, event, line)


def _instant(text: Any, case_id: str, where: dict[str, Any]) -> datetime | list[Problem]:
    try:
        return parse_instant(text)
    except TimeFormatError as exc:
        return [Problem(str(exc), path=("at",), record=case_id, **where)]
