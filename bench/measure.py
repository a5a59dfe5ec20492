"""Run a command and measure it: wall time; CPU time of the whole process tree;
peak resident memory of the tree (a parent, its worker processes, a JVM it
started), sampled from /proc every 20 ms, plus the kernel's own peak for the
largest single process.

CPU time is exact, not sampled: the runner makes itself a child subreaper
(prctl PR_SET_CHILD_SUBREAPER), so a descendant whose parent exits without
waiting for it (Spark's JVM outliving the Python driver, a stray worker) is
re-parented to the runner instead of init; after the command exits the runner
waits for every such orphan, and RUSAGE_CHILDREN then holds the user + system
time of every process of the tree, each counted once (a process's time is added
to its parent's when the parent waits for it, and to the runner's when the
runner does)."""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass

from procstat import children, pss_kb, status_kb, tree

PR_SET_CHILD_SUBREAPER = 36


@dataclass
class Measured:
    seconds: float
    peak_tree_mb: float  # resident memory of the process and its workers, summed (shared pages counted in each)
    peak_process_mb: float  # the largest single process's own peak (VmHWM)
    peak_pss_mb: float  # proportional set size of the tree: the memory the run really holds
    cpu_seconds: float  # user + system time of the process and all its descendants
    returncode: int
    stderr: str
    load: float = 0.0  # the machine's 1-minute load average when the run started (other sessions' work shows here)


def tree_rss_kb(root: int) -> int:
    return sum(status_kb(pid, ("VmRSS",))[0] for pid in tree(root))


def _become_subreaper() -> None:
    """Orphaned descendants of the measured command come to this process (Linux >= 3.4)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed: CPU time of orphaned processes would be lost")


def _reap_orphans() -> None:
    """Wait for every descendant that outlived the command and came to us; their time joins RUSAGE_CHILDREN."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Measured:
    _become_subreaper()
    _reap_orphans()  # nothing of an earlier run may count towards this one
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = cpu_before.ru_utime + cpu_before.ru_stime
    load = os.getloadavg()[0]
    started = time.perf_counter()
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a chatty command (Spark's log) never blocks on it
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=cwd)
    peak = peak_pss = peak_process = 0
    samples = 0
    while proc.poll() is None:
        pids = [pid for child in children(os.getpid()) for pid in tree(child)]  # orphans that came to us included
        rss = hwm = 0
        for pid in pids:
            now, high = status_kb(pid, ("VmRSS", "VmHWM"))
            rss += now
            hwm = max(hwm, high)
        peak, peak_process = max(peak, rss), max(peak_process, hwm)
        if samples % 5 == 0:  # smaps_rollup costs more: every 100 ms
            peak_pss = max(peak_pss, sum(pss_kb(pid) for pid in pids))
        samples += 1
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    _reap_orphans()
    errors.seek(0)
    err = errors.read().decode("utf-8", "replace")
    errors.close()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return Measured(seconds, peak / 1024, peak_process / 1024, peak_pss / 1024, cpu, proc.returncode, err, load)
