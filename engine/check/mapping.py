"""Column mappings: how the rows of an export become records.

A mapping is a small YAML file (schema: schemas/check/mapping.schema.json,
bundled ones in mappings/) naming the source it is for (cases, outages,
contracts or claims) and either

- `format: core`: each row already is a record of the core format (a JSONL
  object, or a CSV row whose header names the fields, dotted for nested ones,
  with `csv:` saying which cells hold integers, JSON, lists or nulls), or
- `format: columns`: `fields` says which column holds each field and how its
  values translate (`values:`), and, for cases, `events` says which columns
  make which case events (an event whose `at` cell is empty did not happen).

Timestamps with a UTC offset are taken as they are. One written without an
offset is only read when the mapping declares the export's `timezone` (and its
`time_formats` when it is not ISO-like); otherwise it is the naive-time error
every record reader reports. Seconds may be left out (`2024-03-05 09:38`). A
date written with slashes or dots (`03/05/2024`) is read in the mapping's
`date_order`; without one, a date that reads two ways is an error naming both.
A local time that a daylight-saving change skips or repeats is an error too.
How the file is read (its `encoding`, its `delimiter` or sniffing) is declared
here and applied by engine/check/readers.py.

Everything here is pure: a row (column -> cell) in, a raw record dict out, or a
`RowError` naming the column of each problem.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping as MappingT

from engine.check.jsoncell import json_cell
from engine.io.documents import load_document
from engine.io.resources import mappings_dir
from engine.errors import PathPart, Problem, UsageError
from engine.io.schemas import did_you_mean
from engine.timeutil import TimeFormatError, iso, zone

SOURCES = ("cases", "outages", "contracts", "claims")
RECORD_TYPE = {"cases": "case", "claims": "credit_claim"}
MAPPING_SCHEMA = "check/mapping.schema.json"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_INTEGER = re.compile(r"^[+-]?\d+$")
# ISO-like, seconds optional, offset optional: 2024-03-05 09:38, 2024-03-05T09:38:30.5+01:00
_ISO_LIKE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
# a date with slashes or dots, then an optional time: 03/05/2024 09:38, 5.3.2024
_SLASHED = re.compile(r"^(\d{1,4})([/.])(\d{1,2})\2(\d{1,4})(?:[Tt ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
DATE_ORDERS = {"day-first": "DMY", "month-first": "MDY", "year-first": "YMD"}
_MISSING = object()


class RowError(Exception):
    """A row that cannot become a record: (path, message) pairs, the column named in each message;
    `record`, its id where that was read."""

    def __init__(self, problems: list[tuple[tuple[PathPart, ...], str]], record: str | None = None):
        self.problems, self.record = problems, record
        super().__init__("; ".join(m for _, m in problems))


@dataclass(frozen=True)
class FieldSpec:
    """Where one field comes from: a column (with its translation) or a constant."""

    column: str | None
    value: Any = None
    kind: str = "text"
    values: MappingT[str, Any] | None = None
    default: Any = _MISSING
    split: str | None = None

    @staticmethod
    def parse(spec: Any) -> "FieldSpec":
        if isinstance(spec, str):
            return FieldSpec(spec)
        if "value" in spec:
            return FieldSpec(None, spec["value"], "constant")
        values = {str(k): v for k, v in spec["values"].items()} if "values" in spec else None
        return FieldSpec(spec["column"], None, spec.get("type", "text"), values, spec.get("default", _MISSING), spec.get("split"))


@dataclass(frozen=True)
class EventSpec:
    type: str
    at: FieldSpec
    extra: tuple[tuple[str, FieldSpec], ...]  # via, to


@dataclass
class Mapping:
    """One loaded mapping, ready to turn rows into raw records."""

    name: str
    source: str
    path: str
    format: str
    tz: Any
    time_formats: tuple[str, ...]
    unknown_columns: str
    date_order: str | None = None  # day-first | month-first | year-first; None: not stated
    encoding: str = "utf-8-sig"
    delimiter: str | None = None  # None: by file type; "auto": sniffed from the header
    csv_integer: frozenset[str] = frozenset()
    csv_json: frozenset[str] = frozenset()
    csv_null: frozenset[str] = frozenset()
    csv_lists: MappingT[str, str] = field(default_factory=dict)
    fields: tuple[tuple[str, FieldSpec], ...] = ()
    events: tuple[EventSpec, ...] = ()

    @property
    def columns(self) -> frozenset[str]:
        """Every column a `columns` mapping reads."""
        specs = [s for _, s in self.fields] + [s for e in self.events for s in (e.at, *(x for _, x in e.extra))]
        return frozenset(s.column for s in specs if s.column is not None)

    def column_of(self, path: tuple[PathPart, ...], sources: tuple[EventSpec, ...] = ()) -> str | None:
        """The column a record path came from, to name it in a message (`sources`:
        the event spec behind each event of the record)."""
        if not path:
            return None
        if self.format == "core":
            return str(path[0])
        if path[0] == "events" and len(path) > 1 and isinstance(path[1], int):
            if path[1] < len(sources):
                spec = sources[path[1]]
                key = path[2] if len(path) > 2 else "at"
                part = spec.at if key == "at" else dict(spec.extra).get(str(key))
                return part.column if part else None
            return None
        for name, spec in self.fields:
            parts = tuple(name.split("."))
            if tuple(path[: len(parts)]) == parts:
                return spec.column
        return None

    def to_record(self, row: MappingT[str, Any], from_csv: bool) -> tuple[dict[str, Any], tuple[EventSpec, ...]]:
        """The raw record (core format, before schema checks) a row stands for,
        and the event spec each of its events came from (for messages)."""
        sources: tuple[EventSpec, ...] = ()
        if self.format == "core":
            record = self._core(row, from_csv)
        else:
            record, sources = self._columns(row)
        if self.source in RECORD_TYPE:
            record.setdefault("type", RECORD_TYPE[self.source])
        return record, sources

    # -- core format -------------------------------------------------------

    def _core(self, row: MappingT[str, Any], from_csv: bool) -> dict[str, Any]:
        if not from_csv:
            return row if type(row) is dict else dict(row)  # a freshly decoded object: ours to complete
        record: dict[str, Any] = {}
        problems: list[tuple[tuple[PathPart, ...], str]] = []
        for column, cell in row.items():
            text = cell.strip()
            if text == "":
                if column in self.csv_null:
                    _put(record, column, None)
                continue
            try:
                value = self._core_cell(column, text)
            except ValueError as exc:
                problems.append(((column,), f"{exc} (column {column!r})"))
                continue
            _put(record, column, value)
        if problems:
            raise RowError(problems)
        return record

    def _core_cell(self, column: str, text: str) -> Any:
        if column in self.csv_integer:
            if not _INTEGER.match(text):
                raise ValueError(f"{text!r} is not a whole number")
            return int(text)
        if column in self.csv_json:
            try:
                return json_cell(text)
            except ValueError as exc:
                raise ValueError(f"not valid JSON: {exc}") from None
        if column in self.csv_lists:
            return [part for part in text.split(self.csv_lists[column]) if part]
        return text

    # -- columns format ----------------------------------------------------

    def _columns(self, row: MappingT[str, Any]) -> tuple[dict[str, Any], tuple[EventSpec, ...]]:
        problems: list[tuple[tuple[PathPart, ...], str]] = []
        if self.unknown_columns == "error":
            known = self.columns
            for column in row:
                if column not in known:
                    problems.append(((), f"unknown column {column!r}{did_you_mean(column, sorted(known))}"))
        record: dict[str, Any] = {}
        sources: list[EventSpec] = []
        for name, spec in self.fields:
            try:
                value = self._value(spec, row)
            except ValueError as exc:
                problems.append((tuple(name.split(".")), str(exc)))
                continue
            if value is not _MISSING:
                _put(record, name, value)
        if self.events:
            events = []
            for spec in self.events:
                try:
                    at = self._value(spec.at, row, time=True)
                    if at is _MISSING:
                        continue
                    event = {"type": spec.type, "at": at}
                    for key, part in spec.extra:
                        value = self._value(part, row)
                        if value is not _MISSING:
                            event[key] = value
                except ValueError as exc:
                    problems.append((("events",), str(exc)))
                    continue
                events.append(event)
                sources.append(spec)
            record["events"] = events
        if problems:
            raise RowError(problems)
        return record, tuple(sources)

    def _value(self, spec: FieldSpec, row: MappingT[str, Any], time: bool = False) -> Any:
        if spec.column is None:
            return spec.value
        cell = row.get(spec.column)
        if isinstance(cell, str):
            cell = cell.strip()
        if cell is None or cell == "":
            if spec.column not in row and self.unknown_columns == "error":
                raise ValueError(f"column {spec.column!r} is missing")
            return spec.default
        where = f" (column {spec.column!r})"
        if spec.values is not None:
            key = str(cell)
            if key not in spec.values:
                names = sorted(spec.values)
                raise ValueError(f"unknown value {key!r}{did_you_mean(key, names)}; expected one of "
                                 f"{', '.join(repr(n) for n in names)}{where}")
            return spec.values[key]
        kind = "time" if time else spec.kind
        try:
            return _convert(kind, cell, spec, self)
        except ValueError as exc:
            raise ValueError(f"{exc}{where}") from None

    def time_text(self, text: str) -> str:
        """A timestamp cell as RFC 3339: as written when it has an offset, else
        read with the mapping's formats (or the built-in ISO-like and slashed
        shapes) in its declared zone. A naive time without a declared zone, an
        ambiguous date without a `date_order`, and a wall time a daylight-saving
        change skips or repeats are errors saying so."""
        if _RFC3339.match(text):
            return text
        if self.time_formats:
            parsed = self._strptime(text)
        else:
            parsed = self._builtin(text)
        if parsed is None:
            raise ValueError(f"{text!r} is a date without a time of day; a timestamp needs one, e.g. '{text} 09:30'")
        if parsed.tzinfo is None:
            if self.tz is None:
                raise ValueError(f"{text!r} has no UTC offset; a naive time is ambiguous: write it with an offset "
                                 f"or declare the export's `timezone` in the mapping")
            parsed = _localize(parsed, self.tz, text)
        return iso(parsed)

    def _strptime(self, text: str) -> datetime | None:
        """The first of the mapping's formats that reads `text`; else the
        unambiguous ISO-like shape (`2024-03-05 09:38`, seconds optional)."""
        for fmt in self.time_formats:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
        m = _ISO_LIKE.match(text)
        if m:
            return _make(text, *m.groups())
        raise ValueError(f"{text!r} is not a timestamp in any of the mapping's formats ({', '.join(self.time_formats)})")

    def _builtin(self, text: str) -> datetime | None:
        """ISO-like (seconds optional) or slashed/dotted in the date order; None for a date without a time."""
        m = _ISO_LIKE.match(text)
        if m:
            return _make(text, *m.groups())
        m = _SLASHED.match(text)
        if m:
            return self._slashed(text, m)
        raise ValueError(f"{text!r} is not a timestamp; expected e.g. '2024-03-05T09:30:00Z', '2024-03-05 09:30' "
                         f"(with the mapping's `timezone`) or the mapping's `time_formats`")

    def _slashed(self, text: str, m: re.Match[str]) -> datetime | None:
        """03/05/2024 in the stated date order; without one, only a date that
        reads one way (13/05/2024) is read, and 03/05/2024 names both readings."""
        a, _, b, c, hour, minute, second = m.groups()
        readings: dict[str, datetime] = {}
        for order in (DATE_ORDERS[self.date_order],) if self.date_order else ("DMY", "MDY", "YMD"):
            parts = dict(zip(order, (a, b, c)))
            if len(parts["Y"]) != 4:
                continue
            try:
                readings[order] = _make(text, parts["Y"], parts["M"], parts["D"], hour or "0", minute or "0", second, None, None)
            except ValueError:
                continue
        distinct = {dt: order for order, dt in readings.items() if dt is not None}
        if len(distinct) == 1:
            return next(iter(distinct)) if hour is not None else None
        if not distinct:
            stated = f" read {self.date_order}" if self.date_order else ""
            raise ValueError(f"{text!r} is not a real date{stated}")
        both = " or ".join(f"{dt:%Y-%m-%d} ({_ORDER_NAMES[o]})" for dt, o in distinct.items())
        raise ValueError(f"{text!r} is ambiguous: {both}; state the export's `date_order` (day-first or month-first) "
                         f"in the mapping")


_ORDER_NAMES = {v: k for k, v in DATE_ORDERS.items()}


def _make(text: str, year: str, month: str, day: str, hour: str | None, minute: str | None, second: str | None,
          frac: str | None, offset: str | None) -> datetime | None:
    """A datetime from parsed parts (None when there is no time of day); `offset`
    `Z`, `+01:00` or `+0100` makes it aware."""
    tz = None
    if offset:
        if offset in ("Z", "z"):
            tz = timezone.utc
        else:
            sign = 1 if offset[0] == "+" else -1
            digits = offset[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        if hour is None:
            datetime(int(year), int(month), int(day))  # still a real date, or the error says why
            return None
        return datetime(int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0),
                        int((frac or "0").ljust(6, "0")), tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real time: {exc}") from None


def _localize(wall: datetime, tz: Any, text: str) -> datetime:
    """A wall time in `tz`; one that a daylight-saving change skips (a gap) or
    repeats (an overlap) is refused rather than guessed."""
    if tz is timezone.utc:
        return wall.replace(tzinfo=tz)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    name = getattr(tz, "key", str(tz))
    back = first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    if back != wall:
        raise ValueError(f"{text!r} does not exist in {name}: the clocks skip it (a daylight-saving gap); "
                         f"write the time with its UTC offset")
    raise ValueError(f"{text!r} happens twice in {name} (a daylight-saving overlap: {_offset_text(first)} or "
                     f"{_offset_text(second)}); write the time with its UTC offset")


def _offset_text(dt: datetime) -> str:
    off = dt.utcoffset()
    assert off is not None
    minutes = int(off.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{dt.tzname()} {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _convert(kind: str, cell: Any, spec: FieldSpec, mapping: Mapping) -> Any:
    if kind == "text" or kind == "money":
        return cell if not isinstance(cell, (int, float)) or isinstance(cell, bool) else str(cell)
    if kind == "time":
        return mapping.time_text(cell) if isinstance(cell, str) else cell
    if kind == "integer":
        if isinstance(cell, int) and not isinstance(cell, bool):
            return cell
        if isinstance(cell, str) and _INTEGER.match(cell):
            return int(cell)
        raise ValueError(f"{cell!r} is not a whole number")
    if kind == "json":
        if not isinstance(cell, str):
            return cell
        try:
            return json_cell(cell)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
    if kind == "list":
        if isinstance(cell, list):
            return cell
        return [part for part in str(cell).split(spec.split or " ") if part]
    return cell




def _put(record: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested dicts, creating them."""
    parts = dotted.split(".")
    node = record
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


# -- loading ---------------------------------------------------------------


def bundled_mappings_dir() -> Path:
    """The bundled `mappings/` folder: inside an installed package, or beside it in a checkout."""
    return mappings_dir()


def find_mapping(name: str) -> Path:
    """A mapping by file path, or by the name of a bundled one (`ticketing-export`)."""
    path = Path(name)
    if path.is_file():
        return path
    bundled = bundled_mappings_dir() / f"{name}.yaml"
    if bundled.is_file():
        return bundled
    known = sorted(p.stem for p in bundled_mappings_dir().glob("*.yaml"))
    raise UsageError(f"--mapping: no file {name!r} and no bundled mapping of that name{did_you_mean(name, known)}; "
                     f"bundled: {', '.join(known)}")


def load_mapping(name: str) -> Mapping:
    """Read and check a mapping file. Raises UsageError naming the file, line and key of each problem."""
    path = find_mapping(name)
    document = load_document(path, MAPPING_SCHEMA, UsageError)
    file, loaded, d = document.file, document.loaded, document.data
    tz = None
    if "timezone" in d:
        try:
            tz = zone(d["timezone"])
        except TimeFormatError as exc:
            raise UsageError([Problem(str(exc), file=file, line=loaded.line_of(("timezone",)), path=("timezone",))]) from None
    fmt = d.get("format", "columns")
    if fmt == "columns" and not d.get("fields"):
        raise UsageError([Problem("a `columns` mapping needs `fields`", file=file, line=1)])
    if d.get("events") and d["source"] != "cases":
        raise UsageError([Problem("only a cases mapping has `events`", file=file, line=loaded.line_of(("events",)), path=("events",))])
    csv_spec = d.get("csv", {})
    _check_reading(d, file, loaded)
    return Mapping(
        name=d["mapping"], source=d["source"], path=file, format=fmt, tz=tz,
        time_formats=tuple(d.get("time_formats", ())), unknown_columns=d.get("unknown_columns", "error" if fmt == "core" else "ignore"),
        date_order=d.get("date_order"), encoding=d.get("encoding", "utf-8-sig"), delimiter=d.get("delimiter"),
        csv_integer=frozenset(csv_spec.get("integer", ())), csv_json=frozenset(csv_spec.get("json", ())),
        csv_null=frozenset(csv_spec.get("null_when_empty", ())), csv_lists=dict(csv_spec.get("lists", {})),
        fields=tuple((k, FieldSpec.parse(v)) for k, v in (d.get("fields") or {}).items()),
        events=tuple(EventSpec(e["type"], FieldSpec.parse(e["at"]),
                               tuple((k, FieldSpec.parse(e[k])) for k in ("via", "to") if k in e)) for e in d.get("events", ())),
    )


def _check_reading(d: dict[str, Any], file: str, loaded: Any) -> None:
    """The encoding must be one Python knows; a `time_formats` entry must not
    contradict the stated `date_order` (a day-first mapping with %m/%d)."""
    if "encoding" in d:
        try:
            codecs.lookup(d["encoding"])
        except LookupError:
            raise UsageError([Problem(f"unknown encoding {d['encoding']!r}; expected e.g. 'utf-8', 'utf-8-sig', 'cp1252', "
                                      f"'latin-1'", file=file, line=loaded.line_of(("encoding",)), path=("encoding",))]) from None
    order = d.get("date_order")
    if not order:
        return
    for i, fmt in enumerate(d.get("time_formats", ())):
        positions = {k: fmt.find(f"%{k}") for k in "dmY" if f"%{k}" in fmt}
        found = "".join(sorted(positions, key=positions.__getitem__)).upper()
        if len(positions) == 3 and found != "YMD" and found != DATE_ORDERS[order]:  # year-first is never ambiguous
            raise UsageError([Problem(f"time format {fmt!r} reads the date {found}, but `date_order` is {order}",
                                      file=file, line=loaded.line_of(("time_formats", i)), path=("time_formats", i))])


def default_mapping(source: str) -> Mapping:
    """The core-format mapping of a source (`mappings/core-<source>.yaml`)."""
    return load_mapping(f"core-{source}")
