"""Run a command and measure it: wall time, and peak resident memory of the
whole process tree (a parent and its worker processes), sampled from /proc
every 20 ms, plus the kernel's own peak for the largest single process."""

from __future__ import annotations

import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    seconds: float
    peak_tree_mb: float  # resident memory of the process and its workers, summed (shared pages counted in each)
    peak_process_mb: float  # the largest single process's own peak (VmHWM)
    peak_pss_mb: float  # proportional set size of the tree: the memory the run really holds
    cpu_seconds: float  # user + system time of the process and all its workers
    returncode: int
    stderr: str


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            out += [int(x) for x in text.split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def _status_kb(pid: int, keys: tuple[str, ...]) -> list[int]:
    """Values (kB) of /proc/PID/status lines: VmRSS (resident now), VmHWM (the process's peak)."""
    found = dict.fromkeys(keys, 0)
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in found:
                found[key] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return list(found.values())


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared by forked workers counted once across them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree(root: int) -> list[int]:
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack += _children(pid)
    return out


def tree_rss_kb(root: int) -> int:
    return sum(_status_kb(pid, ("VmRSS",))[0] for pid in tree(root))


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Measured:
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = cpu_before.ru_utime + cpu_before.ru_stime
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
    peak = peak_pss = peak_process = 0
    samples = 0
    while proc.poll() is None:
        pids = tree(proc.pid)
        rss = hwm = 0
        for pid in pids:
            now, high = _status_kb(pid, ("VmRSS", "VmHWM"))
            rss += now
            hwm = max(hwm, high)
        peak, peak_process = max(peak, rss), max(peak_process, hwm)
        if samples % 5 == 0:  # smaps_rollup costs more: every 100 ms
            peak_pss = max(peak_pss, sum(_pss_kb(pid) for pid in pids))
        samples += 1
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    err = proc.stderr.read() if proc.stderr else ""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return Measured(seconds, peak / 1024, peak_process / 1024, peak_pss / 1024, cpu, proc.returncode, err)
