"""A progress line on stderr while records stream: count, records/s, and (for
files) percent done and time left. Only on a terminal, never with --quiet, so
CI logs and redirected output stay clean."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO, enabled: bool, every: float = 0.25):
        # The line is redrawn with a carriage return, which the CLI's escaping stream
        # would show as text: write past it (the labels and numbers are the engine's own).
        self.stream, self.enabled, self.every = getattr(stream, "unescaped", stream), enabled, every
        self.started = time.monotonic()
        self.shown = 0.0
        self.width = 0

    def update(self, label: str, records: int, done: int | None = None, total: int | None = None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.shown < self.every:
            return
        self.shown = now
        elapsed = max(now - self.started, 1e-9)
        rate = records / elapsed
        text = f"{label}: {records:,} records, {rate:,.0f}/s"
        if done is not None and total:
            share = min(done / total, 1.0)
            filled = int(share * 24)
            left = elapsed * (1 - share) / share if share > 0 else 0
            text = f"[{'#' * filled}{'.' * (24 - filled)}] {share * 100:5.1f}% " + text + f", ETA {int(left) // 60}:{int(left) % 60:02d}"
        self._write(text)

    def _write(self, text: str) -> None:
        pad = max(self.width - len(text), 0)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self.width = len(text)

    def finish(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
