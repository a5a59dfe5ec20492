"""Writing alerts: one JSON object per line, each flushed as soon as it is written.

The alert stream is the watcher's output and it grows while the watcher runs,
so it cannot be written atomically as a whole (as `sla evaluate -o` is); what
holds instead: each alert is one `write` of one whole line, flushed at once; a
fresh watch starts the file anew; a resumed watch appends, after cutting off a
last line left unfinished by a kill (reported on stderr), and finds which
alerts the file already holds (by their ids) so none is written twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from engine.errors import Problem, UsageError


class AlertWriter:
    """Alerts to a file (`-o FILE`) or a stream (stdout)."""

    def __init__(self, path: str | None, stream: TextIO, resume: bool, errors: TextIO):
        self.path = path
        self.count = 0
        if path is None:
            self._out = stream
            self._own = False
            return
        try:
            if resume:
                _cut_torn_tail(Path(path), errors)
            self._out = open(path, "a" if resume else "w", encoding="utf-8", newline="\n")
        except OSError as exc:
            raise UsageError([Problem(f"cannot write alerts: {exc.strerror or exc}", file=path)]) from None
        self._own = True

    def ids_written(self) -> set[str]:
        """Ids of the alerts already in the output file (empty for a stream: it cannot be read back)."""
        if self.path is None or not Path(self.path).exists():
            return set()
        found = set()
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    found.add(json.loads(line)["id"])
                except (ValueError, KeyError, TypeError):
                    continue
        return found

    def write(self, alert: dict[str, Any]) -> None:
        self._out.write(json.dumps(alert, ensure_ascii=False) + "\n")
        self._out.flush()
        self.count += 1

    def close(self) -> None:
        if self._own:
            self._out.close()


def _cut_torn_tail(path: Path, errors: TextIO) -> None:
    """A kill in the middle of a write can leave a last line without its newline: drop it
    (the alert is still in the state, unwritten, and is written again whole)."""
    if not path.exists():
        return
    with open(path, "rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        keep = size - 1
        while keep > 0:
            handle.seek(keep - 1)
            if handle.read(1) == b"\n":
                break
            keep -= 1
        handle.truncate(keep)
    print(f"{path}: dropped an unfinished last line ({size - keep} bytes) left by an interrupted write", file=errors)
