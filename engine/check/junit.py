"""JUnit XML for CI systems: one test case per record, a failure for each record
with a breached or violation finding, an error for each rejected row.

The layout is the one Jenkins, GitLab and GitHub test reporters read:

    <testsuites name="sla check" tests= failures= errors=>
      <testsuite name="cases" tests= failures= errors= skipped="0">
        <testcase classname="cases" name="CASE-1" file="cases.jsonl" line="3"/>
        <testcase ...><failure type="breached" message="...">...</failure></testcase>
        <testcase ...><error type="rejected" message="...">...</error></testcase>

There is no `time` attribute: the file is the same on every run of the same
input, whatever the machine or --jobs. Test cases are spooled to one temporary
file per suite while records stream past (a million of them do not fit in
memory as XML), then the suites are joined into the target and renamed into
place.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from xml.sax.saxutils import escape, quoteattr

from engine.errors import Problem, UsageError
from engine.check.stale import remove_stale

if TYPE_CHECKING:
    from engine.core.evaluate import Decision

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FAILING = ("breached", "violation")


def _clean(text: str) -> str:
    """Characters XML 1.0 cannot carry (control characters) shown as U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _attrs(suite: str, name: str, file: str, line: int | None) -> str:
    out = f"classname={quoteattr(_clean(suite))} name={quoteattr(_clean(name))} file={quoteattr(_clean(file))}"
    return out + (f' line="{line}"' if line else "")


def testcase(suite: str, decision: "Decision", file: str, line: int | None) -> str:
    """One record's test case: passed, or failed with its breached/violation findings."""
    attrs = _attrs(suite, decision.record.id, file, line)
    failing = [f for f in decision.findings if f.outcome in FAILING]
    if not failing:
        return f"    <testcase {attrs}/>\n"
    message = "; ".join(f"{f.outcome}: {f.rule}" for f in failing)
    body = "\n".join(f"{f.outcome} {f.rule} [{f.clause}] ({f.revision.label}): {f.message}" for f in failing)
    return (f"    <testcase {attrs}>\n      <failure type={quoteattr(failing[0].outcome)} message={quoteattr(_clean(message))}>"
            f"{escape(_clean(body))}</failure>\n    </testcase>\n")


def rejected(suite: str, name: str, file: str, line: int | None, problems: list[str]) -> str:
    """A row that could not be evaluated: an <error>, so CI shows it beside the failures."""
    attrs = _attrs(suite, name, file, line)
    return (f"    <testcase {attrs}>\n      <error type=\"rejected\" message={quoteattr(_clean(problems[0]))}>"
            f"{escape(_clean(chr(10).join(problems)))}</error>\n    </testcase>\n")


class JUnitWriter:
    """Spools test cases per suite; `commit` writes the file whole or not at all."""

    def __init__(self, target: str):
        self.target = Path(target)
        self.folder = self.target.parent if str(self.target.parent) else Path(".")
        remove_stale(self.folder, self.target.name)
        self.suites: dict[str, tuple[TextIO, str, list[int]]] = {}  # name -> (spool, path, [tests, failures, errors])

    def add(self, suite: str, xml: str, failed: bool = False, error: bool = False) -> None:
        self.add_block(suite, xml, 1, int(failed), int(error))

    def add_block(self, suite: str, xml: str, tests: int, failures: int, errors: int) -> None:
        """Test cases already rendered (a chunk's), with their counts."""
        if suite not in self.suites:
            try:
                fd, path = tempfile.mkstemp(prefix=f".{self.target.name}.{os.getpid()}.{suite}.", suffix=".tmp", dir=self.folder)
            except OSError as exc:
                raise UsageError([Problem(f"cannot write JUnit output: {exc.strerror or exc}", file=str(self.target))]) from None
            self.suites[suite] = (os.fdopen(fd, "w", encoding="utf-8", newline="\n"), path, [0, 0, 0])
        handle, _, counts = self.suites[suite]
        handle.write(xml)
        counts[0] += tests
        counts[1] += failures
        counts[2] += errors

    def commit(self) -> None:
        totals = [sum(c[i] for _, _, c in self.suites.values()) for i in range(3)]
        fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.{os.getpid()}.", suffix=".tmp", dir=self.folder)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
                out.write(f'<testsuites name="sla check" tests="{totals[0]}" failures="{totals[1]}" errors="{totals[2]}">\n')
                for name, (handle, path, (tests, failures, errors)) in self.suites.items():
                    handle.close()
                    out.write(f'  <testsuite name={quoteattr(name)} tests="{tests}" failures="{failures}" errors="{errors}" skipped="0">\n')
                    with open(path, encoding="utf-8") as spool:
                        while block := spool.read(1 << 20):
                            out.write(block)
                    out.write("  </testsuite>\n")
                out.write("</testsuites>\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.target)
        except BaseException:
            _unlink(tmp)
            raise
        finally:
            self.discard()

    def discard(self) -> None:
        for handle, path, _ in self.suites.values():
            handle.close()
            _unlink(path)
        self.suites.clear()


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
