"""Instants and amounts read from text in SQL, exactly as engine.timeutil and
engine.exact read them, or flagged as not surely readable; and the few list and
text spellings the kinds' SQL needs beyond engine.columnar.dialect.

`instant_sure(s)` holds only for the plain RFC 3339 shape the row engine reads
without doubt (upper-case `T` and `Z`, at most six fraction digits, a real
calendar date, an offset within a day, a year the engine computes with); every
other text goes to the row engine, which reads or rejects it with its message.
`instant_us(s)` is then the instant in integer microseconds since the epoch
(UTC). On DuckDB both are engine.columnar.instant's reading of that common shape
(its `COMMON` pattern and DuckDB's own TIMESTAMPTZ cast, which refuses a day the
month lacks: 0.22 against 0.40 µs an instant read digit by digit); on Spark,
instant.py's digit-by-digit reading of the same shape (no session time zone is
involved). Claims are staged from JSON text on DuckDB only, from their Parquet
layout on both (engine.columnar.claim).
"""

from __future__ import annotations

from typing import Sequence

from engine.columnar.dialect import Dialect
from engine.columnar.instant import COMMON, instant_digits_sql, instant_parts
from engine.columnar.lists import Spell

MONEY_SHAPE = r"^[0-9]{1,15}(\.[0-9]{1,3})?$"  # amounts the integer columns hold with room to multiply
NAME_SHAPE = r"^[a-z][a-z0-9_-]*$"
MONTH_SHAPE = r"^[0-9]{4}-[0-9]{2}$"


# -- spellings engine.columnar.dialect does not have (yet) ----------------------

def position(d: Dialect, haystack: str, needle: str) -> str:
    """1-based position of `needle` (a literal) in `haystack`, 0 when absent."""
    return f"instr({haystack}, {d.text(needle)})" if d.spark else f"strpos({haystack}, {d.text(needle)})"


def byte_length(d: Dialect, expr: str) -> str:
    return f"octet_length({expr})" if d.spark else f"strlen({expr})"


def finds(d: Dialect, expr: str, pattern: str) -> str:
    """Whether `pattern` occurs anywhere in `expr`."""
    return f"({expr} RLIKE {d.text(pattern)})" if d.spark else f"regexp_matches({expr}, {d.text(pattern)})"


def has_any(d: Dialect, left: str, right: str) -> str:
    """Whether the lists share an element."""
    return f"arrays_overlap({left}, {right})" if d.spark else f"list_has_any({left}, {right})"


def has_all(d: Dialect, left: str, right: str) -> str:
    """Whether every element of `right` is in `left`."""
    return f"(size(array_except({right}, {left})) = 0)" if d.spark else f"list_has_all({left}, {right})"


def keys_known_once(d: Dialect, keys: str, values: Sequence[str]) -> str:
    """Every key of a JSON object one the schema names, none given twice. `keys` lists the
    object's keys with their repetitions (`json_keys`), `values` are its values at the schema's
    keys, NULL only for an absent one (`json_extract`: a JSON null is `null`). Each named key
    present counts once in `values` and at least once in `keys`, so the counts are equal exactly
    when no other key is there: a count, cheaper than searching the key list (measured: a third
    of the claims' JSON staging, ≈0.07 CPU-s a chunk of 89,000 cases)."""
    present = " + ".join(f"CAST({v} IS NOT NULL AS BIGINT)" for v in values)
    return f"({d.list_len(keys)} = {present})"


def all_of(d: Dialect, items: str, var: str, body: str) -> str:
    """Whether `body` holds for every element (TRUE for an empty list; never NULL when `body` is not)."""
    if d.spark:
        return f"forall({items}, {d.lambda_(var, body)})"
    return f"COALESCE(list_bool_and({d.list_transform(items, var, body)}), TRUE)"


def any_of(d: Dialect, items: str, var: str, body: str) -> str:
    """Whether `body` holds for some element (FALSE for an empty list)."""
    if d.spark:
        return f"exists({items}, {d.lambda_(var, body)})"
    return f"COALESCE(list_bool_or({d.list_transform(items, var, body)}), FALSE)"


def explode(d: Dialect, items: str) -> str:
    """One row per element, in a SELECT list."""
    return f"explode({items})" if d.spark else f"unnest({items})"


# -- instants and amounts ------------------------------------------------------

def instant_sure(d: Dialect, s: str) -> str:
    """SQL boolean: `s` is an instant the row engine surely reads (FALSE, never NULL, otherwise)."""
    spell = Spell.of(d)
    if not d.spark:
        common = instant_parts(spell, s)
        return f"({common['common']} AND {common['fast']} IS NOT NULL)"
    ok, _ = instant_digits_sql(spell, s)
    return f"(COALESCE({spell.full_match(s, COMMON)}, FALSE) AND {ok})"


def instant_us(d: Dialect, s: str) -> str:
    """SQL BIGINT: microseconds since the epoch of an instant for which `instant_sure` holds."""
    spell = Spell.of(d)
    return instant_parts(spell, s)["fast"] if not d.spark else instant_digits_sql(spell, s)[1]


def money_sure(d: Dialect, s: str) -> str:
    """SQL boolean: `s` is a decimal amount the integer columns hold exactly."""
    return f"COALESCE({d.regex_full(s, MONEY_SHAPE)}, FALSE)"


def money_n(d: Dialect, s: str) -> str:
    """The amount's digits as an integer (numerator over `money_d`)."""
    return d.to_big(f"replace({s}, '.', '')")


def money_d(d: Dialect, s: str) -> str:
    """10 to the number of fraction digits (the amount's denominator; MONEY_SHAPE allows up to three)."""
    dot = position(d, s, ".")
    places = f"(CASE WHEN {dot} = 0 THEN 0 ELSE length({s}) - {dot} END)"
    return f"(CASE {places} WHEN 0 THEN 1 WHEN 1 THEN 10 WHEN 2 THEN 100 ELSE 1000 END)"
