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


def children(pid: int) -> list[int]:
    """The process's direct children (of all its threads); none once it has gone."""
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(x) for x in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def tree(root: int) -> list[int]:
    """The process and all its descendants alive now (a JVM a Python driver started, forked workers)."""
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack += children(pid)
    return out


def status_kb(pid: int, keys: tuple[str, ...]) -> list[int]:
    """Values (kB) of /proc/PID/status lines, in the order asked: VmRSS (resident now),
    VmHWM (the process's own peak); 0 for a process that has gone."""
    found = dict.fromkeys(keys, 0)
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in found:
                found[key] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return list(found.values())


def pss_kb(pid: int) -> int:
    """Proportional set size: pages shared by forked workers counted once across them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0
