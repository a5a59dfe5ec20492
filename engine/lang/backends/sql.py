"""The SQL backend: a condition tree compiled into one SQL boolean expression.

`condition(node, scope, dialect)` returns SQL that is TRUE exactly where the
Python backend's predicate holds and FALSE elsewhere, never NULL, over one row
per record whose columns the `SqlScope` types. Each operand is a `Value`: its
SQL and its type, one of

    int      BIGINT                      frac   numerator/denominator columns (d > 0),
    bool     BOOLEAN                            compared by cross-multiplication
    text     VARCHAR                     instant  BIGINT microseconds since the epoch (UTC)
    texts    list of VARCHAR (never a null element)

Params and literals are constants of their revision, inlined (and folded when
both sides are constants). The semantics are the operator registry's
(engine.lang.operators), with Python's equality across types:

- `eq`/`ne` compare null like a value; numbers compare by value whatever their
  type (an int fact equals a Fraction param, `true` equals 1, as in Python);
  values of different types (a text and a number, an instant and a text) are
  never equal, only two nulls are;
- an ordering with null is false, also under `Not`; an ordering of types Python
  cannot order (a text and a number) is refused, since the row engine rejects
  every record where both are set;
- `in` a null container is false, `not_in` true; a constant list or a param
  mapping (its keys) is tested element by element with `eq`; a texts column with
  `list_contains`; a text container as a substring test;
- `Truth(x)` holds only where x is the boolean true.

Anything else (lists compared as wholes, a date param, an unknown operator or
a field the scope does not type) raises `Uncompilable` when compiled, naming
where it was written: the runner then leaves that rule's kind to the row engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Callable, Mapping

from engine.columnar.dialect import Dialect
from engine.lang import ast
from engine.lang.operators import OPERATORS
from engine.timeutil import micros

TYPES = ("int", "frac", "instant", "bool", "text", "texts")
_NUMBERS = frozenset({"int", "frac", "bool"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ORDER = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class Uncompilable(Exception):
    """A condition the SQL backend cannot express exactly; `rule` and `at` say which and where."""

    def __init__(self, reason: str, at: ast.Mark = ast.NOWHERE, rule: str | None = None):
        self.reason, self.at, self.rule = reason, at, rule
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f" ({self.at})" if self.at != ast.NOWHERE else ""
        return f"{'rule ' + self.rule + ': ' if self.rule else ''}{self.reason}{where}"

    def for_rule(self, rule: str) -> "Uncompilable":
        """The same refusal naming the rule it was found in."""
        return Uncompilable(self.reason, self.at, rule)


_CONSTANT = object()  # marks a Value's `value` as unknown (a column)


@dataclass(frozen=True)
class Value:
    """An operand in SQL: `sql` (the numerator of a frac), `den` (a frac's
    denominator), its type, and `value` when it is a compile-time constant."""

    type: str  # one of TYPES, or "null" / "items" for constants (a null, a list or a mapping's keys)
    sql: str
    den: str = "1"
    value: Any = _CONSTANT

    @property
    def constant(self) -> bool:
        return self.value is not _CONSTANT

    @property
    def is_null_sql(self) -> str:
        if self.constant:
            return "TRUE" if self.value is None else "FALSE"
        return f"({self.sql} IS NULL)"


@dataclass(frozen=True)
class SqlScope:
    """The typed columns a condition reads: facts and record fields by name."""

    facts: Mapping[str, Value]
    fields: Mapping[str, Value]


def column(name: str, kind: str, dialect: Dialect, qualifier: str = "") -> Value:
    """The Value of a column `name` of type `kind` (a frac is `name__n`, `name__d`), quoted."""
    if kind not in TYPES:
        raise ValueError(f"unknown column type {kind!r}; expected one of {', '.join(TYPES)}")
    if not _IDENT.match(name):
        raise ValueError(f"{name!r} is not a plain SQL column name")
    prefix = f"{qualifier}." if qualifier else ""
    if kind == "frac":
        return Value("frac", prefix + dialect.ident(f"{name}__n"), prefix + dialect.ident(f"{name}__d"))
    return Value(kind, prefix + dialect.ident(name))


FIELD_PREFIX = "field__"  # fields next to facts: a claim has both a field and a fact `submitted_at`


def field_column(path: str) -> str:
    """The column of a record field path next to the facts: `portal_case.customer_name` ->
    `field__portal_case__customer_name` (a staged relation names it without the prefix)."""
    return FIELD_PREFIX + path.replace(".", "__")


def scope(dialect: Dialect, fact_types: Mapping[str, str], field_types: Mapping[str, str] = {},
          qualifier: str = "") -> SqlScope:
    """A scope over one relation holding the facts and fields with the given types."""
    return SqlScope({n: column(n, t, dialect, qualifier) for n, t in fact_types.items()},
                    {p: column(field_column(p), t, dialect, qualifier) for p, t in field_types.items()})


# -- operands ----------------------------------------------------------------

def operand(node: ast.Node, where: SqlScope, dialect: Dialect) -> Value:
    """The Value of an operand node."""
    if isinstance(node, ast.Fact):
        if node.name not in where.facts:
            raise Uncompilable(f"fact {node.name!r} has no SQL column", node.at)
        return where.facts[node.name]
    if isinstance(node, ast.Field):
        if node.name not in where.fields:
            raise Uncompilable(f"record field {node.name!r} has no typed SQL column", node.at)
        return where.fields[node.name]
    if isinstance(node, (ast.Param, ast.Literal)):
        return constant(node.value, dialect, node.at)
    raise Uncompilable(f"{type(node).__name__} is not an operand", node.at)


def constant(value: Any, dialect: Dialect, at: ast.Mark = ast.NOWHERE) -> Value:
    """A compile-time constant as a Value (values as engine.lang.values.normalize holds them)."""
    if value is None:
        return Value("null", "NULL", value=None)
    if isinstance(value, bool):
        return Value("bool", "TRUE" if value else "FALSE", value=value)
    if isinstance(value, int):
        return Value("int", dialect.integer(value), value=value)
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return Value("int", dialect.integer(value.numerator), value=value)
        return Value("frac", dialect.integer(value.numerator), dialect.integer(value.denominator), value=value)
    if isinstance(value, str):
        return Value("text", dialect.text(value), value=value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return Value("instant", dialect.integer(micros(value)), value=value)
    if isinstance(value, (tuple, frozenset)):
        return Value("items", "", value=value)
    kind = "date" if isinstance(value, date) else type(value).__name__
    raise Uncompilable(f"a {kind} constant ({value!r}) has no SQL form here", at)


def _class(value: Value) -> str:
    return "number" if value.type in _NUMBERS else value.type


def _ratio(value: Value, dialect: Dialect) -> tuple[str, str]:
    """(numerator, denominator) SQL of a number (a bool counts as 0 or 1, as in Python)."""
    if value.type == "bool":
        return f"CAST({value.sql} AS BIGINT)", "1"
    return value.sql, value.den


# -- conditions --------------------------------------------------------------

def condition(node: ast.Node, where: SqlScope, dialect: Dialect) -> str:
    """The SQL boolean (never null) that holds exactly where `node` holds."""
    compile_ = _CONDITIONS.get(type(node))
    if compile_ is None:
        raise Uncompilable(f"{type(node).__name__} is not a condition", node.at)
    try:
        return compile_(node, where, dialect)
    except Uncompilable as exc:
        if exc.at == ast.NOWHERE and node.at != ast.NOWHERE:  # an operand without a mark: where its condition was written
            raise Uncompilable(exc.reason, node.at, exc.rule) from None
        raise


def _all(node: ast.All, where: SqlScope, dialect: Dialect) -> str:
    parts = [condition(p, where, dialect) for p in node.parts]
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def _any(node: ast.Any, where: SqlScope, dialect: Dialect) -> str:
    parts = [condition(p, where, dialect) for p in node.parts]
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _not(node: ast.Not, where: SqlScope, dialect: Dialect) -> str:
    return f"(NOT {condition(node.part, where, dialect)})"


def _is_null(node: ast.IsNull, where: SqlScope, dialect: Dialect) -> str:
    value = operand(node.operand, where, dialect)
    if value.constant:
        return _bool((value.value is None) != node.negated)
    return f"({value.sql} IS {'NOT ' if node.negated else ''}NULL)"


def _truth(node: ast.Truth, where: SqlScope, dialect: Dialect) -> str:
    value = operand(node.operand, where, dialect)
    if value.constant:
        return _bool(value.value is True)
    return f"COALESCE({value.sql}, FALSE)" if value.type == "bool" else "FALSE"


def _compare(node: ast.Compare, where: SqlScope, dialect: Dialect) -> str:
    if node.op not in OPERATORS or node.op not in ("eq", "ne", *_ORDER):
        raise Uncompilable(f"operator {node.op!r} has no SQL form", node.at)
    left, right = operand(node.left, where, dialect), operand(node.right, where, dialect)
    if left.constant and right.constant:
        return _folded(node, left.value, right.value)
    if node.op in ("eq", "ne"):
        same = equal(left, right, dialect, node.at)
        return same if node.op == "eq" else f"(NOT {same})"
    return _ordered(node, left, right, dialect)


def _folded(node: ast.Compare | ast.In, a: Any, b: Any) -> str:
    """Two constants: the registry's own answer, once."""
    try:
        return _bool(OPERATORS[node.op].test(a, b))
    except TypeError as exc:
        raise Uncompilable(f"the row engine rejects every record here: {exc}", node.at) from None


def equal(left: Value, right: Value, dialect: Dialect, at: ast.Mark = ast.NOWHERE) -> str:
    """Python's `left == right` with None as a value: never null."""
    if "items" in (left.type, right.type) or left.type == right.type == "texts":
        raise Uncompilable("lists compared as wholes have no SQL form", at)
    if left.type == "null" or right.type == "null":
        other = right if left.type == "null" else left
        return other.is_null_sql
    if _class(left) != _class(right):
        return f"({left.is_null_sql} AND {right.is_null_sql})"
    same = _same(left, right, dialect)
    if left.constant or right.constant:
        column_ = right if left.constant else left
        return f"COALESCE({same}, FALSE)" if not column_.constant else same
    return (f"(CASE WHEN {left.is_null_sql} OR {right.is_null_sql} THEN ({left.is_null_sql} AND {right.is_null_sql}) "
            f"ELSE {same} END)")


def _same(left: Value, right: Value, dialect: Dialect) -> str:
    """Equality of two non-null values of one class (may be null where one is null)."""
    if _class(left) == "number" and not (left.type == right.type == "bool"):
        return _numbers(left, right, "=", dialect)
    return f"({left.sql} = {right.sql})"


def _numbers(left: Value, right: Value, op: str, dialect: Dialect) -> str:
    """`left op right` for two numbers: n1 * d2 op n2 * d1 in the exact `big` type when a frac takes part."""
    (n1, d1), (n2, d2) = _ratio(left, dialect), _ratio(right, dialect)
    if left.type != "frac" and right.type != "frac":
        return f"({n1} {op} {n2})"
    a = dialect.to_big(n1) if d2 == "1" else f"{dialect.to_big(n1)} * {dialect.to_big(d2)}"
    b = dialect.to_big(n2) if d1 == "1" else f"{dialect.to_big(n2)} * {dialect.to_big(d1)}"
    return f"({a} {op} {b})"


def _ordered(node: ast.Compare, left: Value, right: Value, dialect: Dialect) -> str:
    if left.type == "null" or right.type == "null":
        return "FALSE"
    kinds = {_class(left), _class(right)}
    if len(kinds) != 1 or kinds & {"texts", "items"}:
        raise Uncompilable(f"{node.op} of a {left.type} and a {right.type}: the row engine rejects every record "
                           "where both are set", node.at)
    op = _ORDER[node.op]
    if _class(left) == "number" and not (left.type == right.type == "bool"):
        test = _numbers(left, right, op, dialect)
    else:
        test = f"({left.sql} {op} {right.sql})"
    return f"COALESCE({test}, FALSE)"


def _in(node: ast.In, where: SqlScope, dialect: Dialect) -> str:
    if node.op not in ("in", "not_in") or node.op not in OPERATORS:
        raise Uncompilable(f"operator {node.op!r} has no SQL form", node.at)
    item, container = operand(node.item, where, dialect), operand(node.container, where, dialect)
    if item.constant and container.constant:
        return _folded(node, item.value, container.value)
    held = _member(node, item, container, dialect)
    return held if node.op == "in" else f"(NOT {held})"


def _member(node: ast.In, item: Value, container: Value, dialect: Dialect) -> str:
    """`container is not None and item in container`, never null."""
    if container.type == "null":
        return "FALSE"
    if container.type == "items":
        elements = sorted(container.value, key=str) if isinstance(container.value, frozenset) else container.value
        tests = [equal(item, constant(e, dialect, node.at), dialect, node.at) for e in elements]
        return "(" + " OR ".join(tests) + ")" if tests else "FALSE"
    if container.type == "texts":
        if item.type == "text":
            return f"COALESCE({dialect.list_contains(container.sql, item.sql)}, FALSE)"
        if item.type == "items":
            raise Uncompilable("a list as an item of a list has no SQL form", node.at)
        return "FALSE"  # a null or a non-text item is never an element (a texts list holds no null)
    if container.type == "text" and item.type == "text":
        return f"COALESCE({dialect.contains(container.sql, item.sql)}, FALSE)"
    raise Uncompilable(f"{node.op} with a {container.type} container and a {item.type} item: the row engine "
                       "rejects every record where it is set", node.at)


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


_CONDITIONS: dict[type, Callable[[Any, SqlScope, Dialect], str]] = {
    ast.All: _all, ast.Any: _any, ast.Not: _not, ast.Compare: _compare, ast.In: _in,
    ast.IsNull: _is_null, ast.Truth: _truth,
}
