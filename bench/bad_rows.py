"""`sla check --keep-going` on a big CSV export with one bad row (issue 14 item 2).

Writes N rows of support cases in the core CSV format (the ticketing cases of
bench/generate.py are JSONL; this builds a CSV so the CSV reader is what is
measured), puts one bad row in the middle (a byte that is not UTF-8, by default),
runs `sla check --cases FILE --keep-going` in a fresh process and prints rows
decided, rows rejected (with the line), wall time and CPU seconds (parent and
workers). It exits 1 if any row but the bad one is lost.

    python3 bench/bad_rows.py                       # 500,000 rows, --jobs 2
    python3 bench/bad_rows.py --rows 100000 --bad quote --jobs 1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import run as measure  # noqa: E402

HEADER = "id,customer,severity,channel,submitted_at,events\n"
BAD = {
    "utf8": lambda good: good.replace(b"cust-", b"cu\xffst-"),
    "quote": lambda good: b'CASE-BAD,"acme,2,portal,2024-03-05T09:30:00Z,[]\n',
    "deep": lambda good: b"CASE-BAD,acme,2,portal,2024-03-05T09:30:00Z," + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "surrogate": lambda good: good.replace(b'""case_note""', b'""\\ud800""'),
}


def row(i: int) -> bytes:
    minute = 5 + i % 50
    return (f'CASE-{i},cust-{i % 997},{2 + i % 3},portal,2024-03-05T09:30:00Z,"[{{""type"": ""human_response"", '
            f'""at"": ""2024-03-05T{9 + (30 + minute) // 60:02d}:{(30 + minute) % 60:02d}:00Z"", ""via"": ""case_note""}}]"\n').encode()


def write(path: Path, rows: int, bad: str) -> int:
    """The export; returns the bad row's line number."""
    middle = rows // 2
    with path.open("wb") as out:
        out.write(HEADER.encode())
        for i in range(rows):
            out.write(BAD[bad](row(i)) if i == middle else row(i))
    return middle + 2


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=500_000)
    p.add_argument("--bad", choices=sorted(BAD), default="utf8")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        src, out, rejects = folder / "cases.csv", folder / "decisions.jsonl", folder / "rejects.jsonl"
        line = write(src, args.rows, args.bad)
        m = measure([sys.executable, "-m", "engine.cli", "check", "--cases", str(src), "--keep-going", "--rejects",
                     str(rejects), "-o", str(out), "--jobs", str(args.jobs), "--quiet", "--fail-on", "none",
                     "--now", "2025-01-01T00:00:00Z"])
        decided = sum(1 for _ in out.open("rb")) if out.exists() else 0
        rejected = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()] if rejects.exists() else []
    print(f"{args.rows} rows, one bad ({args.bad}) at line {line}, --jobs {args.jobs}: exit {m.returncode}")
    print(f"  decided {decided}, rejected {len(rejected)} at line(s) {[r['line'] for r in rejected]}")
    print(f"  wall {m.seconds:.1f} s, CPU {m.cpu_seconds:.1f} s (parent and workers), peak tree RSS {m.peak_tree_mb:.0f} MB")
    ok = m.returncode == 2 and decided == args.rows - 1 and [r["line"] for r in rejected] == [line]
    if not ok:
        print("  FAILED: a row other than the bad one was lost, or the bad row was not rejected at its line")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
