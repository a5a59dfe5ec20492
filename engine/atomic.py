"""Output files appear whole or not at all: written beside the target, then renamed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import Problem, UsageError


def write_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` so a reader (or a crash) never sees half of it.
    A target that cannot be written (no such folder, no permission) is a usage
    error naming the file, not an internal one."""
    target = Path(path)
    try:
        _write(target, text)
    except OSError as exc:
        raise UsageError([Problem(f"cannot write output: {exc.strerror or exc}", file=str(target))]) from None


def _write(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
