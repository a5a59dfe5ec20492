"""The condition language as data: a frozen syntax tree.

A rule's `when:` is parsed once (engine.lang.parse) into these nodes; backends
compile the same tree to what they run (engine.lang.backends: Python closures
for batch evaluation, a durable-rules condition for live clocks; a SQL backend
would map each node to an expression, see docs/architecture.md). Tools that only
read a policy (lint, diff, explain) walk the tree instead of the raw YAML.

Every node carries `at`, where it was written (file, line, YAML path); `at` is
left out of equality, so two trees written differently but meaning the same
compare equal.

    condition := All(parts) | Any(parts) | Not(part)
               | Compare(op, left, right)          op: eq ne lt le gt ge
               | In(op, item, container)           op: in not_in
               | IsNull(operand, negated)          is_null / not_null
               | Truth(operand)                    a bare operand that must be true
    operand   := Field(name) | Fact(name) | Param(name, value) | Literal(value)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from engine.errors import PathPart, format_path


@dataclass(frozen=True)
class Mark:
    """Where a node was written: file, 1-based line and YAML path (any may be unknown)."""

    file: str | None = None
    line: int | None = None
    path: tuple[PathPart, ...] = ()

    def __str__(self) -> str:
        where = (self.file or "<policy>") + (f":{self.line}" if self.line is not None else "")
        return f"{where}: {format_path(self.path)}" if self.path else where


NOWHERE = Mark()


@dataclass(frozen=True)
class Node:
    """Base of every node; `at` (keyword only) is where it was written, not part of equality."""

    at: Mark = field(default=NOWHERE, compare=False, repr=False, kw_only=True)


# -- operands ----------------------------------------------------------------

@dataclass(frozen=True)
class Field(Node):
    """`{field: a.b}`: a value of the record, by dotted path."""

    name: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))


@dataclass(frozen=True)
class Fact(Node):
    """`{fact: name}`: a value the engine derives from the record before rules run."""

    name: str


@dataclass(frozen=True)
class Param(Node):
    """`{param: a.b}`: a value of the same policy file, resolved when the tree is parsed."""

    name: str
    value: object


@dataclass(frozen=True)
class Literal(Node):
    """A constant, in comparable form (numbers exact, lists as tuples); `raw` is as written."""

    value: object
    raw: object = field(default=None, compare=False, repr=False)


Operand = Field | Fact | Param | Literal


# -- conditions --------------------------------------------------------------

@dataclass(frozen=True)
class All(Node):
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Any(Node):  # noqa: A001 - the language's own name for a disjunction
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    part: Node


@dataclass(frozen=True)
class Compare(Node):
    """`{op: [left, right]}` for an ordering or equality operator of the registry."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    """`{in: [item, container]}` or `{not_in: ...}` (op names the registry's operator)."""

    op: str
    item: Node
    container: Node


@dataclass(frozen=True)
class IsNull(Node):
    """`{is_null: X}` (negated=False) or `{not_null: X}` (negated=True)."""

    operand: Node
    negated: bool = False


@dataclass(frozen=True)
class Truth(Node):
    """A bare operand as a condition: it holds when the value is `true`."""

    operand: Node


OPERANDS = (Field, Fact, Param, Literal)


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly under `node`, in written order."""
    if isinstance(node, (All, Any)):
        return node.parts
    if isinstance(node, Not):
        return (node.part,)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, In):
        return (node.item, node.container)
    if isinstance(node, (IsNull, Truth)):
        return (node.operand,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """`node` and every node under it, depth first, in written order."""
    yield node
    for child in children(node):
        yield from walk(child)


def names(node: Node) -> set[tuple[str, str]]:
    """Every ("field" | "fact" | "param", name) the tree reads."""
    kinds = {Field: "field", Fact: "fact", Param: "param"}
    return {(kinds[type(n)], n.name) for n in walk(node) if type(n) in kinds}  # type: ignore[attr-defined]
