"""Instants and amounts read from text in SQL, exactly as engine.timeutil and
engine.exact read them, or flagged as not surely readable.

`instant_sure(s)` holds only for the plain RFC 3339 shape the row engine reads
without doubt (upper-case `T` and `Z`, at most six fraction digits, a real
calendar date, an offset within a day, a year the engine computes with); every
other text goes to the row engine, which reads or rejects it with its message.
`instant_us(s)` is then the instant in integer microseconds since the epoch
(UTC), computed from the digits alone (no session time zone is involved).
"""

from __future__ import annotations

from typing import Any

from engine.timeutil import FIRST_YEAR, LAST_YEAR

INSTANT_SHAPE = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                 r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
MONEY_SHAPE = r"^[0-9]{1,15}(\.[0-9]{1,3})?$"  # amounts the integer columns hold with room to multiply
NAME_SHAPE = r"^[a-z][a-z0-9_-]*$"
MONTH_SHAPE = r"^[0-9]{4}-[0-9]{2}$"
MICROS_PER_DAY = 86_400_000_000
FRACTION = r"\.([0-9]+)"

# The spellings that differ between engines, in one place (until engine.columnar.dialect holds them).
_SPELL = {
    "duckdb": {
        "matches": "regexp_full_match({0}, '{1}')",
        "to_date": "TRY_CAST({0} AS DATE)",
        "days": "date_diff('day', DATE '1970-01-01', {0})",
        "int": "CAST({0} AS BIGINT)",
        "huge": "CAST({0} AS HUGEINT)",
        "extract": "regexp_extract({0}, '{1}', 1)",
    },
}


def dialect_name(dialect: Any) -> str:
    """A dialect object's name (engine.columnar.dialect.Dialect) or a plain name."""
    return getattr(dialect, "name", dialect)


def spell(dialect: Any, what: str, *args: str) -> str:
    """One engine-specific spelling, filled in."""
    name = dialect_name(dialect)
    if name not in _SPELL:
        raise NotImplementedError(f"no SQL spelling for dialect {name!r} yet")
    return _SPELL[name][what].format(*args)


def matches(dialect: Any, expr: str, pattern: str) -> str:
    """Whether the text `expr` matches `pattern` whole (NULL for NULL)."""
    return spell(dialect, "matches", expr, pattern.replace("'", "''"))


def instant_sure(dialect: Any, s: str) -> str:
    """SQL boolean: `s` is an instant the row engine surely reads (FALSE, never NULL, otherwise)."""
    year = spell(dialect, "int", f"substr({s}, 1, 4)")
    return (f"COALESCE({matches(dialect, s, INSTANT_SHAPE)} AND {year} > {FIRST_YEAR} AND {year} < {LAST_YEAR}"
            f" AND {spell(dialect, 'to_date', f'substr({s}, 1, 10)')} IS NOT NULL, FALSE)")


def instant_us(dialect: Any, s: str) -> str:
    """SQL BIGINT: microseconds since the epoch of an instant for which `instant_sure` holds."""
    i = lambda a, b: spell(dialect, "int", f"substr({s}, {a}, {b})")  # noqa: E731
    days = spell(dialect, "days", spell(dialect, "to_date", f"substr({s}, 1, 10)"))
    digits = spell(dialect, "extract", s, FRACTION)
    frac = spell(dialect, "int", f"rpad({digits}, 6, '0')")
    offset = (f"(CASE WHEN right({s}, 1) = 'Z' THEN 0 ELSE (CASE WHEN substr({s}, length({s}) - 5, 1) = '-' THEN -1 ELSE 1 END)"
              f" * ({spell(dialect, 'int', f'substr({s}, length({s}) - 4, 2)')} * 60"
              f" + {spell(dialect, 'int', f'substr({s}, length({s}) - 1, 2)')}) END)")
    return (f"({days} * {MICROS_PER_DAY} + (({i(12, 2)} * 60 + {i(15, 2)}) * 60 + {i(18, 2)}) * 1000000"
            f" + (CASE WHEN substr({s}, 20, 1) = '.' THEN {frac} ELSE 0 END) - {offset} * 60000000)")


def money_sure(dialect: Any, s: str) -> str:
    """SQL boolean: `s` is a decimal amount the integer columns hold exactly."""
    return f"COALESCE({matches(dialect, s, MONEY_SHAPE)}, FALSE)"


def money_n(dialect: Any, s: str) -> str:
    """The amount's digits as an integer (numerator over `money_d`)."""
    return spell(dialect, "huge", f"replace({s}, '.', '')")


def money_d(dialect: Any, s: str) -> str:
    """10 to the number of fraction digits (the amount's denominator; MONEY_SHAPE allows up to three)."""
    places = f"(CASE WHEN strpos({s}, '.') = 0 THEN 0 ELSE length({s}) - strpos({s}, '.') END)"
    return f"(CASE {places} WHEN 0 THEN 1 WHEN 1 THEN 10 WHEN 2 THEN 100 ELSE 1000 END)"
