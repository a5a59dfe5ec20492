"""Decisions written as Parquet (`-o decisions.parquet`), whole or not at all.

The run writes its decisions as JSONL first, through the row backend's own
spool (a hidden file beside the target, committed only when the run
completes); `convert` then turns that file into Parquet in row groups, into a
second hidden temporary file renamed over the target at the end. A failed run,
or a failed conversion, leaves neither the target nor the hidden files.

Columns: record, type, customer, policy, version, sha256 (the fields every
decision names) and `decision`, the decision's JSON text exactly as the JSONL
output has it; rows in the JSONL's order.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from engine.errors import Problem, UsageError

COLUMNS = ("record", "type", "customer", "policy", "version", "sha256")
# A decision's text begins with these keys in this order (Decision.to_json), each a JSON string.
_HEAD = re.compile(r"\{" + ",".join(f'"{c}":("(?:[^"\\\\]|\\\\.)*")' for c in COLUMNS))
ROWS_PER_GROUP = 50_000  # decisions per row group, and held at once while converting (100,000: ≈250 MB more peak at 1M)


def schema() -> Any:
    import pyarrow as pa

    return pa.schema([(c, pa.string()) for c in COLUMNS] + [("decision", pa.string())])


class ParquetTarget:
    """A Parquet output: the hidden JSONL the run writes, and the conversion into place."""

    def __init__(self, target: str):
        try:
            import pyarrow  # noqa: F401  (the `columnar` extra)
        except ImportError:
            raise UsageError("-o FILE.parquet needs pyarrow: pip install 'sla-engine[columnar]'") from None
        self.target = Path(target)
        folder = self.target.parent if str(self.target.parent) else Path(".")
        self.jsonl = str(folder / f".{self.target.name}.{os.getpid()}.decisions.jsonl")

    def convert(self) -> None:
        """The committed JSONL as Parquet at the target (atomically), the JSONL removed."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        folder = self.target.parent if str(self.target.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            with pq.ParquetWriter(tmp, schema()) as writer, open(self.jsonl, encoding="utf-8") as lines:
                batch: list[str] = []
                for line in lines:
                    batch.append(line.rstrip("\n"))
                    if len(batch) >= ROWS_PER_GROUP:
                        writer.write_table(_table(pa, batch))
                        batch = []
                if batch:
                    writer.write_table(_table(pa, batch))
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, self.target)
        except OSError as exc:
            raise UsageError([Problem(f"cannot write decisions: {exc.strerror or exc}", file=str(self.target))]) from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def cleanup(self) -> None:
        """Remove the hidden JSONL (after the conversion, or after a failed run)."""
        try:
            os.unlink(self.jsonl)
        except FileNotFoundError:
            pass


def jsonl_body(lines: Any) -> tuple[memoryview, ...]:
    """Decisions' JSONL lines (an Arrow string column, in order, each text ending with its newline: the plan's
    `newline`) as the UTF-8 bytes that write them, in pieces that are the column's own buffers: no Python
    string per decision, no join, no copy (the text is the SQL's, byte for byte)."""
    import pyarrow as pa

    pieces = []
    for chunk in getattr(lines, "chunks", (lines,)):
        if not len(chunk):
            continue
        # the offsets of this (possibly sliced) array's rows: its bytes run from the first to the last
        width = pa.int64() if pa.types.is_large_string(chunk.type) else pa.int32()
        offsets = pa.Array.from_buffers(width, len(chunk) + 1, [None, chunk.buffers()[1]], offset=chunk.offset)
        pieces.append(memoryview(chunk.buffers()[2])[offsets[0].as_py():offsets[-1].as_py()])
    return tuple(pieces)


def _table(pa: Any, lines: list[str]) -> Any:
    heads = [head(line) for line in lines]
    columns = {c: pa.array([h[i] for h in heads], pa.string()) for i, c in enumerate(COLUMNS)}
    columns["decision"] = pa.array(lines, pa.string())
    return pa.table(columns, schema=schema())


def head(line: str) -> tuple[str | None, ...]:
    """The COLUMNS values of one decision's JSON text. Read from the text's beginning, where
    Decision.to_json puts them (a string without a backslash is its own value; one with an
    escape is decoded by json); any other text is parsed whole. Parsing every decision whole
    cost ≈9x the CPU (≈120 against ≈13 µs a decision) and held a batch of parsed decisions."""
    m = _HEAD.match(line)
    if m is None:
        d = json.loads(line)
        return tuple(d.get(c) for c in COLUMNS)
    return tuple(g[1:-1] if "\\" not in g else json.loads(g) for g in m.groups())
