"""Exports read into raw relations for the SQL: Arrow tables of a bounded number
of rows, each with its position and line, plus what the row engine needs to
decide (or reject) any of those rows itself.

- JSONL in the core format: the file is read in blocks of bytes cut at a
  newline and split into lines by Arrow (one `j` text column); lines are cut at
  b"\\n" only and lose trailing "\\r\\n" exactly as the row reader's do, blank
  lines are skipped as it skips them, so every line number is the row engine's.
  A block that is not UTF-8 is decoded line by line: the lines that are not go
  to the row engine (which rejects them with its own message).
- CSV (or JSONL through a column mapping): rows are read by the row reader
  (`engine.check.readers`) and turned into core records by the same mapping code
  (`Mapping.to_record`), written as JSON text into `j`; a row the mapping
  refuses goes to the row engine as read, so its error is the row engine's.
- Parquet (a file, or a folder of them): read in record batches; the columns
  are the record's fields. `pos` and `line` number the rows from 1 in file order.
  A row holding text that is not UTF-8 (Arrow reads it without checking) goes
  to the row engine, which rejects it naming the field (engine.columnar.utf8).

Every chunk keeps a `Task` (engine.check.rows) that re-reads it row by row in
the row engine: the fallback for single rows, and the whole chunk when it
holds a duplicate record id (as `sla check` redoes such a chunk).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from engine.check.mapping import Mapping, RowError
from engine.check.readers import BadRow, Opened, chunks
from engine.check.rows import Task
from engine.check.work import row_dict
from engine.columnar.jsonable import AS_WRITTEN, jsonable
from engine.columnar.utf8 import UnreadableText, lossy, not_utf8
from engine.core.records import printed_id
from engine.errors import Problem, UsageError

BLOCK_BYTES = 8 << 20  # JSONL per block (~30,000 cases): each query costs ~0.2 CPU-s to plan, and memory grows with it
# Parquet rows per chunk: about a JSONL block's worth of each kind's records, so a chunk costs the SQL what a
# block does. A claim's line is ≈490 bytes against a case's ≈280: with 30,000 claims a chunk, the bench's 1M run
# from Parquet peaked at 1,017 MB on two threads and 873 on one; with 16,000, 892 and 762 (≈1 CPU-s more).
PARQUET_ROWS = 30_000
PARQUET_ROWS_OF = {"claims": 16_000}
# Customer-months per query (whole customers: all their months in one query). One query for every month of the
# export held 759 MB at 100,008 months and 5.2 GB at 1,000,080 (the bench's contracts and incidents, one thread).
MONTH_ROWS = 30_000
# A run that writes no decision builds no decision text (engine.columnar.run): a row then holds about half the
# memory, and planning each query is the larger share of a chunk's CPU, so its chunks are this many times larger.
SUMMARY_ONLY_SCALE = 3
BLANK = r"^[ \t\n\r\f\v]*$"  # a line the row reader skips (str.isspace on ASCII whitespace, or empty)

# Why a row went to the row engine before the SQL saw it (grouped on standard error).
NOT_UTF8 = "not UTF-8 text"
BEYOND = "a date or time outside the years 0001-9999, or naive"
NOT_OBJECT = "not one JSON object on the line"
MAPPING_REFUSED = "the column mapping refused the row"


@dataclass
class RawChunk:
    """Rows for the SQL (`table`: pos, line, j or the record's columns) and rows
    for the row engine (`fallback`: pos -> reason), with the Task that re-reads
    any of them; `count` rows in all (blank lines excluded)."""

    task: Any  # Task, or ParquetTask
    table: Any  # pyarrow.Table
    fallback: dict[int, str] = field(default_factory=dict)
    count: int = 0

    def single(self, pos: int) -> Task:
        """The task that re-reads one row (pos) in the row engine."""
        t = self.task
        if isinstance(t, ParquetTask):
            i = pos - t.first
            return Task(t.source, t.file, t.kind, t.header, pos,
                        [json_rows(t.batch.slice(i, 1), {0: t.bad[i]} if i in t.bad else {})[0]])
        if t.kind == "csv":
            row = next(r for r in t.rows if r[0] == pos)
            return Task(t.source, t.file, t.kind, t.header, pos, [row])
        return Task(t.source, t.file, t.kind, t.header, pos, [t.rows[pos - t.first]])


def _pa() -> Any:
    import pyarrow  # the `columnar` extra

    return pyarrow


def jsonl_chunks(source: str, name: str, block: int = BLOCK_BYTES) -> Iterator[RawChunk]:
    """A core-format JSONL file in chunks of whole lines (see the module docstring)."""
    pa = _pa()
    import pyarrow.compute as pc

    try:
        handle = open(name, "rb")
    except OSError as exc:
        raise UsageError([Problem(f"--{source}: cannot read: {exc.strerror}", file=name)]) from None
    with handle:
        first, rest, head = 1, b"", True
        while True:
            data = handle.read(block)
            if head:
                data, head = (data[3:] if data.startswith(b"\xef\xbb\xbf") else data), False  # a BOM, dropped as the row reader does
            if not data:
                if rest:  # the last line, without a newline
                    yield _jsonl_chunk(pa, pc, source, name, first, rest, [rest])
                return
            buffer = rest + data
            cut = buffer.rfind(b"\n") + 1
            if cut == 0:  # no newline yet: one line longer than a block
                rest = buffer
                continue
            body, rest = buffer[:cut], buffer[cut:]
            lines = body.split(b"\n")
            lines.pop()  # body ends with a newline
            yield _jsonl_chunk(pa, pc, source, name, first, body, lines)
            first += len(lines)


def _jsonl_chunk(pa: Any, pc: Any, source: str, name: str, first: int, body: bytes, lines: list[bytes]) -> RawChunk:
    """One block of whole lines as a chunk: the SQL's rows and the row engine's."""
    fallback: dict[int, str] = {}
    try:
        texts = pa.array([body], pa.binary()).cast(pa.string())
        column = pc.list_flatten(pc.split_pattern(texts, "\n"))
        if body.endswith(b"\n"):
            column = column.slice(0, len(column) - 1)
    except pa.ArrowInvalid:  # not UTF-8 somewhere in the block: line by line
        decoded = []
        for i, raw in enumerate(lines):
            try:
                decoded.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                decoded.append("x")  # a placeholder: neither blank nor a candidate
                fallback[first + i] = NOT_UTF8
        column = pa.array(decoded, pa.string())
    # a line's end is "\r" at most (the block is cut at "\n"); most files have none, and trimming copies every line
    trimmed = pc.utf8_rtrim(column, characters="\r\n") if pc.any(pc.ends_with(column, "\r")).as_py() else column
    pos = pa.array(range(first, first + len(lines)), pa.int64())
    table = pa.table({"pos": pos, "line": pos, "j": trimmed})
    task = Task(source, name, "jsonl", None, first, lines)
    if pc.all(pc.starts_with(trimmed, "{")).as_py():  # the usual block: every line an object from its first character
        return RawChunk(task, table, fallback, len(lines))
    blank = pc.match_substring_regex(trimmed, BLANK)
    candidate = pc.starts_with(pc.utf8_ltrim(trimmed, characters=" \t\r\n\f\v"), "{")
    keep = pc.and_(pc.invert(blank), candidate)
    if not pc.all(pc.or_(blank, candidate)).as_py():
        for p, is_blank, ok in zip(pos.to_pylist(), blank.to_pylist(), candidate.to_pylist()):
            if not is_blank and not ok and p not in fallback:
                fallback[p] = NOT_OBJECT
    count = len(lines) - pc.sum(blank).as_py() if len(lines) else 0
    return RawChunk(task, table.filter(keep), fallback, count)


def mapped_chunks(source: str, opened: Opened, mapping: Mapping, size: int) -> Iterator[RawChunk]:
    """CSV rows (or JSONL through a column mapping) turned into core records by
    the mapping, as JSON text; rows it refuses go to the row engine."""
    kind = "csv" if opened.kind == "tsv" else opened.kind
    for header, first, rows in chunks(opened, size):
        pos, js, fallback = [], [], {}
        numbered = list(zip(range(first, first + len(rows)), rows)) if kind == "jsonl" else rows
        count = 0
        for line, payload in numbered:
            text = payload
            if kind == "jsonl":
                if isinstance(payload, bytes):
                    try:
                        text = payload.decode("utf-8")
                    except UnicodeDecodeError:
                        fallback[line] = NOT_UTF8
                        count += 1
                        continue
                text = text.rstrip("\r\n")
                if not text or text.isspace():
                    continue
            count += 1
            _map_row(mapping, kind, header, line, text, pos, js, fallback)
        yield RawChunk(Task(source, opened.name, kind, header, first, rows), _json_table(pos, js), fallback, count)


def mapped_parquet_chunks(source: str, name: str, mapping: Mapping, rows: int, naive: int | None) -> Iterator[RawChunk]:
    """A Parquet export through a column mapping: each row (its columns as a JSONL object's keys, read as
    `parquet_chunks` reads them) turned into a core record by the mapping, as JSON text. A TIMESTAMP
    without a zone is written without an offset unless `naive` gives one, so the mapping's `timezone`
    reads it; rows `readable` rejected and rows the mapping refuses go to the row engine."""
    for raw in parquet_chunks(source, name, rows, AS_WRITTEN if naive is None else naive):
        task, pos, js, fallback = raw.task, [], [], dict(raw.fallback)
        lines = task.rows
        for line, text in enumerate(lines, task.first):
            if line not in fallback:  # a BadRow: the row engine rejects it
                _map_row(mapping, "jsonl", None, line, text, pos, js, fallback)
        yield RawChunk(Task(source, task.file, "jsonl", None, task.first, lines), _json_table(pos, js), fallback, raw.count)


def _map_row(mapping: Mapping, kind: str, header: list[str] | None, line: int, text: Any,
             pos: list[int], js: list[str], fallback: dict[int, str]) -> None:
    """One row through the mapping: its record's JSON text into `js` (its line into `pos`), or the line
    into `fallback` when the mapping refuses it (the row engine then says why)."""
    try:
        record, _ = mapping.to_record(row_dict(kind, header, text), kind == "csv")
        js.append(json.dumps(record, ensure_ascii=False))
        pos.append(line)
    except (RowError, TypeError, ValueError):
        fallback[line] = MAPPING_REFUSED


def _json_table(pos: list[int], js: list[str]) -> Any:
    pa = _pa()
    return pa.table({"pos": pa.array(pos, pa.int64()), "line": pa.array(pos, pa.int64()), "j": pa.array(js, pa.string())})


def parquet_files(name: str) -> list[str]:
    """A Parquet file, or the Parquet files of a folder in name order."""
    path = Path(name)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*.parquet") if p.is_file())
        if not files:
            raise UsageError([Problem("no .parquet files in this folder", file=name)])
        return files
    if not path.is_file():
        raise UsageError([Problem("cannot read: no such file", file=name)])
    return [name]


def parquet_chunks(source: str, name: str, rows: int | None = None, naive: int | str | None = None) -> Iterator[RawChunk]:
    """A Parquet file or folder in record batches (of `rows`, by default the source's); each row numbered
    from 1 in file order. `naive`: what a TIMESTAMP without a time zone becomes (`readable`)."""
    rows = rows or PARQUET_ROWS_OF.get(source, PARQUET_ROWS)
    pa = _pa()
    import pyarrow.parquet as pq

    first = 1
    for file in parquet_files(name):
        try:
            # pre_buffer=False: with it on, the reader keeps the column chunks it has buffered until the file
            # is done (the whole file up front for a few columns; pyarrow 26 on the bench's cases: +1 MB of Arrow
            # memory per 30,000 cases, 170 MB at 4M), so memory grew with the input. Off, a batch's buffers go
            # with the batch, at the same speed from a local file (0.95 vs 1.0-1.1 CPU-s for 4M cases).
            reader = pq.ParquetFile(file, pre_buffer=False)
        except (OSError, pa.ArrowInvalid) as exc:
            raise UsageError([Problem(f"--{source}: not a readable Parquet file: {exc}", file=file)]) from None
        for batch in _batches(reader, rows, f"--{source}", file, lambda: first):
            n = batch.num_rows
            try:
                batch, bad, why = readable(batch, naive)  # such rows never reach the SQL: the row engine rejects them
            except UnreadableText as exc:
                raise UsageError([Problem(f"--{source}: {exc}", file=file)]) from None
            pos = pa.array(range(first, first + n), pa.int64())
            table = pa.Table.from_batches([batch]).append_column("pos", pos).append_column("line", pos)
            if bad:
                table = table.filter(_kept(n, bad))
            yield RawChunk(ParquetTask(source, name, first, batch, bad), table, {first + i: w for i, w in why.items()}, n)
            first += n


def readable(batch: Any, naive: int | str | None = None) -> tuple[Any, dict[int, list[tuple[Any, ...]]], dict[int, str]]:
    """A Parquet batch as the engine reads it: values JSON has no type for as their text
    (engine.columnar.jsonable; `naive`: the UTC offset in seconds of a TIMESTAMP without a zone,
    AS_WRITTEN to leave it without one, None to reject it); the rows (0-based) it rejects, with
    (path, reason) per field (text that is not UTF-8, a date past 9999, a rejected naive TIMESTAMP);
    and why each is the row engine's, for the run's report."""
    batch, beyond = jsonable(batch, naive)  # TIMESTAMP, DATE, UUID ... as the text a JSON export holds
    bad = not_utf8(batch)
    why = {i: (NOT_UTF8 if i in bad else BEYOND) for i in bad.keys() | beyond.keys()}
    for i, problems in beyond.items():
        bad.setdefault(i, []).extend(problems)
    return batch, dict(sorted(bad.items())), why


def _batches(reader: Any, rows: int, option: str, file: str, first: Callable[[], int]) -> Iterator[Any]:
    """The file's record batches; a page that cannot be read (a file damaged after its footer, which
    opening it does not see) stops the run as an unreadable file, naming the batch (`first()`: its first row)."""
    pa = _pa()
    batches = reader.iter_batches(batch_size=rows)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, pa.ArrowException) as exc:
            raise UsageError([Problem(f"{option}: not a readable Parquet file: {' '.join(str(exc).split())} "
                                      f"(reading the batch of up to {rows:,} rows from row {first():,})", file=file)]) from None
        yield batch


def as_json_lines(raw: RawChunk) -> RawChunk:
    """A Parquet chunk as the JSONL chunk of the same records: each row's JSON text exactly as the row
    engine reads it (ParquetTask.rows), for a chunk that does not fit its kind's typed layout
    (engine.columnar.layout)."""
    pa = _pa()
    pos = raw.table.column("pos")
    rows = raw.task.rows
    if len(rows) != len(pos):  # rows the row engine decides (raw.fallback) are not in the table
        rows = [rows[p - raw.task.first] for p in pos.to_pylist()]
    return RawChunk(raw.task, pa.table({"pos": pos, "line": pos, "j": pa.array(rows, pa.string())}),
                    raw.fallback, raw.count)


def parquet_lines(source: str, name: str, rows: int = PARQUET_ROWS, naive: int | str | None = None) -> Iterator[tuple[int, str]]:
    """A Parquet file or folder as (line, JSON text) pairs, numbered from 1 in file order: the core
    records the row engine reads (for --contracts and --outages, which it reads whole before the rest)."""
    for raw in parquet_chunks(source, name, rows, naive):
        yield from enumerate(raw.task.rows, raw.task.first)


class ParquetTask:
    """The Task (engine.check.rows) of a Parquet batch: its rows as the JSON lines the row engine reads,
    made only when the row engine is asked for them (a fallback row, a duplicate id)."""

    kind, header = "jsonl", None

    def __init__(self, source: str, file: str, first: int, batch: Any, bad: dict[int, Any]):
        self.source, self.file, self.first, self.batch = source, file, first, batch
        self.bad = bad  # the batch's rows whose text is not UTF-8 (engine.columnar.utf8.not_utf8), found once
        self._rows: list[str] | None = None

    @property
    def rows(self) -> list[str]:
        if self._rows is None:
            self._rows = json_rows(self.batch, self.bad)
        return self._rows


NULL_VALUED = ("support_case",)  # top-level fields the core format requires and allows to be null: a null there is that null


def json_rows(batch: Any, bad: dict[int, Any] | None = None) -> list[str]:
    """A Parquet batch's rows as the JSON lines the row engine reads (its fallback, and the
    SQL's for a chunk that does not fit its kind's typed layout): a null is an absent field (but
    for NULL_VALUED), instants, dates, UUIDs and decimals as their text (`readable`). Each row is
    converted by a function made once for the batch's schema: strings, numbers and booleans (in
    lists and structs too) are taken as read, only other types go through `_plain` (bench claims:
    29.5 -> 19.2 µs per row, side by side). A row `readable` rejects (text that is not UTF-8, a
    date past 9999) is a BadRow: the row engine rejects it. `bad`: those rows as `readable` found
    them, when the caller has made `batch` readable (else it is done here)."""
    if bad is None:
        batch, bad, _ = readable(batch)
    convert = _row_converter(batch.schema)
    if not bad:
        return [json.dumps(convert(r), ensure_ascii=False) for r in batch.to_pylist()]
    good = iter(batch.filter(_kept(batch.num_rows, bad)).to_pylist())
    return [_bad_row(convert(lossy(batch.slice(i, 1))), bad[i]) if i in bad
            else json.dumps(convert(next(good)), ensure_ascii=False) for i in range(batch.num_rows)]


def _bad_row(row: dict[str, Any], problems: list[tuple[Any, ...]]) -> BadRow:
    """A rejected row as far as it reads, naming its id when that is text that reads and prints on one line
    (as the row engine names a record: engine.core.records.record_problems)."""
    rid = None if any(path[:1] == ("id",) for path, _ in problems) else printed_id(row.get("id"))
    return BadRow.of(json.dumps(row, ensure_ascii=False), problems, rid)


def _kept(n: int, bad: dict[int, Any]) -> Any:
    """The filter mask of a batch of `n` rows that leaves out the rows in `bad`."""
    return _pa().array([i not in bad for i in range(n)])


def _row_converter(schema: Any) -> Any:
    """The function that turns one row of `schema` (a dict from to_pylist) into the object
    written for it: nulls dropped but for NULL_VALUED, values as `_plain` makes them."""
    names = schema.names
    if len(set(names)) != len(names):  # a dict cannot hold both: leave such a batch to the general path
        return lambda r: {k: _plain(v) for k, v in r.items() if v is not None or k in NULL_VALUED}
    fields = [(f.name, _value_converter(f.type)) for f in schema]

    def convert(r: dict[str, Any]) -> dict[str, Any]:
        return {k: (v if f is None else f(v)) for k, f in fields if (v := r[k]) is not None or k in NULL_VALUED}
    return convert


def _value_converter(t: Any) -> Any:
    """What `_plain` does to a value of Arrow type `t`, made once; None where it leaves the value as it is."""
    pa = _pa()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t) or pa.types.is_boolean(t) \
            or pa.types.is_floating(t) or pa.types.is_null(t):
        return None
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        inner = _value_converter(t.value_type)
        if inner is None:
            return None
        return lambda v: None if v is None else [None if x is None else inner(x) for x in v]
    if pa.types.is_struct(t):
        names = [t.field(i).name for i in range(t.num_fields)]
        if len(set(names)) != len(names):
            return _plain
        fields = [(name, _value_converter(t.field(i).type)) for i, name in enumerate(names)]
        return lambda v: None if v is None else {k: (x if f is None else f(x)) for k, f in fields if (x := v[k]) is not None}
    return _plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}  # a null is an absent field in Parquet
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def kind_of(name: str) -> str:
    """The input format by extension: jsonl, csv (or tsv), parquet; a folder is Parquet."""
    if name != "-" and os.path.isdir(name):
        return "parquet"
    suffix = Path(name).suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "csv",
            ".parquet": "parquet"}.get(suffix, "other")


def months_tables(index: Any, contracts: Any, customers: Sequence[str] | None = None, first: int = 0) -> dict[str, Any]:
    """The incidents and contracts the run accepted, as the Arrow relations engine.columnar.uptime reads
    (`incidents`, and `contracts` when --contracts was given); with `customers` (the ones from place
    `first` in decision order), only theirs and the platform-wide incidents, and the `customers` relation."""
    pa = _pa()
    from engine.columnar import uptime

    def table(columns: tuple[str, ...], types: list[Any], rows: list[tuple[Any, ...]]) -> Any:
        return pa.table({c: pa.array([r[i] for r in rows], t) for i, (c, t) in enumerate(zip(columns, types))})

    text, big = pa.string(), pa.int64()
    tables = {"incidents": table(uptime.INCIDENT_COLUMNS, [big, text, big, big, pa.list_(text), text],
                                 list(uptime.incident_rows(index, customers)))}
    if contracts is not None:
        tables["contracts"] = table(uptime.CONTRACT_COLUMNS, [big, text, text, text, text, text],
                                    list(uptime.contract_rows(contracts, customers)))
    if customers is not None:
        tables["customers"] = table(uptime.CUSTOMER_COLUMNS, [text, big],
                                    [(c, first + i) for i, c in enumerate(customers)])
    return tables
