"""Streaming readers for exports: CSV (with a header row) and JSONL, from a file
or standard input (`-`), in chunks of rows that each keep their line number.

Nothing is parsed beyond splitting rows here: a JSONL line stays text and a CSV
row stays a list of cells, so the worker processes do the parsing in parallel.
A file is read as it goes, never whole; the position in bytes drives the
progress line. A CSV file is read in its mapping's encoding and delimiter
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
from typing import Any, Iterator, TextIO

from engine.errors import Problem, SlaError, UsageError

STDIN_NAME = "<stdin>"
KINDS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


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
    if name == "-":
        if stdin is None:
            raise UsageError(f"{option} -: no standard input")
        stdin = _in_encoding(stdin, encoding, option)
        first = stdin.readline()
        while first and not first.strip():
            first = stdin.readline()
        kind = "jsonl" if first.lstrip("\ufeff").lstrip().startswith("{") else "csv"
        handle = _Chained(first, stdin)
        return _with_delimiter(Opened(STDIN_NAME, kind, handle, None, None), delimiter, first, option)  # type: ignore[arg-type]
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
        handle = open(path, "rb") if kind == "jsonl" else open(path, encoding=encoding, newline="")
    except OSError as exc:
        raise UsageError([Problem(f"{option}: cannot read: {exc.strerror}", file=name)]) from None
    opened = Opened(name, kind, handle, path.stat().st_size, handle.fileno(), encoding=encoding)
    first = ""
    if kind != "jsonl" and delimiter == "auto":
        try:
            first = handle.readline()
        except UnicodeDecodeError as exc:
            opened.close()
            raise _decode_error(opened, exc, 1) from None
        handle.seek(0)
    return _with_delimiter(opened, delimiter, first, option)


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


def _csv_rows(source: Opened) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(source.handle, delimiter=source.delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if cells:  # an empty line; a row of empty cells is a row (and will say what it lacks)
                yield line, cells
    except UnicodeDecodeError as exc:
        raise _decode_error(source, exc, reader.line_num + 1) from None
    except csv.Error as exc:
        raise InputError([Problem(f"not valid CSV: {exc}", file=source.name, line=reader.line_num)]) from None


def _decode_error(source: Opened, exc: UnicodeDecodeError, near: int) -> InputError:
    """Text not in the source's encoding, at its true line: the text layer decodes
    ahead in blocks, so a file is read again as bytes to find the first bad byte."""
    encoding = codecs.lookup(source.encoding).name
    line, where = near, f"near line {near}"
    if source.fileno is not None:
        found = _first_bad_line(source.name, source.encoding)
        if found is not None:
            line, where = found, ""
    utf8 = encoding in ("utf-8", "utf-8-sig")
    hint = " (a Windows export? try `encoding: cp1252` in the mapping)" if utf8 else ""
    text = f"not {'UTF-8' if utf8 else encoding} text ({exc.reason}){hint}" + (f", {where}" if where else "")
    return InputError([Problem(text, file=source.name, line=line)])


def _first_bad_line(path: str, encoding: str) -> int | None:
    """The 1-based line holding the first byte `encoding` cannot decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                pending = len(decoder.getstate()[0])  # bytes of a character begun in the previous block
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    return line + block[: max(exc.start - pending, 0)].count(b"\n")
                line += block.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    except OSError:
        return None
    return None
