"""The engine's own wording for dispute verdicts and reports, by language.

SLA text (clause quotes, finding messages, the outcome words, fact labels, the
change log) comes from the policy YAML; the frame around it (headings, labels
and the sentences that state distances and revision choices) is the `disputes`
section of the message catalogue (engine/render/messages.yaml), with the same
keys in every language (tests/test_report.py checks it).
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

from engine.lang.conditions import show
from engine.exact import decimal_text

from collections.abc import Mapping

from engine.render.catalogue import LANGS, section


class _ByLanguage(Mapping[str, dict[str, str]]):
    """The `disputes` words of each language, read from the catalogue on first use."""

    def __getitem__(self, lang: str) -> dict[str, str]:
        if lang not in LANGS:
            raise KeyError(lang)
        return section("disputes", lang)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)


WORDS: Mapping[str, dict[str, str]] = _ByLanguage()


class Words:
    """The wording of one language: `words("key", name=value, ...)`; values are shown
    as a person reads them (exact numbers as decimals, instants in UTC)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.table = WORDS[lang]

    def anchor(self, anchor: str) -> str:
        """What chose a revision ("submitted_at", "the month's first instant"), in this language."""
        return self.table.get(f"anchor.{anchor}", anchor)

    def __call__(self, key: str, /, **values: Any) -> str:
        return self.table[key].format_map({k: v if isinstance(v, str) else show(v) for k, v in values.items()})

    def duration(self, delta: timedelta) -> str:
        """`2 days 15 hours`, exact to the microsecond, zero units left out."""
        total = delta.days * 86400 + delta.seconds
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        exact_seconds = Fraction(seconds) + Fraction(delta.microseconds, 1_000_000)
        parts = []
        for n, one, many in ((days, "day", "days"), (hours, "hour", "hours"), (minutes, "minute", "minutes")):
            if n:
                parts.append(self.table[one if n == 1 else many].format(n=n))
        if exact_seconds or not parts:
            parts.append(self.table["second" if exact_seconds == 1 else "seconds"].format(n=decimal_text(exact_seconds)))
        return self.table["duration_join"].join(parts)
