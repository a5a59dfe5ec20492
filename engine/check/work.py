"""One chunk of rows in, its decisions out: what each worker process does.

A chunk is a list of (line, payload) from one source file: a JSONL line's text,
or a CSV row's cells. Each row becomes a record through the source's column
mapping, is checked against the record schema, parsed, and decided by the pure
core (`engine.evaluate`); the decision is rendered here too (its JSONL line,
its JUnit test case), so the parent process only writes text in order.

Every row ends as exactly one `Item` (engine.check.rows): `Decided`, or
`Rejected` with its problems. The parent adds the counts, finds duplicate ids (which needs
all ids seen so far) and writes; nothing here depends on any other chunk, so the
output is the same whichever process ran a chunk.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

from engine.errors import Problem, RecordError
from engine.exact import decimal_text
from engine.core.evaluate import FAILING_OUTCOMES, Decision, Options, evaluate
from engine.policy.family import Family
from engine.io.jsontext import decode as decode_json, encode_compact
from engine.core.records import RecordProblems, Source, parse_record, record_problems
from engine.check.junit import rejected, testcase
from engine.check.readers import BadRow
from engine.check.mapping import EventSpec, Mapping, RowError
from engine.check.months import Contract, CustomerMonth, MonthInfo, OutageIndex, credit_owed, uptime_record
from engine.core.credit import Credit
from engine.check.rows import CaseRow, ClaimRow, Contribution, Decided, Item, MonthRow, Rejected, Task
from engine.check.summary import Summary

MICROS_PER_MINUTE = 60_000_000


# The same writing as `sla evaluate --format jsonl` (one encoder for both).
_ENCODE = encode_compact


@dataclass
class State:
    """What every worker needs, set once per process."""

    family: Family
    options: Options
    mappings: dict[str, Mapping]
    contracts: dict[str, Contract]
    index: OutageIndex
    months: tuple[MonthInfo, ...]
    junit: bool
    decisions: bool = True  # render each decision's JSONL line (not when no -o asks for them)
    spill: str | None = None  # in a worker: write a chunk's decisions to a file with this prefix, return its name


_STATE: State | None = None


def install(state: State) -> None:
    """Make `state` this process's (the pool initializer, or the parent for --jobs 1)."""
    global _STATE
    _STATE = state


@dataclass
class Chunk:
    """A chunk's outcome, aggregated so the parent handles it in a few calls:
    the decisions' JSONL, the JUnit test cases, the ids (to find duplicates),
    a partial summary, and the rejected rows."""

    rows: int
    text: str | tuple[memoryview, ...]  # the decisions as JSONL (UTF-8 pieces when the SQL's result held them), or "" if spilled
    ids: list[str]
    lines: list[int]
    junit: str
    tests: int
    failures: int
    summary: Summary
    bad: list[Rejected]
    spilled: str | None = None


def run_chunk(task: Task) -> Chunk:
    """Decide every row of a chunk and aggregate (what a worker returns)."""
    items = run_items(task)
    text, ids, lines, xml, bad = [], [], [], [], []
    summary = Summary()
    failures = 0
    for item in items:
        if type(item) is Decided:
            text.append(item.text)
            ids.append(item.id)
            lines.append(item.line)
            summary.add(item.row)
            failures += item.failing
        else:
            bad.append(item)
        if item.junit:
            xml.append(item.junit)
    body = "\n".join(text) + "\n" if text and text[0] is not None else ""
    spilled = None
    if body and _STATE is not None and _STATE.spill:
        # Handing a megabyte of text back through the pool's pipe cost the parent more than
        # writing it here and letting the parent copy the file in (kernel to kernel).
        fd, spilled = tempfile.mkstemp(prefix=_STATE.spill, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(body)
        body = ""
    return Chunk(len(items), body, ids, lines, "".join(xml), len(items), failures, summary, bad, spilled)


def run_items(task: Task) -> list[Item]:
    """Decide every row of a chunk, one item per row, in order."""
    source, file, kind, header, first, rows = task.source, task.file, task.kind, task.header, task.first, task.rows
    state = _STATE
    assert state is not None, "worker state not installed"
    if source == "months":
        return [_customer_month(state, file, payload) for payload in rows]
    if kind == "jsonl":
        return [_row(state, source, file, kind, header, first + i, text)
                for i, text in enumerate(rows) if not text.isspace() and text]
    return [_row(state, source, file, kind, header, line, cells) for line, cells in rows]


def _row(state: State, source: str, file: str, kind: str, header: list[str] | None, line: int, payload: Any) -> Item:
    mapping = state.mappings[source]
    if kind == "jsonl" and type(payload) is bytes:
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = payload.decode("utf-8", "replace").rstrip("\r\n")
            return bad((state, source, file, line, text, header), None,
                       [Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start} of the line)", file=file, line=line)])
    if kind == "jsonl" and type(payload) is str:  # a BadRow keeps its type (and its reasons)
        payload = payload.rstrip("\r\n")
    where = (state, source, file, line, payload, header)
    try:
        row = row_dict(kind, header, payload)
        raw, sources = mapping.to_record(row, kind == "csv")
    except RowError as exc:
        return bad(where, exc.record, [Problem(m, file=file, line=line, record=exc.record, path=p) for p, m in exc.problems])
    rid = raw.get("id") if isinstance(raw.get("id"), str) else None
    if source == "claims":
        joined = _join_claim(state, raw)
        if joined:
            return bad(where, rid, [Problem(m, file=file, line=line, record=rid, path=p) for p, m in joined])
    src = _source(file, line)
    problems = record_problems(raw, src)
    if problems:
        return bad(where, rid, _with_columns(problems, mapping, sources))
    try:
        record = parse_record(raw, src)
        decision = evaluate(record, state.family, state.options)
    except (RecordProblems, RecordError) as exc:
        return bad(where, rid, _with_columns(exc.problems, mapping, sources))
    contribution = case_contribution(decision) if record.type == "case" else claim_contribution(decision)
    return ok(state, decision, source, file, line, contribution)


def _source(file: str, line: int | None) -> Source:
    """Source(file, line), made without the frozen dataclass's __init__ (once per row)."""
    source = object.__new__(Source)
    object.__setattr__(source, "__dict__", {"file": file, "line": line, "index": None, "lines": None})
    return source


def row_dict(kind: str, header: list[str] | None, payload: Any) -> dict[str, Any]:
    """A row as column -> cell: a JSONL line's object, or a CSV row zipped with its header."""
    if type(payload) is BadRow:  # a row the reader could not read as it stands
        raise RowError(list(payload.problems), payload.record)
    if kind == "jsonl":
        try:
            data = decode_json(payload)  # the same reading as `sla evaluate`'s
        except ValueError as exc:
            raise RowError([((), f"not valid JSON: {exc}")]) from None
        except RecursionError:
            raise RowError([((), "JSON nested too deeply to be a record")]) from None
        if not isinstance(data, dict):
            raise RowError([((), f"a row is a JSON object; got {type(data).__name__}")])
        if _SURROGATE_ESCAPE.search(payload) and _lone_surrogate(data):
            raise RowError([((), "text holds an unpaired UTF-16 surrogate (such as \\ud800), which is not a character")])
        return data
    assert header is not None
    if len(payload) != len(header):
        raise RowError([((), f"{len(payload)} cells where the header has {len(header)} columns")])
    return dict(zip(header, payload))


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # only JSON escapes can make a lone surrogate


def _lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string that is not valid Unicode (it could not be written out)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


def _join_claim(state: State, raw: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """A claim without its contract or outages takes them from --contracts / --outages."""
    customer, month = raw.get("customer"), raw.get("month")
    problems: list[tuple[tuple[str, ...], str]] = []
    if "contract" not in raw and isinstance(customer, str):
        contract = state.contracts.get(customer)
        if contract is None:
            problems.append((("contract",), f"no contract field and no contract for customer {customer!r} in --contracts"))
        else:
            raw["contract"] = {k: v for k, v in contract.terms.items()}
    if "outages" not in raw and isinstance(customer, str) and isinstance(month, str):
        info = next((m for m in state.months if m.month == month), None)
        if info is None:
            problems.append((("outages",), f"no outages field, and month {month} is not one of --months, so --outages cannot supply them"))
        else:
            raw["outages"] = state.index.outages(customer, info)
    return problems


def _with_columns(problems: Iterable[Problem], mapping: Mapping, sources: tuple[EventSpec, ...]) -> list[Problem]:
    """Problems of a mapped record, each naming the export column it came from."""
    out = []
    for p in problems:
        column = mapping.column_of(p.path, sources) if mapping.format == "columns" else None
        out.append(Problem(f"{p.message} (column {column!r})", p.file, p.line, p.path, p.record) if column else p)
    return out


def _customer_month(state: State, file: str, payload: CustomerMonth) -> Item:
    terms = payload.terms
    raw = uptime_record(payload.customer, payload.month, payload.outages)
    src = Source(file, None)
    problems = record_problems(raw, src)
    where = (state, "customer-months", file, None, raw, None)
    if problems:
        return bad(where, raw["id"], problems)
    try:
        decision = evaluate(parse_record(raw, src), state.family, state.options)
    except (RecordProblems, RecordError) as exc:
        return bad(where, raw["id"], exc.problems)
    owed = credit_owed(terms, decision) if terms else None
    return ok(state, decision, "customer-months", file, None, month_contribution(decision, owed))


def ok(state: State, decision: Decision, source: str, file: str, line: int | None, row: Contribution) -> Decided:
    text = _ENCODE(decision.to_json()) if state.decisions else None
    xml = testcase(source, decision, file, line) if state.junit else None
    return Decided(line, decision.record.id, text, xml, row)


def bad(where: tuple, rid: str | None, problems: list[Problem]) -> Rejected:
    """A rejected row: its problems as lines, the row as read (for the rejects file), its JUnit error."""
    state, source, file, line, payload, header = where
    row = dict(zip(header, payload)) if header is not None and isinstance(payload, list) else payload
    lines = [p.render() for p in problems]
    xml = rejected(source, rid or f"line {line}", file, line, lines) if state.junit else None
    return Rejected(line, rid, lines, row, xml)


def failing(decision: Decision) -> tuple[bool, bool]:
    """Whether the decision has a breached finding, and whether it has a violation."""
    breached = violation = False
    for f in decision.findings:
        if f.outcome in FAILING_OUTCOMES:
            if f.outcome == "breached":
                breached = True
            else:
                violation = True
    return breached, violation


def case_contribution(decision: Decision) -> CaseRow:
    """What a decided case adds to the summary."""
    facts = decision.facts
    minutes: Fraction | None = facts["response_minutes"]
    micros = None if minutes is None else minutes.numerator * MICROS_PER_MINUTE // minutes.denominator
    return CaseRow(*failing(decision), facts["clock_severity"], micros, facts["response_met"],
                   decision.result["response_target_minutes"])


def month_contribution(decision: Decision, owed: Credit | None) -> MonthRow:
    """What a decided customer-month adds to the summary."""
    facts = decision.facts
    down = _micros(facts["unavailable_minutes"]) - _micros(facts["excluded_minutes"])
    total = _micros(facts["total_minutes"])
    tier = facts["tier_below"]
    return MonthRow(*failing(decision), decision.record.customer, facts["month"], down, total,
                    decision.result["uptime_percent"], decision.result["credit_percent"],
                    None if tier is None else decimal_text(tier), decision.revision.revision, owed)


def _micros(minutes: Fraction) -> int:
    """Exact minutes (a whole number of microseconds) as microseconds, in integers."""
    return minutes.numerator * MICROS_PER_MINUTE // minutes.denominator


def claim_contribution(decision: Decision) -> ClaimRow:
    """What a decided credit claim adds to the summary."""
    r = decision.result
    return ClaimRow(*failing(decision), r["eligible"], r["credit_amount"], r["currency"], tuple(r["reasons"]))
