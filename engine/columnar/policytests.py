"""`sla test --backend duckdb|spark`: legal's policy tests prove the compiled SQL too.

Each test's record is decided by the row engine (its expectations are checked
there, as `sla test` always does) and by the policy compiled to SQL, exactly as
`sla check --backend` would decide it in a JSONL export. Equality is the
contract: where the SQL decides a record, its decision text must be the row
engine's byte for byte, or the test fails naming the first fields that differ.
A record the SQL leaves to the row engine (its stage is not sure, the record is
rejected, a kind without SQL staging) is counted and said once, with why, as
`sla check --backend` says it; it is never reported as proven by the SQL.

Tests are grouped by what the SQL is compiled for (family, kind, now, as-of,
language), so each group is compiled and run once.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from engine.columnar.layout import typed_layout
from engine.columnar.run import MODULES, NOT_SURE, Compiled, compile_kind
from engine.columnar.session import open_session
from engine.core.evaluate import Options
from engine.disputes.receipt import decision_differences
from engine.io.jsontext import encode_compact
from engine.policy.testing import Mismatch, PolicyTest, PolicyTestResult, TestRun, decide

SHOWN = 3  # differing fields named in one failure
NO_STAGING = "no SQL staging for {kind} records (sla check builds them from other sources)"
NO_PARQUET = "no SQL staging of {kind} records in the Parquet shape Spark reads"


@dataclasses.dataclass
class BackendTally:
    """How many tests' records each side decided, and why records went to the row engine."""

    backend: str
    sql: int = 0
    row: Counter = dataclasses.field(default_factory=Counter)

    def line(self) -> str:
        text = f"sla test --backend {self.backend}: {self.sql} records decided by the SQL, {sum(self.row.values())} by the row engine"
        if self.row:
            text += " (" + "; ".join(f"{n} {why}" for why, n in self.row.most_common()) + ")"
        return text


def check_backend(run: TestRun, backend: str, threads: int = 1, master: str | None = None) -> BackendTally:
    """Decide every test record of `run` on `backend` and turn each difference from the row engine
    into a failed test (run.results is updated in place); what each side decided."""
    tally = BackendTally(backend)
    now = run.now or datetime.now(timezone.utc)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, result in enumerate(run.results):
        test = result.test
        kind = test.record_type
        if kind not in MODULES:
            tally.row[NO_STAGING.format(kind=kind or "untyped")] += 1
            continue
        groups.setdefault((test.path, kind, test.now or now, test.as_of, test.lang), []).append(i)
    session = None
    try:
        for (path, kind, when, as_of, lang), indices in groups.items():
            family = run.family_of[path]
            options = Options(now=when, as_of=as_of, lang=lang)
            tests = [run.results[i].test for i in indices]
            schema = _parquet_schema(kind) if backend == "spark" else None  # Spark reads the Parquet shape only
            if backend == "spark" and schema is None:
                tally.row[NO_PARQUET.format(kind=kind)] += len(indices)
                continue
            table = _raw_table(tests, schema)
            columns = tuple(c for c in table.column_names if c not in ("pos", "line")) if schema is not None else None
            compiled = compile_kind(kind, family, backend, options, columns, joined=False)
            if isinstance(compiled, str):
                tally.row[compiled] += len(indices)
                continue
            if session is None:
                session = open_session(backend, threads, master)
            texts = _sql_decisions(session, compiled, table, len(tests))
            for i, sql in zip(indices, texts):
                run.results[i] = _compared(run.results[i], family, when, sql, backend, tally)
    finally:
        if session is not None:
            session.close()
    return tally


def _parquet_schema(kind: str) -> Any:
    """The Arrow layout the kind's Parquet staging reads, without `pos` (Spark stages records in that shape only)."""
    layout = typed_layout(importlib.import_module(MODULES[kind]))
    return layout[0] if layout is not None else None


def _raw_table(tests: list[PolicyTest], schema: Any) -> Any:
    """The tests' records as `sla check` would read them: JSONL lines (`j`), or with a Parquet `schema`
    in that shape (one column per field, as Spark reads it); `pos` numbers them from 1. A record that
    is not JSON text, or (Parquet) has a field or a type the layout has not, is left out: the row
    engine decides it."""
    import pyarrow as pa

    rows = []
    for p, test in enumerate(tests, 1):
        try:
            rows.append((p, json.dumps(test.record, ensure_ascii=False, allow_nan=False), test.record))
        except (TypeError, ValueError):
            continue
    if schema is None:
        return pa.table({"pos": pa.array([r[0] for r in rows], pa.int64()), "line": pa.array([r[0] for r in rows], pa.int64()),
                         "j": pa.array([r[1] for r in rows], pa.string())})
    kept: list[tuple[int, Any]] = []
    for p, _, record in rows:
        if not isinstance(record, dict) or not set(record) <= set(schema.names) or not _nested_fit(record, schema) \
                or not _nulls_fit(record, schema):
            continue
        try:
            pa.Table.from_pylist([record], schema=schema)
            kept.append((p, record))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            continue
    table = pa.Table.from_pylist([r for _, r in kept], schema=schema)
    positions = pa.array([p for p, _ in kept], pa.int64())
    return table.append_column("pos", positions).append_column("line", positions)


def _nulls_fit(record: dict[str, Any], layout: Any) -> bool:
    """Whether Parquet's nulls can say what the record says: a null in the layout is an absent field,
    so an explicit null (which the row engine reads as a null, and the schema refuses) cannot be held,
    but for the null-valued fields, which must then be given (a missing one is a missing key)."""
    from engine.columnar.inputs import NULL_VALUED

    def no_null(value: Any) -> bool:
        if isinstance(value, dict):
            return all(v is not None and no_null(v) for v in value.values())
        if isinstance(value, list):
            return all(v is not None and no_null(v) for v in value)
        return True

    given = all(name in record for name in NULL_VALUED if name in layout.names)
    return given and all(no_null(v) if k in NULL_VALUED else v is not None and no_null(v) for k, v in record.items())


def _nested_fit(value: Any, layout: Any) -> bool:
    """Whether every key of `value` (objects inside lists too) is a field of the Arrow layout: Arrow
    would drop an unknown key silently, and the row engine rejects it."""
    import pyarrow as pa

    if isinstance(layout, pa.Schema):
        return all(_nested_fit(value[f.name], f.type) for f in layout if f.name in value)
    if pa.types.is_struct(layout):
        names = {layout.field(i).name: layout.field(i).type for i in range(layout.num_fields)}
        return isinstance(value, dict) and set(value) <= set(names) and all(_nested_fit(v, names[k]) for k, v in value.items())
    if pa.types.is_list(layout):
        return not isinstance(value, list) or all(_nested_fit(v, layout.value_type) for v in value)
    return not isinstance(value, (dict, list))


def _sql_decisions(session: Any, compiled: Compiled, table: Any, count: int) -> list[str | None]:
    """Each record's decision text from the kind's SQL, or None where the SQL was not sure (or the record
    was not in the table)."""
    out: list[str | None] = [None] * count
    if table.num_rows:
        columns = session.query(compiled.sql, {"raw": table}).to_pydict()
        for p, sure, decision in zip(columns["pos"], columns["sure"], columns["decision"]):
            if sure and decision is not None:
                out[p - 1] = decision
    return out


def _compared(result: PolicyTestResult, family: Any, now: datetime, sql: str | None, backend: str,
              tally: BackendTally) -> PolicyTestResult:
    """The result with a mismatch added when the SQL's decision is not the row engine's."""
    if sql is None:
        tally.row[NOT_SURE] += 1
        return result
    tally.sql += 1
    decision, _ = decide(result.test, family, now)
    key = f"backend {backend}"
    if decision is None:
        return _failed(result, Mismatch(key, "a rejection, as the row engine rejects the record", "the SQL decided it",
                                        result.test.line))
    row = encode_compact(decision.to_json())
    if row == sql:
        return result
    shown = [f"{d.what}: {_show(d.recorded)} (row engine) != {_show(d.current)} ({backend})"
             for d in decision_differences(json.loads(row), json.loads(sql))]
    actual = "; ".join(shown[:SHOWN]) + (f"; and {len(shown) - SHOWN} more" if len(shown) > SHOWN else "")
    return _failed(result, Mismatch(key, "the row engine's decision, field for field", actual or "the same values, other bytes",
                                    result.test.line))


def _failed(result: PolicyTestResult, mismatch: Mismatch) -> PolicyTestResult:
    return dataclasses.replace(result, mismatches=(*result.mismatches, mismatch))


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)

