"""RFC 3339 instants read in SQL exactly as `engine.timeutil.parse_instant` reads
them (after the record schema's `instant` pattern), as BIGINT microseconds since
the epoch in UTC.

Only what the row engine surely accepts is read: the schema's shape with ASCII
digits, a UTC offset (a naive time is refused), years strictly between
`FIRST_YEAR` and `LAST_YEAR`, a real calendar day and time of day, an offset of
at most 23:59, and digits past the microsecond only when they are zeros. Any
other text gives `ok` FALSE, and the row engine reports it as it does today.
The arithmetic is integers only (days from the civil date), so DuckDB and Spark
agree to the microsecond.

On DuckDB the common shape (`COMMON`: upper-case `T` and `Z`, at most six
fraction digits, every field within its range by the pattern itself) is read by
DuckDB's own TIMESTAMPTZ cast, which refuses a day the month does not have;
only other texts take the digit-by-digit reading. On a 30,000-row chunk of the
bench's cases (DuckDB's own profiler, one thread) the staging went from ≈11 to
≈8 µs of CPU per case; `tests/test_columnar_case.py` holds both readings to
`parse_instant`.
"""

from __future__ import annotations

from engine.columnar.lists import Spell
from engine.timeutil import FIRST_YEAR, LAST_YEAR

SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
COMMON = (r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
          r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])")


def instant_sql(spell: Spell, s: str) -> tuple[str, str]:
    """(ok, micros) SQL expressions for the text column or expression `s` (parts
    inlined; see `instant_parts` and `instant_from_parts` to compute them once)."""
    parts = instant_parts(spell, s)
    return instant_from_parts(spell, {name: f"({expr})" for name, expr in parts.items()})


def instant_digits_sql(spell: Spell, s: str) -> tuple[str, str]:
    """(ok, micros) read digit by digit on either engine: Spark's reading, and DuckDB's for texts
    outside the common shape."""
    return _from_digits(spell, {name: f"({expr})" for name, expr in _digit_parts(spell, s).items()})


def instant_parts(spell: Spell, s: str) -> dict[str, str]:
    """The pieces of `s` as SQL expressions (name -> expression): on DuckDB the text, whether it
    has the common shape and, if so, its microseconds by DuckDB's cast; on Spark whether it has
    the schema's shape, the integers of the date, time and offset, and the fraction."""
    if not spell.spark:
        year = f"substr({s}, 1, 4)"
        common = (f"coalesce({spell.full_match(s, COMMON)} AND {year} > {spell.quote(str(FIRST_YEAR))}"
                  f" AND {year} < {spell.quote(str(LAST_YEAR))}, FALSE)")
        # the cast never fails (NULL instead) and is read only where `common` holds: no second regex match here
        return {"text": s, "common": common, "fast": f"epoch_us(TRY_CAST({s} AS TIMESTAMPTZ))"}
    return _digit_parts(spell, s)


def _digit_parts(spell: Spell, s: str) -> dict[str, str]:
    """The schema's shape and the integers of `s`, read digit by digit (both engines)."""
    def part(start: int, length: int) -> str:
        return spell.to_int(f"substr({s}, {start}, {length})")

    frac = f"(CASE WHEN substr({s}, 20, 1) = '.' THEN regexp_extract({s}, {spell.quote(r'^.{19}[.]([0-9]+)')}, 1) ELSE '' END)"
    return {
        "shape": f"coalesce({spell.full_match(s, SHAPE)}, FALSE)",
        "y": part(1, 4), "mo": part(6, 2), "d": part(9, 2), "h": part(12, 2), "mi": part(15, 2), "sec": part(18, 2),
        "utc": f"(upper(substr({s}, length({s}), 1)) = 'Z')",
        "oh": spell.to_int(f"substr({s}, length({s}) - 4, 2)"), "om": spell.to_int(f"substr({s}, length({s}) - 1, 2)"),
        "neg": f"(substr({s}, length({s}) - 5, 1) = '-')",
        "micro": f"coalesce({spell.to_int(f'rpad(substr({frac}, 1, 6), 6, {spell.quote(chr(48))})')}, 0)",
        "finer": spell.contains_match(f"substr({frac}, 7)", "[1-9]"),
    }


def instant_from_parts(spell: Spell, p: dict[str, str]) -> tuple[str, str]:
    """(ok, micros) from the parts of `instant_parts`, each given as an SQL
    reference (a column or struct field) so it is computed once. DuckDB's common
    shape takes its cast (NULL for a day the month lacks); other texts are read
    digit by digit, only for the rows that have them."""
    if "common" in p:
        ok, micros = instant_digits_sql(spell, p["text"])
        return (f"(CASE WHEN {p['common']} THEN {p['fast']} IS NOT NULL ELSE {ok} END)",
                f"(CASE WHEN {p['common']} THEN {p['fast']} ELSE {micros} END)")
    return _from_digits(spell, p)


def _from_digits(spell: Spell, p: dict[str, str]) -> tuple[str, str]:
    """(ok, micros) from the digit-by-digit parts (`_digit_parts`)."""
    year, month, day = p["y"], p["mo"], p["d"]
    leap = f"({year} % 4 = 0 AND ({year} % 100 <> 0 OR {year} % 400 = 0))"
    month_days = (f"(CASE WHEN {month} = 2 THEN (CASE WHEN {leap} THEN 29 ELSE 28 END) "
                  f"WHEN {month} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)")
    ok = (f"coalesce({p['shape']} AND {year} > {FIRST_YEAR} AND {year} < {LAST_YEAR}"
          f" AND {month} BETWEEN 1 AND 12 AND {day} >= 1 AND {day} <= {month_days}"
          f" AND {p['h']} <= 23 AND {p['mi']} <= 59 AND {p['sec']} <= 59"
          f" AND ({p['utc']} OR ({p['oh']} <= 23 AND {p['om']} <= 59)) AND NOT {p['finer']}, FALSE)")
    minutes = f"({p['oh']} * 3600 + {p['om']} * 60)"
    offset = f"(CASE WHEN {p['utc']} THEN 0 WHEN {p['neg']} THEN -{minutes} ELSE {minutes} END)"
    days = _days_from_civil(spell, year, month, day)
    micros = f"(({days} * 86400 + {p['h']} * 3600 + {p['mi']} * 60 + {p['sec']} - {offset}) * 1000000 + {p['micro']})"
    return f"({ok})", f"(CASE WHEN {ok} THEN {micros} END)"


def _days_from_civil(spell: Spell, year: str, month: str, day: str) -> str:
    """Days since 1970-01-01 of a proleptic Gregorian date (years after 0 only)."""
    y = f"({year} - (CASE WHEN {month} <= 2 THEN 1 ELSE 0 END))"
    era = spell.idiv(y, "400")
    yoe = f"({y} - {era} * 400)"
    shifted = f"({month} + (CASE WHEN {month} > 2 THEN -3 ELSE 9 END))"
    doy = f"({spell.idiv(f'153 * {shifted} + 2', '5')} + {day} - 1)"
    doe = f"({yoe} * 365 + {spell.idiv(yoe, '4')} - {spell.idiv(yoe, '100')} + {doy})"
    return f"({era} * 146097 + {doe} - 719468)"
