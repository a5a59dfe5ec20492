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

from engine.columnar.instant import instant_sql
from engine.columnar.lists import Spell

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

STAGED = ("pos", "sure", *FIELD_TYPES, "events")


def stage_sql(dialect: Any, raw: str, columns: Sequence[str] | None = None) -> str:
    """SELECT over relation `raw` -> `pos`, `sure`, the FIELD_TYPES columns and
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
    """One row per line: each field as its JSON type and value (still unchecked)."""
    paths = ", ".join(spell.quote(f"$.{k}") for k in TOP_KEYS)
    top = (f"SELECT pos, j, v, json_type(v) = 'OBJECT' AS obj, "
           f"CASE WHEN json_type(v) = 'OBJECT' THEN json_keys(v) END AS keys, "
           f"CASE WHEN json_type(v) = 'OBJECT' THEN json_extract(v, [{paths}]) END AS x "
           f"FROM (SELECT pos, j, TRY_CAST(j AS JSON) AS v FROM {raw})")
    x = {k: f"x[{i}]" for i, k in enumerate(TOP_KEYS, 1)}
    trailing_comma = spell.contains_match("j", TRAILING_COMMA)
    surrogate = spell.contains_match("j", SURROGATE_ESCAPE)
    cols = [
        "pos",
        f"(obj AND {_keys_ok(spell, 'keys', TOP_KEYS)} AND NOT {trailing_comma} AND NOT {surrogate}) AS shape_ok",
        *_json_text("type", x["type"]), *_json_text("id", x["id"]), *_json_text("customer", x["customer"]),
        *_json_text("channel", x["channel"]), *_json_text("submitted_at", x["submitted_at"]),
        *_json_int("severity", x["severity"]),
        *_json_object("designated_contacts", x["designated_contacts"], CONTACT_KEYS, _json_int),
        *_json_object("portal_case", x["portal_case"], PORTAL_KEYS, _json_bool),
        *_json_bool("initial_troubleshooting", x["initial_troubleshooting"]),
        f"(json_type({x['events']}) IS NULL OR json_type({x['events']}) = 'ARRAY') AS events_ok",
        f"CASE WHEN json_type({x['events']}) = 'ARRAY' THEN {_json_events(spell, x['events'])}"
        f" ELSE []::STRUCT(ok BOOLEAN, idx BIGINT, type VARCHAR, at_text VARCHAR, via VARCHAR, \"to\" BIGINT)[] END AS ev",
    ]
    return f"SELECT {', '.join(cols)} FROM ({top})"


def _json_text(name: str, value: str) -> list[str]:
    return [f"(json_type({value}) IS NULL OR json_type({value}) = 'VARCHAR') AS {name}_ok",
            f"CASE WHEN json_type({value}) = 'VARCHAR' THEN {value} ->> '$' END AS {name}"]


def _json_int(name: str, value: str) -> list[str]:
    """A JSON integer that fits BIGINT (json_type BIGINT/UBIGINT; the cast refuses a larger one)."""
    number = f"CASE WHEN json_type({value}) IN ('BIGINT', 'UBIGINT') THEN TRY_CAST({value} AS BIGINT) END"
    return [f"(json_type({value}) IS NULL OR ({number}) IS NOT NULL) AS {name}_ok", f"{number} AS {name}"]


def _json_bool(name: str, value: str) -> list[str]:
    return [f"(json_type({value}) IS NULL OR json_type({value}) = 'BOOLEAN') AS {name}_ok",
            f"CASE WHEN json_type({value}) = 'BOOLEAN' THEN CAST({value} AS BOOLEAN) END AS {name}"]


def _json_object(name: str, value: str, keys: tuple[str, ...], typed: Any) -> list[str]:
    """An optional object of known keys, each typed by `typed`; absent -> every column NULL."""
    spell = Spell("duckdb")
    inner: list[str] = []
    oks = []
    for key in keys:
        ok, col = typed(f"{name}__{key}", f"json_extract({value}, {spell.quote('$.' + key)})")
        inner.append(col)
        oks.append(ok.rsplit(" AS ", 1)[0])
    listed = f"json_keys({value})"
    shape = (f"(json_type({value}) IS NULL OR (json_type({value}) = 'OBJECT' AND {_keys_ok(spell, listed, keys)}"
             f" AND {' AND '.join(oks)})) AS {name}_ok")
    return [shape, *inner]


def _json_events(spell: Spell, events: str) -> str:
    """Each event as (ok, idx, type, at_text, via, to); `ok` covers its keys and types."""
    e = "e"
    fields = {k: f"json_extract({e}, {spell.quote('$.' + k)})" for k in EVENT_KEYS}
    typ, at, via, to, note = (fields[k] for k in EVENT_KEYS)
    ok = (f"json_type({e}) = 'OBJECT' AND {_keys_ok(spell, f'json_keys({e})', EVENT_KEYS)}"
          f" AND json_type({typ}) = 'VARCHAR' AND ({typ} ->> '$') IN ({', '.join(spell.quote(t) for t in EVENT_TYPES)})"
          f" AND json_type({at}) = 'VARCHAR'"
          f" AND (json_type({via}) IS NULL OR (json_type({via}) = 'VARCHAR' AND {spell.full_match(f'({via} ->> {chr(39)}${chr(39)})', NAME)}))"
          f" AND (json_type({via}) IS NOT NULL OR ({typ} ->> '$') NOT IN ({', '.join(spell.quote(t) for t in NEEDS_VIA)}))"
          f" AND (json_type({to}) IS NULL OR (json_type({to}) IN ('BIGINT', 'UBIGINT') AND TRY_CAST({to} AS BIGINT) >= 1))"
          f" AND (json_type({to}) IS NOT NULL OR ({typ} ->> '$') <> 'severity_change')"
          f" AND (json_type({note}) IS NULL OR json_type({note}) = 'VARCHAR')")
    body = spell.struct({
        "ok": f"coalesce({ok}, FALSE)",
        "idx": "i",
        "type": f"{typ} ->> '$'",
        "at_text": f"{at} ->> '$'",
        "via": f"CASE WHEN json_type({via}) = 'VARCHAR' THEN {via} ->> '$' END",
        "to": f"CASE WHEN json_type({to}) IN ('BIGINT', 'UBIGINT') THEN TRY_CAST({to} AS BIGINT) END",
    })
    return spell.transform(f"CAST({events} AS JSON[])", "e, i", body)


def _keys_ok(spell: Spell, keys: str, allowed: tuple[str, ...]) -> str:
    """Every key one of `allowed`, none repeated."""
    known = ", ".join(spell.quote(k) for k in allowed)
    listed = f"array({known})" if spell.spark else f"[{known}]"
    contains = "array_contains" if spell.spark else "list_contains"
    unknown = spell.filter(keys, "k", f"NOT {contains}({listed}, k)")
    return f"({spell.size(unknown)} = 0 AND {spell.size(keys)} = {spell.distinct_size(keys)})"


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
        "TRUE AS events_ok", f"{events} AS ev",
    ]
    return f"SELECT {', '.join(cols)} FROM {raw}"


def _checked(spell: Spell, fields: str) -> str:
    """Typed staged columns and `sure` from the per-field checks of `fields`."""
    ok_sub, sub_us = instant_sql(spell, "submitted_at")
    ev_ok, ev_us = instant_sql(spell, "e.at_text")
    parsed = spell.transform("ev", "e", spell.struct({
        "at": f"CASE WHEN {ev_ok} THEN {ev_us} END", "idx": "e.idx", "type": "e.type", "via": "e.via", "to": f"e.{spell.ident('to')}",
    }))
    events_bad = spell.none("ev", "e", f"NOT (e.ok AND {ev_ok})")
    changes = spell.size(spell.filter("ev", "e", "e.type = 'severity_change'"))
    sure = " AND ".join([
        "shape_ok", *(f"{k}_ok" for k in ("type", "id", "customer", "channel", "submitted_at", "severity",
                                          "designated_contacts", "portal_case", "initial_troubleshooting", "events")),
        "type = 'case'",
        "length(id) BETWEEN 1 AND 200", f"NOT {spell.contains_match('id', CONTROL)}",
        "length(customer) BETWEEN 1 AND 200", f"NOT {spell.contains_match('customer', CONTROL)}",
        "severity >= 1", spell.full_match("channel", NAME), ok_sub,
        "coalesce(designated_contacts__primary >= 0, TRUE)", "coalesce(designated_contacts__backup >= 0, TRUE)",
        events_bad, f"{changes} <= {MAX_CHANGES}",
    ])
    typed = (f"SELECT *, coalesce({sure}, FALSE) AS pre_sure, CASE WHEN {ok_sub} THEN {sub_us} END AS submitted_us, "
             f"{spell.sort(parsed)} AS events_us FROM ({fields})")
    not_before = spell.none("events_us", "e", "e.at < submitted_us")
    out = ["pos", f"coalesce(pre_sure AND {not_before}, FALSE) AS sure", "type", "id", "customer", "severity", "channel",
           "submitted_us AS submitted_at", "designated_contacts__primary", "designated_contacts__backup",
           "initial_troubleshooting", *(f"portal_case__{k}" for k in PORTAL_KEYS), "events_us AS events"]
    return f"SELECT {', '.join(out)} FROM ({typed})"


def facts_sql(family: Any, dialect: Any, staged: str, options: Any) -> str:
    """SELECT over the staged relation -> one row per sure record the SQL decides
    (see engine.columnar.clock)."""
    from engine.columnar.clock import facts_select

    return facts_select(family, Spell.of(dialect), staged, options)
