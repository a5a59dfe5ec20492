"""CPU seconds and wall time of the `case` SQL (engine.columnar.case: stage + facts)
on DuckDB, from JSONL and from Parquet.

    python3 bench/generate.py --out /tmp/d --cases 1000000 --customers 10 --claims 1
    python3 bench/columnar_case.py /tmp/d/cases.jsonl --threads 1

The Parquet copy (`cases.parquet` next to the JSONL, in the layout of
`engine.columnar.case.parquet_schema`) is written first when missing, outside the
measurement. Each measurement materializes every staged and fact column into a
table (so no column is pruned away) and reports the process's CPU seconds
(user + system, all DuckDB threads) next to wall seconds, and how many records
the SQL decided; `--plan` adds the decisions (rules, messages, the decision's JSON
text) compiled by engine.columnar.plan.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from engine.columnar.case import facts_sql, parquet_schema, stage_sql  # noqa: E402
from engine.core.evaluate import Options  # noqa: E402
from engine.policy.family import load_family_dir  # noqa: E402

POLICIES = Path(__file__).resolve().parent.parent / "policies" / "genesys-cloud"


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def jsonl_relation(path: Path) -> str:
    """Each line as `j`, with its 0-based place `pos` (how the runner presents JSONL)."""
    text = str(path).replace("'", "''")
    return (f"(SELECT row_number() OVER () - 1 AS pos, j FROM read_csv('{text}', columns = {{'j': 'VARCHAR'}}, "
            f"delim = '\\x01', quote = '', escape = '', header = false, auto_detect = false))")


def write_parquet(con: duckdb.DuckDBPyConnection, jsonl: Path, out: Path) -> None:
    """The JSONL as Parquet in the staging layout (instants stay text)."""
    schema = parquet_schema()
    types = {f.name: _duck(f.type) for f in schema if f.name != "pos"}
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"
    con.execute(f"COPY (SELECT row_number() OVER () - 1 AS pos, * FROM read_json('{jsonl}', format = 'newline_delimited', "
                f"columns = {columns})) TO '{out}' (FORMAT parquet)")


def _duck(arrow_type: object) -> str:
    import pyarrow as pa

    if pa.types.is_struct(arrow_type):
        return "STRUCT(" + ", ".join(f'"{f.name}" {_duck(f.type)}' for f in arrow_type) + ")"
    if pa.types.is_list(arrow_type):
        return _duck(arrow_type.value_type) + "[]"
    return {"string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN"}[str(arrow_type)]


def measure(con: duckdb.DuckDBPyConnection, label: str, staged_sql: str, family: object, options: Options,
            plan: bool) -> None:
    """Stage, facts and (with `plan`) the decisions as JSON text, each materialized in turn."""
    steps = [("stage", f"CREATE OR REPLACE TEMP TABLE staged AS {staged_sql}"),
             ("facts", f"CREATE OR REPLACE TEMP TABLE facts AS {facts_sql(family, 'duckdb', 'staged', options)}")]
    if plan:
        from engine.columnar.case import shape
        from engine.columnar.dialect import DUCKDB
        from engine.columnar.plan import compile_plan

        compiled = compile_plan(family, "case", DUCKDB, options, shape(family, DUCKDB, options))
        steps.append(("plan", f"CREATE OR REPLACE TEMP TABLE decided AS {compiled.sql('facts')}"))
    times = []
    for name, sql in steps:
        start_cpu, start_wall = cpu(), time.perf_counter()
        con.execute(sql)
        times.append((name, cpu() - start_cpu, time.perf_counter() - start_wall))
    (rows,), (decided,) = con.execute("SELECT count(*) FROM staged").fetchone(), con.execute("SELECT count(*) FROM facts").fetchone()
    shown = "  ".join(f"{name} {c:6.2f} CPU-s {w:6.2f} wall-s" for name, c, w in times)
    total_cpu, total_wall = sum(t[1] for t in times), sum(t[2] for t in times)
    print(f"{label:8} records {rows:>9,}  decided {decided:>9,}  {shown}  total {total_cpu:6.2f} CPU-s {total_wall:6.2f} wall-s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", type=Path, help="cases.jsonl from bench/generate.py")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", choices=["jsonl", "parquet"], default=None)
    parser.add_argument("--plan", action="store_true", help="also decide (engine.columnar.plan: rules, messages, decision JSON)")
    args = parser.parse_args()
    family = load_family_dir(POLICIES)
    options = Options(now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    con = duckdb.connect()
    parquet = args.cases.with_suffix(".parquet")
    if args.only != "jsonl" and not parquet.exists():
        write_parquet(con, args.cases, parquet)
    con.execute(f"SET threads = {args.threads}")
    if args.only != "parquet":
        measure(con, "jsonl", stage_sql("duckdb", jsonl_relation(args.cases)), family, options, args.plan)
    if args.only != "jsonl":
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{parquet}')").fetchall()]
        measure(con, "parquet", stage_sql("duckdb", f"read_parquet('{parquet}')", columns=names), family, options, args.plan)


if __name__ == "__main__":
    main()
