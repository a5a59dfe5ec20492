"""The condition language of policy rules, as the rest of the engine uses it.

A rule's `when:` is parsed into a syntax tree (engine.lang.parse, nodes in
engine.lang.ast) and compiled by the Python backend (engine.lang.backends.python)
into a `Condition`: `test` is the fast predicate of batch evaluation, `explain`
walks the tree to say why, and `node` is the tree itself for every other reader
(lint, diff, the durable-rules backend of live clocks, a future SQL backend).
Numbers are compared exactly (Fraction); an ordering with null is false.
"""

from __future__ import annotations

from typing import Any, Callable

from engine.errors import PathPart
from engine.lang import ast
from engine.lang.backends.python import Predicate, predicate
from engine.lang.explain import explain
from engine.lang.parse import ConditionError, Vocabulary, parse_condition
from engine.lang.scope import Scope
from engine.lang.values import normalize, show

__all__ = ["Condition", "ConditionError", "Scope", "Vocabulary", "compile_condition", "normalize", "show"]


class Condition:
    """A parsed and compiled condition: `node` the tree, `test` the fast predicate."""

    __slots__ = ("node", "test")

    def __init__(self, node: ast.Node, test: Predicate):
        self.node = node
        self.test = test

    def explain(self, scope: Scope) -> tuple[bool, str]:
        """Whether the condition holds, and why (see engine.lang.explain)."""
        return explain(self.node, scope)


def compile_condition(tree: Any, vocab: Vocabulary, path: tuple[PathPart, ...], file: str | None = None,
                      line_of: Callable[[tuple[PathPart, ...]], int | None] | None = None) -> Condition:
    """Parse and compile one YAML condition; raises ConditionError naming the bad path."""
    node = parse_condition(tree, vocab, path, file, line_of)
    return Condition(node, predicate(node))
