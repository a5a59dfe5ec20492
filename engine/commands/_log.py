"""The `--log [PATH]` option of the commands that decide records (evaluate, replay)."""

from __future__ import annotations

import argparse

from engine.disputes import decisionlog
from engine.core.evaluate import Decision


def add_log_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--log", nargs="?", const="", default=None, metavar="PATH",
                   help=f"append the decisions to the decision log, a SQLite file (default PATH: ${decisionlog.ENV_VAR} "
                        f"or ./{decisionlog.DEFAULT_PATH}), in one transaction per run; read it with `sla log`. "
                        f"Put --log after the record files, or write --log=PATH")


def log_path(args: argparse.Namespace) -> str | None:
    """The log file asked for, or None when --log was not given."""
    if getattr(args, "log", None) is None:
        return None
    return args.log or decisionlog.default_path()


class _NoLog:
    """What `open_log` gives when --log was not asked for: adds and commits nothing."""

    def add(self, decision: Decision, source: str | None = None) -> None:
        pass

    def commit(self) -> None:
        pass


class _RunLog:
    """A run's log writer that takes decisions as the command makes them."""

    def __init__(self, path: str, command: str, dispute: str | None, bundle_sha256: str | None,
                 what_if: str | None = None):
        self.writer = decisionlog.LogWriter(path, command)
        self.dispute, self.bundle_sha256, self.what_if = dispute, bundle_sha256, what_if

    def add(self, decision: Decision, source: str | None = None) -> None:
        where = source
        if where is None and decision.record.source.file:
            line = decision.record.source.line
            where = f"{decision.record.source.file}:{line}" if line else decision.record.source.file
        self.writer.add(decisionlog.Entry(decision, where, self.dispute, self.bundle_sha256, self.what_if))

    def commit(self) -> None:
        self.writer.commit()


def open_log(args: argparse.Namespace, command: str, dispute: str | None = None,
             bundle_sha256: str | None = None, what_if: str | None = None) -> _NoLog | _RunLog:
    """The run's decision log: `log.add(decision)` as decisions are made, `log.commit()`
    once the run's output is complete (nothing is logged without the commit). A
    what-if run (`what_if`: "as-of DATE") has its rows labelled so."""
    path = log_path(args)
    return _NoLog() if path is None else _RunLog(path, command, dispute, bundle_sha256, what_if)
