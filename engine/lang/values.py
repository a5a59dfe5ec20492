"""Values as the condition language holds and shows them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from engine.exact import decimal_text
from engine.timeutil import iso


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
