"""JSON Schema validation that reports every error, each with a path a person can find.

The schemas live in `schemas/`; this module loads them on first use (never at
import: importing the core opens no file), wires their `$ref`s together and turns
jsonschema's errors into `Problem`s: the path into the document, and a message
that says what was expected (from the schema's `x-expected` where the default
wording would be cryptic) and, for a misspelt key, what was probably meant.
Valid documents are vouched for by the compiled check of `engine.io.schemafast`
first, so jsonschema only runs on the few that may be invalid.
"""

from __future__ import annotations

import difflib
import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from engine.errors import Problem
from engine.io.resources import schemas_dir
from engine.io.schemafast import Check, Unsupported, Unsure, compile_schema, registry_resolver
from engine.timeutil import TimeFormatError, parse_instant

if TYPE_CHECKING:  # jsonschema reads its own metaschemas when imported: import it on first use only
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

RECORD_TYPES = ("case", "uptime", "credit_claim")
SCHEMA_VERSION = "1"


@lru_cache(maxsize=1)
def schema_documents() -> Mapping[str, dict[str, Any]]:
    """Every schema under `schemas/`, keyed by its file name relative to that
    folder (`records/case.schema.json`); read once, on first use."""
    root = schemas_dir()
    return {path.relative_to(root).as_posix(): json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(root.rglob("*.schema.json"))}


def schema(name: str) -> dict[str, Any]:
    """The schema `schemas/<name>` as data (read on first use)."""
    return schema_documents()[name]


@lru_cache(maxsize=None)
def validator(name: str) -> "Draft202012Validator":
    """A compiled validator for `schemas/<name>`, e.g. `policy.schema.json`."""
    from jsonschema import Draft202012Validator
    return Draft202012Validator(schema(name), registry=_registry())


@lru_cache(maxsize=1)
def _registry() -> Any:
    """The referencing registry that resolves one schema's `$ref` into another."""
    from referencing import Registry, Resource
    return Registry().with_resources((doc["$id"], Resource.from_contents(doc)) for doc in schema_documents().values())


@lru_cache(maxsize=None)
def fast_check(name: str) -> Check | None:
    """The compiled check (engine.io.schemafast) of `schemas/<name>` that vouches
    for a valid document in microseconds, or None for a schema it cannot model."""
    documents = schema_documents()
    try:
        return compile_schema(documents[name], documents[name].get("$id", ""), registry_resolver(documents))
    except Unsupported:
        return None


def surely_valid(name: str, instance: Any) -> bool:
    """True when `instance` is surely valid against `schemas/<name>`; False means: ask jsonschema."""
    check = fast_check(name)
    if check is None:
        return False
    try:
        return check(instance)
    except Unsure:
        return False


def record_schema_name(record_type: str) -> str:
    return f"records/{record_type}.schema.json"


def iter_problems(name: str, instance: Any) -> Iterator[Problem]:
    """Every schema error in `instance`, shallow ones first, as located Problems."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    # A misspelt key is one mistake, not two: its "did you mean" already names
    # the required key it stands for, so that key is not also reported missing.
    misspelt = {m for e in errors for m in _misspellings(e)}
    seen: set[tuple[tuple[Any, ...], str]] = set()
    for error in errors:
        if error.validator == "required" and (tuple(error.absolute_path), _missing_name(error)) in misspelt:
            continue
        for path, message in _explain(error):
            if (path, message) not in seen:
                seen.add((path, message))
                yield Problem(message, path=tuple(shown_key(part) for part in path))


# Line breaks and other control characters: never printed raw in a one-line error.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def shown_key(part: Any) -> Any:
    """A key from a document as it may appear in a one-line error path: a key
    holding a line break or other control character is shown escaped
    ('\\nkey'), so it can neither split the line nor forge another."""
    if isinstance(part, str) and CONTROL_CHARACTERS.search(part):
        return repr(part)[1:-1]
    return part


def _explain(error: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        return _unexpected_keys(error, path)
    if error.validator == "required":
        return [(path, f"missing required field {_missing_name(error)!r}")]
    if error.validator == "type" and error.instance is None and not path:
        return [(path, f"the document is empty (or null); expected {_a(error.validator_value)}")]
    naive = _naive_instant(error)
    if naive:
        return [(path, naive)]
    expected = schema.get("x-expected") or _expected_from_parent(error)
    if expected and error.validator in ("pattern", "type", "oneOf", "anyOf", "const", "format", "minLength"):
        return [(path, f"expected {expected}; got {_show(error.instance)}")]
    if error.validator == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        hint = _did_you_mean(error.instance, [str(v) for v in error.validator_value])
        return [(path, f"{_show(error.instance)} is not one of {options}{hint}")]
    return [(path, error.message)]


def _a(json_type: Any) -> str:
    names = {"object": "a mapping of keys to values", "array": "a list"}
    return names.get(json_type, f"a value of type {json_type}") if isinstance(json_type, str) else f"one of types {json_type}"


def _missing_name(error: ValidationError) -> str:
    return error.message.split("'")[1] if "'" in error.message else error.message


def _misspellings(error: ValidationError) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(object path, allowed key) for each unknown key that is close to an allowed one."""
    if error.validator not in ("additionalProperties", "unevaluatedProperties") or not isinstance(error.schema, dict):
        return
    allowed = sorted((error.schema.get("properties") or {}).keys())
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key not in allowed and isinstance(key, str):
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            if close:
                yield tuple(error.absolute_path), close[0]


def _naive_instant(error: ValidationError) -> str | None:
    """A timestamp that only lacks its UTC offset gets the message saying so."""
    if error.validator != "pattern" or not isinstance(error.instance, str):
        return None
    if not re.search(error.validator_value, error.instance + "Z"):
        return None
    try:
        parse_instant(error.instance)
    except TimeFormatError as exc:
        return str(exc)
    return None


def _expected_from_parent(error: ValidationError) -> str | None:
    """`x-expected` on the `$ref`'d definition a failing keyword sits in."""
    for sub in (error.schema,):
        if isinstance(sub, dict) and "x-expected" in sub:
            return sub["x-expected"]
    return None


def _unexpected_keys(error: ValidationError, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    allowed = sorted((error.schema.get("properties") or {}).keys()) if isinstance(error.schema, dict) else []
    known = set(allowed)
    out = []
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key in known:
            continue
        hint = _did_you_mean(key, allowed)
        listing = "" if hint else (f" (allowed: {', '.join(allowed)})" if allowed else "")
        out.append((path + (key,), f"unknown key {key!r}{hint}{listing}"))
    return out or [(path, error.message)]


def _did_you_mean(word: Any, options: list[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _show(value: Any) -> str:
    # A number read exactly (JSON or YAML 100.5 -> Decimal) is shown as the number it was, unquoted.
    text = str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False, default=str)
    text = CONTROL_CHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # json leaves U+2028, U+0085... raw
    return text if len(text) <= 80 else text[:77] + "..."


def did_you_mean(word: str, options: list[str]) -> str:
    """Public helper: `; did you mean 'x'?` or empty."""
    return _did_you_mean(word, options)
