"""`sla check` end to end: read the sources, build the customer-months, decide
everything in chunks (in parallel), write the outputs, return the exit code.

Order of work and of the decisions written: contracts and outage incidents are
read first (they are small and every customer-month needs them), then the cases
stream past, then one uptime decision per customer and month of --months, then
the claims. Every output is written to a temporary file and renamed into place
only when the run completes, so a failed run leaves no half-written file.
"""

from __future__ import annotations

import errno
import gc
import glob
import itertools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, TextIO

from engine.io.atomic import write_atomic
from engine.errors import Problem, UsageError
from engine.core.evaluate import Options
from engine.policy.family import Family
from engine.io.schemas import iter_problems, surely_valid
from engine.timeutil import TimeFormatError, micros, parse_instant
from engine.check.html import render_html
from engine.check.junit import JUnitWriter, rejected
from engine.check.mapping import Mapping, RowError, default_mapping
from engine.check.months import (PLATFORM, Contract, Incident, MonthInfo, OutageIndex, contract_problems, customer_months,
                     incident_problems, month_infos)
from engine.check.parallel import Evaluator
from engine.check.progress import Progress
from engine.check.readers import chunks, open_source
from engine.io.seenids import SeenIds
from engine.io.nearids import NearIds, near_message
from engine.check.stale import remove_stale
from engine.check.summary import Summary
from engine.check.table import render
from engine.check.rows import Decided, Item, Task
from engine.check.work import Chunk, State, row_dict, run_items

FAIL_ON = {"any": {"breached", "violation"}, "breached": {"breached"}, "violation": {"violation"}, "none": set()}
EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
INCIDENT_SCHEMA = "check/incident.schema.json"
CONTRACT_SCHEMA = "check/contract.schema.json"
MONTHS_SOURCE = "--months"


@dataclass
class Config:
    cases: str | None = None
    outages: str | None = None
    contracts: str | None = None
    claims: str | None = None
    mappings: dict[str, Mapping] = field(default_factory=dict)
    months: list[str] | None = None
    output: str | None = None
    summary: str | None = None
    junit: str | None = None
    html: str | None = None
    keep_going: bool = False
    rejects: str | None = None
    fail_on: str = "any"
    jobs: int = 1
    quiet: bool = False
    top: int = 20
    chunk: int = 2000
    lang: str = "en"
    near_duplicate_ids: bool = False  # warn on ids that differ from an earlier one only by spaces, case, look-alikes
    parquet_offset: int | None = None  # seconds east of UTC of Parquet TIMESTAMPs without a zone (None: rejected as naive)


NO_SPACE = frozenset(e for e in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", None)) if e is not None)  # a full disk


class _Stop(Exception):
    """A bad row without --keep-going: the run ends, nothing is written."""

    def __init__(self, lines: list[str]):
        self.lines = lines


class _Spool:
    """A text output written as the run goes, renamed into place by `commit`."""

    def __init__(self, target: str, what: str):
        self.target = Path(target)
        folder = self.target.parent if str(self.target.parent) else Path(".")
        try:
            remove_stale(folder, self.target.name)
            fd, self.tmp = tempfile.mkstemp(prefix=f".{self.target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise UsageError([Problem(f"cannot write {what}: {exc.strerror or exc}", file=target)]) from None
        _readable(self.tmp)
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        self.write = self.handle.write

    def spill_prefix(self) -> str:
        """Where workers write their chunks' text: beside the temporary file, named after it."""
        return self.tmp[: -len(".tmp")] + ".chunk-"

    def append_file(self, path: str) -> None:
        """Copy a worker's chunk file to the end of this output (kernel to kernel), then remove it."""
        self.handle.flush()
        out = self.handle.fileno()
        with open(path, "rb") as chunk:
            size = os.fstat(chunk.fileno()).st_size
            offset = 0
            try:
                while offset < size:
                    sent = os.sendfile(out, chunk.fileno(), offset, size - offset)
                    if sent == 0:
                        break
                    offset += sent
            except (AttributeError, OSError):  # no sendfile between files here: copy through memory
                pass
            if offset < size:
                chunk.seek(offset)
                with open(out, "ab", closefd=False) as raw:
                    shutil.copyfileobj(chunk, raw, 1 << 20)
        os.unlink(path)

    def drop_spills(self) -> None:
        for path in glob.glob(glob.escape(self.spill_prefix()) + "*"):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.target)

    def discard(self) -> None:
        self.handle.close()
        self.drop_spills()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


def write_utf8(out: Any, pieces: tuple[memoryview, ...], translated: bool = False) -> None:
    """JSONL already UTF-8 (decisions of the SQL, as its result holds them) written past a text stream's
    encoder: the stream flushed, then the bytes to its binary buffer. A stream without one (an in-memory
    one), or one that turns "\n" into the platform's line end (`translated`: standard output on Windows),
    gets them decoded, so every line of the output ends alike."""
    buffer = getattr(out, "buffer", None)
    if buffer is None or translated:
        out.write("".join(str(piece, "utf-8") for piece in pieces))
        return
    out.flush()
    for piece in pieces:
        buffer.write(piece)


class Check:
    """One run: its configuration, its outputs while they are written, its summary."""

    # the row engine's workers are forked up front, while this process is small (its pages are shared)
    lazy_workers = False

    def __init__(self, config: Config, family: Family, options: Options, io: Any):
        self.config, self.family, self.options, self.io = config, family, options, io
        self.summary = Summary()
        self.seen: dict[str, SeenIds] = {}
        self.near: dict[str, NearIds] = {}
        self.months: list[MonthInfo] = []
        self.index = OutageIndex()
        self.contracts: dict[str, Contract] = {}
        self.customers: list[str] = []
        self.decisions: Any = None
        self.stdout_decisions = config.output == "-"
        self.rejects: _Spool | None = None
        self.junit: JUnitWriter | None = None
        self.progress = Progress(io.stderr, enabled=not config.quiet and _isatty(io.stderr))

    # -- the run -------------------------------------------------------------

    def run(self) -> int:
        """The run; a full disk (or file-size limit) while writing is bad input's exit 2, naming
        the outputs, with every partly written output already removed."""
        try:
            return self._run()
        except OSError as exc:
            if exc.errno not in NO_SPACE:
                raise
            c = self.config
            names = [n for n in (c.output if not self.stdout_decisions else None,
                                 (c.rejects or "rejects.jsonl") if c.keep_going else None, c.summary, c.junit, c.html) if n]
            raise UsageError([Problem(f"cannot write {', '.join(names) or 'the output'}: {exc.strerror or exc} "
                                      f"(no space left, or a file-size limit); no output file was left")]) from None

    def _run(self) -> int:
        c = self.config
        if not any((c.cases, c.outages, c.contracts, c.claims)):
            raise UsageError("sla check: give at least one source: --cases, --outages, --contracts or --claims (see sla check --help)")
        if (c.outages or c.contracts) and not c.months:
            raise UsageError("sla check: --outages and --contracts build customer-months; say which with --months, e.g. --months 2024-01..2024-12")
        self.months = month_infos(c.months or [], self.family, self.options)
        self._open_outputs()
        try:
            self._stages()
        except _Stop as stop:
            self._discard()
            self.progress.finish()
            for line in stop.lines:
                print(line, file=self.io.stderr)
            written = ("the decisions before it are on standard output, no other file was written" if self.stdout_decisions
                       else "nothing was written")
            print(f"sla check: stopped at the first bad row; {written} "
                  "(--keep-going writes bad rows to a rejects file and carries on)", file=self.io.stderr)
            return EXIT_INPUT
        except BaseException:
            self._discard()
            self.progress.finish()
            raise
        self.progress.finish()
        return self._finish()

    def read_contracts_and_incidents(self) -> None:
        """Read --contracts, then --outages (each incident checked against the contracts), into
        `contracts` and `index`, the customer-months' inputs; `months` must be set. Public for the
        tools that build the months' relations themselves (the columnar facts bench and tests)."""
        c = self.config
        if c.contracts:
            self._read_serial("contracts", c.contracts, self._contract)
        if c.outages:
            self._read_serial("outages", c.outages, self._incident)

    def _stages(self) -> None:
        c = self.config
        self.read_contracts_and_incidents()
        self.customers = list(self.contracts) or list(self.index.customers)
        state = State(self.family, self.options, self._mappings(), self.contracts, self.index, tuple(self.months), bool(c.junit),
                      decisions=self.decisions is not None)
        thresholds = gc.get_threshold()
        gc.collect()
        gc.freeze()  # what is loaded now lives to the end: keep the collector (and forked copies) off it
        gc.set_threshold(50_000, 50, 100)  # decisions are acyclic and freed by reference counting; collect rarely
        spill = self.decisions.spill_prefix() if isinstance(self.decisions, _Spool) else None
        evaluator = Evaluator(c.jobs, state, spill=spill, lazy=self.lazy_workers)
        try:
            if c.cases:
                self._stream("cases", c.cases, evaluator)
            if self.months and self.customers:
                self._customer_months(evaluator)
            if c.claims:
                self._stream("claims", c.claims, evaluator)
        except BaseException:
            evaluator.close(abort=True)
            if isinstance(self.decisions, _Spool):
                self.decisions.drop_spills()  # chunks the workers wrote that were never copied in
            raise
        finally:
            gc.unfreeze()
            gc.set_threshold(*thresholds)
        evaluator.close()

    def _mappings(self) -> dict[str, Mapping]:
        return {s: self.config.mappings.get(s) or default_mapping(s) for s in ("cases", "claims")
                if getattr(self.config, s)}

    # -- record sources, in chunks -------------------------------------------

    def _open(self, source: str, name: str, mapping: Mapping) -> Any:
        """The source opened in its mapping's encoding and delimiter; a sniffed delimiter is stated."""
        opened = open_source(name, self.io.stdin, f"--{source}", mapping.encoding, mapping.delimiter)
        if opened.note and not self.config.quiet:
            print(opened.note, file=self.io.stderr)
        return opened

    def _stream(self, source: str, name: str, evaluator: Evaluator) -> None:
        opened = self._open(source, name, self.config.mappings.get(source) or default_mapping(source))
        counts = self.summary.count(source)
        self.seen[source] = SeenIds()
        if self.config.near_duplicate_ids:
            self.near[source] = NearIds()
        kind = "csv" if opened.kind == "tsv" else opened.kind
        try:
            tasks = (Task(source, opened.name, kind, header, first, rows) for header, first, rows in chunks(opened, self.config.chunk))
            for task, chunk in evaluator.map(tasks):
                self._chunk(source, opened.name, task, chunk)
                self.progress.update(source, counts.read, opened.position(), opened.size)
        finally:
            opened.close()
            self.seen[source].close()
            if source in self.near:
                self.near.pop(source).close()

    def _customer_months(self, evaluator: Evaluator) -> None:
        source = "customer-months"
        file = self.config.outages or MONTHS_SOURCE
        counts = self.summary.count(source)

        def tasks() -> Iterator[Task]:
            payloads = customer_months(self.customers, self.months, self.index, self.contracts)
            while batch := list(itertools.islice(payloads, self.config.chunk)):
                yield Task("months", file, "months", None, 0, batch)

        total = len(self.customers) * len(self.months)
        for task, chunk in evaluator.map(tasks()):
            self._chunk(source, file, task, chunk)
            self.progress.update(source, counts.read, counts.read, total)

    def _chunk(self, source: str, file: str, task: Task, chunk: Chunk) -> None:
        """A chunk's outcome, whole; a chunk holding a duplicate id is redone row by row."""
        near = self.near.get(source)
        if near is not None:
            for rid, line in zip(chunk.ids, chunk.lines):
                earlier = near.earlier(rid, f"{file}:{line}")
                if earlier is not None:
                    print(f"{file}:{line}: warning: {near_message(rid, earlier)}", file=self.io.stderr)
        seen = self.seen.get(source)
        if seen is not None and not seen.add_all(chunk.ids, chunk.lines, file):
            if chunk.spilled:
                os.unlink(chunk.spilled)
            for item in run_items(task):
                self._item(source, file, item)
            return
        counts = self.summary.count(source)
        if chunk.bad and not self.config.keep_going:
            if chunk.spilled:
                os.unlink(chunk.spilled)
            counts.read += chunk.rows
            counts.rejected += len(chunk.bad)
            raise _Stop(chunk.bad[0].problems)
        counts.read += chunk.rows
        counts.evaluated += len(chunk.ids)
        if chunk.spilled:
            self.decisions.append_file(chunk.spilled)
        elif self.decisions is not None and chunk.text:
            if isinstance(chunk.text, str):
                self.decisions.write(chunk.text)
            else:
                spool = isinstance(self.decisions, _Spool)  # opened with newline="\n": its lines end as written
                write_utf8(self.decisions.handle if spool else self.decisions, chunk.text,
                           translated=not spool and os.linesep != "\n")
        if self.junit is not None:
            self.junit.add_block(source, chunk.junit, chunk.tests, chunk.failures, len(chunk.bad))
        self.summary.merge(chunk.summary)
        for bad in chunk.bad:
            counts.rejected += 1
            self._record_reject(source, file, bad.line, bad.id, bad.problems, bad.row)

    def _item(self, source: str, file: str, item: Item) -> None:
        """One row's outcome (the slow path, for a chunk with a duplicate id)."""
        counts = self.summary.count(source)
        counts.read += 1
        if isinstance(item, Decided):
            line, rid = item.line, item.id
            seen = self.seen.get(source)
            first = seen.first_line(rid) if seen is not None else line
            if first != line:
                problem = Problem(f"duplicate record id (first at {file}:{first})" if first else "duplicate record id",
                                  file=file, line=line, record=rid, path=("id",))
                self._reject(source, file, line, rid, [problem.render()], None)
                return
            counts.evaluated += 1
            if self.decisions is not None:
                self.decisions.write(item.text + "\n")
            if self.junit is not None:
                self.junit.add(source, item.junit, failed=item.failing)
            self.summary.add(item.row)
        else:
            self._reject(source, file, item.line, item.id, item.problems, item.row)

    def _reject(self, source: str, file: str, line: int | None, rid: str | None, problems: list[str], row: Any) -> None:
        self.summary.count(source).rejected += 1
        if not self.config.keep_going:
            raise _Stop(problems)
        self._record_reject(source, file, line, rid, problems, row)
        if self.junit is not None:
            self.junit.add(source, rejected(source, rid or f"line {line}", file, line or None, problems), error=True)

    def _record_reject(self, source: str, file: str, line: int | None, rid: str | None, problems: list[str], row: Any) -> None:
        for text in problems:
            print(text, file=self.io.stderr)
        if self.rejects is not None:
            entry = {"source": source, "file": file, "line": line or None, "record": rid, "problems": problems, "row": row}
            self.rejects.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")

    # -- contracts and incidents, read before the rest -------------------------

    def _read_serial(self, source: str, name: str, handle_row: Any) -> None:
        mapping = self.config.mappings.get(source) or default_mapping(source)
        opened = self._open(source, name, mapping)
        try:
            kind = "csv" if opened.kind == "tsv" else opened.kind
            for header, first, rows in chunks(opened, self.config.chunk):
                numbered = ((first + i, _text(raw)) for i, raw in enumerate(rows) if raw.strip()) if kind == "jsonl" else rows
                for line, payload in numbered:
                    self.summary.count(source).read += 1
                    problems, rid = handle_row(mapping, opened.name, kind, header, line, payload)
                    if problems:
                        row = dict(zip(header, payload)) if header is not None and isinstance(payload, list) else payload
                        self._reject(source, opened.name, line, rid, [p.render() for p in problems], row)
                self.progress.update(source, self.summary.count(source).read, opened.position(), opened.size)
        finally:
            opened.close()

    def _mapped(self, mapping: Mapping, file: str, kind: str, header: list[str] | None, line: int, payload: Any,
                schema: str) -> tuple[dict[str, Any] | None, list[Problem]]:
        try:
            raw, _ = mapping.to_record(row_dict(kind, header, payload), kind == "csv")
        except RowError as exc:
            return None, [Problem(m, file=file, line=line, record=exc.record, path=p) for p, m in exc.problems]
        problems = [p.located(file=file, line=line) for p in iter_problems(schema, raw)] if not surely_valid(schema, raw) else []
        return (None if problems else raw), problems

    def _contract(self, mapping: Mapping, file: str, kind: str, header: list[str] | None, line: int, payload: Any) -> tuple[list[Problem], str | None]:
        raw, problems = self._mapped(mapping, file, kind, header, line, payload, CONTRACT_SCHEMA)
        if raw is None:
            return problems, None
        customer = raw.pop("customer")
        where = dict(file=file, line=line, record=customer)
        found = [Problem(m, path=p, **where) for p, m in contract_problems(raw, [m.revision for m in self.months])]
        if customer in self.contracts:
            found.append(Problem(f"a second contract for customer {customer!r} (first at line {self.contracts[customer].line})",
                                 path=("customer",), **where))
        if found:
            return found, customer
        self.contracts[customer] = Contract(customer, line, raw)
        self.summary.count("contracts").evaluated += 1
        return [], customer

    def _incident(self, mapping: Mapping, file: str, kind: str, header: list[str] | None, line: int, payload: Any) -> tuple[list[Problem], str | None]:
        raw, problems = self._mapped(mapping, file, kind, header, line, payload, INCIDENT_SCHEMA)
        if raw is None:  # a row that read no further names its id only when it read that far
            return problems, next((p.record for p in problems if p.record is not None), None)
        rid = raw.get("id")
        where = dict(file=file, line=line, record=rid)
        try:
            start, end = micros(parse_instant(raw["start"])), micros(parse_instant(raw["end"]))
        except TimeFormatError as exc:
            return [Problem(str(exc), path=("start",), **where)], rid
        if end < start:
            return [Problem(f"outage ends ({raw['end']}) before it starts ({raw['start']})", path=("end",), **where)], rid
        customer = raw.pop("customer", None)
        customer = None if customer in (None, PLATFORM) else customer
        if customer is not None and self.contracts and customer not in self.contracts:
            return [Problem(f"no contract for customer {customer!r} in {self.config.contracts}", path=("customer",), **where)], rid
        incident = Incident.of(line, customer, start, end, raw)
        touched = [m for m in self.months if incident.touches(m)]
        if not touched:
            self.summary.count("outages").outside += 1
            return [], rid
        found = [Problem(m, path=p, **where) for p, m in incident_problems(raw, [m.revision for m in touched])]
        if found:
            return found, rid
        self.index.add(incident)
        self.summary.count("outages").evaluated += 1
        return [], rid

    # -- outputs ---------------------------------------------------------------

    def _open_outputs(self) -> None:
        c = self.config
        if c.output and not self.stdout_decisions:
            self.decisions = _Spool(c.output, "decisions")
        elif self.stdout_decisions:
            self.decisions = self.io.stdout
        if c.keep_going:
            self.rejects = _Spool(c.rejects or "rejects.jsonl", "rejects")
        if c.junit:
            self.junit = JUnitWriter(c.junit)

    def _discard(self) -> None:
        if isinstance(self.decisions, _Spool):
            self.decisions.discard()
        if self.rejects is not None:
            self.rejects.discard()
        if self.junit is not None:
            self.junit.discard()

    def _finish(self) -> int:
        c, s = self.config, self.summary
        try:
            if c.summary:
                spool = _Spool(c.summary, "summary")
                try:
                    (s.write_csv if c.summary.lower().endswith(".csv") else s.write_json)(spool.handle)
                except BaseException:
                    spool.discard()
                    raise
                spool.commit()
            if c.html:
                write_atomic(c.html, render_html(s, self.family, self.months, self.options))
            if self.junit is not None:
                self.junit.commit()
            if isinstance(self.decisions, _Spool):
                self.decisions.commit()
            if self.rejects is not None:
                self.rejects.commit()
        except BaseException:
            self._discard()
            raise
        table_stream = self.io.stderr if self.stdout_decisions else self.io.stdout
        codes = self.family.revisions[-1].code_words(c.lang) if c.lang != "en" else None
        table_stream.write(render(s, c.top, c.lang, codes))
        rejected = sum(x.rejected for x in s.counts.values())
        if not c.quiet:
            for name, counts in s.counts.items():
                print(counts.line(name, c.lang), file=self.io.stderr)
            if rejected and self.rejects is not None:
                print(f"{rejected:,} rejected row(s) written to {self.rejects.target}", file=self.io.stderr)
        if rejected:
            return EXIT_INPUT
        failing = FAIL_ON[c.fail_on]
        return EXIT_FINDINGS if any(s.failing[k] for k in failing) else EXIT_OK


def _text(line: str | bytes) -> str:
    """A JSONL line as text (files are read as bytes); bytes that are not UTF-8 stay visible as U+FFFD
    and fail as JSON with the line's number."""
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    return text.rstrip("\r\n")


def _readable(path: str) -> None:
    """A temporary file gets the mode a new file would (mkstemp makes it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def run_check(config: Config, family: Family, options: Options, io: Any) -> int:
    return Check(config, family, options, io).run()
