"""The engine's own wording in every language: one catalogue, `messages.yaml`.

SLA text comes from the policy (clauses, messages, outcome words, fact labels);
the frame around it (headings, table heads, notes) comes from here (the words
for codes such as `annual_prepaid` or `phone` are SLA vocabulary: the policy's
`explain.codes`), so a translation is one YAML edit
and no module keeps its own dictionary of words. The file is read on first use,
not at import.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGS = ("en", "zh")
_FILE = Path(__file__).with_name("messages.yaml")


@cache
def _catalogue() -> dict[str, dict[str, dict[str, str]]]:
    with open(_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@cache
def section(name: str, lang: str) -> dict[str, str]:
    """One section's words in one language (key -> text)."""
    if lang not in LANGS:
        raise ValueError(f"no wording in {lang!r}; the catalogue has {', '.join(LANGS)}")
    return {key: entry[lang] for key, entry in _catalogue()[name].items()}


def sections() -> list[str]:
    """The catalogue's sections, for the test that every entry has every language."""
    return list(_catalogue())


def entries(name: str) -> dict[str, dict[str, str]]:
    """One section as key -> {lang: text}."""
    return _catalogue()[name]


class Messages:
    """One section in one language: `m("key", name=value)` fills `{name}` with
    the value as a person reads it (exact decimals, instants in UTC)."""

    def __init__(self, name: str, lang: str):
        self.lang = lang
        self.table = section(name, lang)

    def __call__(self, key: str, /, **values: Any) -> str:
        from engine.lang.conditions import show

        return self.table[key].format_map({k: v if isinstance(v, str) else show(v) for k, v in values.items()})
