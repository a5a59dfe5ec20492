"""Reading a file someone else controls, without hanging or reading elsewhere.

A policy folder may hold anything: a FIFO (reading it blocks forever), a device
(`/dev/zero` never ends), or a symbolic link to a file outside the folder (whose
content would then be quoted back in an error). `read_regular` opens without
blocking, refuses anything but a regular file, refuses a link that resolves
outside `root`, and reads at most `limit` bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.errors import Problem

KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class UnsafeFile(Exception):
    """A file that must not be read; carries the problem to report."""

    def __init__(self, problem: Problem):
        super().__init__(problem.render())
        self.problem = problem


def read_regular(path: Path, root: Path | None, limit: int) -> bytes:
    """The bytes of `path`, a regular file inside `root` (when given) of at most `limit` bytes."""
    file = str(path)
    if root is not None and path.is_symlink():
        target = path.resolve(strict=False)
        base = root.resolve(strict=False)
        if target != base and base not in target.parents:
            raise UnsafeFile(Problem(f"a symbolic link to a file outside the policy folder {root}; not read", file=file))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnsafeFile(Problem(f"cannot read: {exc.strerror or exc}", file=file)) from None
    try:
        mode = os.fstat(fd).st_mode
        for test, kind in KINDS:
            if test(mode):
                raise UnsafeFile(Problem(f"{kind}, not a regular file; not read", file=file))
        if not stat.S_ISREG(mode):
            raise UnsafeFile(Problem("not a regular file; not read", file=file))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnsafeFile(Problem(f"larger than {limit} bytes; not a policy file", file=file))
        return b"".join(chunks)
    finally:
        os.close(fd)
