"""Canonical JSON: one byte string per value, so a hash of it names the value.

Keys sorted, no insignificant whitespace, UTF-8 kept as characters (not
\\u escapes). Exact decimals (`Decimal`, `Fraction`) never become binary floats:
a Decimal is written as its decimal string, and a float is refused, so the same
input always hashes the same on every machine.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any


def _plain(value: Any) -> Any:
    """`value` with every Decimal as its string and tuples as lists; a float is a bug."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError("a binary float has no canonical form; use a decimal string")
    return value


def canonical_json(value: Any) -> str:
    """The canonical text of a JSON-like value."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_of(value: Any) -> str:
    """The sha256 (hex) of a value's canonical JSON in UTF-8."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
