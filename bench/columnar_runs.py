"""The columnar competitors of bench/run.py: `sla check --backend duckdb` on one
and two threads, from Parquet and from JSONL (and on one thread writing only its
summary: no -o, so no decision text is built), and `--backend spark` on
`local[2]`; each in a fresh process, measured as a whole process tree
(bench/measure.py: Spark's JVM included), each output checked field for field
against the row engine's (bench/compare.py); then the targets against the
minimal script, and DuckDB's peak memory against input size (1M vs 10M cases).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from compare import compare_decisions, compare_summaries
from generate import generate
from measure import Measured, run

NOW = "2025-06-01T00:00:00Z"
MONTHS = "2024-01..2024-12"
TARGETS = {"parquet": 4.0, "jsonl": 1.5}  # records per CPU-second against the minimal script, one thread (issue 12)


@dataclass(frozen=True)
class Competitor:
    backend: str  # duckdb | spark (| row, standing in while a backend is missing)
    threads: int
    source: str  # parquet | jsonl
    decisions: bool = True  # False: the summary only (no -o)

    @property
    def name(self) -> str:
        threads = f"local[{self.threads}]" if self.backend == "spark" else f"{self.threads} thread{'s' * (self.threads > 1)}"
        only = "" if self.decisions else ", summary only"
        return f"{self.backend}, {threads}, {'Parquet' if self.source == 'parquet' else 'JSONL'}{only}"


def competitors(backends: list[str]) -> list[Competitor]:
    """The issue's set: duckdb 1/2 threads from Parquet and from JSONL, spark local[2] from Parquet; and duckdb
    on one thread writing only the summary (what a CI job that acts on the exit code and summary runs)."""
    out = []
    for backend in backends:
        if backend == "spark":
            out.append(Competitor("spark", 2, "parquet"))
        else:
            out += [Competitor(backend, t, s) for s in ("parquet", "jsonl") for t in (1, 2)]
            out += [Competitor(backend, 1, s, decisions=False) for s in ("parquet", "jsonl")]
    return out


PARQUET = {"cases": "cases.parquet", "outages": "incidents.parquet", "contracts": "contracts.parquet", "claims": "claims.parquet"}
TEXT = {"cases": "cases.jsonl", "outages": "incidents.csv", "contracts": "contracts.csv", "claims": "claims.jsonl"}


def inputs(data: Path, source: str, cases_only: bool = False, parquet_sources: tuple[str, ...] = tuple(PARQUET)) -> dict[str, Path]:
    """The files a run reads: the Parquet copies (of `parquet_sources`; the others as text), or the
    text the row engine reads (JSONL, CSV)."""
    files = {name: (PARQUET if source == "parquet" and name in parquet_sources else TEXT)[name] for name in TEXT}
    if cases_only:
        files = {"cases": files["cases"]}
    return {name: data / file for name, file in files.items()}


def command(c: Competitor, files: dict[str, Path], out: Path, summary: Path | None) -> list[str]:
    """`sla check --backend B --threads N` with the agreed flags (BRIEF12 "Agreed CLI"); -o unless summary only."""
    cmd = [sys.executable, "-m", "engine", "check", "--backend", c.backend, "--threads", str(c.threads), "--now", NOW,
           *(["-o", str(out)] if c.decisions else []),
           "--fail-on", "none"]  # not --quiet: that would hide the count of records that fell back
    for source, path in files.items():
        cmd += [f"--{source}", str(path)]
    if "outages" in files:
        cmd += ["--months", MONTHS]
    if summary is not None:
        cmd += ["--summary", str(summary)]
    return cmd


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java (java on PATH or JAVA_HOME)"
    return None


def fallback_lines(stderr: str) -> list[str]:
    """What the run said about the records the SQL decided and those that fell back to the row engine
    (`sla check --backend B: SOURCE: N decided by the SQL, M by the row engine (reasons)`)."""
    return [line.split(": ", 1)[1].strip() for line in stderr.splitlines()
            if line.startswith("sla check --backend") and "decided by the SQL" in line]


def measure_all(a: Any, records: int, tmp: Path, env: dict[str, str], reference: Path,
                row: Callable[[str, int, Measured], dict]) -> tuple[list[dict], list[str], list[str]]:
    """Run every columnar competitor once; (table rows, problems, notes)."""
    rows, problems, notes = [], [], []
    backends = [b for b in a.backends.split(",") if b]
    if "spark" in backends and (why := spark_missing()):
        notes.append(f"spark skipped: {why}")
        backends.remove("spark")
    for c in competitors(backends):
        out, summary = tmp / "columnar.jsonl", tmp / "columnar.summary.json"
        sources = tuple(x for x in a.parquet_sources.split(",") if x)
        m = run(command(c, inputs(a.data, c.source, parquet_sources=sources), out, summary), env=env, cwd=str(Path(__file__).resolve().parent.parent))
        if m.returncode != 0:
            problems.append(f"{c.name}: exit {m.returncode}: {m.stderr.strip()[-600:]}")
            continue
        rows.append(row(c.name, records, m))
        compared, differ, shown = compare_decisions(reference, out) if c.decisions else (0, 0, [])
        summary_diff = compare_summaries(reference.with_suffix(".summary.json"), summary)
        said = fallback_lines(m.stderr)
        notes.append(f"{c.name}: {compared:,} decisions compared with the row engine's, {differ} differ; summary "
                     f"{'identical' if not summary_diff else f'differs in {len(summary_diff)} fields'}; "
                     f"{' / '.join(said) if said else 'no fallback count on stderr'}")
        if differ:
            problems.append(f"{c.name}: {differ:,} decisions differ from the row engine's: " + " | ".join(shown))
        if summary_diff:
            problems.append(f"{c.name}: summary differs from the row engine's: " + "; ".join(summary_diff[:5]))
        if not said:
            problems.append(f"{c.name}: no report on stderr of how many records the SQL decided and how many fell back")
        out.unlink(missing_ok=True)
        summary.unlink(missing_ok=True)
    return rows, problems, notes


def print_targets(rows: list[dict]) -> None:
    """Records per CPU-second of each columnar run against the minimal script's (issue 12's targets)."""
    minimal = next((r for r in rows if r["name"].lower().startswith("minimal")), None)
    print("\ncolumnar targets (records per CPU-second against the minimal script, one thread):")
    if minimal is None:
        print("  the minimal script did not run: no ratios")
        return
    for r in rows:
        backend = r["name"].split(",")[0]
        if backend not in ("duckdb", "spark", "row") or not r["name"].startswith(backend + ","):
            continue
        source = "parquet" if ", Parquet" in r["name"] else "jsonl"
        target = f"target >= {TARGETS[source]}x" if backend == "duckdb" and ", 1 thread," in r["name"] else "no target"
        print(f"  {r['name']:40s} {r['cpu_per_second'] / minimal['cpu_per_second']:5.2f}x  ({target}; wall clock "
              f"{r['per_second'] / minimal['per_second']:.2f}x)")


def subset(src: Path, dst: Path, n: int) -> None:
    """The first n records of a cases file (JSONL lines or Parquet rows), streamed."""
    if src.suffix == ".jsonl":
        with open(src, "rb") as fh, open(dst, "wb") as out:
            for i, line in enumerate(fh):
                if i >= n:
                    break
                out.write(line)
        return
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(src, pre_buffer=False)  # bounded memory, as engine.columnar.inputs reads
    with pq.ParquetWriter(str(dst), reader.schema_arrow, compression="snappy") as writer:
        left = n
        for batch in reader.iter_batches(batch_size=100_000):
            if left <= 0:
                break
            writer.write_batch(batch.slice(0, left), row_group_size=100_000)
            left -= min(left, batch.num_rows)


def rows_in(parquet: Path) -> int:
    """Rows of a Parquet file (from its footer), 0 when there is none."""
    if not parquet.exists():
        return 0
    import pyarrow.parquet as pq

    return pq.ParquetFile(parquet).metadata.num_rows


def memory_scale(a: Any, tmp: Path, env: dict[str, str]) -> list[str]:
    """DuckDB's peak memory (tree RSS) on the first N cases of one seeded set, for each N of --flat; problems."""
    counts = sorted(int(n) for n in a.flat.split(",") if n.strip())
    if not counts:
        return []
    big = a.flat_data
    if rows_in(big / "cases.parquet") < counts[-1] or not (big / "cases.jsonl").exists():
        print(f"\ngenerating {counts[-1]:,} cases (JSONL and Parquet) into {big} ...", flush=True)
        generate(big, counts[-1], a.customers, 0, a.seed, parquet=True, cases_only=True)
    total = rows_in(big / "cases.parquet")
    print(f"\npeak memory against input size, duckdb, cases only (-o decisions{a.flat_output}):")
    problems = []
    for source in ("parquet", "jsonl"):
        whole = inputs(big, source, cases_only=True)["cases"]
        for n in counts:
            cases = whole
            if n < total:
                cases = tmp / f"cases-{n}{whole.suffix}"
                subset(whole, cases, n)
            out = tmp / f"flat{a.flat_output}"
            m = run(command(Competitor("duckdb", 1, source), {"cases": cases}, out, None), env=env,
                    cwd=str(Path(__file__).resolve().parent.parent))
            if m.returncode != 0:
                problems.append(f"duckdb on {n:,} cases ({source}): exit {m.returncode}: {m.stderr.strip()[-400:]}")
            else:
                print(f"  {n:>11,} cases, {source:7s}, 1 thread: peak RSS {m.peak_tree_mb:5.0f} MB (tree), largest process "
                      f"{m.peak_process_mb:5.0f} MB; {m.cpu_seconds:7.1f} CPU-s, {m.seconds:7.1f} s wall, "
                      f"{n / m.seconds:,.0f} records/s; load {m.load:.2f}", flush=True)
            out.unlink(missing_ok=True)
            if cases != whole:
                cases.unlink()
    return problems
