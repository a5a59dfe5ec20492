"""Benchmark `sla watch`: CPU and memory per 1,000 open cases.

    python3 bench/watch_clocks.py                 # 1,000 and 5,000 open cases
    python3 bench/watch_clocks.py --cases 2000 --idle 20

Runs the real command (`python3 -m engine watch EVENTS --follow`) as a
subprocess and reads its CPU time and resident memory from /proc, in phases:

  start    the process with its policies loaded and durable-rules imported, no case
  ingest   N cases submitted now (bundled policy: targets of 10 minutes to 2 hours,
           so every clock stays open with its wake timer armed), until the
           process is idle again
  idle     open clocks waiting for IDLE seconds: what keeping them costs
  fire     N cases of the TEST policy (targets of seconds) whose warnings and
           breaches all fall due: CPU from their submission until every alert
           is written (the process is a fresh one)

Reported per 1,000 open cases. Linux only (/proc). Speed is measured here, never
asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from procstat import cpu_seconds, settle, status_mb

ROOT = Path(__file__).resolve().parent.parent


def cases(n: int, start: datetime, severity: int) -> str:
    stamp = start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return "".join(json.dumps({"type": "case_submitted", "case": {
        "id": f"B-{i:06d}", "customer": f"c{i % 97}", "severity": severity, "channel": "phone",
        "submitted_at": stamp}}) + "\n" for i in range(n))


def spawn(events: Path, work: Path, policies: Path | None) -> subprocess.Popen:
    args = [sys.executable, "-m", "engine", "watch", str(events), "--follow", "-o", str(work / "alerts.jsonl"),
            "--fresh"]
    if policies:
        args += ["--policies", str(policies)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def open_clocks(n: int, idle: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        events = work / "events.jsonl"
        events.write_text("")
        process = spawn(events, work, None)
        try:
            settle(process.pid)
            cpu0, rss0 = cpu_seconds(process.pid), status_mb(process.pid, "VmRSS")
            with events.open("a") as handle:
                handle.write(cases(n, datetime.now(timezone.utc), severity=4))
            settle(process.pid)
            cpu1, rss1 = cpu_seconds(process.pid), status_mb(process.pid, "VmRSS")
            time.sleep(idle)
            cpu2 = cpu_seconds(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)
    per = 1000 / n
    return {"start_rss_mb": rss0, "ingest_cpu_s": (cpu1 - cpu0) * per, "rss_mb": (rss1 - rss0) * per,
            "idle_cpu_pct": (cpu2 - cpu1) / idle * 100 * per}


def firing(n: int) -> dict[str, float]:
    policies = ROOT / "tests" / "fixtures" / "watch_policies"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        events = work / "events.jsonl"
        events.write_text("")
        process = spawn(events, work, policies)
        try:
            settle(process.pid)
            cpu0 = cpu_seconds(process.pid)
            with events.open("a") as handle:  # Sev1: warning at 1.5 s, breach at 3 s
                handle.write(cases(n, datetime.now(timezone.utc) + timedelta(seconds=1), severity=1))
            output = work / "alerts.jsonl"
            end = time.time() + 120
            while time.time() < end:
                time.sleep(0.2)
                if output.exists() and sum(1 for _ in output.open()) >= 2 * n:
                    break
            settle(process.pid, quiet=0.5)
            cpu1 = cpu_seconds(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)
    return {"fire_cpu_s": (cpu1 - cpu0) * 1000 / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measurement")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'open cases':>10} | {'RSS at start':>12} | {'RSS /1000':>9} | {'ingest CPU /1000':>16} | "
          f"{'idle CPU /1000':>14} | {'warn+breach CPU /1000':>21}")
    for n in args.cases:
        row = open_clocks(n, args.idle) | firing(n)
        print(f"{n:>10} | {row['start_rss_mb']:>9.0f} MB | {row['rss_mb']:>6.0f} MB | {row['ingest_cpu_s']:>14.2f} s | "
              f"{row['idle_cpu_pct']:>12.2f} % | {row['fire_cpu_s']:>19.2f} s")


if __name__ == "__main__":
    main()
