"""Copies of the bench's Parquet files with their instants typed TIMESTAMP, as a warehouse writes them.

    python bench/stamp.py                     # bench/data/*.parquet -> bench/data/timestamps/
    python bench/stamp.py --data DIR --out DIR

`bench/columns.py` keeps instants as the JSONL's text (so both paths read the same
input); exports from Spark, pandas or a warehouse type them TIMESTAMP instead. This
writes the same rows with every instant field (`submitted_at`, `events[].at`,
`outages[].start`/`end`, an incident's `start`/`end`) as TIMESTAMP(us, UTC): the
same instants, their offsets gone (Arrow keeps UTC). `sla check` reads such a
column as the instant's UTC text (engine/columnar/jsonable.py), so a run on the
copies must give the same decisions as one on the originals
(tests/test_columnar_jsonable.py); bench/README.md compares their speed.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

INSTANTS = ("submitted_at", "at", "start", "end")  # the field names that hold instants, at any depth
FILES = ("cases.parquet", "claims.parquet", "incidents.parquet", "contracts.parquet")


def stamped_type(t: Any, name: str = "") -> Any:
    """Arrow type `t` of field `name` with each instant text field (nested too) as TIMESTAMP(us, UTC)."""
    if pa.types.is_string(t) and name in INSTANTS:
        return pa.timestamp("us", tz="UTC")
    if pa.types.is_list(t):
        return pa.list_(stamped_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(stamped_type(f.type, f.name)) for f in t])
    return t


def stamp(source: Path, target: Path, rows: int = 100_000) -> None:
    """`source` rewritten to `target` with its instants as TIMESTAMP, a row group of `rows` at a time
    (Arrow parses each text, offset included); a file without instants is copied."""
    reader = pq.ParquetFile(source)
    schema = pa.schema([f.with_type(stamped_type(f.type, f.name)) for f in reader.schema_arrow])
    if schema == reader.schema_arrow:
        shutil.copyfile(source, target)
        return
    with pq.ParquetWriter(str(target), schema, compression="snappy") as writer:
        for batch in reader.iter_batches(batch_size=rows):
            writer.write_table(pa.Table.from_batches([batch]).cast(schema), row_group_size=rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path(__file__).parent / "data", help="where bench/generate.py --parquet wrote")
    p.add_argument("--out", type=Path, help="where the copies go (default: DATA/timestamps)")
    args = p.parse_args()
    out = args.out or args.data / "timestamps"
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        stamp(args.data / name, out / name)
        print(f"{out / name}")


if __name__ == "__main__":
    main()
