"""Benchmark `sla watch` at scale: 100,000 open cases, alert latency under load,
start-up from the state store.

    python3 bench/watch_scale.py                       # 100,000 cases, 1,000 events/s for 30 s
    python3 bench/watch_scale.py --cases 20000 --seconds 10

Runs the real command (`python3 -m engine watch EVENTS --follow -o ALERTS`,
bundled policy) as a subprocess and reads its CPU time and memory from /proc
(Linux only). Phases, one work directory:

  ingest   N cases submitted now (Sev2-4 by portal: 2 h targets, so every
           clock stays open), until the process is idle again: wall, CPU-s,
           resident memory (RSS) and its peak (VmHWM)
  load     RATE events/s for SECONDS (automated replies and human responses to
           open cases, new cases), plus one probe case a second whose
           deadline falls a few seconds later: the delay from each probe's
           deadline to its `breached` line appearing in the alert file
  restart  the watcher is killed with SIGKILL, a probe case already overdue is
           appended, and the same command started again: the time until that
           probe's breach is written is the start-up from the state store
           (every open case read back, its next deadline re-armed)

Speed is measured here, never asserted in a test. The machine may be shared:
CPU seconds are printed next to wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from procstat import cpu_seconds, settle as _settle, status_mb

SEV1_TARGET = timedelta(minutes=10)  # the bundled policy's Sev1 target (read by the watcher from the YAML)

ROOT = Path(__file__).resolve().parent.parent


def settle(pid: int) -> None:
    """Wait until the watcher has gone quiet (a long limit: 100,000 cases take minutes to take in)."""
    _settle(pid, quiet=1.5, limit=900.0, busy=0.02)


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def submitted(case_id: str, at: datetime, severity: int, channel: str) -> str:
    return json.dumps({"type": "case_submitted", "case": {"id": case_id, "customer": f"c{hash(case_id) % 97}",
                                                          "severity": severity, "channel": channel,
                                                          "submitted_at": iso(at)}}) + "\n"


def spawn(events: Path, work: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "engine", "watch", str(events), "--follow", "-o", str(work / "alerts.jsonl"),
            "--state", str(work / "watch.state")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


class Tail:
    """Watches the alert file for `breached` lines of probe cases, noting when each appeared."""

    def __init__(self, path: Path):
        self.path = path
        self.seen: dict[str, float] = {}
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        offset = 0
        while not self._stop:
            if self.path.exists():
                with self.path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
                cut = data.rfind(b"\n") + 1
                offset += cut
                now = time.time()
                for line in data[:cut].splitlines():
                    if b'"P-' in line and b'"breached"' in line:
                        self.seen.setdefault(json.loads(line)["case"], now)
            time.sleep(0.02)

    def wait(self, case_id: str, limit: float) -> float | None:
        end = time.time() + limit
        while time.time() < end:
            if case_id in self.seen:
                return self.seen[case_id]
            time.sleep(0.01)
        return None

    def stop(self) -> None:
        self._stop = True


def ingest(events: Path, work: Path, n: int) -> tuple[subprocess.Popen, dict[str, float]]:
    rng = random.Random(16)
    now = datetime.now(timezone.utc)
    with events.open("w") as handle:
        for i in range(n):
            handle.write(submitted(f"B-{i:06d}", now, rng.choice([2, 3, 4]), "portal"))
    t0 = time.time()
    process = spawn(events, work)
    settle(process.pid)
    wall = time.time() - t0 - 1.5
    return process, {"wall": wall, "cpu": cpu_seconds(process.pid), "rss": status_mb(process.pid, "VmRSS"),
                     "hwm": status_mb(process.pid, "VmHWM")}


def load(process: subprocess.Popen, events: Path, tail: Tail, n: int, rate: int, seconds: int) -> dict[str, float]:
    """RATE lines/s for SECONDS; one probe a second, due LEAD seconds after it is written."""
    rng = random.Random(17)
    lead = 3.0
    cpu0, t0 = cpu_seconds(process.pid), time.time()
    deadlines: dict[str, float] = {}
    fresh = 0
    with events.open("a") as handle:
        for second in range(seconds):
            tick = t0 + second
            pause = tick - time.time()
            if pause > 0:
                time.sleep(pause)
            now = datetime.now(timezone.utc)
            lines = []
            deadline = now + timedelta(seconds=lead)
            probe = f"P-{second:04d}"
            deadlines[probe] = deadline.timestamp()
            lines.append(submitted(probe, deadline - SEV1_TARGET, 1, "phone"))
            for k in range(rate - 1):
                roll = rng.random()
                if roll < 0.1:
                    lines.append(submitted(f"N-{fresh:07d}", now, rng.choice([2, 3, 4]), "portal"))
                    fresh += 1
                    continue
                case_id = f"B-{rng.randrange(n):06d}"
                if roll < 0.2:
                    lines.append(json.dumps({"type": "human_response", "case_id": case_id, "at": iso(now),
                                             "via": "case_note"}) + "\n")
                else:
                    lines.append(json.dumps({"type": "automated_reply", "case_id": case_id, "at": iso(now)}) + "\n")
            # spread over the second in 10 writes
            for part in range(10):
                handle.write("".join(lines[part::10]))
                handle.flush()
                time.sleep(max(0.0, tick + (part + 1) / 10 - time.time()))
    latencies = []
    for probe, deadline in deadlines.items():
        appeared = tail.wait(probe, limit=30)
        if appeared is not None:
            latencies.append(appeared - deadline)
    settle(process.pid)
    return {"wall": time.time() - t0, "cpu": cpu_seconds(process.pid) - cpu0, "probes": len(deadlines),
            "seen": len(latencies), "lat_median": statistics.median(latencies) if latencies else float("nan"),
            "lat_max": max(latencies) if latencies else float("nan"), "hwm": status_mb(process.pid, "VmHWM"),
            "rss": status_mb(process.pid, "VmRSS")}


def restart(process: subprocess.Popen, events: Path, work: Path, tail: Tail) -> dict[str, float]:
    process.send_signal(signal.SIGKILL)
    process.wait()
    state_mb = (work / "watch.state").stat().st_size / 2**20
    now = datetime.now(timezone.utc)
    with events.open("a") as handle:
        handle.write(submitted("P-restart", now - SEV1_TARGET - timedelta(seconds=5), 1, "phone"))
    t0 = time.time()
    again = spawn(events, work)
    appeared = tail.wait("P-restart", limit=600)
    wall = (appeared - t0) if appeared is not None else float("nan")
    out = {"wall": wall, "cpu": cpu_seconds(again.pid), "hwm": status_mb(again.pid, "VmHWM"), "state_mb": state_mb}
    again.send_signal(signal.SIGTERM)
    again.communicate(timeout=120)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=1000, help="input events per second in the load phase")
    parser.add_argument("--seconds", type=int, default=30, help="length of the load phase")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        events = work / "events.jsonl"
        tail = Tail(work / "alerts.jsonl")
        process, a = ingest(events, work, args.cases)
        print(f"ingest  {args.cases:,} open cases: wall {a['wall']:.1f} s, CPU {a['cpu']:.1f} s; "
              f"RSS {a['rss']:.0f} MB, peak {a['hwm']:.0f} MB")
        b = load(process, events, tail, args.cases, args.rate, args.seconds)
        print(f"load    {args.rate:,} events/s for {args.seconds} s: wall {b['wall']:.1f} s, CPU {b['cpu']:.1f} s "
              f"({b['cpu'] / (args.rate * args.seconds) * 1000:.2f} s per 1,000 events); deadline -> breached line: median {b['lat_median']:.2f} s, "
              f"max {b['lat_max']:.2f} s ({b['seen']}/{b['probes']} probes); RSS {b['rss']:.0f} MB, peak {b['hwm']:.0f} MB")
        c = restart(process, events, work, tail)
        print(f"restart after kill -9 ({c['state_mb']:.0f} MB state): first alert after {c['wall']:.1f} s wall, "
              f"CPU {c['cpu']:.1f} s; peak RSS {c['hwm']:.0f} MB")
        tail.stop()


if __name__ == "__main__":
    main()
