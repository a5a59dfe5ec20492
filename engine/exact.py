"""Exact numbers: parse decimals without floats, print them without losing meaning."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction

SHOWN_PLACES = 6


def to_fraction(value: object) -> Fraction:
    """An exact Fraction from an int, Decimal, Fraction or decimal string (never a float)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return Fraction(value)
    if isinstance(value, str):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
        if not parsed.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return Fraction(parsed)
    raise TypeError(f"{value!r} is not an exact number")


def _quantize(value: Fraction, places: int, rounding: str) -> Decimal:
    with localcontext() as ctx:
        whole_digits = len(str(abs(value.numerator) // value.denominator))
        ctx.prec = max(60, whole_digits + places + 10)  # enough for any amount, never rounding before quantize
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-places), rounding=rounding)


_FAST_LIMIT = 10**24  # below it, integer arithmetic gives exactly what the 60-digit Decimal path gives


def decimal_text(value: Fraction, places: int = SHOWN_PLACES) -> str:
    """A Fraction as a decimal string: exact when it terminates within `places`,
    otherwise truncated toward zero, so a shown uptime never rounds up across a
    threshold (12.33999… shows 12.339999, not 12.34). Trailing zeros dropped."""
    n, d = value.numerator, value.denominator
    # Integer arithmetic, exact at any size (Decimal's normalize() would round a
    # number of more than 28 digits to its context's precision).
    if d == 1:
        return str(n)
    scale = 10**places
    whole, part = divmod(abs(n) * scale // d, scale)
    sign = "-" if n < 0 and (whole or part) else ""
    if not part:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{part:0{places}d}".rstrip("0")


def money_text(amount: Fraction, minor_units: int) -> str:
    """An amount rounded half-up to the currency's minor unit: '833.33', '0.00'."""
    n, d = amount.numerator, amount.denominator
    if 0 <= n < _FAST_LIMIT and d < _FAST_LIMIT and 0 <= minor_units <= 6:
        # Integer arithmetic, digit for digit what the Decimal path gives (a credit is never negative;
        # a negative amount keeps the Decimal path and its "-0.00").
        scale = 10**minor_units
        units = (2 * n * scale + d) // (2 * d)  # half-up
        if not minor_units:
            return str(units)
        whole, part = divmod(units, scale)
        return f"{whole}.{part:0{minor_units}d}"
    return format(_quantize(amount, minor_units, ROUND_HALF_UP), "f")


def is_exact(value: Fraction, places: int = SHOWN_PLACES) -> bool:
    """Whether `decimal_text` shows `value` without truncation."""
    return Fraction(_quantize(value, places, ROUND_DOWN)) == value
