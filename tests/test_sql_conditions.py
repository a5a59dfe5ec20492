"""The SQL backend decides every condition as the Python backend does, nulls included.

Random small condition trees over facts of every SQL type, with random values
(nulls, ints, fractions, booleans, texts, lists, aware instants in several
zones), are evaluated by the Python backend and by DuckDB running the compiled
SQL: they must agree row for row. A condition the row engine would reject (an
ordering of a text with a number) must be refused when compiled, never run.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

import hypothesis_profiles  # noqa: F401  (registers the profiles)
from engine.columnar.dialect import DUCKDB, SPARK
from engine.lang import ast
from engine.lang.backends.python import predicate
from engine.lang.backends.sql import Uncompilable, condition, field_column, scope
from engine.lang.scope import Scope
from engine.lang.values import normalize
from engine.timeutil import micros
from spark_helpers import spark  # noqa: F401  (the session fixture)

duckdb = pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")

FACTS = {"i": "int", "j": "int", "f": "frac", "g": "frac", "t": "instant", "u": "instant", "b": "bool",
         "s": "text", "r": "text", "l": "texts"}
FIELDS = {"a.flag": "bool", "a.name": "text"}
WORDS = ["phone", "portal", "", "é", "中", "a'b", "x\\y"]
EPOCH = datetime(2024, 3, 1, tzinfo=timezone.utc)

ints = st.integers(-5, 5) | st.integers(-(2**62), 2**62)
fracs = st.builds(Fraction, st.integers(-50, 50), st.integers(1, 12))
texts = st.sampled_from(WORDS)
instants = st.builds(lambda s, h: (EPOCH + timedelta(seconds=s)).astimezone(timezone(timedelta(hours=h))),
                     st.integers(-3, 3), st.sampled_from([0, 8, -5]))
VALUES = {"int": ints, "frac": fracs, "instant": instants, "bool": st.booleans(), "text": texts,
          "texts": st.lists(texts, max_size=3).map(tuple)}


def maybe(kind: str) -> st.SearchStrategy:
    return st.none() | VALUES[kind]


rows = st.lists(st.fixed_dictionaries({**{n: maybe(k) for n, k in FACTS.items()},
                                       **{p: maybe(k) for p, k in FIELDS.items()}}), min_size=1, max_size=6)

constants = (st.none() | st.booleans() | st.integers(-5, 5) | fracs | texts | instants
             | st.lists(texts | st.integers(-3, 3) | st.none(), max_size=3)
             | st.dictionaries(texts, st.just(1), max_size=2))
operands = (st.sampled_from([ast.Fact(n) for n in FACTS]) | st.sampled_from([ast.Field(p) for p in FIELDS])
            | constants.map(lambda v: ast.Literal(normalize(v), v))
            | constants.map(lambda v: ast.Param("p", normalize(v))))
leaves = (st.builds(ast.Compare, st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), operands, operands)
          | st.builds(ast.In, st.sampled_from(["in", "not_in"]), operands, operands)
          | st.builds(ast.IsNull, operands, st.booleans())
          | st.builds(ast.Truth, operands))
conditions = st.recursive(leaves, lambda sub: st.lists(sub, max_size=3).map(lambda p: ast.All(tuple(p)))
                          | st.lists(sub, max_size=3).map(lambda p: ast.Any(tuple(p))) | sub.map(ast.Not),
                          max_leaves=5)

COLUMNS = {"int": "BIGINT", "instant": "BIGINT", "bool": "BOOLEAN", "text": "VARCHAR", "texts": "VARCHAR[]"}


def _table(con: "duckdb.DuckDBPyConnection", records: list[dict]) -> None:
    names, types = [], []
    for name, kind in [*FACTS.items(), *((field_column(p), k) for p, k in FIELDS.items())]:
        if kind == "frac":
            names += [f"{name}__n", f"{name}__d"]
            types += ["HUGEINT", "HUGEINT"]
        else:
            names.append(name)
            types.append(COLUMNS[kind])
    con.execute("CREATE OR REPLACE TABLE t (k INTEGER, " + ", ".join(f"{n} {t}" for n, t in zip(names, types)) + ")")
    for k, record in enumerate(records):
        values: list = [k]
        for name, kind in [*FACTS.items(), *FIELDS.items()]:
            v = record[name]
            if kind == "frac":
                values += [None, None] if v is None else [v.numerator, v.denominator]
            elif kind == "instant":
                values.append(None if v is None else micros(v))
            elif kind == "texts":
                values.append(None if v is None else list(v))
            else:
                values.append(v)
        con.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(values))})", values)


def _python(node: ast.Node, record: dict) -> bool | str:
    fields = {"a": {"flag": record["a.flag"], "name": record["a.name"]}}
    try:
        return predicate(node)(Scope(fields, {n: record[n] for n in FACTS}))
    except TypeError:
        return "rejected"


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@settings(max_examples=300)
@given(node=conditions, records=rows)
def test_compiled_sql_decides_every_condition_as_the_python_backend(con, node, records):
    expected = [_python(node, r) for r in records]
    try:
        sql = condition(node, scope(DUCKDB, FACTS, FIELDS), DUCKDB)
    except Uncompilable:
        return  # refused at compile time: the runner leaves the kind to the row engine
    assert "rejected" not in expected, f"compiled a condition the row engine rejects: {node}"
    _table(con, records)
    got = [row[0] for row in con.execute(f"SELECT {sql} FROM t ORDER BY k").fetchall()]
    assert got == expected, sql
    assert None not in got


@pytest.mark.parametrize("tree, expected", [
    (ast.Compare("eq", ast.Fact("i"), ast.Param("p", Fraction(3))), [True, False, False]),
    (ast.Compare("lt", ast.Fact("i"), ast.Fact("f")), [True, False, False]),
    (ast.Not(ast.Compare("ge", ast.Fact("i"), ast.Fact("f"))), [True, False, True]),
    (ast.Compare("eq", ast.Fact("f"), ast.Literal(None)), [False, False, True]),
    (ast.In("in", ast.Fact("s"), ast.Fact("l")), [True, False, False]),
    (ast.In("not_in", ast.Fact("s"), ast.Fact("l")), [False, True, True]),
    (ast.In("in", ast.Field("a.name"), ast.Param("p", frozenset({"x", "annual"}))), [True, False, False]),
])
def test_worked_examples_of_null_and_cross_type_semantics(con, tree, expected):
    records = [
        {"i": 3, "f": Fraction(7, 2), "s": "phone", "l": ("phone", "portal"), "a.name": "annual"},
        {"i": 4, "f": Fraction(7, 2), "s": "portal", "l": ("phone",), "a.name": "monthly"},
        {"i": None, "f": None, "s": None, "l": None, "a.name": None},
    ]
    records = [{**{n: None for n in [*FACTS, *FIELDS]}, **r} for r in records]
    assert [_python(tree, r) for r in records] == expected
    _table(con, records)
    sql = condition(tree, scope(DUCKDB, FACTS, FIELDS), DUCKDB)
    assert [row[0] for row in con.execute(f"SELECT {sql} FROM t ORDER BY k").fetchall()] == expected


@pytest.mark.parametrize("tree", [
    ast.Compare("lt", ast.Fact("s"), ast.Fact("i")),
    ast.Compare("eq", ast.Fact("l"), ast.Literal(("a",))),
    ast.In("in", ast.Fact("i"), ast.Fact("s")),
    ast.In("in", ast.Fact("s"), ast.Fact("i")),
    ast.Compare("eq", ast.Fact("nope"), ast.Literal(1)),
    ast.Compare("eq", ast.Field("a.other"), ast.Literal(1)),
])
def test_what_the_row_engine_rejects_or_sql_cannot_type_is_refused_with_its_location(tree):
    marked = type(tree)(*[getattr(tree, f) for f in tree.__dataclass_fields__ if f != "at"],
                        at=ast.Mark("p.yaml", 7, ("rules", 0)))
    with pytest.raises(Uncompilable) as caught:
        condition(marked, scope(DUCKDB, FACTS, FIELDS), DUCKDB)
    assert "p.yaml:7" in str(caught.value.for_rule("case.x")) and "case.x" in str(caught.value.for_rule("case.x"))


SPARK_TREE = ast.Any((ast.In("in", ast.Fact("s"), ast.Fact("l")), ast.Compare("lt", ast.Fact("i"), ast.Fact("f")),
                      ast.Compare("eq", ast.Fact("s"), ast.Literal("a'b\\c"))))


def test_spark_sql_uses_spark_spellings():
    sql = condition(SPARK_TREE, scope(SPARK, FACTS, FIELDS), SPARK)
    assert "array_contains(`l`, `s`)" in sql and "DECIMAL(38,0)" in sql and "HUGEINT" not in sql
    assert "'a\\'b\\\\c'" in sql  # Spark reads backslash escapes in string literals


def test_spark_decides_the_same_as_python(spark):
    records = [(3, Decimal(7), Decimal(2), "phone", ["phone"]), (4, Decimal(7), Decimal(2), "a'b\\c", []),
               (None, None, None, None, None)]
    frame = spark.createDataFrame(records, "i BIGINT, f__n DECIMAL(38,0), f__d DECIMAL(38,0), s STRING, l ARRAY<STRING>")
    frame.createOrReplaceTempView("t")
    sql = condition(SPARK_TREE, scope(SPARK, FACTS, FIELDS), SPARK)
    got = [r[0] for r in spark.sql(f"SELECT {sql} FROM t").collect()]
    facts = [dict(zip("i f s l".split(), (r[0], None if r[1] is None else Fraction(r[1]) / Fraction(r[2]), r[3], r[4])))
             for r in records]
    assert got == [predicate(SPARK_TREE)(Scope({}, f)) for f in facts] == [True, True, False]
