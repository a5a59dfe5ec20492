"""Reading the event stream in a thread, so timers fire while input is awaited.

A file is read from a byte offset (where a previous run stopped); with
`follow` it is watched like `tail -F`: new lines are read as they are appended
(a line counts once its newline is written), and a file that is truncated or
replaced is read again from its start (said on stderr). Standard input is read
line by line; on resume the lines already taken are skipped. Each line keeps its
number and the offset after it, so the state can record exactly how far the
input was taken.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import IO, Any, TextIO

from engine.errors import Problem

STDIN_NAME = "<stdin>"


@dataclass(frozen=True)
class Line:
    number: int
    text: str | None  # None when the bytes are not UTF-8 (then `problem` says so)
    end: int  # byte offset just after the line (0 for standard input)
    problem: Problem | None = None


@dataclass(frozen=True)
class End:
    """The input has ended (its end was reached without --follow, or stdin was closed)."""


@dataclass(frozen=True)
class CaughtUp:
    """Everything the file held has been put before this (said at each end of file
    reached), so events that are already written are taken before timers fire."""


@dataclass(frozen=True)
class Notice:
    message: str


Item = Line | End | CaughtUp | Notice


class Reader:
    """Puts `Line`s (then `End`) on `items`, from a file or a text stream."""

    def __init__(self, name: str, stdin: TextIO | None, follow: bool, offset: int = 0, lines: int = 0,
                 poll_seconds: float = 0.2, capacity: int = 10_000):
        self.name = name
        self.label = STDIN_NAME if name == "-" else name
        self.stdin = stdin
        self.follow = follow
        self.offset = offset
        self.lines = lines
        self.poll_seconds = poll_seconds
        self.items: "queue.Queue[Item]" = queue.Queue(maxsize=capacity)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sla-watch-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        try:
            if self.name == "-":
                self._read_stream()
            else:
                self._read_file()
        except OSError as exc:
            self._put(Notice(f"{self.label}: cannot read: {exc.strerror or exc}"))
            self._put(End())

    def _put(self, item: Item) -> None:
        while not self._stopped.is_set():
            try:
                self.items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _line(self, data: bytes, end: int) -> None:
        self.lines += 1
        body = data.rstrip(b"\r\n")
        if self.lines == 1 and body.startswith(b"\xef\xbb\xbf"):
            body = body[3:]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem = Problem(f"not UTF-8 text (byte {exc.start} of the line)", file=self.label, line=self.lines)
            self._put(Line(self.lines, None, end, problem))
            return
        if text.strip():
            self._put(Line(self.lines, text, end))

    def _read_file(self) -> None:
        handle: IO[bytes] = open(self.name, "rb")
        try:
            size = os.fstat(handle.fileno()).st_size
            if self.offset > size:
                self._put(Notice(f"{self.label}: the file is shorter ({size} bytes) than where the watch stopped "
                                 f"({self.offset}); reading it again from the start"))
                self.offset, self.lines = 0, 0
            handle.seek(self.offset)
            pending = b""
            caught_up = False
            while not self._stopped.is_set():
                chunk = handle.readline()
                if chunk:
                    pending += chunk
                    caught_up = False
                    if pending.endswith(b"\n"):
                        self._line(pending, handle.tell())
                        pending = b""
                    continue
                if not self.follow:
                    if pending:
                        self._line(pending, handle.tell())
                    self._put(End())
                    return
                if not caught_up:
                    self._put(CaughtUp())
                    caught_up = True
                time.sleep(self.poll_seconds)
                if self._replaced(handle):
                    self._put(Notice(f"{self.label}: the file was truncated or replaced; reading it from the start"))
                    handle.close()
                    handle = open(self.name, "rb")
                    pending, self.lines = b"", 0
        finally:
            handle.close()

    def _replaced(self, handle: IO[bytes]) -> bool:
        try:
            now = os.stat(self.name)
        except FileNotFoundError:
            return False  # being rotated: keep the old one until a new one appears
        mine = os.fstat(handle.fileno())
        return (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino) or now.st_size < handle.tell()

    def _read_stream(self) -> None:
        stream: Any = self.stdin
        if stream is None:
            self._put(End())
            return
        source = getattr(stream, "buffer", None) or stream
        skip = self.lines
        self.lines = 0
        for raw in iter(source.readline, b"" if source is not stream else ""):
            if self._stopped.is_set():
                return
            data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
            if self.lines < skip:
                self.lines += 1
                continue
            self._line(data, 0)
        self._put(End())
