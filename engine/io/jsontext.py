"""The one way the engine reads JSON text: exact decimals, no NaN or Infinity,
no key given twice.

`json.loads` would turn `99.95` into a binary float, accept `NaN` and keep the
last of two duplicate keys silently; a record, an event line, a CSV cell holding
JSON and a receipt are all read with this decoder instead, so they agree.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error."""
    out = dict(pairs)
    if len(out) != len(pairs):  # the common case (no duplicate) costs one length comparison
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=Decimal, parse_constant=_no_constant)

# One value from the text (raises ValueError, json.JSONDecodeError for a syntax error).
decode = DECODER.decode
# (value, end) for the value starting at an index of the text.
raw_decode = DECODER.raw_decode
