"""Decisions are written as compact JSON lines by `engine.io.jsontext.encode_compact`:
orjson when installed (the `fast` extra), the stdlib otherwise, byte for byte the same."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from engine.io import jsontext

ROOT = Path(__file__).resolve().parent.parent
STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

keys = st.text(max_size=8)
leaves = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text()
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4)
                      | st.tuples(inner, inner), max_leaves=20)


@given(values)
def test_encode_compact_writes_what_the_stdlib_writes(value: object) -> None:
    assert jsontext.encode_compact(value) == STDLIB(value)


def test_every_character_is_written_as_the_stdlib_writes_it() -> None:
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    value = {"text": text, text[:300]: [text[i:i + 5] for i in range(0, 2000, 5)]}
    assert jsontext.encode_compact(value) == STDLIB(value)


class Word(str):
    pass


@dataclass
class Point:
    x: int


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, "\ud800", {1: "a"}, Word("w"), [Word("w")], {"k": Word("w")}])
def test_values_orjson_refuses_or_writes_its_own_way_are_written_by_the_stdlib(value: object) -> None:
    assert jsontext.encode_compact(value) == STDLIB(value)


@pytest.mark.parametrize("value", [Decimal("1.5"), Fraction(1, 3), Point(1), datetime(2024, 1, 1, tzinfo=timezone.utc)])
def test_values_the_stdlib_refuses_raise_its_type_error(value: object) -> None:
    with pytest.raises(TypeError) as stdlib:
        STDLIB(value)
    with pytest.raises(TypeError) as ours:
        jsontext.encode_compact(value)
    assert str(ours.value) == str(stdlib.value)


def test_without_orjson_the_stdlib_writes_the_same_decisions(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.api import Engine

    engine = Engine.load(ROOT / "policies")
    records = ROOT / "examples" / "records"
    decisions = [d.to_json() for d in engine.stream([str(p) for p in sorted(records.iterdir())], now="2025-06-01T00:00:00Z")
                 if hasattr(d, "to_json")]
    assert decisions, "the examples gave no decisions"
    fast = [jsontext.encode_compact(d) for d in decisions]
    monkeypatch.setattr(jsontext, "orjson", None)
    assert [jsontext.encode_compact(d) for d in decisions] == fast == [STDLIB(d) for d in decisions]
