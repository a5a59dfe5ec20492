"""Safe YAML loading that keeps where every value came from.

PyYAML's loaders lose line numbers, silently keep the last of two duplicate keys,
turn `12.34` into a binary float and `2024-04-24` into a date. Policy authors need
the opposite: exact decimals, dates kept as written (so a swapped month/day is
reported, not reinterpreted), duplicate keys rejected, and every error pointing at
a line. So we compose the node tree with the safe composer and build plain data
ourselves, recording the line of every key and value by its path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from engine.errors import PathPart, Problem
from engine.io.schemas import shown_key

Path = tuple[PathPart, ...]

_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_DECIMAL = re.compile(r"^[-+]?([0-9][0-9_]*)?\.[0-9_]+([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}

MAX_DEPTH = 64
MAX_NODES = 200_000  # far above a policy (~3,000) or a hand-written record file; large inputs are JSONL


@dataclass(frozen=True)
class Loaded:
    """A YAML document as plain data plus the 1-based line of each path in it."""

    data: Any
    lines: dict[Path, int]
    empty: bool = False  # no content at all (not even an explicit `null`)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


class YamlProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


class _AliasNode(yaml.ScalarNode):
    """Where an alias (*name) stood. PyYAML's composer returns the anchored node
    itself for an alias, which loses the alias's own line; this keeps it."""


class _Loader(yaml.SafeLoader):
    """The safe composer, with aliases kept as markers (never expanded, so an
    alias bomb costs nothing), nesting cut off at MAX_DEPTH levels before the
    composer's recursion could exhaust the stack, and at most MAX_NODES nodes
    composed (each costs a few hundred bytes before it is built)."""

    depth = 0
    count = 0
    file: str | None = None

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.count += 1
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            return _AliasNode("tag:yaml.org,2002:str", f"*{event.anchor}", event.start_mark, event.end_mark)
        if self.depth > MAX_DEPTH or self.count > MAX_NODES:
            mark = self.peek_event().start_mark
            message = (f"nesting deeper than {MAX_DEPTH} levels is not allowed" if self.depth > MAX_DEPTH
                       else f"document has more than {MAX_NODES} values")
            raise YamlProblem(Problem(message, file=self.file, line=mark.line + 1))
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_ALIAS_MESSAGE = "YAML aliases (*name) are not allowed; write the value out"
_STANDARD_TAG = "tag:yaml.org,2002:"


def _shown_tag(tag: str) -> str:
    """A tag as it was written: `!!python/object`, not `tag:yaml.org,2002:python/object`."""
    return "!!" + tag[len(_STANDARD_TAG):] if tag.startswith(_STANDARD_TAG) else tag


class _Builder:
    """Walks a composed node tree into dicts, lists and exact scalars."""

    def __init__(self, file: str | None):
        self.file = file
        self.lines: dict[Path, int] = {}
        self.count = 0
        self.seen: set[int] = set()

    def fail(self, node: yaml.Node, message: str, path: Path) -> None:
        raise YamlProblem(Problem(message, file=self.file, line=node.start_mark.line + 1, path=path))

    def build(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        self.count += 1
        if depth > MAX_DEPTH:
            self.fail(node, f"nesting deeper than {MAX_DEPTH} levels is not allowed", path)
        if self.count > MAX_NODES:
            self.fail(node, f"document has more than {MAX_NODES} values", path)
        if isinstance(node, _AliasNode) or id(node) in self.seen:
            self.fail(node, _ALIAS_MESSAGE, path)
        self.seen.add(id(node))
        self.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in _PLAIN_TAGS:
            self.fail(node, f"YAML tag {_shown_tag(node.tag)} is not allowed; write plain values", path)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        try:
            return _scalar(node)
        except ValueError as exc:  # a number no value the engine reads can be (see _number_bounds)
            self.fail(node, str(exc), path)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, _AliasNode):
                self.fail(key_node, _ALIAS_MESSAGE, path)
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "mapping keys must be plain text", path)
            key = key_node.value if key_node.style else _scalar(key_node)
            if not isinstance(key, (str, int)):
                self.fail(key_node, f"mapping key {key_node.value!r} must be text or a whole number", path)
            key = str(key)
            if key == "<<":
                self.fail(key_node, "YAML merge keys (<<) are not allowed; write the values out", path)
            if key in out:
                first = self.lines.get(path + (key,))
                self.fail(key_node, f"duplicate key {key!r} (first given on line {first})", path + (shown_key(key),))
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out


_PLAIN_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:merge",
}


def _scalar(node: yaml.ScalarNode) -> Any:
    """Plain scalars become None, bool, int or exact Decimal; everything else stays text."""
    text = node.value
    if node.style:  # quoted or block scalars are always text
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        _number_bounds(text)
        return int(text.replace("_", ""))
    if _DECIMAL.match(text):
        _number_bounds(text)
        number = Decimal(text.replace("_", ""))
        if number.is_finite() and number and abs(number.adjusted()) > MAX_NUMBER_DIGITS:
            raise ValueError(f"number {text[:20]}{'...' if len(text) > 20 else ''} is out of range "
                             f"(more than {MAX_NUMBER_DIGITS} digits before or after the point)")
        return number
    return text


MAX_NUMBER_DIGITS = 100  # no number in a policy or record needs more; 1e999999999 or a 5,000-digit integer is refused at once


def _number_bounds(text: str) -> None:
    """A plain number literal longer than any real value (a clean error, never Python's
    integer-conversion limit or a billion-digit computation later)."""
    if len(text) > MAX_NUMBER_DIGITS + 10:
        raise ValueError(f"number {text[:20]}... has {len(text)} characters; at most {MAX_NUMBER_DIGITS} digits are allowed")


def load_yaml(text: str, file: str | None = None) -> Loaded:
    """Parse one YAML document. Raises YamlProblem with file and line on any fault."""
    return _load(text, file, multi=False)[0]


def load_yaml_all(text: str, file: str | None = None) -> list[Loaded]:
    """Parse every document of a multi-document YAML stream."""
    return _load(text, file, multi=True)


def _load(text: str, file: str | None, multi: bool) -> list[Loaded]:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        loader = _Loader(text)
        loader.file = file
        try:
            nodes = []
            while loader.check_node():
                nodes.append(loader.get_node())
                if not multi and loader.check_node():
                    line = loader.peek_event().start_mark.line + 1
                    raise YamlProblem(Problem("expected one YAML document, found several", file=file, line=line))
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        line = text.count("\n", 0, exc.position) + 1
        raise YamlProblem(Problem(f"not valid YAML: character {chr(exc.character)!r} is not allowed in YAML text",
                                  file=file, line=line)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise YamlProblem(Problem(f"not valid YAML: {reason}", file=file, line=line)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Problem(f"not valid YAML: {exc}", file=file)) from None
    except RecursionError:
        raise YamlProblem(Problem("not valid YAML: nesting is too deep", file=file)) from None
    out = []
    for node in nodes or [None]:
        builder = _Builder(file)
        data = None if node is None else builder.build(node, ())
        empty = node is None or (isinstance(node, yaml.ScalarNode) and node.value == "" and not node.style
                                 and node.tag == "tag:yaml.org,2002:null")
        out.append(Loaded(data, builder.lines or {(): 1}, empty))  # an empty document is at line 1
    return out
