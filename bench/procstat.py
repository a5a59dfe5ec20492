"""What a benchmark reads of a process from /proc: its CPU seconds, its memory,
and when it has gone quiet (Linux only, as the benchmarks are)."""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_mb(pid: int, key: str) -> float:
    """A memory line of /proc/PID/status (VmRSS, VmHWM, ...) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def settle(pid: int, quiet: float = 1.0, limit: float = 300.0, busy: float = 0.01) -> None:
    """Wait until the process has used no more than `busy` CPU seconds per 0.2 s for `quiet` seconds."""
    end = time.time() + limit
    last = cpu_seconds(pid)
    still_since = time.time()
    while time.time() < end:
        time.sleep(0.2)
        now = cpu_seconds(pid)
        if now - last > busy:
            last, still_since = now, time.time()
        elif time.time() - still_since >= quiet:
            return
