"""A fast yes-or-don't-know check of a record against its JSON Schema.

Validating every record with jsonschema cost about 300 µs of the 380 µs the
engine spent per support case (cProfile, 10,000 generated cases; see
bench/README.md). Nearly every record in a real export is valid, so the engine
first asks this check, compiled from the schema into one plain Python function
per (sub)schema, which answers exactly as jsonschema would for the keywords and
value types it models, in a few microseconds. Only when it says "invalid" or
"not sure" does jsonschema run, and jsonschema's errors are the ones reported.
It never replaces jsonschema's verdict on an invalid record; it only vouches
for a valid one (tests/test_schemafast.py holds it to jsonschema's answers).

Compiled from the same schema files (schemas/), so a schema edit needs no code
change. A keyword it does not model makes it decline the whole schema (every
record then goes to jsonschema); a value whose JSON Schema meaning it does not
model exactly (a float, a Decimal, a tuple) makes it say "not sure" (Unsure).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping
from urllib.parse import urldefrag, urljoin

Check = Callable[[Any], bool]

# Keywords that never change whether an instance is valid (Draft 2020-12 without
# a format checker, as engine.schemas builds its validators).
ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment", "examples", "default", "format",
                         "$defs", "definitions", "deprecated", "readOnly", "writeOnly"})
_JSON_TYPES = frozenset({str, int, bool, dict, list, type(None)})
_PY_TYPE = {"string": "str", "object": "dict", "array": "list", "boolean": "bool", "null": "_NoneType"}
_APPLIES = {"required": "dict", "properties": "dict", "additionalProperties": "dict", "items": "list", "minItems": "list",
            "maxItems": "list", "minLength": "str", "maxLength": "str", "pattern": "str"}


class Unsure(Exception):
    """The check cannot decide this instance exactly; ask jsonschema."""


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not model."""


def compile_schema(schema: Mapping[str, Any], base: str, resolve: Callable[[str], tuple[Mapping[str, Any], str]]) -> Check:
    """A predicate that is True exactly when jsonschema would accept the
    instance; it raises Unsure where it cannot tell. Raises Unsupported for a
    schema using keywords outside the modelled subset."""
    gen = _Generator(resolve)
    entry = gen.function(schema, base)
    namespace: dict[str, Any] = dict(gen.constants, Unsure=Unsure, _other=_other, _number=_number, _equal=_equal,
                                     _NoneType=type(None))
    exec(compile("\n".join(gen.lines), "<schemafast>", "exec"), namespace)  # our own generated source, from our schemas
    return namespace[entry]


class _Generator:
    """Writes one function per (sub)schema; each returns True or False, or raises Unsure."""

    def __init__(self, resolve: Callable[[str], tuple[Mapping[str, Any], str]]):
        self.resolve = resolve
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.refs: dict[str, str] = {}
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def constant(self, value: Any) -> str:
        name = self.name("_c")
        self.constants[name] = value
        return name

    def function(self, schema: Any, base: str) -> str:
        if schema is True or schema == {}:
            self.constants["_true"] = _true
            return "_true"
        if schema is False:
            name = self.name("_f")
            self.lines += [f"def {name}(x):", "    return False"]
            return name
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        base = urljoin(base, schema["$id"]) if "$id" in schema else base
        checked = [k for k in schema if k not in ANNOTATIONS and not k.startswith("x-")]
        if checked == ["$ref"]:
            return self.ref(urljoin(base, schema["$ref"]))  # a bare reference is the referenced check itself
        name = self.name("_f")
        body = self.body(schema, base)
        self.lines += [f"def {name}(x):", *("    " + line for line in body), "    return True"]
        return name

    def body(self, schema: Mapping[str, Any], base: str) -> list[str]:
        out: list[str] = []
        kind = schema.get("type")
        if isinstance(kind, str):
            out += self.type_check(kind)
        elif kind is not None:
            names = list(kind)
            for n in names:
                if n not in _PY_TYPE and n not in ("integer", "number"):
                    raise Unsupported(f"type {n!r}")
            tests = " or ".join(self.type_test(n) for n in names)
            out += [f"if not ({tests}):", "    return _other(x)"]
        guarded: dict[str, list[str]] = {"dict": [], "list": [], "str": []}  # code for one Python type only
        if "properties" in schema or "additionalProperties" in schema:
            guarded["dict"] += self.properties(schema, base)
        for key, value in schema.items():
            if key in ANNOTATIONS or key.startswith("x-") or key in ("type", "then", "else"):
                continue
            if key in _APPLIES:
                guarded[_APPLIES[key]] += self.typed_keyword(key, value, schema, base)
            else:
                out += self.keyword(key, value, schema, base)
        for py, code in guarded.items():
            if not code:
                continue
            if isinstance(kind, str) and _PY_TYPE.get(kind) == py:
                out += code  # the type check above already returned for anything else
            else:
                out += [f"if type(x) is {py}:", *("    " + line for line in code)]
        return out

    def type_test(self, name: str) -> str:
        if name == "integer":
            return "(type(x) is int or _number(x, True))"
        if name == "number":
            return "(type(x) is int or _number(x, False))"
        return f"type(x) is {_PY_TYPE[name]}"

    def type_check(self, name: str) -> list[str]:
        if name not in _PY_TYPE and name not in ("integer", "number"):
            raise Unsupported(f"type {name!r}")
        if name in ("integer", "number"):
            return [f"if type(x) is not int and not _number(x, {name == 'integer'}):", "    return False"]
        return [f"if type(x) is not {_PY_TYPE[name]}:", "    return _other(x)"]

    def typed_keyword(self, key: str, value: Any, schema: Mapping[str, Any], base: str) -> list[str]:
        if key == "required":
            return [f"for _k in {self.constant(tuple(value))}:", "    if _k not in x:", "        return False"]
        if key in ("properties", "additionalProperties"):
            return []  # both in one pass over the keys: see properties()
        if key == "items":
            if "prefixItems" in schema:
                raise Unsupported("prefixItems")
            item = self.function(value, base)
            return ["for _v in x:", f"    if not {item}(_v):", "        return False"]
        if key in ("minItems", "minLength"):
            return [f"if len(x) < {int(value)}:", "    return False"]
        if key in ("maxItems", "maxLength"):
            return [f"if len(x) > {int(value)}:", "    return False"]
        if key == "pattern":
            return [f"if {self.constant(re.compile(value).search)}(x) is None:", "    return False"]
        raise Unsupported(key)

    def keyword(self, key: str, value: Any, schema: Mapping[str, Any], base: str) -> list[str]:
        if key == "patternProperties" or key == "prefixItems":
            raise Unsupported(key)
        if key == "$ref":
            return [f"if not {self.ref(urljoin(base, value))}(x):", "    return False"]
        if key == "const":
            _literal(value)
            if type(value) is str:
                return ["if type(x) is str:", f"    if x != {value!r}:", "        return False",
                        f"elif not _equal(x, {value!r}):", "    return False"]
            return [f"if not _equal(x, {value!r}):", "    return False"]
        if key == "enum":
            for v in value:
                _literal(v)
            values = self.constant(tuple(value))
            if all(type(v) is str for v in value):
                strings = self.constant(frozenset(value))
                return [f"if (type(x) is not str or x not in {strings}) and not any(_equal(x, _e) for _e in {values}):",
                        "    return False"]
            return [f"if not any(_equal(x, _e) for _e in {values}):", "    return False"]
        if key == "allOf":
            return [line for sub in value for line in (f"if not {self.function(sub, base)}(x):", "    return False")]
        if key == "anyOf":
            names = [self.function(sub, base) for sub in value]
            return [f"if not ({' or '.join(f'{n}(x)' for n in names)}):", "    return False"]
        if key == "oneOf":
            names = [self.function(sub, base) for sub in value]
            return [f"if ({' + '.join(f'bool({n}(x))' for n in names)}) != 1:", "    return False"]
        if key == "not":
            return [f"if {self.function(value, base)}(x):", "    return False"]
        if key == "if":
            cond = self.function(value, base)
            then = self.function(schema.get("then", True), base)
            otherwise = self.function(schema.get("else", True), base)
            return [f"if not ({then}(x) if {cond}(x) else {otherwise}(x)):", "    return False"]
        if key in ("minimum", "maximum"):
            if type(value) is not int:
                raise Unsupported(f"{key} that is not an integer")
            op = "<" if key == "minimum" else ">"
            return [f"if (type(x) is int or _number(x, False)) and x {op} {value}:", "    return False"]
        raise Unsupported(key)

    def ref(self, uri: str) -> str:
        """The function of a referenced schema: written once, named before it is
        written so a cycle refers to it, then bound to the written function."""
        if uri not in self.refs:
            self.refs[uri] = name = self.name("_r")
            target, target_base = self.resolve(uri)
            self.lines.append(f"{name} = {self.function(target, target_base)}")
        return self.refs[uri]

    def properties(self, schema: Mapping[str, Any], base: str) -> list[str]:
        """properties and additionalProperties in one pass over the instance's keys;
        a property whose schema is a leaf (a string, integer or constant check) is
        checked inline rather than by a call."""
        checks = {k: self.leaf(v, base, "_v") for k, v in (schema.get("properties") or {}).items()}
        checks = {k: code if code is not None else [f"if not {self.function(schema['properties'][k], base)}(_v):", "    return False"]
                  for k, code in checks.items()}
        extra = schema.get("additionalProperties", True)
        if extra is True or extra == {}:  # open: only the named properties are checked, so visit just those
            out = []
            for key, code in checks.items():
                out += [f"if {key!r} in x:", f"    _v = x[{key!r}]", *("    " + line for line in code)]
            return out
        out = ["for _k, _v in x.items():"]
        for i, (key, code) in enumerate(checks.items()):
            out += [f"    {'if' if i == 0 else 'elif'} _k == {key!r}:", *("        " + line for line in code or ["pass"])]
        otherwise = ["return False"] if extra is False else [f"if not {self.function(extra, base)}(_v):", "    return False"]
        if checks:
            return out + ["    else:", *("        " + line for line in otherwise)]
        return out + ["    " + line for line in otherwise]

    def leaf(self, schema: Any, base: str, var: str, depth: int = 0) -> list[str] | None:
        """Inline code checking `var` against a schema of scalar checks only, or None."""
        if schema is True or schema == {}:
            return []
        if not isinstance(schema, Mapping) or depth > 8:
            return None
        if "$id" in schema:
            return None
        keys = [k for k in schema if k not in ANNOTATIONS and not k.startswith("x-")]
        if keys == ["$ref"]:
            target, target_base = self.resolve(urljoin(base, schema["$ref"]))
            return self.leaf(target, target_base, var, depth + 1)
        if not set(keys) <= {"type", "const", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum"}:
            return None
        kind = schema.get("type")
        if kind is not None and kind not in ("string", "integer", "boolean", "null"):
            return None
        out: list[str] = []
        if kind == "integer":
            out += [f"if type({var}) is not int and not _number({var}, True):", "    return False"]
        elif kind is not None:
            out += [f"if type({var}) is not {_PY_TYPE[kind]}:", f"    return _other({var})"]
        text = []
        if "minLength" in schema:
            text += [f"if len({var}) < {int(schema['minLength'])}:", "    return False"]
        if "maxLength" in schema:
            text += [f"if len({var}) > {int(schema['maxLength'])}:", "    return False"]
        if "pattern" in schema:
            text += [f"if {self.constant(re.compile(schema['pattern']).search)}({var}) is None:", "    return False"]
        if text:
            out += text if kind == "string" else [f"if type({var}) is str:", *("    " + line for line in text)]
        for key in ("minimum", "maximum"):
            if key in schema:
                if type(schema[key]) is not int:
                    return None
                op = "<" if key == "minimum" else ">"
                out += [f"if (type({var}) is int or _number({var}, False)) and {var} {op} {schema[key]}:", "    return False"]
        if "const" in schema:
            value = schema["const"]
            if type(value) not in (str, int, bool, type(None)):
                return None
            if type(value) is str:
                out += [f"if type({var}) is str:", f"    if {var} != {value!r}:", "        return False",
                        f"elif not _equal({var}, {value!r}):", "    return False"]
            else:
                out += [f"if not _equal({var}, {value!r}):", "    return False"]
        if "enum" in schema:
            if any(type(v) not in (str, int, bool, type(None)) for v in schema["enum"]):
                return None
            values = self.constant(tuple(schema["enum"]))
            if all(type(v) is str for v in schema["enum"]):
                strings = self.constant(frozenset(schema["enum"]))
                out += [f"if (type({var}) is not str or {var} not in {strings}) and not any(_equal({var}, _e) for _e in {values}):",
                        "    return False"]
            else:
                out += [f"if not any(_equal({var}, _e) for _e in {values}):", "    return False"]
        return out


def _true(x: Any) -> bool:
    return True


def _other(x: Any) -> bool:
    """A value failed a type test: invalid if it is a JSON type, else not known."""
    if type(x) in _JSON_TYPES:
        return False
    raise Unsure(f"value of type {type(x).__name__}")


def _number(x: Any, integer: bool) -> bool:
    """Whether a non-int value is a number (or an integer) for jsonschema: known
    for JSON's other types, not modelled for floats and Decimals."""
    kind = type(x)
    if kind is bool or kind is str or kind is dict or kind is list or x is None:
        return False
    raise Unsure(f"{'integer' if integer else 'number'} {x!r}")


def _literal(value: Any) -> None:
    if type(value) not in (str, int, bool, type(None)):
        raise Unsupported(f"const/enum value {value!r}")


def _equal(x: Any, value: Any) -> bool:
    """jsonschema's equality for the literal kinds allowed in const/enum:
    booleans are not numbers, strings and None compare as themselves."""
    kind = type(x)
    if kind not in _JSON_TYPES:
        raise Unsure(f"value of type {kind.__name__}")
    if kind is bool or type(value) is bool:
        return kind is type(value) and x == value
    if kind is dict or kind is list:
        return False
    return x == value and (kind is str) == (type(value) is str)


def registry_resolver(by_name: Mapping[str, Mapping[str, Any]]) -> Callable[[str], tuple[Mapping[str, Any], str]]:
    """Resolve `uri#/json/pointer` among the loaded schema files (by their $id)."""
    by_id = {schema["$id"]: schema for schema in by_name.values() if "$id" in schema}

    def resolve(uri: str) -> tuple[Mapping[str, Any], str]:
        doc_uri, fragment = urldefrag(uri)
        if doc_uri not in by_id:
            raise Unsupported(f"reference {uri}")
        node: Any = by_id[doc_uri]
        for part in [p for p in fragment.split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise Unsupported(f"reference {uri}")
            node = node[part]
        return node, doc_uri

    return resolve
