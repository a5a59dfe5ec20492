"""Reading record files: JSON (object or array), JSONL, YAML (one document or a
list) or `-` for standard input. Every record keeps its file and line so an
error can name them. Nothing is dropped: a blank JSONL line is skipped, any
other line that is not a record is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, TextIO

from .errors import Problem
from .records import Source
from .yamlload import YamlProblem, load_yaml_all

STDIN_NAME = "<stdin>"
SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True)
class RawRecord:
    data: Any
    source: Source


class InputProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.render())


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


_DECODER = json.JSONDecoder(object_pairs_hook=_reject_duplicates, parse_float=Decimal, parse_constant=_reject_constant)


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
    """Every raw record in one file (or `-`), in order. A JSONL line that is not
    JSON is yielded as a Problem and reading goes on; a JSON or YAML file that
    cannot be parsed raises InputProblem, naming the line."""
    text, kind = _read(name, stdin)
    if name == "-":
        name = STDIN_NAME
    if kind == "jsonl":
        yield from _jsonl(text, name)
    elif kind == "json":
        yield from _json(text, name)
    else:
        yield from _yaml(text, name)


def _read(name: str, stdin: TextIO | None) -> tuple[str, str]:
    if name == "-":
        if stdin is None:
            raise InputProblem(Problem("no standard input", file=STDIN_NAME))
        buffer = getattr(stdin, "buffer", None)  # a real stdin: decode its bytes strictly, as for a file
        text = _decode(buffer.read(), STDIN_NAME) if buffer is not None else stdin.read()
        return _strip_bom(text), _sniff(text)
    path = Path(name)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputProblem(Problem(f"unknown file type {path.suffix or '(none)'!r}; expected .json, .jsonl or .yaml", file=name))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputProblem(Problem(f"cannot read: {exc.strerror}", file=name)) from None
    return _strip_bom(_decode(data, name)), kind


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputProblem(Problem(f"not UTF-8 text (byte {exc.start})", file=name, line=line)) from None


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _sniff(text: str) -> str:
    """Standard input has no suffix: a JSON array or single object, JSONL, or YAML."""
    body = _strip_bom(text).lstrip()
    if body.startswith("["):
        return "json"
    if body.startswith("{"):
        try:
            _DECODER.decode(body)
            return "json"
        except ValueError:
            return "jsonl"
    return "yaml"


def _jsonl(text: str, name: str) -> Iterator[RawRecord | Problem]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = _DECODER.decode(line)
        except ValueError as exc:
            yield Problem(f"not valid JSON: {exc}", file=name, line=number)
            continue
        yield RawRecord(data, Source(name, number))


def _json(text: str, name: str) -> Iterator[RawRecord]:
    """A single object, or an array read element by element so each keeps its line."""
    pos = _skip_ws(text, 0)
    if pos == len(text):
        return
    if text[pos] != "[":
        try:
            data = _DECODER.decode(text)
        except ValueError as exc:
            raise InputProblem(Problem(f"not valid JSON: {exc}", file=name, line=_line(text, exc))) from None
        yield RawRecord(data, Source(name, text.count("\n", 0, pos) + 1))
        return
    pos = _skip_ws(text, pos + 1)
    index = 0
    line, counted = 1, 0
    while pos < len(text) and text[pos] != "]":
        try:
            data, end = _DECODER.raw_decode(text, pos)
        except ValueError as exc:
            raise InputProblem(Problem(f"not valid JSON: {exc}", file=name, line=_line(text, exc))) from None
        line += text.count("\n", counted, pos)
        counted = pos
        yield RawRecord(data, Source(name, line, index))
        index += 1
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
        elif pos < len(text) and text[pos] != "]":
            raise InputProblem(Problem("not valid JSON: expected ',' or ']' between records", file=name, line=text.count("\n", 0, pos) + 1))
    if pos >= len(text) or _skip_ws(text, pos + 1) != len(text):
        raise InputProblem(Problem("not valid JSON: the array is not closed, or text follows it", file=name, line=text.count("\n", 0, min(pos, len(text))) + 1))


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, exc: ValueError) -> int | None:
    pos = getattr(exc, "pos", None)
    return text.count("\n", 0, pos) + 1 if isinstance(pos, int) else None


def _yaml(text: str, name: str) -> Iterator[RawRecord]:
    try:
        documents = load_yaml_all(text, name)
    except YamlProblem as exc:
        raise InputProblem(exc.problem) from None
    for document in documents:
        if document.data is None:
            continue
        if isinstance(document.data, list):
            for i, item in enumerate(document.data):
                lines = {path[1:]: line for path, line in document.lines.items() if path[:1] == (i,)}
                yield RawRecord(item, Source(name, document.line_of((i,)), i, lines))
        else:
            yield RawRecord(document.data, Source(name, document.line_of(()), None, document.lines))
