"""Where a record's time goes on the row path, stage by stage (µs per record, CPU time).

    python3 bench/stages.py bench/data/cases.jsonl --limit 20000
    python3 bench/stages.py /tmp/d/claims.jsonl --limit 5000

Runs each stage of what a `sla check` worker does for a JSONL row (engine/check/work.py)
over the same records, one stage at a time, and prints the CPU time per record of each:
JSON decode, schema check, record parsing, fact derivation, rules and messages, result
and decision, the decision as a dict (`to_json`), and the dict as JSON text. Without
cProfile's per-call overhead, so the shares are the real ones (bench/README.md).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.check.work import _ENCODE as encode  # noqa: E402  (the encoder `sla check` writes decisions with)
from engine.core import evaluate as ev  # noqa: E402
from engine.core.records import Source, parse_record, record_problems  # noqa: E402
from engine.io.jsontext import decode  # noqa: E402
from engine.policy.family import load_family_dir  # noqa: E402
from engine.timeutil import parse_instant  # noqa: E402


def timed(label: str, fn, items: list, table: list) -> list:
    """Run fn over items, note µs per item of CPU time, return the outputs."""
    gc.collect()
    gc.disable()  # the stages keep every output alive: collections would grow with the input, unlike a real run
    start = time.process_time()
    out = [fn(x) for x in items]
    table.append((label, (time.process_time() - start) / len(items) * 1e6))
    gc.enable()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path)
    p.add_argument("--limit", type=int, default=20_000)
    p.add_argument("--now", default="2025-06-01T00:00:00Z")
    a = p.parse_args()
    family = load_family_dir(ROOT / "policies" / "genesys-cloud")
    options = ev.Options(now=parse_instant(a.now))
    with open(a.file, encoding="utf-8") as fh:
        lines = [line.rstrip("\n") for _, line in zip(range(a.limit), fh)]
    src = Source(str(a.file), None)
    table: list = []
    raws = timed("JSON decode", decode, lines, table)
    timed("schema check", lambda r: record_problems(r, src), raws, table)
    records = timed("record parsing", lambda r: parse_record(r, src), raws, table)
    kinds = [ev.kinds.get(r.type) for r in records]

    def facts_of(i: int):
        r, k = records[i], kinds[i]
        revisions = tuple(ev._in_force(family, a.instant(r)) for a in k.anchors)
        return revisions, k.derive(r, revisions, options.now, family.revisions)

    derived = timed("revision + facts", facts_of, range(len(records)), table)

    def rules_of(i: int):
        r, k = records[i], kinds[i]
        revisions, facts = derived[i]
        out = ()
        for anchor, revision in zip(k.anchors, revisions):
            out += ev._run(revision.rules.get(anchor.rules, ()), revision, r, facts, options)
        return out

    timed("rules + messages", rules_of, range(len(records)), table)
    decisions = timed("whole evaluate", lambda r: ev.evaluate(r, family, options), records, table)
    dicts = timed("to_json", lambda d: d.to_json(), decisions, table)
    timed("JSON encode", encode, dicts, table)
    whole = sum(us for label, us in table if label not in ("revision + facts", "rules + messages"))
    print(f"{len(lines):,} records of {a.file.name}, µs of CPU per record:")
    for label, us in table:
        print(f"  {label:18s} {us:8.1f}")
    print(f"  {'total (no repeats)':18s} {whole:8.1f}   (revision + facts and rules + messages are parts of whole evaluate)")


if __name__ == "__main__":
    main()
