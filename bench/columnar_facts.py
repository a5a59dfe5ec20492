"""CPU-seconds of the uptime and claim facts in SQL (engine.columnar.uptime / claim)
on DuckDB, next to the row engine's facts for the same records.

    python bench/generate.py --out /tmp/d --cases 1 --customers 8334 --claims 100000
    python bench/columnar_facts.py /tmp/d [--threads 1] [--row]

Customer-months: the incidents and contracts are read as `sla check` reads them
(engine.check.run, timed apart), then the facts of every customer-month of 2024
in one SQL query. Claims: claims.jsonl loaded as the runner's raw relation
(pos, j), staged and their facts computed. `--row` also times the row engine's
decisions (engine.core.evaluate: facts, rules, result) of the same records;
the compiled plan (engine.columnar.plan) is timed on top of the SQL facts. CPU is this process's
(DuckDB's threads included); wall is elapsed time.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
import types
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402

from engine.check.months import customer_months, month_infos, parse_months, uptime_record  # noqa: E402
from engine.check.run import Check, Config  # noqa: E402
from engine.columnar import claim as claim_sql  # noqa: E402
from engine.columnar import uptime as uptime_sql  # noqa: E402
from engine.columnar.dialect import DUCKDB  # noqa: E402
from engine.columnar.plan import compile_plan  # noqa: E402
from engine.core.evaluate import Options, evaluate  # noqa: E402
from engine.core.records import Source, parse_record  # noqa: E402
from engine.io.jsontext import decode  # noqa: E402
from engine.io.resources import policies_dir  # noqa: E402
from engine.policy.family import load_policies  # noqa: E402

MONTHS = "2024-01..2024-12"
NOW = Options(now=datetime(2025, 6, 1, tzinfo=timezone.utc))


class Clock:
    """CPU-seconds (process, all threads) and wall seconds of a block."""

    def __enter__(self) -> "Clock":
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu, self.wall = time.process_time() - self.cpu, time.perf_counter() - self.wall


def line(what: str, records: int, clock: Clock) -> None:
    rate = records / clock.cpu if clock.cpu else float("inf")
    print(f"{what:<44} {records:>9,} records  {clock.cpu:7.2f} CPU-s  {clock.wall:7.2f} s wall  {rate:>10,.0f} records/CPU-s", flush=True)


def _table(names: tuple[str, ...], types: list[pa.DataType], rows: Iterable[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows)) or [()] * len(names)
    return pa.table({n: pa.array(list(c), t) for n, c, t in zip(names, columns, types)})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--row", action="store_true", help="also time the row engine's facts of the same records")
    a = p.parse_args()
    family = load_policies(policies_dir())["genesys-cloud"]
    con = duckdb.connect(config={"threads": a.threads})

    config = Config(outages=str(a.data / "incidents.csv"), contracts=str(a.data / "contracts.csv"),
                    months=parse_months(MONTHS), quiet=True)
    check = Check(config, family, NOW, types.SimpleNamespace(stdin=None, stdout=io.StringIO(), stderr=io.StringIO()))
    with Clock() as c:
        check.months = month_infos(config.months or [], family, NOW)
        check.read_contracts_and_incidents()
    with Clock() as c2:
        big, text = pa.int64(), pa.string()
        inc = _table(uptime_sql.INCIDENT_COLUMNS, [big, text, big, big, pa.list_(text), text], uptime_sql.incident_rows(check.index))
        cons = _table(uptime_sql.CONTRACT_COLUMNS, [big, text, text, text, text, text], uptime_sql.contract_rows(check.contracts))
        con.register("inc_arrow", inc)
        con.register("con_arrow", cons)
        con.execute("CREATE TABLE inc AS SELECT * FROM inc_arrow")
        con.execute("CREATE TABLE con AS SELECT * FROM con_arrow")
    line("incidents + contracts read (row engine)", check.summary.count("outages").read + len(check.contracts), c)
    line("  ... handed to DuckDB as Arrow", inc.num_rows + cons.num_rows, c2)
    with Clock() as c:
        sql = uptime_sql.facts_sql(family, DUCKDB, "inc", NOW, months=config.months or [], contracts="con")
        con.execute(f"CREATE TABLE month_facts AS {sql}")
    months = con.execute("SELECT count(*) FROM month_facts").fetchall()[0][0]
    line("customer-month facts (SQL)", months, c)
    with Clock() as c:
        con.execute(f"CREATE TABLE month_decisions AS {compile_plan(family, 'uptime', DUCKDB, NOW).sql('month_facts')}")
    line("  + their decisions (compiled plan, JSON text)", months, c)
    if a.row:
        with Clock() as c:
            customers = list(check.contracts) or list(check.index.customers)
            n = 0
            for cm in customer_months(customers, check.months, check.index, check.contracts):
                evaluate(parse_record(uptime_record(cm.customer, cm.month, cm.outages), Source("m", None)), family, NOW)
                n += 1
        line("customer-month decisions (row engine)", n, c)

    lines = (a.data / "claims.jsonl").read_text(encoding="utf-8").splitlines()
    con.execute("CREATE TABLE raw (pos BIGINT, j VARCHAR)")
    raw = pa.table({"pos": pa.array(range(len(lines)), pa.int64()), "j": pa.array(lines, pa.string())})
    con.register("raw_arrow", raw)
    con.execute("INSERT INTO raw SELECT * FROM raw_arrow")
    with Clock() as c:
        con.execute(f"CREATE TABLE staged AS {claim_sql.stage_sql(DUCKDB, 'raw')}")
    line("claims staged (SQL, from JSON text)", len(lines), c)
    with Clock() as c:
        con.execute(f"CREATE TABLE claim_facts AS {claim_sql.facts_sql(family, DUCKDB, 'staged', NOW)}")
    decided = con.execute("SELECT count(*) FROM claim_facts").fetchall()[0][0]
    line("claim facts (SQL)", decided, c)
    with Clock() as c:
        con.execute(f"CREATE TABLE claim_decisions AS {compile_plan(family, 'credit_claim', DUCKDB, NOW).sql('claim_facts')}")
    line("  + their decisions (compiled plan, JSON text)", decided, c)
    if a.row:
        with Clock() as c:
            for i, text in enumerate(lines):
                evaluate(parse_record(decode(text), Source("c", i + 1)), family, NOW)
        line("claim decisions (row engine, no schema check)", len(lines), c)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
