"""Every SQL spelling that differs between DuckDB and Spark, in one place.

The columnar modules (the condition compiler, value texts, the plan, the kinds'
stage and facts SQL) write their SQL through a `Dialect`, so one compiled plan
runs embedded on DuckDB or distributed on Spark. Both are asked for exact
arithmetic only: integers (BIGINT, and the dialect's `big` type for products of
numerators and denominators: DuckDB HUGEINT, Spark DECIMAL(38,0)), never DOUBLE.

Spark runs with the session time zone UTC (`SPARK_CONF`): instants are BIGINT
microseconds since the epoch and are only turned into timestamps to be written
as text, which must then be read in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

_SPARK_SECONDS = "yyyy-MM-dd'T'HH:mm:ss"  # Spark's datetime pattern of iso()'s seconds
SQL_TYPES = ("int", "frac", "instant", "bool", "text", "texts")  # the typed columns of the facts relation

# Spark settings the SQL of this package assumes (the runner sets them on its session):
# - UTC, for instants written as text;
# - not ConvertToLocalRelation: each chunk is a local DataFrame, and that rule made the optimizer evaluate the
#   whole compiled query in the driver, row by row through interpreted expressions (49 of 57 s for 30,000 cases);
# - no whole-stage code generation: the cases' plan generates a method over the JVM's 64 KB limit, Spark logs the
#   compiler's failure with its whole stack on standard error and falls back to per-operator code; going there
#   directly is quieter and, measured on 90,000 cases, 45 s against 50.
SPARK_CONF = {"spark.sql.session.timeZone": "UTC",
              "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation",
              "spark.sql.codegen.wholeStage": "false"}


@dataclass(frozen=True)
class Dialect:
    """SQL spellings of one engine: "duckdb" or "spark"."""

    name: str

    @property
    def spark(self) -> bool:
        return self.name == "spark"

    # -- types -----------------------------------------------------------------

    @property
    def big(self) -> str:
        """The exact integer type wide enough for products of numerators and denominators."""
        return "DECIMAL(38,0)" if self.spark else "HUGEINT"

    @property
    def varchar(self) -> str:
        return "STRING" if self.spark else "VARCHAR"

    def column_type(self, kind: str) -> str:
        """The SQL type of a fact column (a "frac" fact is two `big` columns, see FactColumns)."""
        return {"int": "BIGINT", "frac": self.big, "instant": "BIGINT", "bool": "BOOLEAN", "text": self.varchar,
                "texts": "ARRAY<STRING>" if self.spark else "VARCHAR[]"}[kind]

    def cast(self, expr: str, sql_type: str) -> str:
        return f"CAST({expr} AS {sql_type})"

    def to_big(self, expr: str) -> str:
        return self.cast(expr, self.big)

    def to_text(self, expr: str) -> str:
        return self.cast(expr, self.varchar)

    def null(self, kind: str) -> str:
        """A typed null of a fact kind."""
        return self.cast("NULL", self.column_type(kind if kind != "frac" else "int"))

    def ident(self, name: str) -> str:
        """A column name quoted (fact names such as `month` or `now` are keywords of SQL)."""
        return f"`{name}`" if self.spark else f'"{name}"'

    # -- literals --------------------------------------------------------------

    def text(self, value: str) -> str:
        """A string literal. Spark reads backslash escapes inside quotes, DuckDB does not."""
        if self.spark:
            escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
            return f"'{escaped}'"
        return "'" + value.replace("'", "''") + "'"

    def integer(self, value: int) -> str:
        """An exact integer literal (as `big` when it does not fit a BIGINT)."""
        if -(2**63) <= value < 2**63:
            return str(value)
        return self.to_big(self.text(str(value)))

    def texts(self, values: tuple[str, ...]) -> str:
        """A list of string literals."""
        items = ", ".join(self.text(v) for v in values)
        if self.spark:
            return f"array({items})" if values else "CAST(array() AS ARRAY<STRING>)"
        return f"[{items}]" if values else "CAST([] AS VARCHAR[])"

    # -- arithmetic ------------------------------------------------------------

    def intdiv(self, a: str, b: str) -> str:
        """floor(a / b) for a >= 0 and b > 0, exactly. Spark divides decimals to
        six places, rounded: the floor of that is off by at most one, put right here."""
        if not self.spark:
            return f"(({a}) // ({b}))"
        q = f"FLOOR(({a}) / ({b}))"
        return f"CAST(CASE WHEN {q} * ({b}) > ({a}) THEN {q} - 1 ELSE {q} END AS {self.big})"

    def intdiv_small(self, a: str, b: str) -> str:
        """floor(a / b) for BIGINT a >= 0 and b > 0 (exact in both engines)."""
        return f"(({a}) div ({b}))" if self.spark else f"(({a}) // ({b}))"

    def mod(self, a: str, b: str) -> str:
        """a mod b for a >= 0, b > 0."""
        return f"(({a}) % ({b}))"

    # -- strings ---------------------------------------------------------------

    def concat(self, *parts: str) -> str:
        """Non-null strings joined (DuckDB's concat() skips a null, Spark's gives null: never pass one)."""
        return "concat(" + ", ".join(parts) + ")" if len(parts) > 1 else parts[0]

    def fail(self, message: str) -> str:
        """An expression that stops the query with `message` (a row the plan must never see)."""
        return f"raise_error({self.text(message)})" if self.spark else f"error({self.text(message)})"

    def concat_ws(self, sep: str, *parts: str) -> str:
        """Parts joined by the literal `sep`, null parts left out."""
        return f"concat_ws({self.text(sep)}, {', '.join(parts)})"

    def lpad(self, expr: str, width: int, fill: str) -> str:
        return f"lpad({expr}, {width}, {self.text(fill)})"

    def rtrim(self, expr: str, chars: str) -> str:
        """`expr` without trailing characters of `chars`."""
        return f"TRIM(TRAILING {self.text(chars)} FROM {expr})" if self.spark else f"rtrim({expr}, {self.text(chars)})"

    def contains(self, haystack: str, needle: str) -> str:
        """Whether `needle` occurs in `haystack` (the empty string occurs in every string)."""
        return f"(instr({haystack}, {needle}) > 0)" if self.spark else f"contains({haystack}, {needle})"

    def regex_full(self, expr: str, pattern: str) -> str:
        """Whether the whole of `expr` matches the regular expression `pattern`."""
        if self.spark:
            # Java's `$` also matches before a final newline; `\z` is the true end.
            anchored = "\\A(?:" + pattern + ")\\z"
            return f"({expr} RLIKE {self.text(anchored)})"
        return f"regexp_full_match({expr}, {self.text(pattern)})"

    def json_string(self, expr: str) -> str:
        """`expr` (text, not null) as a JSON string literal with its quotes, every character escaped as JSON needs."""
        if self.spark:
            whole = f"to_json(array({expr}))"  # ["..."]: the element is the JSON string
            return f"substring({whole}, 2, length({whole}) - 2)"
        return f"CAST(to_json({expr}) AS VARCHAR)"

    # -- lists -----------------------------------------------------------------

    def lambda_(self, var: str, body: str) -> str:
        return f"{var} -> {body}" if self.spark else f"lambda {var}: {body}"

    def list_transform(self, expr: str, var: str, body: str) -> str:
        return f"{'transform' if self.spark else 'list_transform'}({expr}, {self.lambda_(var, body)})"

    def list_filter(self, expr: str, var: str, body: str) -> str:
        return f"{'filter' if self.spark else 'list_filter'}({expr}, {self.lambda_(var, body)})"

    def list_contains(self, expr: str, item: str) -> str:
        return f"{'array_contains' if self.spark else 'list_contains'}({expr}, {item})"

    def list_join(self, expr: str, sep: str) -> str:
        return f"{'array_join' if self.spark else 'array_to_string'}({expr}, {self.text(sep)})"

    def list_len(self, expr: str) -> str:
        return f"size({expr})" if self.spark else f"len({expr})"

    def list_min(self, expr: str) -> str:
        return f"{'array_min' if self.spark else 'list_min'}({expr})"

    def list_max(self, expr: str) -> str:
        return f"{'array_max' if self.spark else 'list_max'}({expr})"

    def list_of(self, *items: str) -> str:
        return f"array({', '.join(items)})" if self.spark else f"[{', '.join(items)}]"

    def struct_of(self, **fields: str) -> str:
        if self.spark:
            return "named_struct(" + ", ".join(f"{self.text(k)}, {v}" for k, v in fields.items()) + ")"
        return "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in fields.items()) + ")"

    # -- time ------------------------------------------------------------------

    def micros_to_timestamp(self, micros: str) -> str:
        """A UTC timestamp from BIGINT microseconds since the epoch."""
        return f"timestamp_micros({micros})" if self.spark else f"make_timestamp({micros})"

    def format_seconds(self, micros: str) -> str:
        """`YYYY-MM-DDTHH:MM:SS` of an instant in UTC (years 1000-9999)."""
        ts = self.micros_to_timestamp(micros)
        if self.spark:
            return f"date_format({ts}, {self.text(_SPARK_SECONDS)})"
        return f"strftime({ts}, '%Y-%m-%dT%H:%M:%S')"

    # -- JSON input --------------------------------------------------------------

    def json_field(self, doc: str, path: str) -> str:
        """The text of a JSON document's scalar at `path` ("$.a.b"), or null."""
        return f"get_json_object({doc}, {self.text(path)})" if self.spark else f"json_extract_string({doc}, {self.text(path)})"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")
DIALECTS = {"duckdb": DUCKDB, "spark": SPARK}


def dialect(name: str) -> Dialect:
    """The dialect named `name` ("duckdb" or "spark")."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown SQL dialect {name!r}; expected one of {', '.join(DIALECTS)}") from None
