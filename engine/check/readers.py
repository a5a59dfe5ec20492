"""Streaming readers for exports: CSV (with a header row) and JSONL, from a file
or standard input (`-`), in chunks of rows that each keep their line number.

Nothing is parsed beyond splitting rows here: a JSONL line stays text and a CSV
row stays a list of cells, so the worker processes do the parsing in parallel.
A file is read as it goes, never whole; the position in bytes drives the
progress line.

A bad CSV row is one bad row, not a lost run. The file is read as bytes and cut
into rows by the quotes (a row ends at a newline outside quotes); each row is
then decoded and parsed alone. A row that is not UTF-8, breaks the quoting, or
opens a quote that does not close within MAX_ROW_LINES lines or MAX_RECORD_CHARS
bytes becomes a `BadRow` at its own first line; reading resumes on the next
line, so every line number stays true.

A CSV file is read in its mapping's encoding (any encoding that writes newlines
and quotes as ASCII does: utf-8, cp1252, latin-1, ...) and delimiter
(`delimiter: auto` sniffs it from the header line and says what it found).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

from engine.errors import Problem, SlaError, UsageError
from engine.io.inputs import MAX_RECORD_CHARS

STDIN_NAME = "<stdin>"
KINDS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
MAX_ROW_LINES = 1000  # a quoted cell may span this many lines; an unclosed quote is found within them
QUOTE = ord('"')


class BadRow(str):
    """A row that cannot be read as it stands (a CSV row that does not split into cells, a
    Parquet row whose text is not UTF-8): its text as far as it decodes, for the rejects
    file, and why, a (path, reason) pair per problem; `row_dict` turns it into that row's rejection.
    `record`: the row's id when it reads (a Parquet row's), for the messages to name it."""

    problems: tuple[tuple[tuple[Any, ...], str], ...]
    record: str | None = None

    def __new__(cls, text: str, reason: str, path: tuple[Any, ...] = (), *more: tuple[tuple[Any, ...], str]) -> "BadRow":
        row = super().__new__(cls, text)
        row.problems = ((path, reason), *more)
        return row

    @classmethod
    def of(cls, text: str, problems: Sequence[tuple[tuple[Any, ...], str]], record: str | None = None) -> "BadRow":
        (path, reason), *more = problems
        row = cls(text, reason, path, *more)
        row.record = record
        return row

    @property
    def reason(self) -> str:
        return self.problems[0][1]

    def __reduce__(self) -> tuple[Any, ...]:  # to and from the worker processes
        return (BadRow.of, (str(self), self.problems, self.record))


class InputError(SlaError):
    """A source that cannot be read on (not UTF-8, broken CSV quoting): exit 2."""


@dataclass
class Opened:
    """An open source: its name in messages, its kind, the text stream, its size."""

    name: str
    kind: str  # csv | tsv | jsonl
    handle: TextIO
    size: int | None
    fileno: int | None
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    note: str | None = None  # what was sniffed, for standard error

    def position(self) -> int | None:
        """Bytes read so far (files only), for the progress line."""
        if self.fileno is None:
            return None
        try:
            return os.lseek(self.fileno, 0, os.SEEK_CUR)
        except OSError:
            return None

    def close(self) -> None:
        if self.fileno is not None:
            self.handle.close()


def open_source(name: str, stdin: TextIO | None, option: str, encoding: str = "utf-8-sig",
                delimiter: str | None = None) -> Opened:
    """Open `name` (or `-`) for reading rows; the kind comes from the suffix, or
    is sniffed from standard input's first character (`{` is JSONL, else CSV).
    `encoding` and `delimiter` (None: by kind; "auto": sniffed) are the mapping's."""
    _check_encoding(encoding, option)
    if name == "-":
        if stdin is None:
            raise UsageError(f"{option} -: no standard input")
        stdin = _in_encoding(stdin, encoding, option)
        first = stdin.readline()
        while first and not first.strip():
            first = stdin.readline()
        kind = "jsonl" if first.lstrip("\ufeff").lstrip().startswith("{") else "csv"
        handle = _Chained(first, stdin)
        return _with_delimiter(Opened(STDIN_NAME, kind, handle, None, None, encoding=encoding), delimiter, first, option)  # type: ignore[arg-type]
    path = Path(name)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise UsageError([Problem(f"{option}: unknown file type {path.suffix or '(none)'!r}; expected .csv, .tsv or .jsonl", file=name)])
    if kind == "jsonl" and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        raise UsageError([Problem(f"{option}: a JSONL file is UTF-8 (JSON's only encoding); the mapping's `encoding: {encoding}` "
                                  f"is for CSV", file=name)])
    try:
        # JSONL is read as bytes: workers decode each line, so a line that is not
        # UTF-8 is one bad row (with its line number), and the parent only splits.
        # CSV too: rows are decoded one by one (`_csv_rows`), so a bad byte is one bad row.
        handle = open(path, "rb")
    except OSError as exc:
        raise UsageError([Problem(f"{option}: cannot read: {exc.strerror}", file=name)]) from None
    opened = Opened(name, kind, handle, path.stat().st_size, handle.fileno(), encoding=encoding)
    first = ""
    if kind != "jsonl" and delimiter == "auto":
        first = handle.readline().decode(encoding, "replace")  # the header line, only to count separators
        handle.seek(0)
    return _with_delimiter(opened, delimiter, first, option)


def _check_encoding(encoding: str, option: str) -> None:
    """Rows are cut at newlines and quotes in the bytes, so the encoding must write those as ASCII."""
    try:
        ascii_safe = '\n",;|\t'.encode(encoding).endswith(b'\n",;|\t')  # endswith: a BOM may lead
    except (LookupError, UnicodeError):
        raise UsageError(f"{option}: the mapping's `encoding: {encoding}` is not an encoding Python knows") from None
    if not ascii_safe:
        raise UsageError(f"{option}: the mapping's `encoding: {encoding}` does not write newlines and quotes as ASCII "
                         f"(e.g. UTF-16); convert the export to UTF-8")


def _in_encoding(stdin: TextIO, encoding: str, option: str) -> TextIO:
    """Standard input decoded in the mapping's encoding: its bytes re-read when
    the encoding is not UTF-8; a text-only stream cannot be, which is an error
    rather than text silently read in the wrong encoding."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return stdin
    raw = getattr(stdin, "buffer", None)
    if raw is None:
        raise UsageError(f"{option} -: the mapping's `encoding: {encoding}` needs standard input as bytes; give the file instead")
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _with_delimiter(opened: Opened, delimiter: str | None, first: str, option: str) -> Opened:
    """The CSV delimiter: the mapping's, else the kind's, or sniffed from the header line."""
    if delimiter == "auto":
        counts = {d: _outside_quotes(first).count(d) for d in (",", ";", "\t", "|")}
        best = max(counts, key=counts.__getitem__)
        opened.delimiter = best if counts[best] else ","
        what = _DELIMITER_NAMES[opened.delimiter]
        opened.note = (f"{option} {opened.name}: cells separated by {what} (detected from the header line)" if counts[best] else
                       f"{option} {opened.name}: the header line holds no separator; read as comma-separated")
    else:
        opened.delimiter = delimiter or ("\t" if opened.kind == "tsv" else ",")
    return opened


_DELIMITER_NAMES = {",": "',' (comma)", ";": "';' (semicolon)", "\t": "tabs", "|": "'|' (pipe)"}


def _outside_quotes(line: str) -> str:
    """The line without its double-quoted parts, so a separator inside a quoted header does not count."""
    return "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)


class _Chained(io.TextIOBase):
    """Standard input with its already-read first line put back."""

    def __init__(self, first: str, rest: TextIO):
        self._lines = itertools.chain([first] if first else [], rest)

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        return self._lines

    def __next__(self) -> str:
        return next(self._lines)


def chunks(source: Opened, size: int) -> Iterator[tuple[list[str] | None, int, list[Any]]]:
    """(header, first line, rows) of at most `size` lines at a time. JSONL rows
    are the lines as read (blank ones too: the worker skips them and numbers the
    rest from `first`); CSV rows are (line, cells)."""
    if source.kind == "jsonl":
        yield from _jsonl_blocks(source, size)
        return
    rows = _csv_rows(source)
    first = next(rows, None)
    if first is None:
        return
    if isinstance(first[1], BadRow):
        raise InputError([Problem(f"the header row cannot be read: {first[1].reason}", file=source.name, line=first[0])])
    header = [cell.strip() for cell in first[1]]
    if len(header) == 1:
        _one_column(source, header[0], first[0])
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise InputError([Problem(f"the header names {', '.join(map(repr, dupes))} more than once", file=source.name, line=first[0])])
    while True:
        block = list(itertools.islice(rows, size))
        if not block:
            return
        yield header, block[0][0], block


def _jsonl_blocks(source: Opened, size: int) -> Iterator[tuple[None, int, list[str | bytes]]]:
    """Lines as read: bytes from a file (a leading byte-order mark dropped), text from standard input."""
    line = 1
    while True:
        try:
            block = list(itertools.islice(source.handle, size))
        except UnicodeDecodeError as exc:  # standard input, already text
            raise InputError([Problem(f"not UTF-8 text ({exc.reason}) in lines {line} to {line + size - 1}", file=source.name)]) from None
        if not block:
            return
        if line == 1 and isinstance(block[0], bytes) and block[0].startswith(b"\xef\xbb\xbf"):
            block[0] = block[0][3:]
        yield None, line, block
        line += len(block)


def _one_column(source: Opened, cell: str, line: int) -> None:
    """A header that parses as one column is a file split on another separator."""
    others = [d for d in (";", ",", "\t", "|") if d != source.delimiter and d in cell]
    if others:
        guess = max(others, key=cell.count)
        raise InputError([Problem(f"the header is one column ({cell[:60]!r}); is it separated by {_DELIMITER_NAMES[guess]}? "
                                  f"Set `delimiter: {guess!r}` (or `delimiter: auto`) in the mapping", file=source.name, line=line)])


def _csv_rows(source: Opened) -> Iterator[tuple[int, list[str] | BadRow]]:
    """(first line, cells) of each row; a row that cannot be read is (line, BadRow)."""
    delimiter = source.delimiter
    try:
        for line, raw, fault in _physical_rows(source.handle):
            if fault is None:
                text, fault = _decoded(raw, line == 1, source.encoding)
            if fault is not None:
                yield line, BadRow(_shown(raw), fault)
                continue
            try:
                parsed = list(csv.reader([text], delimiter=delimiter, strict=True))
            except csv.Error as exc:
                yield line, BadRow(text.rstrip("\r\n"), f"not valid CSV: {exc}")
                continue
            for cells in parsed:  # one row, or several when a file ends its lines with a bare CR
                if cells:  # an empty line; a row of empty cells is a row (and will say what it lacks)
                    yield line, cells
    except UnicodeDecodeError as exc:  # standard input, decoded before it reaches us
        raise InputError([Problem(f"not {codecs.lookup(source.encoding).name} text ({exc.reason})", file=source.name)]) from None


def _physical_rows(handle: Any) -> Iterator[tuple[int, Any, str | None]]:
    """(first line number, the row's raw lines joined, None) per row, cut at newlines
    outside quotes; an opened quote that does not close within MAX_ROW_LINES lines
    or MAX_RECORD_CHARS bytes gives (line, that line, the reason) and reading goes
    on from the next line. Lines are bytes (files) or text (standard input)."""
    lines = iter(handle)
    pushed: list[Any] = []  # lines read ahead past an unclosed quote, to read again (last first)
    number = 0

    def take() -> Any:
        return pushed.pop() if pushed else next(lines, None)

    while True:
        first = take()
        if first is None:
            return
        number += 1
        quotes = first.count(b'"' if isinstance(first, bytes) else '"')
        if quotes % 2 == 0:
            yield number, first, None
            continue
        parts, size = [first], len(first)
        while quotes % 2 and len(parts) < MAX_ROW_LINES and size <= MAX_RECORD_CHARS:
            more = take()
            if more is None:
                break
            parts.append(more)
            size += len(more)
            quotes += more.count(b'"' if isinstance(more, bytes) else '"')
        if quotes % 2 == 0:
            yield number, first[:0].join(parts), None
            number += len(parts) - 1
            continue
        pushed.extend(reversed(parts[1:]))
        yield number, first, (f"a quoted cell opened on this line does not close (an unterminated quote) within "
                              f"{MAX_ROW_LINES} lines or {MAX_RECORD_CHARS} bytes; read on from the next line")


def _decoded(raw: Any, first: bool, encoding: str) -> tuple[str, str | None]:
    """A row's text, or the reason it is not in the source's encoding."""
    if isinstance(raw, str):
        return raw, None
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as exc:
        name = codecs.lookup(encoding).name
        utf8 = name in ("utf-8", "utf-8-sig")
        hint = " (a Windows export? try `encoding: cp1252` in the mapping)" if utf8 else ""
        return "", f"not {'UTF-8' if utf8 else name} text ({exc.reason} at byte {exc.start + 1} of the row){hint}"


def _shown(raw: Any) -> str:
    """A bad row as text for the rejects file: bytes that are not UTF-8 shown as U+FFFD."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return text.rstrip("\r\n")
