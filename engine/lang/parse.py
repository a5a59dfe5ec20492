"""From a rule's YAML `when:` to the syntax tree (engine.lang.ast).

    {all: [C, ...]}   {any: [C, ...]}   {not: C}
    {OP: [X, Y]}      OP: any binary operator of engine.lang.operators (eq ne lt le gt ge in not_in)
    {is_null: X}      {not_null: X}
    X                 a bare operand that must be true

and an operand X is `{field: dotted.path}` (the record), `{fact: name}` (derived
by the engine), `{param: dotted.path}` (a value of the same policy file, fixed
here) or a literal. Every name is checked against a `Vocabulary`, so an unknown
fact, field, param or operator is a policy error with its path and a
did-you-mean, not a surprise at evaluation time. Every node is marked with the
file, line and YAML path it was written at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from engine.errors import PathPart, Problem
from engine.io.schemas import did_you_mean
from engine.lang import ast
from engine.lang.operators import OPERATORS
from engine.lang.values import normalize

Path = tuple[PathPart, ...]
JUNCTIONS = {"all": ast.All, "any": ast.Any}
NULL_TESTS = {"is_null": False, "not_null": True}  # keyword -> IsNull.negated
OPERAND_KEYS = ("field", "fact", "param")


@dataclass(frozen=True)
class Vocabulary:
    """The names a condition may use, to check it when it is parsed."""

    facts: frozenset[str]
    fields: frozenset[str]  # dotted paths into the record
    params: Mapping[str, Any]  # the policy document


class ConditionError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


def keywords() -> list[str]:
    """Every key a condition may start with."""
    return [*JUNCTIONS, "not", *OPERATORS, *NULL_TESTS, *OPERAND_KEYS]


class Parser:
    """Parses condition trees of one file. `vocab=None` parses without checking
    names (params then hold no value): for tools that only show a condition."""

    def __init__(self, vocab: Vocabulary | None, file: str | None = None,
                 line_of: Callable[[Path], int | None] | None = None):
        self.vocab, self.file, self.line_of = vocab, file, line_of

    def mark(self, path: Path) -> ast.Mark:
        return ast.Mark(self.file, self.line_of(path) if self.line_of else None, path)

    def fail(self, message: str, path: Path) -> ConditionError:
        return ConditionError(Problem(message, file=self.file, line=self.line_of(path) if self.line_of else None, path=path))

    def condition(self, tree: Any, path: Path) -> ast.Node:
        """A condition node; raises ConditionError naming the bad path."""
        if not isinstance(tree, Mapping) or len(tree) != 1:
            raise self.fail("a condition is a mapping with exactly one operator", path)
        (op, arg), = tree.items()
        at = self.mark(path)
        if op in JUNCTIONS:
            if not isinstance(arg, list):
                raise self.fail(f"{op} takes a list of conditions", path + (op,))
            return JUNCTIONS[op](tuple(self.condition(sub, path + (op, i)) for i, sub in enumerate(arg)), at=at)
        if op == "not":
            return ast.Not(self.condition(arg, path + ("not",)), at=at)
        if op in OPERATORS:
            if not isinstance(arg, list) or len(arg) != 2:
                raise self.fail(f"{op} takes a list of two operands, e.g. {{{op}: [{{fact: severity}}, 1]}}", path + (op,))
            left, right = self.operand(arg[0], path + (op, 0)), self.operand(arg[1], path + (op, 1))
            return OPERATORS[op].node(op, left, right, at=at)  # type: ignore[call-arg]
        if op in NULL_TESTS:
            return ast.IsNull(self.operand(arg, path + (op,)), NULL_TESTS[op], at=at)
        if op in OPERAND_KEYS:
            return ast.Truth(self.operand(tree, path), at=at)
        raise self.fail(f"unknown operator {op!r}{did_you_mean(str(op), keywords())}", path + (op,))

    def operand(self, tree: Any, path: Path) -> ast.Node:
        if isinstance(tree, Mapping) and len(tree) == 1 and next(iter(tree)) in OPERAND_KEYS:
            (kind, name), = tree.items()
            return {"field": self.field, "fact": self.fact, "param": self.param}[kind](str(name), path + (kind,))
        return ast.Literal(normalize(tree), tree, at=self.mark(path))

    def fact(self, name: str, path: Path) -> ast.Node:
        if self.vocab is not None and name not in self.vocab.facts:
            raise self.fail(f"unknown fact {name!r}{did_you_mean(name, sorted(self.vocab.facts))}", path)
        return ast.Fact(name, at=self.mark(path))

    def field(self, name: str, path: Path) -> ast.Node:
        if self.vocab is not None and name not in self.vocab.fields:
            raise self.fail(f"unknown record field {name!r}{did_you_mean(name, sorted(self.vocab.fields))}", path)
        return ast.Field(name, at=self.mark(path))

    def param(self, name: str, path: Path) -> ast.Node:
        if self.vocab is None:
            return ast.Param(name, None, at=self.mark(path))
        value: Any = self.vocab.params
        for key in name.split("."):
            if not isinstance(value, Mapping) or key not in value:
                options = sorted(map(str, value)) if isinstance(value, Mapping) else []
                raise self.fail(f"policy has no value {name!r} (no {key!r}{did_you_mean(key, options)})", path)
            value = value[key]
        return ast.Param(name, normalize(value), at=self.mark(path))


def parse_condition(tree: Any, vocab: Vocabulary | None, path: Path = (), file: str | None = None,
                    line_of: Callable[[Path], int | None] | None = None) -> ast.Node:
    """The syntax tree of one YAML condition (see the module docstring)."""
    return Parser(vocab, file, line_of).condition(tree, path)
