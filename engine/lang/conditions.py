"""The condition language of policy rules, compiled once into Python predicates.

A condition is a small YAML tree:

    {all: [C, ...]}   {any: [C, ...]}   {not: C}
    {eq|ne|lt|le|gt|ge: [X, Y]}   {in|not_in: [X, LIST]}   {is_null: X}   {not_null: X}
    X                                  (a bare operand that must be true)

and an operand X is `{field: dotted.path}` (the record), `{fact: name}` (derived
by the engine), `{param: dotted.path}` (a value of the same policy file, fixed at
compile time) or a literal. Numbers are compared exactly (Fraction); a comparison
with null is false. Compilation checks every name, so an unknown fact or param
is a policy error with its path, not a surprise at evaluation time.

The tree is independent of how it runs: `compile_condition` builds plain Python
closures for batch evaluation; other back ends (live clocks) can walk the same tree.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Mapping

from engine.errors import PathPart, Problem
from engine.exact import decimal_text
from engine.io.schemas import did_you_mean
from engine.timeutil import iso

Getter = Callable[["Scope"], Any]
Predicate = Callable[["Scope"], bool]

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}
OPERAND_KEYS = ("field", "fact", "param")


@dataclass(frozen=True)
class Scope:
    """What a condition can read while it is evaluated: the record's fields and the facts."""

    fields: Mapping[str, Any]
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class Vocabulary:
    """The names a condition may use, to check it at compile time."""

    facts: frozenset[str]
    fields: frozenset[str]  # dotted paths into the record
    params: Mapping[str, Any]  # the policy document


class ConditionError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


class Condition:
    """A compiled condition: `test` is the fast predicate, `explain` says why."""

    def __init__(self, test: Predicate, explain: Callable[[Scope], tuple[bool, str]]):
        self.test = test
        self.explain = explain


def normalize(value: Any) -> Any:
    """Literals and params in comparable form: numbers exact, lists as tuples, mappings as their keys."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, datetime, Fraction)):
        return value
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    if isinstance(value, Mapping):
        return frozenset(str(k) for k in value)
    return value


def show(value: Any) -> str:
    """A value as a person reads it in an explanation or message."""
    kind = type(value)  # the common exact types first: messages show several values per decision
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if kind is Fraction:
        return decimal_text(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        return decimal_text(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value, key=str) if isinstance(value, (frozenset, set)) else value
        return ", ".join(show(v) for v in items)
    return str(value)


def compile_condition(tree: Any, vocab: Vocabulary, path: tuple[PathPart, ...]) -> Condition:
    """Compile a condition tree; raises ConditionError naming the bad path."""
    if not isinstance(tree, Mapping) or len(tree) != 1:
        raise ConditionError(Problem("a condition is a mapping with exactly one operator", path=path))
    (op, arg), = tree.items()
    if op in ("all", "any"):
        parts = [compile_condition(sub, vocab, path + (op, i)) for i, sub in enumerate(arg)]
        return _junction(op, parts)
    if op == "not":
        inner = compile_condition(arg, vocab, path + ("not",))
        return Condition(lambda s: not inner.test(s), lambda s: _negate(inner.explain(s)))
    if op in COMPARISONS or op in ("in", "not_in"):
        left = _operand(arg[0], vocab, path + (op, 0))
        right = _operand(arg[1], vocab, path + (op, 1))
        return _binary(op, left, right)
    if op in ("is_null", "not_null"):
        value = _operand(arg, vocab, path + (op,))
        want_null = op == "is_null"
        return Condition(
            lambda s: (value.get(s) is None) == want_null,
            lambda s: _said((value.get(s) is None) == want_null, f"{value.term(s)} {'=' if want_null else '≠'} null"),
        )
    if op in OPERAND_KEYS:
        value = _operand(tree, vocab, path)
        return Condition(lambda s: value.get(s) is True, lambda s: _said(value.get(s) is True, value.term(s)))
    known = ["all", "any", "not", *COMPARISONS, "in", "not_in", "is_null", "not_null", *OPERAND_KEYS]
    raise ConditionError(Problem(f"unknown operator {op!r}{did_you_mean(op, known)}", path=path + (op,)))


@dataclass(frozen=True)
class _Operand:
    get: Getter
    label: str
    fixed: bool = False  # a literal or a param: its label already shows its value

    def term(self, scope: Scope) -> str:
        """How the operand reads in an explanation: `name (value)`, or just the value."""
        return self.label if self.fixed else f"{self.label} ({show(self.get(scope))})"


def _operand(tree: Any, vocab: Vocabulary, path: tuple[PathPart, ...]) -> _Operand:
    if isinstance(tree, Mapping) and len(tree) == 1 and next(iter(tree)) in OPERAND_KEYS:
        (kind, name), = tree.items()
        return {"field": _field, "fact": _fact, "param": _param}[kind](str(name), vocab, path + (kind,))
    constant = normalize(tree)
    return _Operand(lambda s: constant, show(constant) if not isinstance(constant, str) else repr(constant), fixed=True)


def _fact(name: str, vocab: Vocabulary, path: tuple[PathPart, ...]) -> _Operand:
    if name not in vocab.facts:
        hint = did_you_mean(name, sorted(vocab.facts))
        raise ConditionError(Problem(f"unknown fact {name!r}{hint}", path=path))
    return _Operand(lambda s: s.facts[name], name)


def _field(name: str, vocab: Vocabulary, path: tuple[PathPart, ...]) -> _Operand:
    if name not in vocab.fields:
        hint = did_you_mean(name, sorted(vocab.fields))
        raise ConditionError(Problem(f"unknown record field {name!r}{hint}", path=path))
    keys = name.split(".")

    def get(scope: Scope) -> Any:
        value: Any = scope.fields
        for key in keys:
            # dict first: isinstance against typing's Mapping is an ABC check, slow on the hot path
            value = value.get(key) if type(value) is dict or isinstance(value, Mapping) else None
        return value

    return _Operand(get, name)


def _param(name: str, vocab: Vocabulary, path: tuple[PathPart, ...]) -> _Operand:
    value: Any = vocab.params
    for key in name.split("."):
        if not isinstance(value, Mapping) or key not in value:
            options = sorted(map(str, value)) if isinstance(value, Mapping) else []
            raise ConditionError(Problem(f"policy has no value {name!r} (no {key!r}{did_you_mean(key, options)})", path=path))
        value = value[key]
    constant = normalize(value)
    return _Operand(lambda s: constant, f"{name} ({show(constant)})", fixed=True)


def _binary(op: str, left: _Operand, right: _Operand) -> Condition:
    if op in ("in", "not_in"):
        want = op == "in"

        def test(s: Scope) -> bool:
            container = right.get(s)
            return (left.get(s) in container) == want if container is not None else not want

        def explain(s: Scope) -> tuple[bool, str]:
            word = "∈" if want else "∉"
            return _said(test(s), f"{left.term(s)} {word} {right.term(s)}")

        return Condition(test, explain)
    compare = COMPARISONS[op]
    nullable_ok = op in ("eq", "ne")

    def test_cmp(s: Scope) -> bool:
        a, b = left.get(s), right.get(s)
        if (a is None or b is None) and not nullable_ok:
            return False
        return compare(a, b)

    def explain_cmp(s: Scope) -> tuple[bool, str]:
        return _said(test_cmp(s), f"{left.term(s)} {SYMBOLS[op]} {right.term(s)}")

    return Condition(test_cmp, explain_cmp)


def _junction(op: str, parts: list[Condition]) -> Condition:
    combine = all if op == "all" else any
    tests = [p.test for p in parts]

    def test(s: Scope) -> bool:
        return combine(t(s) for t in tests)

    def explain(s: Scope) -> tuple[bool, str]:
        results = [p.explain(s) for p in parts]
        glue = " ∧ " if op == "all" else " ∨ "
        return test(s), "(" + glue.join(f"{text} {'✓' if ok else '✗'}" for ok, text in results) + ")"

    return Condition(test, explain)


def _negate(result: tuple[bool, str]) -> tuple[bool, str]:
    ok, text = result
    return not ok, f"¬({text})"


def _said(ok: bool, text: str) -> tuple[bool, str]:
    return ok, text
