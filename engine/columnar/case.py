"""The `case` record kind compiled to SQL: staging (raw record -> typed columns and
a `sure` flag) and facts (one row per sure record, the facts of
`engine.core.facts.case.case_facts`), for DuckDB and Spark.

Staging reads either JSONL (one JSON text column `j` per line, plus `pos`) or a
Parquet relation whose columns are the record's fields (`columns=` names them).
`sure` is TRUE only for a record the row engine surely accepts as it stands:

- JSON the engine's decoder reads (DuckDB also reads trailing commas, NaN and
  Infinity: a trailing comma anywhere, or a `\\u` escape of a surrogate, makes the
  row unsure; NaN or Infinity can only sit where a typed field is expected, so
  the type check catches them);
- every key one the schema names, none given twice (JSON keys are listed with
  their repetitions, so a duplicate key is seen, at the top, in every event and in
  the optional objects);
- every field of the schema's type (integers are JSON integers fitting BIGINT: a
  `2.0` severity goes to the row engine), ids 1-200 characters without a control
  character, names of the schema's pattern, instants read as
  `engine.columnar.instant` reads them, no event before submission;
- at most `MAX_CHANGES` severity-change events (the clock is unrolled that far).

Checks that need the policy (a known severity, channel, response channel; a
revision in force at submission) are `facts_sql`'s: a row failing one is left out
of the facts, so the runner sends it to the row engine with every staged row the
facts do not hold.
"""

from __future__ import annotations

from typing import Any, Sequence

from engine.columnar.instant import instant_from_parts, instant_parts
from engine.columnar.lists import Spell
from engine.columnar.stamps import keys_known_once

# The clock is unrolled at compile time for this many severity-change events; a
# record with more is not sure (the row engine decides it).
MAX_CHANGES = 3

EVENT_TYPES = ("automated_reply", "human_response", "severity_change", "critical_support_request")
NEEDS_VIA = ("human_response", "critical_support_request")
TOP_KEYS = ("type", "id", "customer", "severity", "channel", "submitted_at", "designated_contacts",
            "initial_troubleshooting", "portal_case", "events")
EVENT_KEYS = ("type", "at", "via", "to", "note")
CONTACT_KEYS = ("primary", "backup")
PORTAL_KEYS = ("customer_name", "organisation_id", "impact_description")
NAME = "[a-z][a-z0-9_-]*"
ID_LENGTH = range(1, 201)  # an id's characters (common.schema.json#/$defs/id)
TRAILING_COMMA = r",[ \t\n\r]*[]}]"  # DuckDB reads `[1,]` and `{"a": 1,}`; the engine's decoder does not
SURROGATE_ESCAPE = r"\\u[dD][89a-fA-F]"  # a `\uD800`-style escape: left to the row engine's guard
CONTROL = "[\\x00-\\x1f\\x7f-\\x9f\\x{2028}\\x{2029}]"  # engine.io.schemas.CONTROL_CHARACTERS

FACT_TYPES: dict[str, str] = {
    "severity": "int",
    "channel": "text",
    "submission_channels": "texts",
    "current_severity": "int",
    "escalated_to_restricted_severity": "bool",
    "escalated_to": "int",
    "escalation_request_at": "instant",
    "clock_severity": "int",
    "clock_start": "instant",
    "response_target_minutes": "frac",
    "response_deadline": "instant",
    "response_at": "instant",
    "response_minutes": "frac",
    "response_met": "bool",
    "now": "instant",
    "primary_contacts": "int",
    "backup_contacts": "int",
    "required_primary_contacts": "int",
    "required_backup_contacts": "int",
}

# Staged columns a rule's `{field: ...}` may read, by the path with '.' -> '__'.
FIELD_TYPES: dict[str, str] = {
    "type": "text",
    "id": "text",
    "customer": "text",
    "severity": "int",
    "channel": "text",
    "submitted_at": "instant",
    "designated_contacts__primary": "int",
    "designated_contacts__backup": "int",
    "initial_troubleshooting": "bool",
    "portal_case__customer_name": "bool",
    "portal_case__organisation_id": "bool",
    "portal_case__impact_description": "bool",
}

STAGED = ("pos", "sure", "why", *FIELD_TYPES, "events")


def stage_sql(dialect: Any, raw: str, columns: Sequence[str] | None = None) -> str:
    """SELECT over relation `raw` -> `pos`, `sure`, `why` (NULL when sure, else the
    first reason it is not, for the fallback report), the FIELD_TYPES columns and
    `events` (a list of structs `at` BIGINT µs, `idx`, `type`, `via`, `to`, in the
    row engine's order: by time, then by place in the record).

    `columns` None: `raw` is JSONL (`j`, `pos`); otherwise `raw` has the columns of
    `parquet_schema()` (an optional one may be missing) and `columns` lists its
    column names (an unknown one makes every row unsure)."""
    spell = Spell.of(dialect)
    if columns is None:
        if spell.spark:
            raise NotImplementedError("JSONL staging is compiled for DuckDB; Spark reads the Parquet shape")
        return _checked(spell, _json_fields(spell, raw))
    return _checked(spell, _parquet_fields(spell, raw, columns))


def parquet_schema() -> Any:
    """The Parquet (Arrow) layout of case records the Parquet staging reads: the
    record's fields as typed columns, instants as RFC 3339 text (read like JSONL's),
    a NULL for an absent optional field, `pos` the record's place in the input."""
    import pyarrow as pa

    event = pa.struct([("type", pa.string()), ("at", pa.string()), ("via", pa.string()), ("to", pa.int64()),
                       ("note", pa.string())])
    return pa.schema([
        ("pos", pa.int64()), ("type", pa.string()), ("id", pa.string()), ("customer", pa.string()),
        ("severity", pa.int64()), ("channel", pa.string()), ("submitted_at", pa.string()),
        ("designated_contacts", pa.struct([(k, pa.int64()) for k in CONTACT_KEYS])),
        ("initial_troubleshooting", pa.bool_()),
        ("portal_case", pa.struct([(k, pa.bool_()) for k in PORTAL_KEYS])),
        ("events", pa.list_(event)),
    ])


def _json_fields(spell: Spell, raw: str) -> str:
    """One row per line: each field typed, with `<field>_ok` saying its JSON type is
    the schema's (or it is absent), and the events as (ok, idx, type, at_text, via, to).

    Built in layers so each JSON value is parsed and typed once: the line's keys and
    values, then each value's JSON type, then the typed columns."""
    paths = ", ".join(spell.quote(f"$.{k}") for k in TOP_KEYS)
    top = (f"SELECT pos, j, json_type(v) = 'OBJECT' AS obj, "
           f"CASE WHEN json_type(v) = 'OBJECT' THEN json_keys(v) END AS keys, "
           f"CASE WHEN json_type(v) = 'OBJECT' THEN json_extract(v, [{paths}]) END AS x "
           f"FROM (SELECT pos, j, TRY_CAST(j AS JSON) AS v FROM {raw})")
    typed_layer = ", ".join(f"x[{i}] AS j_{k}, json_type(x[{i}]) AS t_{k}" for i, k in enumerate(TOP_KEYS, 1))
    typed = f"SELECT pos, j, obj, keys, {typed_layer} FROM ({top})"
    is_list = "t_events = 'ARRAY'"
    values = (f"SELECT *, CASE WHEN {is_list} THEN {_event_values(spell, 'j_events')} END AS ev_values, "
              f"CASE WHEN {is_list} THEN {_event_keys(spell, 'j_events')} END AS ev_keys FROM ({typed})")
    trailing_comma = spell.contains_match("j", TRAILING_COMMA)
    surrogate = spell.contains_match("j", SURROGATE_ESCAPE)
    cols = [
        "pos",
        f"(obj AND {keys_known_once(spell.dialect, 'keys', [f'j_{k}' for k in TOP_KEYS])} AND NOT {trailing_comma} AND NOT {surrogate}) AS shape_ok",
        *_json_text("type"), *_json_text("id"), *_json_text("customer"), *_json_text("channel"), *_json_text("submitted_at"),
        *_json_int("severity"),
        *_json_object(spell, "designated_contacts", CONTACT_KEYS, "BIGINT"),
        *_json_object(spell, "portal_case", PORTAL_KEYS, "BOOLEAN"),
        *_json_bool("initial_troubleshooting"),
        f"(t_events IS NULL OR {is_list}) AS events_ok",
        f"CASE WHEN {is_list} THEN coalesce(ev_keys = {_present_keys(spell, 'ev_values')}, FALSE) ELSE TRUE END AS event_keys_ok",
        f"CASE WHEN {is_list} THEN {_json_events(spell, 'ev_values')} ELSE {EMPTY_EVENTS} END AS ev",
    ]
    return f"SELECT {', '.join(cols)} FROM ({values})"


EMPTY_EVENTS = "[]::STRUCT(ok BOOLEAN, idx BIGINT, type VARCHAR, at_text VARCHAR, via VARCHAR, \"to\" BIGINT)[]"
INTEGER_TYPES = "('BIGINT', 'UBIGINT')"


def _json_text(name: str) -> list[str]:
    return [f"(t_{name} IS NULL OR t_{name} = 'VARCHAR') AS {name}_ok",
            f"CASE WHEN t_{name} = 'VARCHAR' THEN j_{name} ->> '$' END AS {name}"]


def _json_int(name: str) -> list[str]:
    """A JSON integer that fits BIGINT (json_type BIGINT/UBIGINT; the cast refuses a larger one)."""
    number = f"CASE WHEN t_{name} IN {INTEGER_TYPES} THEN TRY_CAST(j_{name} AS BIGINT) END"
    return [f"(t_{name} IS NULL OR ({number}) IS NOT NULL) AS {name}_ok", f"{number} AS {name}"]


def _json_bool(name: str) -> list[str]:
    return [f"(t_{name} IS NULL OR t_{name} = 'BOOLEAN') AS {name}_ok",
            f"CASE WHEN t_{name} = 'BOOLEAN' THEN CAST(j_{name} AS BOOLEAN) END AS {name}"]


def _json_object(spell: Spell, name: str, keys: tuple[str, ...], sql_type: str) -> list[str]:
    """An optional object of known keys, each a BIGINT (>= 0 is checked later) or a
    BOOLEAN; absent -> every column NULL."""
    wanted = INTEGER_TYPES if sql_type == "BIGINT" else "('BOOLEAN')"
    value = f"j_{name}"
    inner, oks = [], []
    for key in keys:
        field = f"json_extract({value}, {spell.quote('$.' + key)})"
        cast = "TRY_CAST" if sql_type == "BIGINT" else "CAST"
        typed = f"CASE WHEN json_type({field}) IN {wanted} THEN {cast}({field} AS {sql_type}) END"
        inner.append(f"CASE WHEN t_{name} = 'OBJECT' THEN {typed} END AS {name}__{key}")
        oks.append(f"(json_type({field}) IS NULL OR ({typed}) IS NOT NULL)")
    fields = [f"json_extract({value}, {spell.quote('$.' + key)})" for key in keys]
    shape = (f"(t_{name} IS NULL OR (t_{name} = 'OBJECT' AND {keys_known_once(spell.dialect, f'json_keys({value})', fields)}"
             f" AND {' AND '.join(oks)})) AS {name}_ok")
    return [shape, *inner]


# Event keys read straight as text: any JSON value becomes text (a string its
# characters, a number or object its JSON), which is safe only where no other
# value's text could pass the later checks: a type must be one of EVENT_TYPES,
# an instant must have the schema's shape (a number, `true` or an object never
# does). `via` (a NAME: `true` would pass), `to` and `note` keep their JSON.
TEXT_READ = {"type": "VARCHAR", "at": "VARCHAR"}


def _event_values(spell: Spell, events: str) -> str:
    """The events array read once into a list of structs whose fields are the
    EVENT_KEYS' values (JSON, or text for TEXT_READ's): NULL for an absent key, a
    JSON null, or any key of an item that is not an object (a `null` item is a
    NULL struct); a key given twice keeps its first value, an unknown key is not
    read (see `_event_keys`)."""
    shape = "[{" + ",".join(f'"{k}":"{TEXT_READ.get(k, "JSON")}"' for k in EVENT_KEYS) + "}]"
    return f"from_json({events}, {spell.quote(shape)})"


def _event_keys(spell: Spell, events: str) -> str:
    """How many keys the events' objects have in all, repetitions and unknown keys
    included. Each item is read on its own: `json_keys` with a `$[*]` path would
    be cheaper, but names every key '' on DuckDB 1.1 and is an internal error on
    1.5."""
    return spell.size(f"flatten({spell.transform(f'CAST({events} AS JSON[])', 'x', 'json_keys(x)')})")


def _present_keys(spell: Spell, values: str) -> str:
    """How many of `_event_values`' fields are not NULL, over all events. Every
    key an item has is counted by `_event_keys`, but only a known one with a
    non-null value here, once: the counts are equal exactly when no event has an
    unknown key, a key given twice or a null value (all of which the row engine's
    schema refuses)."""
    present = " + ".join(f"CAST(e.{spell.ident(k)} IS NOT NULL AS BIGINT)" for k in EVENT_KEYS)
    return f"coalesce(list_sum({spell.transform(values, 'e', f'coalesce({present}, 0)')}), 0)"


def _json_events(spell: Spell, values: str) -> str:
    """Each event of `_event_values` as (ok, idx, type, at_text, via, to); `ok`
    covers its types and values (its keys are `event_keys_ok`'s, the instant is
    read later, which also refuses an `at` that was not a JSON string)."""
    def field(key: str) -> str:
        return f"e.{spell.ident(key)}"

    def is_text(key: str) -> str:
        return f"json_type({field(key)}) = 'VARCHAR'"

    kind, via = field("type"), f"({field('via')} ->> '$')"
    to = f"CASE WHEN json_type({field('to')}) IN {INTEGER_TYPES} THEN TRY_CAST({field('to')} AS BIGINT) END"
    needs_via = ", ".join(spell.quote(t) for t in NEEDS_VIA)
    ok = (f"{kind} IN ({', '.join(spell.quote(t) for t in EVENT_TYPES)})"
          f" AND ({field('via')} IS NULL OR ({is_text('via')} AND {spell.full_match(via, NAME)}))"
          f" AND ({field('via')} IS NOT NULL OR {kind} NOT IN ({needs_via}))"
          f" AND ({field('to')} IS NULL OR {to} >= 1)"
          f" AND ({field('to')} IS NOT NULL OR {kind} <> 'severity_change')"
          f" AND ({field('note')} IS NULL OR {is_text('note')})")
    return spell.transform(values, "e, i", spell.struct({
        "ok": f"coalesce({ok}, FALSE)", "idx": "i", "type": kind, "at_text": field("at"),
        "via": f"CASE WHEN {is_text('via')} THEN {via} END", "to": to,
    }))


def _parquet_fields(spell: Spell, raw: str, columns: Sequence[str]) -> str:
    """The Parquet shape: fields are typed columns; a NULL is an absent field
    (Parquet cannot tell them apart), an unknown column makes every row unsure."""
    have = set(columns)
    known_columns = set(TOP_KEYS) | {"pos", "line"}

    def col(name: str) -> str:
        return spell.ident(name) if name in have else "NULL"

    def sub(obj: str, key: str) -> str:
        return f"{spell.ident(obj)}.{spell.ident(key)}" if obj in have else "NULL"

    e = "e"
    event = spell.struct({
        "ok": (f"coalesce({e}.type IN ({', '.join(spell.quote(t) for t in EVENT_TYPES)})"
               f" AND {e}.at IS NOT NULL"
               f" AND ({e}.via IS NULL OR {spell.full_match(f'{e}.via', NAME)})"
               f" AND ({e}.via IS NOT NULL OR {e}.type NOT IN ({', '.join(spell.quote(t) for t in NEEDS_VIA)}))"
               f" AND ({e}.{spell.ident('to')} IS NULL OR {e}.{spell.ident('to')} >= 1)"
               f" AND ({e}.{spell.ident('to')} IS NOT NULL OR {e}.type <> 'severity_change'), FALSE)"),
        "idx": "i",
        "type": f"CAST({e}.type AS {'STRING' if spell.spark else 'VARCHAR'})",
        "at_text": f"CAST({e}.at AS {'STRING' if spell.spark else 'VARCHAR'})",
        "via": f"CAST({e}.via AS {'STRING' if spell.spark else 'VARCHAR'})",
        "to": f"CAST({e}.{spell.ident('to')} AS BIGINT)",
    })
    events = spell.transform(f"coalesce({col('events')}, {'array()' if spell.spark else '[]'})", "e, i", event) \
        if "events" in have else ("CAST(array() AS ARRAY<STRUCT<ok: BOOLEAN, idx: INT, type: STRING, at_text: STRING, via: STRING, `to`: BIGINT>>)"
                                  if spell.spark else "[]::STRUCT(ok BOOLEAN, idx BIGINT, type VARCHAR, at_text VARCHAR, via VARCHAR, \"to\" BIGINT)[]")
    shape = "TRUE" if have <= known_columns else "FALSE"
    cols = [
        "pos", f"{shape} AS shape_ok",
        "TRUE AS type_ok", f"{col('type')} AS type", "TRUE AS id_ok", f"{col('id')} AS id",
        "TRUE AS customer_ok", f"{col('customer')} AS customer", "TRUE AS channel_ok", f"{col('channel')} AS channel",
        "TRUE AS submitted_at_ok", f"{col('submitted_at')} AS submitted_at",
        f"{col('severity')} IS NOT NULL AS severity_ok", f"CAST({col('severity')} AS BIGINT) AS severity",
        "TRUE AS designated_contacts_ok",
        f"CAST({sub('designated_contacts', 'primary')} AS BIGINT) AS designated_contacts__primary",
        f"CAST({sub('designated_contacts', 'backup')} AS BIGINT) AS designated_contacts__backup",
        "TRUE AS portal_case_ok",
        *(f"{sub('portal_case', k)} AS portal_case__{k}" for k in PORTAL_KEYS),
        "TRUE AS initial_troubleshooting_ok", f"{col('initial_troubleshooting')} AS initial_troubleshooting",
        "TRUE AS events_ok", "TRUE AS event_keys_ok", f"{events} AS ev",
    ]
    return f"SELECT {', '.join(cols)} FROM {raw}"


def _checked(spell: Spell, fields: str) -> str:
    """Typed staged columns and `sure` from the per-field checks of `fields`: the
    instants' parts computed once (a layer), then read; events sorted by (time, place)."""
    sub_parts = instant_parts(spell, "submitted_at")
    ev_parts = spell.transform("ev", "e", spell.struct({
        "ok": "e.ok", "idx": "e.idx", "type": "e.type", "via": "e.via", "to": f"e.{spell.ident('to')}",
        "p": spell.struct(instant_parts(spell, "e.at_text")),
    }))
    parts = f"SELECT *, {', '.join(f'{v} AS sp_{k}' for k, v in sub_parts.items())}, {ev_parts} AS evp FROM ({fields})"
    ok_sub, sub_us = instant_from_parts(spell, {k: f"sp_{k}" for k in sub_parts})
    ev_ok, ev_us = instant_from_parts(spell, {k: f"e.p.{k}" for k in sub_parts})
    read = spell.transform("evp", "e", spell.struct({
        "ok": f"(e.ok AND {ev_ok})", "at": ev_us, "idx": "e.idx", "type": "e.type", "via": "e.via", "to": f"e.{spell.ident('to')}",
    }))
    instants = f"SELECT *, {ok_sub} AS submitted_ok, {sub_us} AS submitted_us, {read} AS evt FROM ({parts})"
    changes = spell.size(spell.filter("evt", "e", "e.type = 'severity_change'"))
    checks = {  # why a row is not sure -> the checks it failed (the first failing one is named)
        "a key the schema does not name, a key given twice, or JSON the engine's decoder refuses": ["shape_ok"],
        "a field of another type than the schema's": [
            f"{k}_ok" for k in ("type", "id", "customer", "channel", "submitted_at", "severity",
                                "designated_contacts", "portal_case", "initial_troubleshooting", "events")],
        "a value the schema refuses": [
            "type = 'case'",
            f"length(id) BETWEEN {ID_LENGTH.start} AND {ID_LENGTH.stop - 1}", f"NOT {spell.contains_match('id', CONTROL)}",
            f"length(customer) BETWEEN {ID_LENGTH.start} AND {ID_LENGTH.stop - 1}",
            f"NOT {spell.contains_match('customer', CONTROL)}", "severity >= 1", spell.full_match("channel", NAME),
            "coalesce(designated_contacts__primary >= 0, TRUE)", "coalesce(designated_contacts__backup >= 0, TRUE)"],
        "a timestamp the SQL does not read, or an event it does not": ["submitted_ok", "event_keys_ok", spell.none("evt", "e", "NOT e.ok")],
        f"more than {MAX_CHANGES} severity changes": [f"{changes} <= {MAX_CHANGES}"],
    }
    flags = {f"chk_{i}": f"coalesce({' AND '.join(tests)}, FALSE)" for i, tests in enumerate(checks.values())}
    ordered = spell.sort(spell.transform("evt", "e", spell.struct({
        "at": "e.at", "idx": "e.idx", "type": "e.type", "via": "e.via", "to": f"e.{spell.ident('to')}"})))
    typed = (f"SELECT *, {', '.join(f'{v} AS {k}' for k, v in flags.items())}, {ordered} AS events_us FROM ({instants})")
    not_before = f"coalesce({spell.none('events_us', 'e', 'e.at < submitted_us')}, FALSE)"
    reasons = [*zip(flags, checks), ("not_before", "an event before the case was submitted")]
    why = "CASE " + " ".join(f"WHEN NOT {flag} THEN {spell.quote(text)}" for flag, text in reasons) + " END"
    final = f"SELECT *, {not_before} AS not_before FROM ({typed})"
    out = ["pos", f"({' AND '.join(flags)} AND not_before) AS sure", f"{why} AS why", "type", "id", "customer", "severity", "channel",
           "submitted_us AS submitted_at", "designated_contacts__primary", "designated_contacts__backup",
           "initial_troubleshooting", *(f"portal_case__{k}" for k in PORTAL_KEYS), "events_us AS events"]
    return f"SELECT {', '.join(out)} FROM ({final})"


def facts_sql(family: Any, dialect: Any, staged: str, options: Any) -> str:
    """SELECT over the staged relation -> one row per sure record the SQL decides
    (see engine.columnar.clock): `pos`, `rev`, `record`, `customer`, a `field__PATH`
    column per FIELD_TYPES entry, a column per FACT_TYPES fact (`NAME__n`,
    `NAME__d` for fractions), as engine.columnar.plan.FactsShape describes."""
    from engine.columnar.clock import facts_select

    return facts_select(family, Spell.of(dialect), staged, options)


RESULT_INSTANTS = ("clock_start", "response_deadline")


def shape(family: Any, dialect: Any, options: Any) -> Any:
    """What facts_sql's relation holds for the plan, and the case's result as
    engine.kinds.case writes it (decimal texts of the minutes, ISO instants, the
    evaluation instant), its outcome met / breached / pending."""
    from engine.columnar import text
    from engine.columnar.plan import FactsShape, ResultField

    result = (
        ResultField("severity", "int", "severity"),
        ResultField("current_severity", "int", "current_severity"),
        ResultField("response_target_minutes", "text",
                    text.decimal_text("response_target_minutes__n", "response_target_minutes__d", dialect)),
        ResultField("response_minutes", "text", text.decimal_text("response_minutes__n", "response_minutes__d", dialect)),
        ResultField("response_met", "bool", "response_met"),
        *(ResultField(name, "text", text.iso(name, dialect)) for name in RESULT_INSTANTS),
        ResultField("evaluated_at", "text", text.iso(dialect.ident("now"), dialect)),
    )
    fields = {name.replace("__", "."): kind for name, kind in FIELD_TYPES.items()}
    outcome = "(CASE WHEN response_met THEN 'met' WHEN NOT response_met THEN 'breached' ELSE 'pending' END)"
    return FactsShape("case", FACT_TYPES, fields, result, outcome=outcome)
