"""Temporary files of killed `sla check` runs are found and removed.

Every temporary file check writes beside an output is named `.NAME.PID.*` (NAME:
the output's file name, PID: the writing process). A run about to write NAME
first removes such files whose process is gone, so a `kill -9` (of the parent,
with its workers) leaves nothing behind for longer than the next run; the files
of a check still running are kept.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path


def remove_stale(folder: Path, name: str) -> None:
    """Remove what a killed run writing `name` left in `folder`: its temporary file and
    its workers' chunk files, `.NAME.PID.*.tmp` and `.NAME.PID.*.chunk-*`, when no
    process PID is alive (a running check's files are kept)."""
    for path in glob.glob(os.path.join(glob.escape(str(folder)), glob.escape(f".{name}.") + "*")):
        rest = os.path.basename(path)[len(name) + 2:]
        pid_text, _, tail = rest.partition(".")
        if not pid_text.isdigit() or not (tail.endswith(".tmp") or ".chunk-" in tail):
            continue
        if not _alive(int(pid_text)):
            try:
                os.unlink(path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
