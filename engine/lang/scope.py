"""What a condition reads while it is evaluated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Scope:
    """The record's typed fields (`{field: ...}`) and the derived facts (`{fact: ...}`)."""

    fields: Mapping[str, Any]
    facts: Mapping[str, Any]
