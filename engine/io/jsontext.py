"""The one way the engine reads JSON text: exact decimals, no NaN or Infinity,
no key given twice; and the one way it writes a decision as a compact JSON line.

`json.loads` would turn `99.95` into a binary float, accept `NaN` and keep the
last of two duplicate keys silently; a record, an event line, a CSV cell holding
JSON and a receipt are all read with this decoder instead, so they agree.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

try:  # the `fast` extra: the same text, ~10x faster (bench/README.md); without it, the stdlib writes it
    import orjson
except ImportError:  # pragma: no cover - exercised by the test that hides orjson
    orjson = None  # type: ignore[assignment]


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


_STDLIB_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# What orjson must hand back to the stdlib rather than write its own way: dataclasses,
# datetimes and subclasses of str/int/dict/list (the stdlib writes them differently or
# refuses them). It refuses by itself (TypeError) ints beyond 64 bits, non-str keys,
# lone surrogates, Decimal and Fraction: those go to the stdlib too.
_OPTIONS = 0 if orjson is None else (orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
                                      | orjson.OPT_PASSTHROUGH_SUBCLASS)


def encode_compact(value: Any) -> str:
    """`value` as compact JSON text (no spaces, non-ASCII kept), byte for byte what
    `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` writes, for the
    values decisions hold: str, int, bool, None, dict with str keys, list, tuple.

    orjson writes it when installed; whatever orjson refuses (see _OPTIONS) is
    written by the stdlib, which also raises the stdlib's errors. Floats never
    reach here: the engine shows exact numbers as text and reads JSON numbers
    as Decimal (orjson would write NaN as null where the stdlib writes NaN)."""
    if orjson is not None:
        try:
            return orjson.dumps(value, option=_OPTIONS).decode("utf-8")
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return _STDLIB_ENCODE(value)
