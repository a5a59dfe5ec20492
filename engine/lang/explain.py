"""A condition explained: the tree walked in a scope, each part with its value.

    (escalated_to_restricted_severity (true) ✓ ∧ escalation_request_at (null) = null ✓)

An operand reads `name (value)`; a literal or param already shows its value. The
answer is the Python backend's, so an explanation never disagrees with a decision.
"""

from __future__ import annotations

from typing import Any

from engine.lang import ast
from engine.lang.backends.python import getter, predicate
from engine.lang.operators import OPERATORS
from engine.lang.scope import Scope
from engine.lang.values import show


def explain(node: ast.Node, scope: Scope) -> tuple[bool, str]:
    """Whether `node` holds in `scope`, and why, in one line."""
    return _EXPLAIN[type(node)](node, scope)


def label(node: ast.Node) -> str:
    """An operand's name as an explanation writes it (a literal: its value)."""
    if isinstance(node, ast.Literal):
        return repr(node.value) if isinstance(node.value, str) else show(node.value)
    if isinstance(node, ast.Param):
        return f"{node.name} ({show(node.value)})"
    return node.name  # type: ignore[attr-defined, no-any-return]


def term(node: ast.Node, scope: Scope) -> str:
    """How an operand reads: `name (value)`, or just the value when it is fixed."""
    if isinstance(node, (ast.Literal, ast.Param)):
        return label(node)
    return f"{label(node)} ({show(getter(node)(scope))})"


def _binary(node: ast.Compare | ast.In, scope: Scope) -> tuple[bool, str]:
    left, right = (node.left, node.right) if isinstance(node, ast.Compare) else (node.item, node.container)
    return predicate(node)(scope), f"{term(left, scope)} {OPERATORS[node.op].symbol} {term(right, scope)}"


def _junction(node: ast.All | ast.Any, scope: Scope) -> tuple[bool, str]:
    results = [explain(p, scope) for p in node.parts]
    glue = " ∧ " if isinstance(node, ast.All) else " ∨ "
    held = all(ok for ok, _ in results) if isinstance(node, ast.All) else any(ok for ok, _ in results)
    return held, "(" + glue.join(f"{text} {'✓' if ok else '✗'}" for ok, text in results) + ")"


def _not(node: ast.Not, scope: Scope) -> tuple[bool, str]:
    ok, text = explain(node.part, scope)
    return not ok, f"¬({text})"


def _is_null(node: ast.IsNull, scope: Scope) -> tuple[bool, str]:
    return predicate(node)(scope), f"{term(node.operand, scope)} {'≠' if node.negated else '='} null"


def _truth(node: ast.Truth, scope: Scope) -> tuple[bool, str]:
    return predicate(node)(scope), term(node.operand, scope)


_EXPLAIN: dict[type, Any] = {
    ast.Compare: _binary, ast.In: _binary, ast.All: _junction, ast.Any: _junction, ast.Not: _not,
    ast.IsNull: _is_null, ast.Truth: _truth,
}
