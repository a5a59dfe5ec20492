"""The operator registry: one binary operator, one small function.

As jsonschema keeps one function per keyword, each comparison of the condition
language is one function here, registered with `@operator(name, symbol, node)`.
The parser accepts every registered name as a YAML key (`{lt: [X, Y]}`), builds
the registered node type (`Compare` or `In`), and every backend looks the name
up here: the Python backend calls the function, the durable-rules backend and a
SQL backend map the name to their own operator. Adding an operator is one
function here (and one entry in each backend that is meant to run it).

Null semantics are the function's: an ordering with null is false; `eq`/`ne`
compare null like any value; `in` a null container is false, `not_in` true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from engine.lang.ast import Compare, In, Node


@dataclass(frozen=True)
class Operator:
    name: str
    symbol: str  # how an explanation writes it
    node: type[Node]  # the node the parser builds: Compare or In
    test: Callable[[Any, Any], bool]


OPERATORS: dict[str, Operator] = {}


def operator(name: str, symbol: str, node: type[Node] = Compare) -> Callable[[Callable[[Any, Any], bool]], Callable[[Any, Any], bool]]:
    """Register `function` as the binary operator `name` of the language."""

    def register(function: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
        OPERATORS[name] = Operator(name, symbol, node, function)
        return function

    return register


@operator("eq", "=")
def eq(a: Any, b: Any) -> bool:
    return a == b


@operator("ne", "≠")
def ne(a: Any, b: Any) -> bool:
    return a != b


@operator("lt", "<")
def lt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a < b


@operator("le", "≤")
def le(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a <= b


@operator("gt", ">")
def gt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a > b


@operator("ge", "≥")
def ge(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a >= b


@operator("in", "∈", In)
def in_(item: Any, container: Any) -> bool:
    return container is not None and item in container


@operator("not_in", "∉", In)
def not_in(item: Any, container: Any) -> bool:
    return container is None or item not in container
