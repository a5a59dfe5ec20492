"""Benchmark of the dispute tools and the decision log (run from the checkout):

    python3 bench/disputes.py [--repeat N]

Measures, in-process: replaying each example bundle, the what-if across every
revision, the Markdown and HTML reports, a receipt's build and verification;
the decision log: one run of 10 000 decisions logged in one transaction, and
4 processes appending concurrently (rows lost must be 0). Prints one line per
measurement; nothing is asserted (speed is measured, not tested).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import decisionlog  # noqa: E402
from engine.disputes.bundle import load_bundle, replay  # noqa: E402
from engine.core.evaluate import Options  # noqa: E402
from engine.policy.family import load_policies  # noqa: E402
from engine.disputes.receipt import build_receipt, verify  # noqa: E402
from engine.disputes.report import html, markdown  # noqa: E402
from engine.io.resources import policies_dir  # noqa: E402
from engine.disputes.whatif import all_revisions  # noqa: E402

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
WRITER = """
import sys
from engine.cli import main
for _ in range(int(sys.argv[3])):
    assert main(["evaluate", sys.argv[2], "--now", "2026-01-01T00:00:00Z", "--fail-on", "none", "--format", "jsonl",
                 "-o", "/dev/null", "--log", sys.argv[1]]) == 0
"""


def timed(label: str, repeat: int, action) -> None:
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    per = (time.perf_counter() - start) / repeat
    print(f"{label:58s} {per * 1000:9.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    n = parser.parse_args().repeat
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    families = load_policies(policies_dir())
    family = families["genesys-cloud"]
    bundles = [load_bundle(p) for p in sorted((ROOT / "examples" / "disputes").glob("*.yaml"))]
    options = Options(now=NOW)
    timed(f"replay, all {len(bundles)} example bundles together", n,
          lambda: [replay(b, family, options) for b in bundles])
    timed("what-if across 3 revisions, one bundle", n, lambda: all_revisions(bundles[5], family, options))
    verdict = replay(bundles[7], family, options)
    timed("markdown report, annual prepaid bundle", n, lambda: markdown(verdict, "en"))
    timed("html report, annual prepaid bundle", n, lambda: html(verdict, "en"))
    receipt = build_receipt(verdict)
    timed("receipt: build", n, lambda: build_receipt(verdict))
    timed("receipt: verify (integrity + re-run + compare)", n, lambda: verify(receipt, families, "bench"))

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "bench.sqlite"
        decisions = [d for b in bundles for d in replay(b, family, options).decisions]
        count = 10_000
        start = time.perf_counter()
        writer = decisionlog.LogWriter(log, "bench")
        for i in range(count):
            writer.add(decisionlog.Entry(decisions[i % len(decisions)], "bench"))
        writer.commit()
        took = time.perf_counter() - start
        print(f"{'log: one run of 10000 decisions, one transaction':58s} {took * 1000:9.2f} ms "
              f"({count / took:,.0f} decisions/s)")

        log2 = Path(tmp) / "concurrent.sqlite"
        runs, writers = 10, 4
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(log2), str(ROOT / "examples" / "records"), str(runs)],
                                  env=env) for _ in range(writers)]
        codes = [p.wait() for p in procs]
        took = time.perf_counter() - start
        with sqlite3.connect(log2) as conn:
            rows, run_ids = conn.execute("SELECT COUNT(*), COUNT(DISTINCT run_id) FROM decisions").fetchone()
        per_run = rows // max(run_ids, 1)
        lost = writers * runs * per_run - rows
        print(f"{'log: 4 processes x 10 evaluate runs, concurrent':58s} {took * 1000:9.2f} ms "
              f"({rows} rows, {run_ids} runs, lost {lost}, exit codes {sorted(set(codes))})")


if __name__ == "__main__":
    main()
