"""JSON inside a CSV cell (the `events` column, a `json` column of a mapping), read
with the limits every JSON record has: nested no deeper than MAX_DEPTH levels
(never a RecursionError, which would end the whole run), and no lone UTF-16
surrogate (which no output could hold). A bad cell is a ValueError, so it
rejects its row only."""

from __future__ import annotations

from typing import Any

from engine.io.inputs import json_fault
from engine.io.jsontext import decode
from engine.io.yamlload import MAX_DEPTH


def json_cell(text: str) -> Any:
    """The cell's JSON value, read by the one JSON decoder (exact decimals, no NaN,
    no duplicate key); ValueError when it is not JSON, too deep, or holds a lone surrogate."""
    try:
        data = decode(text)
    except RecursionError:
        raise ValueError(f"nesting deeper than {MAX_DEPTH} levels is not allowed") from None
    fault = json_fault(text, data)
    if fault is not None:
        raise ValueError(fault)
    return data
