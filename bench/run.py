"""The benchmark: the engine (`sla check`, one core and all cores), the
hand-written baseline and GoRules zen-engine on the same generated data, in one
run; every output checked against the engine's; a table of records/s, CPU time
and peak memory; and how peak memory changes with the input size.

    python3 bench/run.py                      # generate bench/data (1M cases...) if missing, then measure
    python3 bench/run.py --cases 100000 --customers 834 --claims 10000 --data /tmp/bench-100k

See bench/README.md for what each number means and the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import columnar_runs  # noqa: E402
from generate import generate  # noqa: E402
from measure import Measured, run  # noqa: E402

NOW = "2025-06-01T00:00:00Z"
MONTHS = "2024-01..2024-12"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def engine_cmd(data: Path, out: Path, jobs: int, cases: Path | None = None, full: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "engine", "check", "--cases", str(cases or data / "cases.jsonl"), "--now", NOW,
           "--jobs", str(jobs), "-o", str(out), "--quiet", "--fail-on", "none"]
    if full:
        cmd += ["--outages", str(data / "incidents.csv"), "--contracts", str(data / "contracts.csv"),
                "--claims", str(data / "claims.jsonl"), "--months", MONTHS, "--summary", str(out.with_suffix(".summary.json"))]
    return cmd


def count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


def row(name: str, records: int, m: Measured) -> dict:
    return {"name": name, "records": records, "seconds": m.seconds, "per_second": records / m.seconds, "cpu": m.cpu_seconds,
            "cpu_per_second": records / m.cpu_seconds if m.cpu_seconds else 0.0, "rss_mb": m.peak_tree_mb, "pss_mb": m.peak_pss_mb,
            "exit": m.returncode, "load": m.load}


def print_table(rows: list[dict]) -> None:
    print(f"{'run':40s} {'records':>10s} {'wall s':>8s} {'records/s':>10s} {'CPU s':>8s} {'rec/CPU s':>10s} {'peak RSS MB':>12s} "
          f"{'peak PSS MB':>12s} {'load':>5s}")
    for r in rows:
        print(f"{r['name']:40s} {r['records']:>10,} {r['seconds']:>8.2f} {r['per_second']:>10,.0f} {r['cpu']:>8.2f} "
              f"{r['cpu_per_second']:>10,.0f} {r['rss_mb']:>12.0f} {r['pss_mb']:>12.0f} {r['load']:>5.2f}")


def markdown_table(rows: list[dict]) -> str:
    """The same table in Markdown, for bench/README.md (load = 1-minute load average when the run started)."""
    lines = ["| run | records | wall s | records/s | CPU s | records per CPU-s | peak RSS MB | peak PSS MB | load at start |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['records']:,} | {r['seconds']:.1f} | {r['per_second']:,.0f} | {r['cpu']:.1f} | "
                     f"{r['cpu_per_second']:,.0f} | {r['rss_mb']:.0f} | {r['pss_mb']:.0f} | {r['load']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=HERE / "data", help="data folder (generated when missing)")
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=8_334)
    p.add_argument("--claims", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=20240101)
    p.add_argument("--jobs", type=int, default=cores(), help="the 'all cores' run (default: this machine's cores)")
    p.add_argument("--no-zen", action="store_true", help="skip zen-engine (pip install '.[bench]' to have it)")
    p.add_argument("--scale", default="100000,1000000", help="case counts at which to measure peak memory (cases only)")
    p.add_argument("--backends", default="duckdb,spark",
                   help="columnar backends to measure (comma list; '' for none; 'row' stands in to test the harness)")
    p.add_argument("--flat", default="1000000,10000000", help="case counts for duckdb's peak memory against size ('' for none)")
    p.add_argument("--flat-data", type=Path, default=HERE / "data-10m", help="cases-only data for --flat (generated when missing)")
    p.add_argument("--flat-output", default=".parquet", choices=[".parquet", ".jsonl"], help="decisions format of the --flat runs")
    p.add_argument("--parquet-sources", default="cases,claims,outages,contracts",
                   help="which sources the 'Parquet' runs read as Parquet (the others as JSONL/CSV)")
    p.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    a = p.parse_args()

    if not (a.data / "cases.jsonl").exists() or (a.backends and not (a.data / "claims.parquet").exists()):
        print(f"generating {a.cases:,} cases, {a.customers * 12:,} customer-months, {a.claims:,} claims into {a.data} ...", flush=True)
        generate(a.data, a.cases, a.customers, a.claims, a.seed, parquet=bool(a.backends))
    cases, claims = count_lines(a.data / "cases.jsonl"), count_lines(a.data / "claims.jsonl")
    customers = count_lines(a.data / "contracts.csv") - 1
    records = cases + customers * 12 + claims
    print(f"machine: {platform.processor() or platform.machine()}, {cores()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"data: {cases:,} cases + {customers * 12:,} customer-months + {claims:,} claims = {records:,} decisions\n", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="sla-bench-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rows, problems = [], []

    one = run(engine_cmd(a.data, tmp / "engine-1.jsonl", 1), env=env, cwd=str(ROOT))
    rows.append(row("engine, --jobs 1", records, one))
    many = run(engine_cmd(a.data, tmp / "engine-n.jsonl", a.jobs), env=env, cwd=str(ROOT))
    rows.append(row(f"engine, --jobs {a.jobs}", records, many))
    if (tmp / "engine-1.jsonl").read_bytes() != (tmp / "engine-n.jsonl").read_bytes():
        problems.append(f"--jobs {a.jobs} output differs from --jobs 1")

    hand = run([sys.executable, str(HERE / "handwritten.py"), "--cases", str(a.data / "cases.jsonl"), "--outages",
                str(a.data / "incidents.csv"), "--contracts", str(a.data / "contracts.csv"), "--claims", str(a.data / "claims.jsonl"),
                "--months", MONTHS, "--now", NOW, "-o", str(tmp / "hand.jsonl")], env=env)
    rows.append(row("hand-written script (1 core)", records, hand))
    if (tmp / "hand.jsonl").read_bytes() != (tmp / "engine-1.jsonl").read_bytes():
        problems.append("the hand-written script's decisions differ from the engine's")

    minimal_row = run_minimal(a.data, tmp, records, env, rows, problems)

    zen_row = None
    if not a.no_zen:
        zen = run([sys.executable, str(HERE / "zen_bench.py"), "--cases", str(a.data / "cases.jsonl"), "--outages",
                   str(a.data / "incidents.csv"), "--contracts", str(a.data / "contracts.csv"), "--months", MONTHS,
                   "--now", NOW, "-o", str(tmp / "zen.jsonl")], env=env)
        if zen.returncode != 0:
            problems.append(f"zen-engine run failed: {zen.stderr.strip()[-400:]}")
        else:
            zen_row = row("zen-engine (1 core; no claims)", cases + customers * 12, zen)
            rows.append(zen_row)
            problems += compare_zen(tmp / "zen.jsonl", tmp / "engine-1.jsonl")

    columnar_rows, columnar_problems, columnar_notes = columnar_runs.measure_all(a, records, tmp, env, tmp / "engine-1.jsonl", row)
    rows += columnar_rows
    problems += columnar_problems

    print_table(rows)
    if a.markdown:
        a.markdown.write_text(markdown_table(rows), encoding="utf-8")
    print("\n" + "\n".join(columnar_notes))
    e1, en, hw = rows[0], rows[1], rows[2]
    print("\ntargets:")
    print(f"  engine / hand-written, one core (CPU time):  {e1['cpu_per_second'] / hw['cpu_per_second']:.2f}x  (target >= 0.5x; "
          f"wall clock {e1['per_second'] / hw['per_second']:.2f}x)")
    print(f"  engine, --jobs {a.jobs} / --jobs 1 (wall clock):    {en['per_second'] / e1['per_second']:.2f}x  (target >= 1.8x on 2 cores)")
    if minimal_row:
        print(f"  engine / minimal script, one core (records per CPU-s): {e1['cpu_per_second'] / minimal_row['cpu_per_second']:.2f}x  "
              f"(target >= 0.5x; wall clock {e1['per_second'] / minimal_row['per_second']:.2f}x)")
    if zen_row:
        print(f"  engine / zen-engine, one core (records/s):   {e1['per_second'] / zen_row['per_second']:.2f}x  (target > 1x)")
    print(f"  peak memory, engine --jobs 1 / --jobs {a.jobs}:    RSS {e1['rss_mb']:.0f} MB / {en['rss_mb']:.0f} MB, "
          f"PSS {e1['pss_mb']:.0f} MB / {en['pss_mb']:.0f} MB  (target < 300 MB)")

    columnar_runs.print_targets(rows)

    scale = [int(n) for n in a.scale.split(",") if n.strip() and int(n) <= cases]
    if scale:
        print("\npeak memory against input size (cases only):")
        for n in scale:
            subset = tmp / f"cases-{n}.jsonl"
            with open(a.data / "cases.jsonl", "rb") as src, open(subset, "wb") as dst:
                for i, line in enumerate(src):
                    if i >= n:
                        break
                    dst.write(line)
            for jobs in (1, a.jobs):
                m = run(engine_cmd(a.data, tmp / "scale.jsonl", jobs, subset, full=False), env=env, cwd=str(ROOT))
                print(f"  {n:>9,} cases, --jobs {jobs}: peak RSS {m.peak_tree_mb:4.0f} MB summed over processes, "
                      f"PSS {m.peak_pss_mb:4.0f} MB, largest process {m.peak_process_mb:4.0f} MB; {n / m.seconds:,.0f} records/s")
            subset.unlink()

    problems += columnar_runs.memory_scale(a, tmp, env)

    for line in problems:
        print(f"PROBLEM: {line}")
    subprocess.run(["rm", "-rf", str(tmp)])
    return 1 if problems else 0


# -- the minimal script (bench/minimal.py): verdict fields only -----------------------------------------------------


def run_minimal(data: Path, tmp: Path, records: int, env: dict, rows: list[dict], problems: list[str]) -> dict | None:
    """Run bench/minimal.py on the same inputs, add its row, and check every verdict
    against the engine's --jobs 1 decisions (0 disagreements required)."""
    out = tmp / "minimal.jsonl"
    m = run([sys.executable, str(HERE / "minimal.py"), "--cases", str(data / "cases.jsonl"), "--outages",
             str(data / "incidents.csv"), "--contracts", str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"),
             "--months", MONTHS, "--now", NOW, "-o", str(out)], env=env)
    if m.returncode != 0:
        problems.append(f"minimal script failed: {m.stderr.strip()[-400:]}")
        return None
    r = row("minimal script (1 core)", records, m)
    rows.append(r)
    problems += compare_minimal(out, tmp / "engine-1.jsonl")
    return r


def minimal_expected(decision: dict) -> list:
    """The verdict bench/minimal.py writes for a record, taken from the engine's decision."""
    r = decision["result"]
    if decision["type"] == "case":
        return [r["response_met"], r["response_minutes"]]
    if decision["type"] == "uptime":
        return [r["uptime_percent"], r["credit_percent"]]
    return [r["eligible"], r["credit_percent"], r["credit_amount"]]


def minimal_shown(verdict: list) -> list:
    """A minimal-script verdict in the engine's words (exact decimal text, six places truncated)."""
    sys.path.insert(0, str(ROOT))
    from engine.exact import decimal_text  # the engine's own rendering of an exact number
    from fractions import Fraction

    if len(verdict) == 3:  # case: [id, met, waited microseconds]
        _, met, waited = verdict
        return [met, None if waited is None else decimal_text(Fraction(waited, 60_000_000))]
    if isinstance(verdict[1], bool):  # claim: [id, eligible, credit percent, owed in minor units]
        return [verdict[1], verdict[2], verdict[3]]
    _, up, total, credit = verdict  # customer-month: [id, up, total, credit percent]
    return [decimal_text(Fraction(up * 100, total)), credit]


def compare_minimal(minimal_out: Path, engine_out: Path) -> list[str]:
    """Every verdict of the minimal script against the engine's decision for the same record."""
    expected: dict[str, list] = {}
    with open(engine_out, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            expected[d["record"]] = minimal_expected(d)
    wrong = seen = 0
    with open(minimal_out, encoding="utf-8") as fh:
        for line in fh:
            v = json.loads(line)
            want = expected.get(v[0])
            got = minimal_shown(v)
            if want is not None and len(want) == 3:  # a claim's amount: the engine shows "12.50", the script 1250
                want = [want[0], want[1], int(want[2].replace(".", ""))]
            seen += 1
            if want != got:
                wrong += 1
                if wrong <= 3:
                    print(f"  minimal disagrees on {v[0]}: engine {want}, minimal {got}")
    out = [f"the minimal script disagrees with the engine on {wrong} of {seen} records"] if wrong else []
    if seen != len(expected):
        out.append(f"the minimal script decided {seen} records, the engine {len(expected)}")
    return out


def compare_zen(zen_out: Path, engine_out: Path) -> list[str]:
    """Every zen answer against the engine's decision (pending cases count as not met)."""
    expected = {}
    with open(engine_out, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["type"] == "case":
                expected[d["record"]] = ("met", d["result"]["response_met"] is True)
            elif d["type"] == "uptime":
                expected[d["record"]] = ("credit_percent", d["result"]["credit_percent"])
    wrong = 0
    with open(zen_out, encoding="utf-8") as fh:
        for line in fh:
            z = json.loads(line)
            key, value = expected[z["record"]]
            wrong += z[key] != value
    return [f"zen-engine disagrees with the engine on {wrong} records"] if wrong else []


if __name__ == "__main__":
    sys.exit(main())
