"""Output appears whole or not at all.

A file named by `-o` is written to a temporary file beside it, flushed to disk
and renamed over the target only once complete, so a reader, a crash or a
`kill -9` at any moment sees the old file or the complete new one. On Linux the
temporary file is unnamed (O_TMPFILE) until the commit, so a killed run leaves
no debris behind either; elsewhere it is a hidden `.NAME.*.tmp` file.

Standard output cannot be renamed into place; `Spool` holds what is to be
printed in a temporary file (on disk, not in memory) and copies it out only
when the run decides to print it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, TextIO

from engine.errors import Problem, UsageError

_COPY_CHARS = 1024 * 1024


def write_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` so a reader (or a crash) never sees half of it.
    A target that cannot be written (no such folder, no permission) is a usage
    error naming the file, not an internal one."""
    with AtomicFile(path) as handle:
        handle.write(text)
        handle.commit()


class AtomicFile:
    """A text file written in pieces and renamed into place by `commit()`.
    Leaving the `with` block without committing (an error, bad input, an
    interrupt) discards it and keeps the old file. OS errors are usage errors
    naming the target."""

    def __init__(self, path: str | Path):
        self.target = Path(path)
        self._tmp_name: str | None = None  # a named temporary (fallback), or None for an unnamed one
        self._handle: TextIO | None = None
        self._done = False
        with self._oserror():
            self._handle = self._open()

    def _open(self) -> TextIO:
        folder = self.target.parent
        unnamed = getattr(os, "O_TMPFILE", 0)
        if unnamed and os.path.isdir("/proc/self/fd"):
            try:
                fd = os.open(folder, unnamed | os.O_WRONLY | os.O_CLOEXEC, 0o666)
                return os.fdopen(fd, "w", encoding="utf-8", newline="\n")
            except OSError:
                pass  # the file system has no unnamed files (or the folder is missing): use a named one, or fail below
        fd, self._tmp_name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=folder)
        os.fchmod(fd, 0o666 & ~_umask())  # the mode an ordinary new file gets (mkstemp makes it private)
        return os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def write(self, text: str) -> None:
        assert self._handle is not None
        with self._oserror():
            self._handle.write(text)

    def commit(self) -> None:
        """Flush to disk and rename into place."""
        assert self._handle is not None and not self._done
        with self._oserror():
            self._handle.flush()
            os.fsync(self._handle.fileno())
            if self._tmp_name is None:  # name the unnamed file beside the target, then rename it over
                name = str(self.target.parent / f".{self.target.name}.{secrets.token_hex(8)}.tmp")
                _link_unnamed(self._handle.fileno(), name)
                self._tmp_name = name
            os.replace(self._tmp_name, self.target)
            self._tmp_name = None
            self._done = True
        self._close()
        _sync_folder(self.target.parent)

    def discard(self) -> None:
        """Drop what was written; the target keeps its old content (or stays absent)."""
        self._close()
        if self._tmp_name is not None:
            try:
                os.unlink(self._tmp_name)
            except FileNotFoundError:
                pass
            self._tmp_name = None

    def _close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            try:
                handle.close()
            except OSError:
                pass

    @contextmanager
    def _oserror(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            self.discard()
            raise UsageError([Problem(f"cannot write output: {exc.strerror or exc}", file=str(self.target))]) from None

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._done:
            self.discard()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    """Flush the rename itself to disk, so a power cut after the commit keeps the
    new file (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _link_unnamed(fd: int, name: str) -> None:
    """Give an O_TMPFILE file a name: linkat(/proc/self/fd/N, AT_SYMLINK_FOLLOW).
    (`os.link` only passes that flag to linkat when given a directory fd.)"""
    proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(str(fd), name, src_dir_fd=proc, follow_symlinks=True)
    finally:
        os.close(proc)


class Spool:
    """Text held in a temporary file until `copy_to` prints it (or dropped)."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")

    def write(self, text: str) -> None:
        self._file.write(text)

    def copy_to(self, out: TextIO) -> None:
        self._file.seek(0)
        shutil.copyfileobj(self._file, out, _COPY_CHARS)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
