"""Checks of a record's values against what a policy revision defines (severities,
channels, functions, causes, currencies), shared by the kinds."""

from __future__ import annotations

from typing import Any, TYPE_CHECKING

from engine.errors import PathPart, Problem
from engine.io.schemas import did_you_mean

if TYPE_CHECKING:
    from engine.core.records import Record
    from engine.policy.family import Revision


class PolicyValues:
    """Collects the problems of one record under one revision."""

    def __init__(self, record: "Record", revision: "Revision"):
        self.record, self.revision = record, revision
        self.problems: list[Problem] = []

    def fail(self, message: str, path: tuple[PathPart, ...]) -> None:
        self.problems.append(Problem(f"{message} (policy {self.revision.label})", file=self.record.source.file,
                                     line=self.record.source.line_of(path), record=self.record.id, path=path))

    def known(self, value: Any, allowed: Any, what: str, path: tuple[PathPart, ...]) -> None:
        if value not in allowed:
            names = sorted(map(str, allowed))
            self.fail(f"unknown {what} {value!r}{did_you_mean(str(value), names)}; expected one of {', '.join(names)}", path)

    def outages(self) -> None:
        """Each outage's functions and cause must be ones the policy names."""
        revision = self.revision
        causes = revision.attributable_causes | revision.excluded_causes
        for out in self.record.outages:
            for j, name in enumerate(out.functions):
                self.known(name, revision.functions, "function", ("outages", out.index, "functions", j))
            self.known(out.cause, causes, "cause", ("outages", out.index, "cause"))
