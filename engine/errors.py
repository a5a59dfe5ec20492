"""Errors as data: every problem knows where it is (file, line, path, record) and
what a person should do about it. One root exception, `SlaError`; the CLI alone
turns errors into exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """Render a document path the way YAML authors read it: `rules[2].when.all[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, with enough location to find it."""

    message: str
    file: str | None = None
    line: int | None = None
    path: tuple[PathPart, ...] = ()
    record: str | None = None

    def render(self) -> str:
        """`FILE:LINE: record ID: path: message`, leaving out what is not known."""
        parts = []
        if self.file is not None:
            parts.append(self.file + (f":{self.line}" if self.line is not None else ""))
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.path:
            parts.append(format_path(self.path))
        return ": ".join([*parts, self.message])

    def located(self, **changes: object) -> "Problem":
        """A copy with more location filled in (only where still unknown)."""
        values = {k: v for k, v in changes.items() if getattr(self, k) in (None, ())}
        return Problem(**{**self.__dict__, **values})


class SlaError(Exception):
    """Root of every error the engine raises on purpose."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class PolicyError(SlaError):
    """A policy file is malformed, invalid against its schema, or inconsistent."""


class RecordError(SlaError):
    """An input record is malformed or cannot be evaluated."""


class UsageError(SlaError):
    """The command line asked for something that cannot be done."""
