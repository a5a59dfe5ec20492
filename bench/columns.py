"""Parquet copies of the bench data: the core record shapes as Arrow schemas and
a writer that takes the generator's dicts a chunk at a time.

Why these column types:
- Column names are the core record's field names, nested values nested
  (`events`, `outages` are list<struct>, `contract` a struct), so a Parquet row
  is the JSONL record with the same paths (`events[0].at`, `contract.currency`).
- Timestamps stay the same ISO 8601 text as in the JSONL (`2024-03-19T14:19:13+01:00`),
  not Parquet TIMESTAMP: a TIMESTAMP keeps no offset and cannot hold a naive or
  ill-formed time, so the columnar and the row path would no longer see the
  same input; with text both parse the identical string and a bad one is
  rejected the same way.
- Amounts stay decimal text, as in the core format ("1200.00"): exact, with the
  currency's written scale kept.
- A null is an absent field (an event without `via`/`to`, a contract without
  `monthly_commitment`), except `support_case` of a claim, which the core format
  requires and allows to be null: there a null is that null.

Rows are written in row groups of CHUNK records as they come, so 10M cases never
sit in memory. The same dicts in give the same bytes out (for one pyarrow
version: its name is in the file's metadata).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 100_000

_TEXT = pa.string()
_INT = pa.int64()

CASE = pa.schema([
    ("type", _TEXT), ("id", _TEXT), ("customer", _TEXT), ("severity", _INT), ("channel", _TEXT), ("submitted_at", _TEXT),
    ("events", pa.list_(pa.struct([("type", _TEXT), ("at", _TEXT), ("via", _TEXT), ("to", _INT)]))),
])

OUTAGE = pa.struct([("start", _TEXT), ("end", _TEXT), ("functions", pa.list_(_TEXT)), ("cause", _TEXT)])

CLAIM = pa.schema([
    ("type", _TEXT), ("id", _TEXT), ("customer", _TEXT), ("month", _TEXT), ("submitted_at", _TEXT), ("support_case", _TEXT),
    ("contract", pa.struct([("billing", _TEXT), ("monthly_commitment", _TEXT), ("annual_commitment", _TEXT),
                            ("currency", _TEXT)])),
    ("outages", pa.list_(OUTAGE)),
])

INCIDENT = pa.schema([("id", _TEXT), ("customer", _TEXT), ("start", _TEXT), ("end", _TEXT), ("functions", pa.list_(_TEXT)),
                      ("cause", _TEXT)])

CONTRACT = pa.schema([("customer", _TEXT), ("billing", _TEXT), ("monthly_commitment", _TEXT), ("annual_commitment", _TEXT),
                      ("currency", _TEXT)])


class ParquetSink:
    """Collects records (dicts in the core shape) and writes a row group every CHUNK of them."""

    def __init__(self, path: Path, schema: pa.Schema, chunk: int = CHUNK) -> None:
        self.schema, self.chunk, self.rows = schema, chunk, []
        self.writer = pq.ParquetWriter(str(path), schema, compression="snappy")

    def add(self, record: dict[str, Any]) -> None:
        self.rows.append(record)
        if len(self.rows) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema), row_group_size=self.chunk)
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def incident_record(row: list[str]) -> dict[str, Any]:
    """A row of incidents.csv in the core shape (functions as a list, as the core-outages mapping reads them)."""
    ident, customer, start, end, functions, cause = row
    return {"id": ident, "customer": customer, "start": start, "end": end, "functions": functions.split(" "), "cause": cause}


def contract_record(row: list[str]) -> dict[str, Any]:
    """A row of contracts.csv in the core shape: an empty cell is an absent field (null here)."""
    fields = ("customer", "billing", "monthly_commitment", "annual_commitment", "currency")
    return {name: (value or None) for name, value in zip(fields, row)}


def write_all(path: Path, schema: pa.Schema, records: list[dict[str, Any]]) -> None:
    """A small table written in one go (incidents, contracts)."""
    with ParquetSink(path, schema) as sink:
        for record in records:
            sink.add(record)
