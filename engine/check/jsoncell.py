"""JSON inside a CSV cell (the `events` column, a `json` column of a mapping), read
with the limits every JSON record has: nested no deeper than MAX_DEPTH levels
(never a RecursionError, which would end the whole run), and no lone UTF-16
surrogate (which no output could hold). A bad cell is a ValueError, so it
rejects its row only."""

from __future__ import annotations

import json
from typing import Any, Callable

from engine.io.inputs import json_fault
from engine.io.yamlload import MAX_DEPTH


def json_cell(text: str, parse_float: Callable[[str], Any]) -> Any:
    """The cell's JSON value; ValueError when it is not JSON, too deep, or holds a lone surrogate."""
    try:
        data = json.loads(text, parse_float=parse_float)
    except RecursionError:
        raise ValueError(f"nesting deeper than {MAX_DEPTH} levels is not allowed") from None
    fault = json_fault(text, data)
    if fault is not None:
        raise ValueError(fault)
    return data
