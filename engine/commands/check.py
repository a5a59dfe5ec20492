"""`sla check`: decide whole exports (cases, outage incidents, contracts,
claims) in one run, and summarise them for people and CI."""

from __future__ import annotations

import argparse
import os
import re

from engine.check import Config, run_check
from engine.check.mapping import SOURCES, load_mapping
from engine.check.months import parse_months
from engine.check.parallel import default_jobs
from engine.columnar.session import LOCAL_DRIVER_MEMORY  # a constant: DuckDB and Spark load only when a backend runs
from engine.errors import UsageError
from engine.core.evaluate import Options
from engine.commands._common import Streams, add_record_options, as_of, family, now

NAME, ORDER = "check", 90
BACKENDS = ("row", "duckdb", "spark")  # who decides the records (engine.columnar for the last two)

DESCRIPTION = """\
Check whole exports against the policies, in one streaming run on all cores.

Sources are CSV (with a header row) or JSONL, or - for standard input; with
--backend duckdb or spark also Parquet (a .parquet file or a folder of them):
  --cases FILE      support cases
  --outages FILE    outage incidents; an empty customer or '*' is platform-wide
  --contracts FILE  one contract per customer
  --claims FILE     credit claims
Each source is read through a column mapping (--mapping, see mappings/); without
one, the core record format is expected. With --outages or --contracts, --months
builds one uptime record per customer and month (the customer's incidents plus
the platform-wide ones) and the credit its contract would be owed under the
revision in force that month.

Decisions are written as JSONL (-o FILE, or -o - for standard output; .parquet
with --backend duckdb or spark) in input
order: cases, then customer-months, then claims; the same bytes whatever --jobs.
A summary table goes to standard output; --summary, --junit and --html write it
to files. Every file is written whole or not at all."""

EPILOG = """\
examples:
  sla check --cases cases.jsonl -o decisions.jsonl
  sla check --cases export.csv --mapping ticketing-export --junit cases.xml --html summary.html
  sla check --backend duckdb --cases cases.parquet -o decisions.parquet --summary summary.json
  sla check --outages incidents.csv --contracts contracts.csv --months 2024-01..2024-12 --summary credits.csv

exit codes: 0 no finding in --fail-on · 1 findings · 2 bad input or usage (a bad row stops the run
unless --keep-going, which writes it to the rejects file, carries on, and still exits 2)"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="check whole exports: streamed, parallel, with summaries",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    for source in SOURCES:
        p.add_argument(f"--{source}", metavar="FILE", help=f"{source} as .csv, .tsv or .jsonl, or - for standard input")
    p.add_argument("--mapping", action="append", default=[], metavar="NAME|FILE",
                   help="a column mapping (a bundled name such as ticketing-export, or a YAML file); it names its "
                        "source; repeat for several sources (default: core-<source>)")
    p.add_argument("--months", metavar="RANGE", help="customer-months to build, e.g. 2024-01..2024-12 (or 2024-03, or a comma list)")
    add_record_options(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write the decisions as JSONL to FILE (- for standard output)")
    p.add_argument("--summary", metavar="FILE", help="write the summary to FILE: .csv for a table, else JSON")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML: one test case per record, a failure per breached/violation")
    p.add_argument("--html", metavar="FILE", help="write the summary with plots as one self-contained HTML file")
    p.add_argument("--near-duplicate-ids", action="store_true",
                   help="warn when a record id differs from an earlier one only by surrounding spaces, case or "
                        "look-alike characters (the same record from two exports)")
    p.add_argument("--keep-going", action="store_true", help="write bad rows to the rejects file and carry on (exit 2 at the end)")
    p.add_argument("--rejects", metavar="FILE", help="where --keep-going writes bad rows, as JSONL (default: rejects.jsonl)")
    p.add_argument("--fail-on", choices=("any", "breached", "violation", "none"), default="any",
                   help="which findings make the exit code 1 (default: any breached or violation)")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: all cores, or --threads on duckdb/spark; 1 runs in this process)")
    p.add_argument("--chunk", type=int, default=2000, metavar="ROWS", help="rows per chunk handed to a worker (default: 2000)")
    p.add_argument("--top", type=int, default=20, metavar="N", help="customer-months shown in the terminal table (default: 20)")
    p.add_argument("--quiet", action="store_true", help="no progress line and no counts on standard error")
    p.add_argument("--backend", choices=BACKENDS, default="row",
                   help="who decides: row (the Python engine, default), duckdb (the policy compiled to SQL, embedded; "
                        "the sla-engine[columnar] extra) or spark (the same SQL on Apache Spark; sla-engine[spark]); "
                        "rows the SQL cannot decide go to the row engine, counted on standard error")
    p.add_argument("--parquet-timezone", metavar="UTC|+HH:MM",
                   help="duckdb/spark: the UTC offset of a Parquet export's TIMESTAMP columns that carry no time zone "
                        "(Spark writes its timestamps as INT96 so by default; TIMESTAMP_NTZ too); without it such a "
                        "time is naive and its row rejected")
    p.add_argument("--threads", type=int, metavar="N", help="duckdb/spark: threads (DuckDB) or local[N] (Spark) (default: all cores)")
    p.add_argument("--spark-master", metavar="URL", help=f"spark: the cluster to run on (default: local[N] of --threads, with {LOCAL_DRIVER_MEMORY} of "
                        "JVM heap unless SPARK_DRIVER_MEMORY is set)")


def io_paths(args: argparse.Namespace) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """What this run reads and writes, for the collision check in `engine.cli`."""
    inputs = [(f"--{s}", getattr(args, s)) for s in SOURCES] + [("--mapping", m) for m in args.mapping if os.path.isfile(m)]
    rejects = (args.rejects or "rejects.jsonl") if args.keep_going else args.rejects
    return inputs, [("-o", args.output), ("--rejects", rejects), ("--summary", args.summary), ("--junit", args.junit),
                    ("--html", args.html)]


def parquet_offset(text: str | None) -> int | None:
    """--parquet-timezone as seconds east of UTC: UTC, Z or +HH:MM/-HH:MM. A named zone is refused: its
    daylight saving makes some wall times ambiguous or missing, which an export's naive times cannot say."""
    if text is None:
        return None
    if text in ("UTC", "Z"):
        return 0
    m = re.fullmatch(r"([+-])([0-9]{2}):([0-9]{2})", text)
    if not m or int(m[2]) > 23 or int(m[3]) > 59:
        raise UsageError(f"sla check: --parquet-timezone {text!r} is not UTC or an offset like +08:00 (a named zone's "
                         "daylight saving leaves some wall times ambiguous; write such an export's times with their offset)")
    return (1 if m[1] == "+" else -1) * (int(m[2]) * 3600 + int(m[3]) * 60)


def fallback_jobs(backend: str, jobs: int | None, threads: int) -> int:
    """The row engine's worker processes: --jobs when given; else all cores on the
    row backend, and on duckdb/spark as many as --threads, so that `--threads 1`
    runs on one core (the row engine then decides only what the SQL leaves it)."""
    if jobs is not None:
        return jobs
    return default_jobs() if backend == "row" else threads


def run(args: argparse.Namespace, io: Streams) -> int:
    mappings = {}
    for name in args.mapping:
        mapping = load_mapping(name)
        if mapping.source in mappings:
            raise UsageError(f"--mapping: two mappings for {mapping.source} ({mappings[mapping.source].path} and {mapping.path})")
        mappings[mapping.source] = mapping
    for source in mappings:
        if getattr(args, source) is None:
            raise UsageError(f"--mapping {mappings[source].path} is for --{source}, which is not given")
    threads = default_jobs() if args.threads is None else args.threads
    if args.backend != "row" and threads < 1:
        raise UsageError("sla check: --threads must be at least 1")
    jobs = fallback_jobs(args.backend, args.jobs, threads)
    if jobs < 1 or args.chunk < 1 or args.top < 0:
        raise UsageError("sla check: --jobs and --chunk must be at least 1, --top at least 0")
    stdin_sources = [s for s in SOURCES if getattr(args, s) == "-"]
    if len(stdin_sources) > 1:
        raise UsageError(f"sla check: only one source can read standard input (got {', '.join('--' + s for s in stdin_sources)})")
    config = Config(cases=args.cases, outages=args.outages, contracts=args.contracts, claims=args.claims, mappings=mappings,
                    months=parse_months(args.months) if args.months else None, output=args.output, summary=args.summary,
                    junit=args.junit, html=args.html, keep_going=args.keep_going, rejects=args.rejects,
                    fail_on=args.fail_on, jobs=jobs, quiet=args.quiet, top=args.top, chunk=args.chunk, lang=args.lang,
                    near_duplicate_ids=args.near_duplicate_ids, parquet_offset=parquet_offset(args.parquet_timezone))
    options = Options(now=now(args.now), as_of=as_of(args.as_of), lang=args.lang)
    if args.backend == "row":
        if args.threads is not None or args.spark_master is not None or args.parquet_timezone is not None:
            raise UsageError("sla check: --threads, --spark-master and --parquet-timezone are for --backend duckdb or spark")
        if args.output and args.output.lower().endswith(".parquet"):
            raise UsageError("sla check: -o FILE.parquet needs --backend duckdb or spark (the row backend writes JSONL)")
        parquet = [f"--{s}" for s in SOURCES if (getattr(args, s) or "").lower().endswith(".parquet")]
        if parquet:
            raise UsageError(f"sla check: {', '.join(parquet)} .parquet needs --backend duckdb or spark (the row backend reads CSV and JSONL)")
        return run_check(config, family(args), options, io)
    if args.backend != "spark" and args.spark_master:
        raise UsageError("sla check: --spark-master is for --backend spark")
    from engine.columnar.run import run_columnar  # DuckDB, Arrow and Spark load only when asked for

    return run_columnar(config, family(args), options, io, args.backend, threads, args.spark_master)
