"""Instants, dates and months: always timezone-aware, parsed strictly."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?$"
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

EXAMPLE_INSTANT = "2024-03-05T09:30:00Z"


class TimeFormatError(ValueError):
    """A timestamp, date or month that cannot be read, with a message saying why."""


def parse_instant(text: str) -> datetime:
    """An RFC 3339 timestamp with offset; a naive one is refused, never guessed."""
    m = _INSTANT.match(text) if isinstance(text, str) else None
    if not m:
        raise TimeFormatError(f"{text!r} is not an RFC 3339 timestamp; expected e.g. {EXAMPLE_INSTANT!r}")
    year, month, day, hour, minute, second, frac, offset = m.groups()
    if offset is None:
        raise TimeFormatError(
            f"{text!r} has no UTC offset; a naive time is ambiguous, write e.g. {text}Z or {text}+08:00"
        )
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if frac and len(frac) > 6 and int(frac[6:]):
        raise TimeFormatError(f"{text!r} is more precise than a microsecond")
    tz = timezone.utc if offset in ("Z", "z") else _offset(offset, text)
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError as exc:
        raise TimeFormatError(f"{text!r} is not a real time: {exc}") from None


def _offset(text: str, whole: str) -> timezone:
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise TimeFormatError(f"{whole!r} has an impossible UTC offset {text}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD; '2024-24-04' is refused, not reinterpreted."""
    m = _DATE.match(text) if isinstance(text, str) else None
    if not m:
        raise TimeFormatError(f"{text!r} is not a date; expected YYYY-MM-DD, e.g. '2024-04-24'")
    year, month, day = map(int, m.groups())
    if not 1 <= month <= 12:
        hint = " (month and day swapped?)" if 1 <= day <= 12 else ""
        raise TimeFormatError(f"{text!r} is not a real date: month {month} is not 1-12{hint}")
    try:
        return date(year, month, day)
    except ValueError:
        raise TimeFormatError(f"{text!r} is not a real date: {year}-{month:02d} has no day {day}") from None


def parse_month(text: str) -> tuple[int, int]:
    """A month written YYYY-MM."""
    m = _MONTH.match(text) if isinstance(text, str) else None
    if not m:
        raise TimeFormatError(f"{text!r} is not a month; expected YYYY-MM, e.g. '2024-03'")
    year, month = map(int, m.groups())
    if not 1 <= month <= 12 or year < 1:
        raise TimeFormatError(f"{text!r} is not a real month: month {month} is not 1-12")
    return year, month


def zone(name: str) -> ZoneInfo | timezone:
    """An IANA time zone by name ("UTC" is always available)."""
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeFormatError(f"{name!r} is not a known IANA time zone; expected e.g. 'UTC' or 'Asia/Shanghai'") from None


def month_bounds(year: int, month: int, tz: ZoneInfo | timezone) -> tuple[datetime, datetime]:
    """The month's first instant and the first instant after it, in `tz`."""
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def date_in(instant: datetime, tz: ZoneInfo | timezone) -> date:
    """The calendar date of an instant in a zone."""
    return instant.astimezone(tz).date()


def micros(instant: datetime) -> int:
    """Microseconds since the epoch: exact integer arithmetic on instants."""
    delta = instant - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def minutes_between(start: datetime, end: datetime) -> Fraction:
    """Exact minutes from `start` to `end`."""
    return Fraction(micros(end) - micros(start), 60_000_000)


def iso(instant: datetime) -> str:
    """An instant in UTC, written with Z, milliseconds only when present."""
    utc = instant.astimezone(timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
