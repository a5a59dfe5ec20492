"""No command overwrites its own input or another of its outputs.

Every command that writes files says which of its arguments it reads and which
it writes (`io_paths(args)` in its module, called by `engine.cli` before the
command runs). Two paths are the same file when they resolve to the same path
(symbolic links followed) or, for files that exist, have the same device and
inode (hard links). Any output that is an input, or two outputs that are one
file, is a usage error (exit 2) before anything is read or written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from engine.errors import Problem, UsageError

STDIO = "-"


def identity(path: str | Path) -> tuple[str, tuple[int, int] | None]:
    """The resolved path and, when the file exists, its (device, inode)."""
    resolved = Path(os.path.abspath(path)).resolve(strict=False)
    try:
        st = os.stat(resolved)
        inode: tuple[int, int] | None = (st.st_dev, st.st_ino)
    except OSError:
        inode = None
    return str(resolved), inode


def _same(a: tuple[str, tuple[int, int] | None], b: tuple[str, tuple[int, int] | None]) -> bool:
    return a[0] == b[0] or (a[1] is not None and a[1] == b[1])


def refuse_collisions(inputs: Iterable[tuple[str, str | Path | None]],
                      outputs: Iterable[tuple[str, str | Path | None]]) -> None:
    """Raise a usage error when an output (option, path) is an input or another output.
    Paths that are None or `-` (standard input/output) are not files and are skipped."""
    ins = [(option, str(path), identity(path)) for option, path in inputs if path is not None and str(path) != STDIO]
    outs = [(option, str(path), identity(path)) for option, path in outputs if path is not None and str(path) != STDIO]
    problems = []
    for i, (option, path, ident) in enumerate(outs):
        for in_option, in_path, in_ident in ins:
            if _same(ident, in_ident):
                problems.append(Problem(f"{option} {path} is the input {in_option} {in_path}: writing it would destroy "
                                        f"the input; choose another file", file=path))
                break
        else:
            for other_option, other_path, other_ident in outs[:i]:
                if _same(ident, other_ident):
                    problems.append(Problem(f"{option} {path} is also {other_option} {other_path}: one output would "
                                            f"overwrite the other; choose another file", file=path))
                    break
    if problems:
        raise UsageError(problems)
