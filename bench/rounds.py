"""Interleaved rounds: the minimal script, then DuckDB on one thread from Parquet
and from JSONL, each writing its decisions (-o) and writing only its summary, on
the same 1M set as bench/run.py, N times over; each command's CPU seconds per
round and the fewest per command. Every DuckDB run's summary must be the same
bytes (the runs decide the same records the same way).

Why: on a shared virtual machine the CPU time of one command varies by 2x from
one minute to the next (bench/README.md), so one run of each is a weak ratio.
Running the competitors in turn, round after round, and taking each one's
fastest round compares them under the least interference each saw.

    python3 bench/rounds.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from measure import run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOW, MONTHS = "2025-06-01T00:00:00Z", "2024-01..2024-12"


def commands(data: Path, out: Path) -> dict[str, list[str]]:
    """The competitors, with the flags bench/run.py gives them (the summary-only runs: without -o)."""
    py = sys.executable

    def duckdb(name: str, files: dict[str, str], decisions: bool = True) -> list[str]:
        cmd = [py, "-m", "engine", "check", "--backend", "duckdb", "--threads", "1", "--now", NOW,
               *(["-o", str(out / f"{name}.jsonl")] if decisions else []),
               "--fail-on", "none", "--quiet", "--months", MONTHS, "--summary", str(out / f"{name}.summary.json")]
        for source, file in files.items():
            cmd += [f"--{source}", str(data / file)]
        return cmd

    parquet = {"cases": "cases.parquet", "claims": "claims.parquet", "outages": "incidents.parquet", "contracts": "contracts.parquet"}
    jsonl = {"cases": "cases.jsonl", "claims": "claims.jsonl", "outages": "incidents.csv", "contracts": "contracts.csv"}
    return {
        "minimal script": [py, str(HERE / "minimal.py"), "--cases", str(data / "cases.jsonl"), "--outages", str(data / "incidents.csv"),
                           "--contracts", str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"), "--months", MONTHS,
                           "--now", NOW, "-o", str(out / "minimal.jsonl")],
        "duckdb, Parquet": duckdb("parquet", parquet),
        "duckdb, Parquet, summary only": duckdb("parquet-summary", parquet, decisions=False),
        "duckdb, JSONL": duckdb("jsonl", jsonl),
        "duckdb, JSONL, summary only": duckdb("jsonl-summary", jsonl, decisions=False),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=HERE / "data", help="the data bench/run.py generated (default: bench/data)")
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    if not (a.data / "cases.parquet").exists():
        print(f"no Parquet data in {a.data}: run bench/run.py first (it generates it)", file=sys.stderr)
        return 2
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    fewest: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(1, a.rounds + 1):
            for name, cmd in commands(a.data, Path(tmp)).items():
                m = run(cmd, env=env, cwd=str(ROOT))
                if m.returncode != 0:
                    print(f"{name} failed: {m.stderr.strip()[-400:]}", file=sys.stderr)
                    return 1
                fewest[name] = min(fewest.get(name, float("inf")), m.cpu_seconds)
                print(f"round {r}  {name:29s} {m.cpu_seconds:7.1f} CPU-s {m.seconds:7.1f} s wall  peak RSS {m.peak_tree_mb:5.0f} MB"
                      f"  load {m.load:.2f}", flush=True)
            summaries = {f.read_bytes() for f in Path(tmp).glob("*.summary.json")}
            if len(summaries) != 1:
                print(f"round {r}: the DuckDB runs' summaries differ", file=sys.stderr)
                return 1
    minimal = fewest["minimal script"]
    for name, cpu in fewest.items():
        print(f"fewest  {name:29s} {cpu:7.1f} CPU-s   {minimal / cpu:.2f}x the minimal script's records per CPU-s")
    print("(every competitor decides the same records, so the ratio of CPU seconds is the ratio of records per CPU-second)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
