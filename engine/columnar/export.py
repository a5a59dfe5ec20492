"""A core-format JSONL export as Parquet, the shape `sla check --backend duckdb`
reads: one column per top-level field, objects as structs, lists as lists, text
as text (instants stay ISO-8601 text, exactly as exported), a field a record
lacks as NULL. For examples, tests and the benchmark's Parquet copies:

    python -m engine.columnar.export cases.jsonl cases.parquet [--rows-per-group N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path



def jsonl_to_parquet(source: str | Path, target: str | Path, rows_per_group: int = 100_000) -> int:
    """Write `source` (JSONL) as Parquet at `target` (atomically); the number of records written.
    The schema is inferred from all records, so a field that only some records have is NULL elsewhere."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(source, encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    table = pa.Table.from_pylist(records)
    tmp = Path(target).with_name(f".{Path(target).name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, row_group_size=rows_per_group)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.columnar.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="core-format JSONL")
    parser.add_argument("target", help="the Parquet file to write")
    parser.add_argument("--rows-per-group", type=int, default=100_000)
    args = parser.parse_args(argv)
    count = jsonl_to_parquet(args.source, args.target, args.rows_per_group)
    print(f"{count:,} records written to {args.target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
