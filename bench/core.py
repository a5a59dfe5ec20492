"""Time the pure core on a few thousand records: parse + evaluate, in process.

    python3 bench/core.py --data /tmp/d [--repeat 3]

`--data` is a folder written by `bench/generate.py` (cases.jsonl, claims.jsonl;
the uptime months are the claims' months).
Prints CPU seconds (process time) and wall seconds per record kind, best of
`--repeat` runs, so a change to the condition language or the kinds can be
compared with the code before it on the same data in the same minute.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core.evaluate import Options, evaluate  # noqa: E402
from engine.core.records import Source, parse_record  # noqa: E402
from engine.io.resources import policies_dir  # noqa: E402
from engine.policy.family import load_policies  # noqa: E402


def _records(path: Path, limit: int, as_uptime: bool = False) -> list:
    """Parsed records of a JSONL file; `as_uptime` makes each claim its month's uptime record."""
    out = []
    with path.open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= limit:
                break
            raw = json.loads(line)
            if as_uptime:
                raw = {"type": "uptime", "id": raw["id"], "customer": raw["customer"], "month": raw["month"],
                       "outages": raw["outages"]}
            out.append(parse_record(raw, Source(str(path), i + 1)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    family = load_policies(policies_dir())["genesys-cloud"]
    options = Options(now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    for name, file, as_uptime in (("cases", "cases.jsonl", False), ("uptime months", "claims.jsonl", True),
                                  ("claims", "claims.jsonl", False)):
        records = _records(args.data / file, args.limit, as_uptime)
        best_cpu = best_wall = float("inf")
        for _ in range(args.repeat):
            cpu, wall = time.process_time(), time.perf_counter()
            for record in records:
                evaluate(record, family, options)
            best_cpu = min(best_cpu, time.process_time() - cpu)
            best_wall = min(best_wall, time.perf_counter() - wall)
        print(f"{name:14} {len(records):6} records  cpu {best_cpu:.3f}s  wall {best_wall:.3f}s  "
              f"({len(records) / best_cpu:,.0f} records/cpu-s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
