"""The compiled schema check (engine.schemafast) for the check's own schemas
(incidents, contracts), so valid rows skip jsonschema as records do."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from engine.io.schemafast import Check, Unsupported, Unsure, compile_schema, registry_resolver
from engine.io.schemas import _registry


@lru_cache(maxsize=None)
def _check(name: str) -> Check | None:
    _, by_name = _registry()
    schema = by_name[name]
    try:
        return compile_schema(schema, schema.get("$id", ""), registry_resolver(by_name))
    except Unsupported:
        return None


def surely_valid(name: str, instance: Any) -> bool:
    """True when `instance` is valid against schemas/<name>; False means: ask jsonschema."""
    check = _check(name)
    if check is None:
        return False
    try:
        return check(instance)
    except Unsure:
        return False
