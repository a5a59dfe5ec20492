"""Instants, dates and months: always timezone-aware, parsed strictly."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?$"
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

EXAMPLE_INSTANT = "2024-03-05T09:30:00Z"
# Instants and months strictly between these years: far from datetime's limits,
# so a deadline, a claim window or a UTC offset never overflows.
FIRST_YEAR, LAST_YEAR = 1000, 9000


class TimeFormatError(ValueError):
    """A timestamp, date or month that cannot be read, with a message saying why."""


def parse_instant(text: str) -> datetime:
    """An RFC 3339 timestamp with offset; a naive one is refused, never guessed."""
    m = _INSTANT.fullmatch(text) if isinstance(text, str) else None
    if not m:
        raise TimeFormatError(f"{text!r} is not an RFC 3339 timestamp; expected e.g. {EXAMPLE_INSTANT!r}")
    if not FIRST_YEAR < int(m.group(1)) < LAST_YEAR:
        raise TimeFormatError(f"{text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR} the engine can compute with")
    year, month, day, hour, minute, second, frac, offset = m.groups()
    if offset is None:
        raise TimeFormatError(
            f"{text!r} has no UTC offset; a naive time is ambiguous, write e.g. {text}Z or {text}+08:00"
        )
    if (frac is None or len(frac) <= 6) and (offset == "Z" or (offset != "z" and offset[1:3] <= "23" and offset[4:6] <= "59")):
        # The common shape, read by the C parser (a third of the time); anything
        # it refuses (say 30 February) goes the long way below for the message.
        try:
            return datetime.fromisoformat(text if text[10] == "T" else text[:10] + "T" + text[11:])
        except ValueError:
            pass
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    if frac and len(frac) > 6 and int(frac[6:]):
        raise TimeFormatError(f"{text!r} is more precise than a microsecond")
    tz = timezone.utc if offset in ("Z", "z") else (_OFFSETS.get(offset) or _offset(offset, text))
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError as exc:
        raise TimeFormatError(f"{text!r} is not a real time: {exc}") from None


_OFFSETS: dict[str, timezone] = {}  # "+08:00" -> its timezone, made once


def _offset(text: str, whole: str) -> timezone:
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise TimeFormatError(f"{whole!r} has an impossible UTC offset {text}")
    tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    if len(_OFFSETS) < 2048:
        _OFFSETS[text] = tz
    return tz


def parse_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD; '2024-24-04' is refused, not reinterpreted."""
    m = _DATE.fullmatch(text) if isinstance(text, str) else None
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
    m = _MONTH.fullmatch(text) if isinstance(text, str) else None
    if not m:
        raise TimeFormatError(f"{text!r} is not a month; expected YYYY-MM, e.g. '2024-03'")
    year, month = map(int, m.groups())
    if not FIRST_YEAR < year < LAST_YEAR:
        raise TimeFormatError(f"{text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR} the engine can compute with")
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


def micros(instant: datetime) -> int:
    """Microseconds since the epoch: exact integer arithmetic on instants."""
    delta = instant - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def minutes_between(start: datetime, end: datetime) -> Fraction:
    """Exact minutes from `start` to `end`."""
    return Fraction(micros(end) - micros(start), 60_000_000)


_last_iso: tuple[Any, str] = (None, "")  # the last instant written and its text: `now` is written once per decision


def iso(instant: datetime) -> str:
    """An instant in UTC, written with Z, milliseconds only when present."""
    global _last_iso
    last = _last_iso
    if instant is last[0]:
        return last[1]
    text = _iso(instant)
    _last_iso = (instant, text)
    return text


def _iso(instant: datetime) -> str:
    utc = instant if instant.tzinfo is timezone.utc else instant.astimezone(timezone.utc)
    if utc.year >= 1000:  # what strftime gives, formatted directly (strftime is the slow part)
        text = f"{utc.year}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    else:
        text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
