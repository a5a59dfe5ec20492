"""Reading record files: JSON (object or array), JSONL, YAML (one document or a
list) or `-` for standard input. Every record keeps its file and line so an
error can name them. Nothing is dropped: a blank JSONL line is skipped, any
other line that is not a record is an error.

Files are streamed, never loaded whole: JSONL line by line, a JSON array
element by element through a bounded window, so memory does not grow with the
file. Only YAML, written by hand and small, is read whole (up to
MAX_YAML_CHARS). A record larger than MAX_RECORD_CHARS, or nested deeper than
MAX_DEPTH levels, is refused with a clear error instead of exhausting memory or
the interpreter's stack. Bytes that are not UTF-8 are an error naming the line.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, TextIO

from engine.errors import Problem
from engine.core.records import Source
from engine.io.jsontext import decode, raw_decode
from engine.io.yamlload import MAX_DEPTH, YamlProblem, load_yaml_all

STDIN_NAME = "<stdin>"
SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml"}

MAX_RECORD_CHARS = 16 * 1024 * 1024  # one JSON record (a JSONL line, an array element)
MAX_YAML_CHARS = 64 * 1024 * 1024  # a whole YAML record file
CHUNK_CHARS = 1024 * 1024  # how much of a JSON file is read at a time

_JSON_WS = " \t\r\n"
_WS = re.compile(r"[ \t\r\n]*")
# Undecodable bytes arrive as lone surrogates U+DC80..U+DCFF (errors="surrogateescape");
# valid UTF-8 never decodes to a surrogate, so finding one means the input was not UTF-8.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class RawRecord:
    data: Any
    source: Source


class InputProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.render())




def expand(paths: list[str]) -> list[str]:
    """Files as given; a directory stands for its record files, sorted by name."""
    out: list[str] = []
    for name in paths:
        path = Path(name)
        if name != "-" and path.is_dir():
            out += [str(p) for p in sorted(path.rglob("*")) if p.suffix in SUFFIXES and p.is_file()]
        else:
            out.append(name)
    return out


def read_records(name: str, stdin: TextIO | None = None) -> Iterator[RawRecord | Problem]:
    """Every raw record in one file (or `-`), in order, read lazily. A JSONL line
    that is not a record is yielded as a Problem and reading goes on; a JSON or
    YAML file that cannot be parsed raises InputProblem, naming the line (the
    records before that point have been yielded)."""
    display = STDIN_NAME if name == "-" else name
    try:
        if name == "-":
            yield from _read_stdin(stdin)
            return
        kind = _kind(name)
        try:
            handle = open(name, "rb")
        except OSError as exc:
            raise InputProblem(Problem(f"cannot read: {exc.strerror or exc}", file=name)) from None
        with handle, _text(handle) as stream:
            yield from _READERS[kind](_Source(stream), name)
    except OSError as exc:  # a read that fails midway (an I/O error, a directory given as a file)
        raise InputProblem(Problem(f"cannot read: {exc.strerror or exc}", file=display)) from None


def _kind(name: str) -> str:
    suffix = Path(name).suffix
    kind = SUFFIXES.get(suffix.lower())
    if kind is None:
        raise InputProblem(Problem(f"unknown file type {suffix or '(none)'!r}; expected .json, .jsonl or .yaml", file=name))
    return kind


def _text(binary: Any) -> io.TextIOWrapper:
    """UTF-8 text that never raises on a bad byte (it becomes a lone surrogate,
    reported with its line by the readers); only \\n ends a line."""
    return io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="\n")


def _read_stdin(stdin: TextIO | None) -> Iterator[RawRecord | Problem]:
    if stdin is None:
        raise InputProblem(Problem("no standard input", file=STDIN_NAME))
    buffer = getattr(stdin, "buffer", None)  # a real stdin: decode its bytes ourselves, as for a file
    stream: Any = _text(buffer) if buffer is not None else stdin
    try:
        source = _Source(stream)
        yield from _READERS[_sniff(source)](source, STDIN_NAME)
    finally:
        if buffer is not None:
            stream.detach()  # leave the process's stdin open


class _Source:
    """A text stream read in pieces, with the BOM dropped and room to put text
    back (standard input has no suffix, so its head is read to sniff its kind)."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.pending = ""
        self.started = False

    def _first(self, text: str) -> str:
        if not self.started and text:
            self.started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        return text

    def read(self, size: int) -> str:
        if self.pending:
            out, self.pending = self.pending[:size], self.pending[size:]
            return out
        return self._first(self.stream.read(size))

    def readline(self, limit: int) -> str:
        """Up to and including the next \\n, at most `limit` characters."""
        out = ""
        if self.pending:
            end = self.pending.find("\n", 0, limit)
            cut = end + 1 if end >= 0 else min(limit, len(self.pending))
            out, self.pending = self.pending[:cut], self.pending[cut:]
            if out.endswith("\n") or len(out) >= limit:
                return out
        return out + self._first(self.stream.readline(limit - len(out)))

    def unread(self, text: str) -> None:
        self.pending = text + self.pending


def _sniff(source: _Source) -> str:
    """The kind of standard input: a JSON array, a single JSON object (perhaps
    spread over lines), JSONL, or YAML. Reads the head (at most one record)
    and puts it back."""
    head = ""
    while True:
        chunk = source.read(CHUNK_CHARS)
        head += chunk
        body = head.lstrip(_JSON_WS)
        if body or not chunk:
            break
    kind = "yaml"
    if body.startswith("["):
        kind = "json"
    elif body.startswith("{"):
        kind = _object_or_lines(source, head)
        head = ""  # _object_or_lines put back what it read
    source.unread(head)
    return kind


def _object_or_lines(source: _Source, head: str) -> str:
    """'json' when the input is one JSON object and nothing else, else 'jsonl'."""
    start = len(head) - len(head.lstrip(_JSON_WS))
    while True:
        try:
            _, end = raw_decode(head, start)
            break
        except (ValueError, RecursionError):
            chunk = source.read(CHUNK_CHARS) if len(head) <= MAX_RECORD_CHARS else ""
            if not chunk:
                source.unread(head)
                return "jsonl"
            head += chunk
    while _WS.match(head, end).end() == len(head):  # only whitespace so far after the object
        chunk = source.read(CHUNK_CHARS)
        if not chunk:
            source.unread(head)
            return "json"
        head += chunk
    source.unread(head)
    return "jsonl"


# ---------------------------------------------------------------- JSONL

def _jsonl(source: _Source, name: str) -> Iterator[RawRecord | Problem]:
    number = 0
    while True:
        line = source.readline(MAX_RECORD_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_RECORD_CHARS and not line.endswith("\n"):
            _skip_line(source)
            yield Problem(f"line longer than {MAX_RECORD_CHARS} characters; a record must be smaller", file=name, line=number)
            continue
        bad = _NOT_UTF8.search(line)
        if bad:
            yield Problem(_not_utf8(bad.group(), bad.start() + 1), file=name, line=number)
            continue
        if not line.strip(_JSON_WS):
            continue
        try:
            data = decode(line)
        except ValueError as exc:
            yield Problem(f"not valid JSON: {exc}", file=name, line=number)
            continue
        except RecursionError:
            yield Problem(_TOO_DEEP, file=name, line=number)
            continue
        fault = _fault(line, data)
        if fault:
            yield Problem(fault, file=name, line=number)
            continue
        yield RawRecord(data, Source(name, number))


def _skip_line(source: _Source) -> None:
    while True:
        rest = source.readline(CHUNK_CHARS)
        if not rest or rest.endswith("\n"):
            return


def _not_utf8(char: str, column: int) -> str:
    """The message for an undecodable byte (`char` is its lone surrogate)."""
    return f"not UTF-8 text (byte 0x{ord(char) - 0xDC00:02x} at column {column})"


_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels is not allowed"
_LONE_SURROGATE = "text holds an unpaired UTF-16 surrogate (such as \\ud800), which is not a character"
_SURROGATE_HINT = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _fault(text: str, data: Any) -> str | None:
    """What makes a parsed JSON record unusable, though it parsed: nesting
    deeper than MAX_DEPTH (the same limit as YAML), or a lone surrogate (JSON's
    "\\ud800" escape), which no UTF-8 output can hold. Each walk is skipped
    when the text shows it cannot be needed."""
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    lone = _SURROGATE_HINT.search(text) is not None
    if not (deep or lone):
        return None
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if lone and _SURROGATE.search(value):
                return _LONE_SURROGATE
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                return _TOO_DEEP
            if isinstance(value, dict):
                stack.extend((key, depth + 1) for key in value)
                stack.extend((child, depth + 1) for child in value.values())
            else:
                stack.extend((child, depth + 1) for child in value)
    return None


# ---------------------------------------------------------------- JSON

class _Window:
    """A bounded view of a JSON file: the text not yet consumed, refilled chunk
    by chunk; `line` is the line of the window's first character."""

    def __init__(self, source: _Source, name: str):
        self.source, self.name = source, name
        self.text, self.pos, self.line = "", 0, 1
        self.counted = (0, 1)  # a position in `text` and its line, so lines are counted once, going forward
        self.eof = False
        self.bad: Problem | None = None  # a non-UTF-8 byte where the readable text stops

    def fill(self, want: int = CHUNK_CHARS) -> bool:
        """Read more; False at the end (or at a bad byte)."""
        if self.eof:
            return False
        chunk = self.source.read(max(want, CHUNK_CHARS))
        if not chunk:
            self.eof = True
            return False
        self.line = self.line_at(self.pos)
        self.text, self.pos = self.text[self.pos:], 0
        self.counted = (0, self.line)
        bad = _NOT_UTF8.search(chunk)
        if bad:
            before = self.text + chunk[: bad.start()]
            column = len(before) - before.rfind("\n")
            self.bad = Problem(_not_utf8(bad.group(), column), file=self.name, line=self.line + before.count("\n"))
            chunk, self.eof = chunk[: bad.start()], True
        self.text += chunk
        return True

    def line_at(self, pos: int) -> int:
        start, line = self.counted
        if pos < start:
            start, line = 0, self.line
        line += self.text.count("\n", start, pos)
        self.counted = (pos, line)
        return line

    def fail(self, message: str, pos: int | None = None) -> InputProblem:
        return InputProblem(Problem(message, file=self.name, line=self.line_at(self.pos if pos is None else pos)))

    def fail_decoding(self, exc: ValueError) -> InputProblem:
        """JSON's own error, at its position (a duplicate key has none: no line then)."""
        pos = getattr(exc, "pos", None)
        return InputProblem(Problem(f"not valid JSON: {exc}", file=self.name, line=self.line_at(pos) if isinstance(pos, int) else None))

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end), consuming the whitespace."""
        while True:
            self.pos = _WS.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                if self.bad:
                    raise InputProblem(self.bad)
                return ""

    def value(self) -> tuple[Any, int]:
        """The JSON value at the current position and its line; a Problem
        instead of the value when it parsed but cannot be a record."""
        while True:
            try:
                data, end = raw_decode(self.text, self.pos)
            except RecursionError:
                raise self.fail(_TOO_DEEP) from None
            except ValueError as exc:
                if len(self.text) - self.pos > MAX_RECORD_CHARS:
                    raise self.fail(f"not valid JSON, or a record larger than {MAX_RECORD_CHARS} characters: {exc}") from None
                if self.fill(len(self.text) - self.pos):
                    continue
                if self.bad:
                    raise InputProblem(self.bad) from None
                raise self.fail_decoding(exc) from None
            if end == len(self.text) and self.fill():
                continue  # a number or literal may go on in the next chunk
            line = self.line_at(self.pos)
            if end - self.pos > MAX_RECORD_CHARS:
                fault: str | None = f"record longer than {MAX_RECORD_CHARS} characters; a record must be smaller"
            else:
                fault = _fault(self.text[self.pos:end], data)
            self.pos = end
            return (Problem(fault, file=self.name, line=line) if fault else data), line


def _json(source: _Source, name: str) -> Iterator[RawRecord | Problem]:
    """A single object, or an array read element by element so each keeps its line."""
    window = _Window(source, name)
    first = window.peek()
    if not first:
        return
    if first != "[":
        data, line = window.value()
        if window.peek():
            raise window.fail("not valid JSON: text follows the record")
        yield data if isinstance(data, Problem) else RawRecord(data, Source(name, line))
        return
    window.pos += 1
    index = 0
    if window.peek() == "]":
        window.pos += 1
    else:
        while True:
            if window.peek() in ("]", ","):
                raise window.fail("not valid JSON: expected a record")
            data, line = window.value()
            yield data if isinstance(data, Problem) else RawRecord(data, Source(name, line, index))
            index += 1
            after = window.peek()
            window.pos += 1
            if after == "]":
                break
            if after != ",":
                raise window.fail("not valid JSON: expected ',' or ']' between records" if after else
                                  "not valid JSON: the array is not closed", window.pos - 1)
    if window.peek():
        raise window.fail("not valid JSON: text follows the array")


# ---------------------------------------------------------------- YAML

def _yaml(source: _Source, name: str) -> Iterator[RawRecord]:
    text = source.read(MAX_YAML_CHARS + 1)
    while len(text) <= MAX_YAML_CHARS:
        more = source.read(MAX_YAML_CHARS + 1 - len(text))
        if not more:
            break
        text += more
    if len(text) > MAX_YAML_CHARS:
        raise InputProblem(Problem(f"YAML record files are read whole and may hold at most {MAX_YAML_CHARS} characters; "
                                   f"write large inputs as JSONL", file=name))
    bad = _NOT_UTF8.search(text)
    if bad:
        column = bad.start() - text.rfind("\n", 0, bad.start())
        raise InputProblem(Problem(_not_utf8(bad.group(), column), file=name, line=text.count("\n", 0, bad.start()) + 1))
    try:
        documents = load_yaml_all(text, name)
    except YamlProblem as exc:
        raise InputProblem(exc.problem) from None
    for document in documents:
        if document.empty:  # an empty document holds no record; an explicit `null` is a record, and is rejected
            continue
        if isinstance(document.data, list):
            for i, item in enumerate(document.data):
                lines = {path[1:]: line for path, line in document.lines.items() if path[:1] == (i,)}
                yield RawRecord(item, Source(name, document.line_of((i,)), i, lines))
        else:
            yield RawRecord(document.data, Source(name, document.line_of(()), None, document.lines))


_READERS = {"jsonl": _jsonl, "json": _json, "yaml": _yaml}
