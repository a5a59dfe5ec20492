"""The optional decision log of `sla serve --log`: every decision made, with the request id.

`--log PATH` appends to the SQLite decision log of `sla log` (engine.disputes.decisionlog):
one transaction per request, the command `serve`, and as source `request ID[INDEX]`
(the request id and the record's place in the body). `--log -` writes one JSON line per
decision on standard output instead. A request's decisions are logged before it is
answered, so an answered decision is a logged one.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import Sequence, TextIO

from engine.core.evaluate import Decision
from engine.core.outcomes import outcome_of
from engine.disputes import decisionlog
from engine.timeutil import iso

COMMAND = "serve"


def source_of(request_id: str, index: int) -> str:
    return f"request {request_id}[{index}]"


class NoLog:
    def write(self, request_id: str, decisions: Sequence[Decision], dispute: str | None = None,
              bundle_sha256: str | None = None) -> None:
        pass


class SqliteLog:
    """Each request's decisions in one transaction of the SQLite log (safe with several workers)."""

    def __init__(self, path: str):
        self.path = str(decisionlog.check_path(path))

    def write(self, request_id: str, decisions: Sequence[Decision], dispute: str | None = None,
              bundle_sha256: str | None = None) -> None:
        if not decisions:
            return
        writer = decisionlog.LogWriter(self.path, COMMAND)
        with writer:
            for index, decision in enumerate(decisions):
                writer.add(decisionlog.Entry(decision, source_of(request_id, index), dispute, bundle_sha256))
            writer.commit()


class JsonlLog:
    """One JSON line per decision on a stream (standard output), whole lines only."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def write(self, request_id: str, decisions: Sequence[Decision], dispute: str | None = None,
              bundle_sha256: str | None = None) -> None:
        logged_at = iso(datetime.now(timezone.utc))
        lines = [json.dumps({"logged_at": logged_at, "command": COMMAND, "request_id": request_id, "index": i,
                             "dispute": dispute, "bundle_sha256": bundle_sha256, "outcome": outcome_of(d),
                             "decision": d.to_json()}, ensure_ascii=False, separators=(",", ":")) + "\n"
                 for i, d in enumerate(decisions)]
        with self._lock:
            self.stream.write("".join(lines))
            self.stream.flush()


def open_sink(target: str | None) -> NoLog | SqliteLog | JsonlLog:
    """None: no log; '-': JSONL on standard output; else the SQLite log at that path."""
    if target is None:
        return NoLog()
    if target == "-":
        return JsonlLog()
    return SqliteLog(target)
