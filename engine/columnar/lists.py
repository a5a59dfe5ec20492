"""The SQL spellings the case stage and clock need, for DuckDB and Spark: those
`engine.columnar.dialect.Dialect` has are taken from it (literals, identifiers,
list filter/min/length, integer division), the few it does not have are here
(lambdas of two parameters, list sort/distinct/element, anchored regular
expressions that never match before a final line break, BIGINT parsing, named
structs, IN lists). `Spell.of` takes a Dialect or its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from engine.columnar.dialect import Dialect, dialect as dialect_named


@dataclass(frozen=True)
class Spell:
    """SQL text for one engine (the Dialect's `name`: `duckdb` or `spark`)."""

    dialect: Dialect

    @classmethod
    def of(cls, dialect: Any) -> "Spell":
        return cls(dialect_named(dialect) if isinstance(dialect, str) else dialect)

    @property
    def engine(self) -> str:
        return self.dialect.name

    @property
    def spark(self) -> bool:
        return self.dialect.spark

    def lam(self, params: str, body: str) -> str:
        """A lambda of one or two parameters (`x` or `x, i`)."""
        if self.spark:
            return f"({params}) -> ({body})" if "," in params else f"{params} -> ({body})"
        return f"lambda {params}: ({body})"

    def filter(self, items: str, var: str, cond: str) -> str:
        return self.dialect.list_filter(items, var, f"({cond})")

    def transform(self, items: str, var: str, body: str) -> str:
        """`body` over each item; `var` may be `x, i`: i counts from 1 on DuckDB and
        from 0 on Spark, so use it only to order items."""
        return f"{'transform' if self.spark else 'list_transform'}({items}, {self.lam(var, body)})"

    def size(self, items: str) -> str:
        return self.dialect.list_len(items)

    def none(self, items: str, var: str, cond: str) -> str:
        """True when no item satisfies `cond` (a NULL condition counts as satisfied: never sure)."""
        return f"({self.size(self.filter(items, var, f'coalesce({cond}, TRUE)'))} = 0)"

    def sort(self, items: str) -> str:
        return f"array_sort({items})" if self.spark else f"list_sort({items})"

    def minimum(self, items: str) -> str:
        return self.dialect.list_min(items)

    def element(self, items: str, one_based: str) -> str:
        """The item at a 1-based index, NULL past the end."""
        return f"try_element_at({items}, {one_based})" if self.spark else f"{items}[{one_based}]"

    def full_match(self, text: str, pattern: str) -> str:
        """Whether the whole of `text` matches (`pattern` without anchors)."""
        if self.spark:
            return f"({text} RLIKE {self.quote(chr(92) + 'A(?:' + pattern + ')' + chr(92) + 'z')})"
        return f"regexp_full_match({text}, {self.quote(pattern)})"

    def contains_match(self, text: str, pattern: str) -> str:
        return f"({text} RLIKE {self.quote(pattern)})" if self.spark else f"regexp_matches({text}, {self.quote(pattern)})"

    def idiv(self, a: str, b: str) -> str:
        """Integer division of non-negative integers."""
        return self.dialect.intdiv_small(a, b)

    def to_int(self, text: str) -> str:
        """A string of digits as BIGINT (NULL when it is not one)."""
        return f"try_cast({text} AS BIGINT)" if self.spark else f"TRY_CAST({text} AS BIGINT)"

    def texts(self, values: Iterable[str]) -> str:
        """A constant list of texts (typed even when empty)."""
        return self.dialect.texts(tuple(values))

    def text_in(self, value: str, values: Iterable[str]) -> str:
        """`value IN (...)`, FALSE for an empty set (NULL stays NULL)."""
        items = sorted(values)
        return f"({value} IN ({', '.join(self.quote(v) for v in items)}))" if items else "FALSE"

    def int_in(self, value: str, values: Iterable[int]) -> str:
        items = sorted(int(v) for v in values)
        return f"({value} IN ({', '.join(map(str, items))}))" if items else "FALSE"

    def struct(self, fields: dict[str, str]) -> str:
        if self.spark:
            return "named_struct(" + ", ".join(f"{self.quote(k)}, {v}" for k, v in fields.items()) + ")"
        return "{" + ", ".join(f"{self.quote(k)}: {v}" for k, v in fields.items()) + "}"

    def quote(self, text: str) -> str:
        """A SQL string literal (the Dialect's)."""
        return self.dialect.text(text)

    def ident(self, name: str) -> str:
        return self.dialect.ident(name)


