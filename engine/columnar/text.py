"""Values written in SQL exactly as the row engine writes them, and message templates.

The row engine shows a value in a message with `engine.lang.values.show`: an int
as its digits, a Fraction with `engine.exact.decimal_text` (six places at most,
truncated toward zero, trailing zeros dropped, never "-0"), an instant with
`engine.timeutil.iso` (UTC, `YYYY-MM-DDTHH:MM:SS`, then `.ffffff` without its
trailing zeros when there are microseconds, then `Z`), a boolean as true/false,
null as "null", a list as its items joined by ", ". Money is
`engine.exact.money_text`: half-up to the currency's minor unit. The functions
here return SQL giving the same text, over typed values (engine.lang.backends.sql
`Value`), so a decision comes out of SQL whole.

A message template (`"Uptime {uptime_percent}% ..."`) is parsed as the row
engine parses it (engine.core.evaluate.render_message: literal text and `{fact}`
names, nothing of the format language beyond that) and becomes a concatenation
of literal parts and shown facts; under a language other than English a text
fact (or each text of a list) that is one of the policy's codes is shown in the
policy's words, as the row engine does.
"""

from __future__ import annotations

import json
import string
from typing import Mapping

from engine.columnar.dialect import Dialect
from engine.exact import SHOWN_PLACES
from engine.lang.backends.sql import SqlScope, Uncompilable, Value

_FORMATTER = string.Formatter()
MICROS = 1_000_000


SMALL = 9 * 10**12  # below it, n * 10**6 fits a BIGINT: the faster integer path


def decimal_text(n: str, d: str, dialect: Dialect, places: int = SHOWN_PLACES) -> str:
    """SQL of `decimal_text(n / d)` for integer SQL n and d > 0 (null when n is null):
    in BIGINT arithmetic when both terms are small enough, else in the exact wide type."""
    if places != SHOWN_PLACES:
        return _decimal_text(n, d, dialect, places, big=True)
    small = f"abs({n}) < {SMALL} AND {d} < {SMALL}"
    return (f"(CASE WHEN {d} = 1 THEN {dialect.to_text(n)} WHEN {small} THEN {_decimal_text(n, d, dialect, places, False)} "
            f"ELSE {_decimal_text(n, d, dialect, places, True)} END)")


def _decimal_text(n: str, d: str, dialect: Dialect, places: int, big: bool) -> str:
    scale = 10**places
    if big:
        divide, scaled = dialect.intdiv, dialect.intdiv(f"abs({dialect.to_big(n)}) * {scale}", dialect.to_big(d))
    else:
        divide, scaled = dialect.intdiv_small, dialect.intdiv_small(f"abs(CAST({n} AS BIGINT)) * {scale}", f"CAST({d} AS BIGINT)")
    whole = dialect.to_text(divide(scaled, str(scale)))
    part = dialect.mod(scaled, str(scale))
    digits = dialect.rtrim(dialect.lpad(dialect.to_text(part), places, "0"), "0")
    return (f"(CASE WHEN {n} < 0 AND {scaled} > 0 THEN '-' ELSE '' END || {whole} || "
            f"CASE WHEN {part} = 0 THEN '' ELSE '.' || {digits} END)")


def money_text(n: str, d: str, minor_units: int, dialect: Dialect) -> str:
    """SQL of `money_text(n / d, minor_units)` for n >= 0 and d > 0: half-up to the minor unit, zeros kept."""
    scale = 10**minor_units
    units = dialect.intdiv(f"2 * {dialect.to_big(n)} * {scale} + {dialect.to_big(d)}", f"2 * {dialect.to_big(d)}")
    if not minor_units:
        return dialect.to_text(units)
    whole = dialect.to_text(dialect.intdiv(units, str(scale)))
    return f"({whole} || '.' || {dialect.lpad(dialect.to_text(dialect.mod(units, str(scale))), minor_units, '0')})"


def iso(micros: str, dialect: Dialect) -> str:
    """SQL of `iso()` of an instant held as BIGINT microseconds since the epoch."""
    fraction = f"((({micros}) % {MICROS} + {MICROS}) % {MICROS})"
    digits = dialect.rtrim(dialect.lpad(dialect.to_text(fraction), 6, "0"), "0")
    return f"({dialect.format_seconds(micros)} || CASE WHEN {fraction} = 0 THEN '' ELSE '.' || {digits} END || 'Z')"


def worded(expr: str, codes: Mapping[str, str] | None, dialect: Dialect) -> str:
    """A text in the policy's words when it is one of its codes (`codes` None or empty: as it is)."""
    if not codes:
        return expr
    branches = " ".join(f"WHEN {dialect.text(code)} THEN {dialect.text(word)}" for code, word in codes.items())
    return f"(CASE {expr} {branches} ELSE {expr} END)"


def shown(value: Value, dialect: Dialect, codes: Mapping[str, str] | None = None) -> str:
    """SQL of `show(value)` as a message shows it (never null: a null shows as "null")."""
    if value.constant:
        raise Uncompilable("a message shows facts, not constants")
    kind = value.type
    if kind == "text":
        text = worded(value.sql, codes, dialect)
    elif kind == "int":
        text = dialect.to_text(value.sql)
    elif kind == "frac":
        text = decimal_text(value.sql, value.den, dialect)
    elif kind == "instant":
        text = iso(value.sql, dialect)
    elif kind == "bool":
        text = f"CASE WHEN {value.sql} THEN 'true' ELSE 'false' END"
    elif kind == "texts":
        text = dialect.list_join(dialect.list_transform(value.sql, "x", worded("x", codes, dialect)), ", ")
    else:
        raise Uncompilable(f"a {kind} value has no shown text in SQL")
    return f"COALESCE({text}, 'null')"


def json_inner(expr: str, dialect: Dialect) -> str:
    """SQL text `expr` escaped for inside a JSON string (without its quotes)."""
    quoted = dialect.json_string(expr)
    return f"substring({quoted}, 2, length({quoted}) - 2)"


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """A message template as (literal, fact name or None) pairs, as the row engine reads
    it; Uncompilable for a template using more of the format language than `{name}`."""
    parts = []
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise Uncompilable(f"message {template!r} is not a template: {exc}") from None
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion or not name.isidentifier()):
            raise Uncompilable(f"message {template!r} uses a format spec or conversion")
        parts.append((literal, name))
    return parts


Piece = tuple[bool, str]  # (True, literal text) or (False, SQL of a text)


def joined(pieces: list[Piece], dialect: Dialect) -> str:
    """SQL concatenating the pieces, adjacent literals merged into one (null when an SQL piece is null)."""
    merged: list[Piece] = []
    for literal, body in pieces:
        if literal and merged and merged[-1][0]:
            merged[-1] = (True, merged[-1][1] + body)
        elif not literal or body:
            merged.append((literal, body))
    if not merged:
        return "''"
    return dialect.concat(*(dialect.text(body) if literal else body for literal, body in merged))


def message_pieces(template: str, where: SqlScope, dialect: Dialect, codes: Mapping[str, str] | None = None,
                   json_escaped: bool = False) -> list[Piece]:
    """The pieces of the message the row engine renders from `template` with the facts in
    `where`; with `json_escaped`, each already escaped for inside a JSON string."""
    pieces: list[Piece] = []
    for literal, name in template_parts(template):
        if literal:
            pieces.append((True, json.dumps(literal, ensure_ascii=False)[1:-1] if json_escaped else literal))
        if name is not None:
            if name not in where.facts:
                raise Uncompilable(f"message {template!r} shows fact {name!r}, which has no SQL column")
            value = where.facts[name]
            text = shown(value, dialect, codes)
            if json_escaped and value.type in ("text", "texts"):
                text = json_inner(text, dialect)  # digits, instants and booleans need no escaping
            pieces.append((False, text))
    return pieces


def message(template: str, where: SqlScope, dialect: Dialect, codes: Mapping[str, str] | None = None,
            json_escaped: bool = False) -> str:
    """SQL of the message the row engine renders from `template` with the facts in
    `where`; with `json_escaped`, already escaped for inside a JSON string."""
    return joined(message_pieces(template, where, dialect, codes, json_escaped), dialect)
