"""The Python backend: a condition tree compiled once into plain closures.

`predicate(node)` returns a function of a `Scope` (the record's typed fields and
the derived facts) that says whether the condition holds. This is the hot path
of `sla evaluate` and `sla check` (a few closures a rule, millions of records a
run), so constants are folded into the closures and junctions of two parts are
unrolled. The operator functions are the registry's (engine.lang.operators).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from engine.lang import ast
from engine.lang.operators import OPERATORS
from engine.lang.scope import Scope

Getter = Callable[[Scope], Any]
Predicate = Callable[[Scope], bool]


def predicate(node: ast.Node) -> Predicate:
    """The closure deciding whether `node` holds in a scope."""
    return _PREDICATES[type(node)](node)


def getter(node: ast.Node) -> Getter:
    """The closure reading an operand's value in a scope."""
    return _GETTERS[type(node)](node)


def constant(node: ast.Node) -> tuple[bool, Any]:
    """(True, value) for an operand fixed when compiled (a literal or a param)."""
    if isinstance(node, (ast.Literal, ast.Param)):
        return True, node.value
    return False, None


# -- operands ----------------------------------------------------------------

def _fact(node: ast.Fact) -> Getter:
    name = node.name
    return lambda s: s.facts[name]


def _field(node: ast.Field) -> Getter:
    keys = node.keys
    if len(keys) == 1:
        key = keys[0]
        return lambda s: s.fields.get(key)

    def get(scope: Scope) -> Any:
        value: Any = scope.fields
        for key in keys:
            # dict first: isinstance against typing's Mapping is an ABC check, slow on the hot path
            value = value.get(key) if type(value) is dict or isinstance(value, Mapping) else None
        return value

    return get


def _fixed(node: ast.Literal | ast.Param) -> Getter:
    value = node.value
    return lambda s: value


_GETTERS: dict[type, Callable[[Any], Getter]] = {ast.Fact: _fact, ast.Field: _field, ast.Literal: _fixed, ast.Param: _fixed}


# -- conditions --------------------------------------------------------------

def _binary(node: ast.Compare | ast.In) -> Predicate:
    test = OPERATORS[node.op].test
    left, right = (node.left, node.right) if isinstance(node, ast.Compare) else (node.item, node.container)
    fixed, value = constant(right)
    get = getter(left)
    if fixed:
        return lambda s: test(get(s), value)
    other = getter(right)
    return lambda s: test(get(s), other(s))


def _all(node: ast.All) -> Predicate:
    tests = tuple(predicate(p) for p in node.parts)
    if len(tests) == 2:
        a, b = tests
        return lambda s: a(s) and b(s)
    return lambda s: all(t(s) for t in tests)


def _any(node: ast.Any) -> Predicate:
    tests = tuple(predicate(p) for p in node.parts)
    if len(tests) == 2:
        a, b = tests
        return lambda s: a(s) or b(s)
    return lambda s: any(t(s) for t in tests)


def _not(node: ast.Not) -> Predicate:
    inner = predicate(node.part)
    return lambda s: not inner(s)


def _is_null(node: ast.IsNull) -> Predicate:
    get = getter(node.operand)
    if node.negated:
        return lambda s: get(s) is not None
    return lambda s: get(s) is None


def _truth(node: ast.Truth) -> Predicate:
    get = getter(node.operand)
    return lambda s: get(s) is True


_PREDICATES: dict[type, Callable[[Any], Predicate]] = {
    ast.Compare: _binary, ast.In: _binary, ast.All: _all, ast.Any: _any, ast.Not: _not,
    ast.IsNull: _is_null, ast.Truth: _truth,
}
