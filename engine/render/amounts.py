"""Money as people read it: thousands separators and the currency, digits exact.

An amount stays the exact decimal text the engine computed (`12345.6`, never a
float); only the integer part is grouped (`12,345.6 USD`).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine.exact import decimal_text


def grouped(amount: Any) -> str:
    """`1234567.5` -> `1,234,567.5`, sign and every digit kept."""
    if isinstance(amount, Fraction):
        text = decimal_text(amount)
    elif isinstance(amount, Decimal):
        text = format(amount, "f")
    else:
        text = str(amount)
    sign = "-" if text.startswith("-") else ""
    whole, dot, part = text.lstrip("+-").partition(".")
    if not whole.isdigit():
        return text
    return f"{sign}{int(whole):,}{dot}{part}"


def money(amount: Any, currency: str | None) -> str:
    """`12,345.67 USD`: grouped, with its currency (none when the currency is unknown)."""
    text = grouped(amount)
    return f"{text} {currency}" if currency else text
