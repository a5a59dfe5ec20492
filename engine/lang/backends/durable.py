"""The durable-rules backend: a condition tree as a durable-rules message condition.

Live clocks (`sla watch`, engine.watch.rules) describe which message fires which
rule as condition trees over the message's fields; this backend writes them in
durable-rules' JSON form:

    Compare(eq, Field(kind), Literal(x))        {"kind": x}
    Compare(ne|lt|le|gt|ge, Field(f), v)        {"$neq"|"$lt"|"$lte"|"$gt"|"$gte": {f: v}}
    In(in, Field(f), Literal([a, b]))           {"$or": [{f: a}, {f: b}]}
    In(not_in, Field(f), Literal([a, b]))       {"$and": [{"$neq": {f: a}}, {"$neq": {f: b}}]}
    All / Any                                   {"$and": [...]} / {"$or": [...]} (one part: the part)

A message has no facts and no null tests here: what durable-rules cannot say is
refused with `Unsupported` when the ruleset is built, never at run time.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from engine.lang import ast

_OPS = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


class Unsupported(ValueError):
    """A condition durable-rules cannot express (a bug in the ruleset's construction)."""


def condition(node: ast.Node) -> Any:
    """The durable-rules condition of `node` (see the module docstring)."""
    if isinstance(node, (ast.All, ast.Any)):
        glue = "$and" if isinstance(node, ast.All) else "$or"
        parts: list[Any] = []
        for part in (condition(p) for p in node.parts):
            parts += part[glue] if isinstance(part, dict) and list(part) == [glue] else [part]
        return parts[0] if len(parts) == 1 else {glue: parts}
    if isinstance(node, ast.Compare):
        name, value = _field(node.left), _value(node.right)
        if node.op == "eq":
            return {name: value}
        if node.op not in _OPS:
            raise Unsupported(f"durable-rules has no operator for {node.op!r} ({node.at})")
        return {_OPS[node.op]: {name: value}}
    if isinstance(node, ast.In):
        _field(node.item)
        values = _value(node.container)
        if node.op == "in":
            return condition(ast.Any(tuple(ast.Compare("eq", node.item, ast.Literal(v, v)) for v in values)))
        if node.op == "not_in":
            return condition(ast.All(tuple(ast.Compare("ne", node.item, ast.Literal(v, v)) for v in values)))
        raise Unsupported(f"durable-rules has no operator for {node.op!r} ({node.at})")
    raise Unsupported(f"durable-rules cannot express {type(node).__name__} ({node.at})")


def _field(node: ast.Node) -> str:
    if not isinstance(node, ast.Field):
        raise Unsupported(f"durable-rules compares message fields with values; got {type(node).__name__} ({node.at})")
    return node.name


def _value(node: ast.Node) -> Any:
    if not isinstance(node, (ast.Literal, ast.Param)):
        raise Unsupported(f"durable-rules compares with a value; got {type(node).__name__} ({node.at})")
    return _json(node.value)


def _json(value: Any) -> Any:
    """A value as durable-rules' JSON holds it: whole numbers as ints."""
    if isinstance(value, Fraction):
        if value.denominator != 1:
            raise Unsupported(f"durable-rules has no exact fractions; got {value}")
        return int(value)
    if isinstance(value, (tuple, list)):
        return [_json(v) for v in value]
    return value
