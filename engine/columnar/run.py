"""`sla check --backend duckdb|spark`: the same run as `sla check` (engine.check),
with the records decided by the policy compiled to SQL.

Everything around the decisions is the row backend's own code, so it cannot
drift: the reading of contracts and incidents, duplicate ids, rejects,
--keep-going, the summary, JUnit, HTML, exit codes, atomic outputs. What
differs is how a chunk of rows becomes a `Chunk` (engine.check.work):

1. the chunk is read into a raw Arrow relation (engine.columnar.inputs);
2. one SELECT (stage -> facts -> plan, engine.columnar) decides every row the
   SQL is sure of, in `pos` order;
3. every other row (the stage was not sure, the line is not UTF-8 or not a
   JSON object, the mapping refused it, a claim whose outages come from
   --outages) is decided or rejected by the row engine in this process;
4. both are spliced in input order into the chunk the row backend would have
   made, and handed to the same code that writes it.

A kind whose rules the SQL cannot express (`Uncompilable`), or whose SQL
module is not there, is decided whole by the row engine. Standard error says
once per run how many records each backend decided and why rows fell back.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import json
from collections import Counter
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

from engine.check.junit import testcase
from engine.check.mapping import default_mapping
from engine.check.parallel import Evaluator
from engine.check.months import CustomerMonth
from engine.check.rows import CaseRow, ClaimRow, Contribution, Decided, MonthRow, Task
from engine.check.run import MONTHS_SOURCE, Check, Config
from engine.check.summary import Summary
from engine.check.work import Chunk, run_chunk, run_items
from engine.columnar.inputs import (BLOCK_BYTES, MONTH_ROWS, PARQUET_ROWS, PARQUET_ROWS_OF, SUMMARY_ONLY_SCALE, RawChunk,
                                    as_json_lines, jsonl_chunks, kind_of, mapped_chunks, mapped_parquet_chunks, months_tables,
                                    parquet_chunks, parquet_lines)
from engine.columnar.jsonable import AS_WRITTEN
from engine.columnar.layout import cast_to, misfit, typed_layout
from engine.columnar.output import ParquetTarget, jsonl_body
from engine.columnar.session import open_session
from engine import kinds
from engine.core.credit import Credit, month_rules
from engine.core.evaluate import Options
from engine.errors import SlaError, UsageError
from engine.exact import decimal_text
from engine.io.nearids import NearIds
from engine.io.seenids import SeenIds
from engine.policy.family import Family

KINDS = {"cases": "case", "claims": "credit_claim"}  # source -> record kind
MODULES = {"case": "engine.columnar.case", "credit_claim": "engine.columnar.claim"}
MICROS_PER_MINUTE = 60_000_000
NOT_SURE = "the SQL stage was not sure of the row"
OWED = "credited months of a contract whose credit owed the SQL cannot work out"
# The contract facts a month's credit rules read besides the uptime facts (engine.core.credit.contract_facts).
CONTRACT_FACT_TYPES = {"billing": "text", "currency": "text", "base_amount": "frac", "settlement": "text"}
# The contract's fields those rules may read (`{field: contract.billing}`), each the facts column holding it.
CONTRACT_FIELDS = {"contract.billing": "billing", "contract.currency": "currency"}
OWED_COLUMNS = ("uptime_reasons", "month_reasons", "billing", "currency", "settlement", "base_amount__n", "credit_amount",
                "zero_amount")
MONTH_FACTS = ("month", *(f"{f}__{p}" for f in ("total_minutes", "unavailable_minutes", "excluded_minutes", "tier_below")
                          for p in ("n", "d")))
# What the summary reads of every customer-month the SQL decided (ColumnarCheck._all_months).
MONTH_COLUMNS = ["pos", "record", "month", "version", "credit", "breached", "violation",
                 *(f"{f}__{p}" for f in ("total_minutes", "unavailable_minutes", "excluded_minutes") for p in ("n", "d"))]
JOINED = "its outages come from --outages (joined by the row engine)"
SQL, ROW = "SQL", "row engine"


class LostRows(SlaError):
    """A chunk's query returned another number of rows than the chunk has: a bug in the compiled SQL,
    never a record's fault. The run stops (exit 2) rather than write decisions with records missing."""


@dataclasses.dataclass
class Compiled:
    """One kind's SQL over a chunk's `raw` relation: every candidate row with `sure`, and for
    the sure ones `decision` (the JSON text) and the facts the summary needs."""

    sql: str
    facts: tuple[str, ...]
    reason: bool  # whether the stage says why a row is not sure (a `why` column)
    newline: bool = False  # each decision's text ends with a newline (its JSONL line, Plan.sql newline)


class Tally:
    """Who decided how many records of each source, and why rows fell back."""

    def __init__(self) -> None:
        self.decided: dict[str, Counter] = {}
        self.reasons: dict[str, Counter] = {}
        self.as_text: dict[str, Counter] = {}  # source -> why Parquet rows were read as JSON text -> rows

    def read_as_text(self, source: str, n: int, why: str) -> None:
        """Parquet rows that did not fit their kind's typed layout (engine.columnar.layout)."""
        self.as_text.setdefault(source, Counter())[why] += n

    def add(self, source: str, who: str, n: int = 1, reason: str | None = None) -> None:
        if n:
            self.decided.setdefault(source, Counter())[who] += n
            if reason is not None:
                self.reasons.setdefault(source, Counter())[reason] += n

    def lines(self, backend: str) -> list[str]:
        out = []
        for source, counts in self.decided.items():
            text = f"sla check --backend {backend}: {source}: {counts[SQL]:,} decided by the SQL, {counts[ROW]:,} by the row engine"
            reasons = self.reasons.get(source)
            if reasons:
                text += " (" + "; ".join(f"{n:,} {why}" for why, n in reasons.most_common()) + ")"
            out.append(text)
        for source, whys in self.as_text.items():
            out.append(f"sla check --backend {backend}: {source}: {sum(whys.values()):,} Parquet rows read as their JSON text, "
                       "not by typed columns (" + "; ".join(f"{n:,}: {why}" for why, n in whys.most_common()) + ")")
        return out


class ColumnarCheck(Check):
    """`sla check` whose record chunks are decided by SQL (see the module docstring)."""

    # the row engine's workers decide only what is streamed to it whole (standard input or a file type the
    # SQL does not read, customer-months the SQL cannot compile): forked when that first happens, so a run
    # the SQL decides forks none
    lazy_workers = True

    def __init__(self, config: Config, family: Family, options: Options, io: Any, backend: str, threads: int,
                 master: str | None):
        self.parquet = ParquetTarget(config.output) if config.output and config.output.lower().endswith(".parquet") else None
        if self.parquet is not None:
            config = dataclasses.replace(config, output=self.parquet.jsonl)
        super().__init__(config, family, options, io)
        self.backend, self.threads, self.master = backend, threads, master
        self.session: Any = None
        self.tally = Tally()
        self.compiled: dict[tuple[str, tuple[str, ...] | None], Compiled | str] = {}
        self.layouts: dict[str, Any] = {}  # kind -> its typed Parquet layout (engine.columnar.layout.typed_layout)

    def run(self) -> int:
        try:
            return super().run()
        finally:
            if self.session is not None:
                self.session.close()
            if self.parquet is not None:
                self.parquet.cleanup()

    # -- the SQL of each kind ----------------------------------------------------

    @property
    def text(self) -> bool:
        """Whether the SQL builds the decisions' JSON text: only when they are written (-o) or JUnit
        shows them; a run for its summary and exit code decides the same without it."""
        return self.decisions is not None or self.junit is not None

    @property
    def lines(self) -> bool:
        """Whether the SQL ends each decision's text with a newline: when the decisions are written and
        nothing else reads their text (no JUnit), a chunk the SQL decided whole is then written straight
        from its result (engine.columnar.output.jsonl_body)."""
        return self.decisions is not None and self.junit is None

    @property
    def scale(self) -> int:
        """How many times the usual rows a chunk or query holds: larger without the text (SUMMARY_ONLY_SCALE)."""
        return 1 if self.text else SUMMARY_ONLY_SCALE

    def _session(self) -> Any:
        if self.session is None:
            self.session = open_session(self.backend, self.threads, self.master)
        return self.session

    def _compile(self, kind: str, columns: tuple[str, ...] | None) -> Compiled | str:
        """The kind's SQL over JSONL lines (`columns` None) or a Parquet shape, or why the row
        engine decides the whole kind."""
        key = (kind, columns)
        if key not in self.compiled:
            self.compiled[key] = compile_kind(kind, self.family, self.backend, self.options, columns,
                                              joined=kind == "credit_claim" and bool(self.config.outages), text=self.text,
                                              newline=self.lines)
            if not isinstance(self.compiled[key], str):
                self._session()  # started once something is to run on it
        return self.compiled[key]

    def _typed(self, kind: str, raw: RawChunk) -> tuple[RawChunk, tuple[str, ...] | None, str | None]:
        """A Parquet chunk fitted to the kind's typed layout and its columns; or as it is, None and why
        it does not fit (its rows are then staged as JSON text); or as it is, None, None when the kind
        has no such layout."""
        if kind not in self.layouts:
            self.layouts[kind] = typed_layout(importlib.import_module(MODULES[kind])) if kind in MODULES else None
        layout = self.layouts[kind]
        if layout is None:
            return raw, None, None
        why = misfit(raw.table, *layout)
        if why is not None:
            return raw, None, why
        table = cast_to(raw.table, layout[0])
        return dataclasses.replace(raw, table=table), tuple(table.column_names), None

    def _prepared(self, source: str, kind: str, fmt: str, raw: RawChunk) -> tuple[RawChunk, Compiled | str]:
        """The chunk as its kind's SQL reads it, and that SQL (or why the row engine decides it): a Parquet
        chunk by its typed columns when it fits the kind's layout, else by its rows' JSON lines (said once)."""
        if fmt != "parquet":
            return raw, self._compile(kind, None)
        raw, columns, why = self._typed(kind, raw)
        compiled = self._compile(kind, columns)
        if isinstance(compiled, str):
            return raw, (f"Parquet columns not in the {kind} layout ({why}), and {compiled}" if why else compiled)
        if columns is None:
            raw = as_json_lines(raw)
            if why is not None:
                self.tally.read_as_text(source, raw.table.num_rows, why)
        return raw, compiled

    # -- record sources ------------------------------------------------------------

    def _stream(self, source: str, name: str, evaluator: Evaluator) -> None:
        kind = KINDS[source]
        fmt = kind_of(name)
        mapping = self.config.mappings.get(source) or default_mapping(source)
        if fmt not in ("jsonl", "csv", "parquet") or name == "-":
            self._row_stream(source, name, evaluator, "standard input or a file type the SQL does not read")
            return
        counts = self.summary.count(source)
        self.seen[source] = SeenIds()
        if self.config.near_duplicate_ids:
            self.near[source] = NearIds()
        opened = None
        try:
            scale = self.scale
            if fmt == "parquet" and mapping.format != "core":  # staged as the JSON text the mapping makes
                raws = mapped_parquet_chunks(source, name, mapping, PARQUET_ROWS_OF.get(source, PARQUET_ROWS) * scale,
                                             self.config.parquet_offset)
                fmt = "mapped"
            elif fmt == "parquet":
                raws = parquet_chunks(source, name, PARQUET_ROWS_OF.get(source, PARQUET_ROWS) * scale, self.config.parquet_offset)
            elif fmt == "jsonl" and mapping.format == "core":
                raws = jsonl_chunks(source, name, BLOCK_BYTES * scale)
            else:
                opened = self._open(source, name, mapping)
                raws = mapped_chunks(source, opened, mapping, max(self.config.chunk, 20_000) * scale)
            for raw in raws:
                raw, compiled = self._prepared(source, kind, fmt, raw)
                chunk = self._decide(source, kind, compiled, raw)
                self._chunk(source, raw.task.file, raw.task, chunk)
                self.progress.update(source, counts.read, None, None)
        finally:
            if opened is not None:
                opened.close()
            self.seen[source].close()
            if source in self.near:
                self.near.pop(source).close()

    def _read_serial(self, source: str, name: str, handle_row: Any) -> None:
        """Contracts and incidents, read whole by the row engine as `sla check` reads them; a Parquet
        export is read row by row as JSON objects, the core record's fields or a column mapping's columns."""
        if kind_of(name) != "parquet" or name == "-":
            super()._read_serial(source, name, handle_row)
            return
        mapping = self.config.mappings.get(source) or default_mapping(source)
        naive = self.config.parquet_offset
        if naive is None and mapping.format != "core":
            naive = AS_WRITTEN  # the mapping's `timezone` reads a zone-less time, or says it needs one
        counts = self.summary.count(source)
        for line, payload in parquet_lines(source, name, naive=naive):
            counts.read += 1
            problems, rid = handle_row(mapping, name, "jsonl", None, line, payload)
            if problems:
                self._reject(source, name, line, rid, [p.render() for p in problems], payload)
        self.progress.update(source, counts.read, None, None)

    def _row_stream(self, source: str, name: str, evaluator: Evaluator, why: str) -> None:
        """The row backend's own streaming; the tally counts what it read."""
        before = self.summary.count(source).read
        super()._stream(source, name, evaluator)
        self.tally.add(source, ROW, self.summary.count(source).read - before, why)

    def _customer_months(self, evaluator: Evaluator) -> None:
        """Customer-months decided by SQL over the incidents and contracts the run has read, with the
        credit owed to a contract for a credited month; the ones the SQL leaves (its `doubt`) by the row engine."""
        source, months = "customer-months", len(self.months)
        compiled = self._compile_months()
        if isinstance(compiled, str):
            before = self.summary.count(source).read
            super()._customer_months(evaluator)
            self.tally.add(source, ROW, self.summary.count(source).read - before, compiled)
            return
        sql, doubt_sql = compiled
        contracts = self.contracts if self.config.contracts else None
        file = self.config.outages or MONTHS_SOURCE
        per = max(1, MONTH_ROWS * self.scale // months)  # customers a query: its memory is theirs, not the whole export's
        for first in range(0, len(self.customers), per):
            group = self.customers[first:first + per]
            tables = months_tables(self.index, contracts, group, first)
            result = _as_ints(self._session().query(sql, tables))
            positions = range(first * months, (first + len(group)) * months)
            chunk = self._all_months(positions, result)
            if chunk is None:
                # the doubts are asked only for the months the SQL left (none, usually)
                doubts = (dict(zip(*self._session().query(doubt_sql, tables).to_pydict().values()))
                          if doubt_sql and result.num_rows < len(positions) else {})
                chunk = self._month_chunk(file, positions, self._month_dicts(result), doubts)
            self._chunk(source, file, Task("months", file, "months", None, 0, []), chunk)

    def _month_dicts(self, result: Any) -> dict[int, dict[str, Any]]:
        """A customer-months result as a dict per month, by position (the row-by-row path): each text
        without the newline the written-whole path keeps."""
        columns, _ = _columns(result, False, self.lines)
        return {pos: {name: columns[name][i] for name in columns} for i, pos in enumerate(columns["pos"])}

    def _compile_months(self) -> tuple[str, str | None] | str:
        """The customer-months' SQL (decisions with the facts the summary reads, and the doubts), or why not.
        With contracts, each row also carries what a credited month's credit owed is made of (OWED_COLUMNS):
        the reasons of its uptime findings and of the claim rules a month runs without a claim, in rule order,
        and the contract's amounts; when those rules cannot be compiled, credited months go to the row engine."""
        try:
            dialect = importlib.import_module("engine.columnar.dialect").Dialect(self.backend)
            module = importlib.import_module("engine.columnar.uptime")
            plan_module = importlib.import_module("engine.columnar.plan")
            sql_backend = importlib.import_module("engine.lang.backends.sql")
        except ImportError as exc:
            return f"no SQL for customer-months yet ({exc.name} is missing)"
        if not hasattr(module, "shape"):
            return "no SQL plan for customer-months yet (engine.columnar.uptime gives no FactsShape)"
        contracts = "contracts" if self.config.contracts else None
        months = [m.month for m in self.months]
        try:
            plan = plan_module.compile_plan(self.family, "uptime", dialect, self.options)
            facts = module.facts_sql(self.family, dialect, "incidents", self.options, months=months, contracts=contracts,
                                     customers="customers")
            doubts = module.doubt_sql(self.family, dialect, "incidents", self.options, months=months, contracts=contracts,
                                      customers="customers")
        except sql_backend.Uncompilable as exc:
            return f"rules the SQL cannot express ({exc})"
        except NotImplementedError as exc:
            return f"not compiled for {self.backend} ({exc})"
        self._session()
        columns = ", ".join(f"f.{c}" for c in MONTH_FACTS)
        once = " MATERIALIZED" if self.backend == "duckdb" else ""
        owed, owed_cte, owed_join = "", "", ""
        if contracts:
            credit_shape = plan_module.FactsShape("uptime", {**module.FACT_TYPES, **CONTRACT_FACT_TYPES},
                                                  {path: "text" for path in CONTRACT_FIELDS})
            try:
                reasons = plan_module.reasons_sql(self.family, dialect, credit_shape, month_rules)
            except sql_backend.Uncompilable:
                reasons = None  # credited months of a contract go to the row engine (OWED)
            if reasons is not None:
                fields = ", ".join(f"{c} AS {sql_backend.field_column(path)}" for path, c in CONTRACT_FIELDS.items())
                owed_cte = f",\nowed AS (SELECT pos, {reasons} AS month_reasons FROM (SELECT *, {fields} FROM facts) AS credit_scope)"
                owed_join = " JOIN owed o ON o.pos = d.pos"
                owed = (", d.reasons AS uptime_reasons, o.month_reasons AS month_reasons, "
                        + ", ".join(f"f.{c} AS {c}" for c in OWED_COLUMNS[2:]))
        decided = plan.sql("facts", self.text, SUMMARY_VALUES["uptime"], self.lines)
        sql = (f"WITH facts AS{once} ({facts}),\ndecided AS ({decided}){owed_cte}\n"
               f"SELECT d.pos AS pos, d.decision AS decision, f.has_contract AS has_contract, {columns}, "
               f"{', '.join(summary_columns('uptime', 'd'))}{owed}\n"
               f"FROM decided d JOIN facts f ON f.pos = d.pos{owed_join} ORDER BY pos")
        return sql, f"SELECT pos, doubt FROM ({doubts}) AS doubts"

    def _all_months(self, positions: range, result: Any) -> Chunk | None:
        """A query's customer-months put together column by column when the SQL decided every one of them
        and worked out every credit owed (the common case; no JUnit asked): what `_month_chunk` makes of
        them, without a dict, an object and calls per month (an object only for a month below the first
        tier), written from the result's own buffer. None when some month is the row engine's."""
        if self.junit is not None or result.num_rows != len(positions):
            return None
        result = _by_pos(result)
        c = result.select(MONTH_COLUMNS).to_pydict()  # the rest only of the months below the first tier (`rows`)
        if c["pos"] != list(positions):
            return None
        below = [i for i, credit in enumerate(c["credit"]) if credit != "0"]
        rows = result.take(below).to_pylist() if below else []
        owed = [_owed(row) if row["has_contract"] else None for row in rows]
        if any(o is None and row["has_contract"] for o, row in zip(owed, rows)):
            return None  # a contract's credit the SQL has not worked out
        n = len(positions)
        total = [_micros(t, d) for t, d in zip(c["total_minutes__n"], c["total_minutes__d"])]
        down = [_micros(u, ud) - _micros(e, ed) for u, ud, e, ed in zip(
            c["unavailable_minutes__n"], c["unavailable_minutes__d"], c["excluded_minutes__n"], c["excluded_minutes__d"])]
        summary = Summary()
        summary.add_months(c["month"], c["version"], total, down, c["breached"], c["violation"],
                           [_month_row(row, o) for row, o in zip(rows, owed)])
        failures = _failing(c)
        self.tally.add("customer-months", SQL, n)
        body = jsonl_body(result.column("decision")) if self.decisions is not None else ""
        return Chunk(n, body, c["record"], [None] * n, "", n, failures, summary, [])

    def _month_chunk(self, file: str, positions: range, sure: dict[int, dict[str, Any]], doubts: dict[int, str]) -> Chunk:
        """A run of customer-months (in decision order) as the Chunk the row backend would make."""
        parts = _Parts(self.junit is not None, self.decisions is not None, self.family)
        months = len(self.months)
        for pos in positions:
            row = sure.get(pos)
            credited = row is not None and row["has_contract"] and row["credit"] != "0"
            owed = _owed(row) if credited else None
            if row is not None and (not credited or owed is not None):
                parts.sql("customer-months", row["record"], row["decision"], _month_row(row, owed), file, None)
                self.tally.add("customer-months", SQL)
                continue
            why = (OWED if row is not None else
                   f"{NOT_SURE}: {doubts[pos]}" if doubts.get(pos) else NOT_SURE)
            self.tally.add("customer-months", ROW, reason=why)
            customer, info = self.customers[pos // months], self.months[pos % months]
            contract = self.contracts.get(customer)
            payload = CustomerMonth(customer, info.month, self.index.outages(customer, info), contract.terms if contract else None)
            parts.items(run_items(Task("months", file, "months", None, 0, [payload])))
        return parts.chunk()

    # -- one chunk -----------------------------------------------------------------

    def _decide(self, source: str, kind: str, compiled: Compiled | str, raw: RawChunk) -> Chunk:
        """The chunk the row backend would make of these rows."""
        if isinstance(compiled, str):
            self.tally.add(source, ROW, raw.count, compiled)
            return run_chunk(raw.task)
        result = self._session().query(compiled.sql, {"raw": raw.table}) if raw.table.num_rows else None
        if result is not None and result.num_rows != raw.table.num_rows:  # one row back for each row in
            raise LostRows(f"--backend {self.backend}: the SQL gave {result.num_rows:,} rows for {raw.table.num_rows:,} "
                           f"{source} of {raw.task.file}; no decision was written (a bug: please report it)")
        fallback = dict(raw.fallback)
        sure: dict[int, tuple[str, str, Contribution]] = {}
        body = None
        if result is not None:
            columns, body = _columns(result, compiled.newline and not fallback, compiled.newline)
            if kind == "case" and not fallback and self.junit is None and all(columns["sure"]) and None not in columns["decision"]:
                return self._all_cases(source, columns, body)
            contributions = _contributions(kind, columns)
            whys = columns.get("why") or [None] * result.num_rows
            for i, (pos, ok, decision) in enumerate(zip(columns["pos"], columns["sure"], columns["decision"])):
                if ok and decision is not None:
                    sure[pos] = (columns["record"][i], decision, contributions[i])
                else:
                    fallback[pos] = columns["joined"][i] and JOINED or (f"{NOT_SURE}: {whys[i]}" if whys[i] else NOT_SURE)
        return self._assemble(source, raw.task, sure, fallback, raw, body)

    def _all_cases(self, source: str, c: dict[str, list[Any]], body: tuple[memoryview, ...] | None = None) -> Chunk:
        """A chunk of cases the SQL decided every one of (the common case), put together column by
        column: what `_assemble` makes of them, without a dict, an object and calls per case (`body`: their
        JSONL, when it was taken from the result as it is)."""
        c = in_pos_order(c)
        decisions = c["decision"]
        n = len(decisions)
        summary = Summary()
        micros = [_response_micros(num, den) for num, den in zip(c["response_minutes__n"], c["response_minutes__d"])]
        summary.add_cases([int(level) for level in c["clock_severity"]], micros, c["response_met"], c["target"],
                          c["breached"], c["violation"])
        failures = _failing(c)
        self.tally.add(source, SQL, n)
        if body is None:
            body = "\n".join(decisions) + "\n" if n and self.decisions is not None else ""
        return Chunk(n, body, c["record"], c["pos"], "", n, failures, summary, [])

    def _assemble(self, source: str, task: Any, sure: dict[int, tuple[str, str, Contribution]], fallback: dict[int, str],
                  raw: RawChunk, body: tuple[memoryview, ...] | None = None) -> Chunk:
        """Decisions of the SQL and of the row engine, spliced in input order into one Chunk (`body`: the
        JSONL of every decision, all the SQL's, when it was taken from the result as it is)."""
        parts = _Parts(self.junit is not None, self.decisions is not None and body is None, self.family)
        self.tally.add(source, SQL, len(sure))
        for pos in sorted(sure.keys() | fallback.keys()) if fallback else sorted(sure):
            row = sure.get(pos)
            if row is not None:
                parts.sql(source, row[0], row[1], row[2], task.file, pos)
                continue
            self.tally.add(source, ROW, reason=fallback[pos])
            parts.items(run_items(raw.single(pos)))
        return parts.chunk() if body is None else dataclasses.replace(parts.chunk(), text=body)

    # -- outputs -------------------------------------------------------------------

    def _finish(self) -> int:
        code = super()._finish()
        if self.parquet is not None:
            self.parquet.convert()
        if not self.config.quiet:
            for line in self.tally.lines(self.backend):
                print(line, file=self.io.stderr)
        return code


class _Parts:
    """A chunk put together in input order from decisions of the SQL and items of the row engine."""

    def __init__(self, junit: bool, text: bool, family: Family):
        self.junit, self.want_text, self.family = junit, text, family
        self.text: list[str | None] = []
        self.ids: list[str] = []
        self.lines: list[int | None] = []
        self.xml: list[str] = []
        self.bad: list[Any] = []
        self.summary = Summary()
        self.failures = self.rows = 0

    def sql(self, source: str, record: str, text: str, contribution: Contribution, file: str, line: int | None) -> None:
        """A decision of the SQL (its JSON text) with what it adds to the summary."""
        self.text.append(text)
        self.ids.append(record)
        self.lines.append(line)
        self.summary.add(contribution)
        self.failures += contribution.breached or contribution.violation
        self.rows += 1
        if self.junit:  # the test case from the decision as written (parsed only when JUnit is asked for)
            self.xml.append(testcase(source, _shim(json.loads(text), self.family), file, line))

    def items(self, items: list[Any]) -> None:
        """The row engine's items for a row (none for a blank line), as engine.check.work.run_chunk adds them."""
        for item in items:
            self.rows += 1
            if type(item) is Decided:
                self.text.append(item.text)
                self.ids.append(item.id)
                self.lines.append(item.line)
                self.summary.add(item.row)
                self.failures += item.failing
            else:
                self.bad.append(item)
            if item.junit:
                self.xml.append(item.junit)

    def chunk(self) -> Chunk:
        body = "\n".join(self.text) + "\n" if self.text and self.want_text else ""  # type: ignore[arg-type]
        return Chunk(self.rows, body, self.ids, self.lines, "".join(self.xml), self.rows, self.failures, self.summary,
                     self.bad)


def in_pos_order(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """A result's columns with its rows in `pos` order (as they usually come already: then as given)."""
    pos = columns["pos"]
    if all(a < b for a, b in zip(pos, itertools.islice(pos, 1, None))):
        return columns
    order = sorted(range(len(pos)), key=pos.__getitem__)
    return {name: [values[i] for i in order] for name, values in columns.items()}


def _columns(result: Any, whole: bool, newline: bool) -> tuple[dict[str, list[Any]], tuple[memoryview, ...] | None]:
    """A result's columns as Python lists, and its JSONL when it can be written as it is (`whole`: no row of
    the chunk left to the row engine, and every row the SQL's with its text ending in a newline); otherwise
    the texts without that newline (`newline`), as the rest of the run takes them."""
    if whole and _decided_whole(result):
        result = _by_pos(result)
        columns = result.drop_columns(["decision"]).to_pydict()
        columns["decision"] = [""] * result.num_rows  # decided, each text already in the JSONL
        return columns, jsonl_body(result.column("decision"))
    columns = result.to_pydict()
    if newline:
        columns["decision"] = [None if t is None else t[:-1] for t in columns["decision"]]
    return columns, None


def _as_ints(table: Any) -> Any:
    """A result whose whole-number DECIMAL columns (the facts' numerators and denominators) are int64 where
    every value fits (Arrow checks; a column that does not fit stays as it is): Python then reads ints, not
    Decimals, about five times cheaper (90,000 customer-months: 1.0 -> 0.2 CPU-s), and the same numbers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type) and field.type.scale == 0:
            try:
                table = table.set_column(i, field.name, pc.cast(table.column(i), pa.int64()))
            except pa.ArrowInvalid:
                pass  # a value beyond int64: this column is read as Decimals (int() of either is the same number)
    return table


def _decided_whole(result: Any) -> bool:
    """Whether the SQL was sure of every row of a result and gave each its text."""
    if not result.num_rows or result.column("decision").null_count:
        return False
    import pyarrow.compute as pc

    return pc.all(result.column("sure"), skip_nulls=False).as_py() is True


def _failing(c: dict[str, list[Any]]) -> int:
    """How many of a chunk's decisions (its columns) breach or violate: what its exit code counts."""
    return sum(1 for b, v in zip(c["breached"], c["violation"]) if b or v)


def _by_pos(table: Any) -> Any:
    """An Arrow result with its rows in `pos` order (as they usually come already: then as given)."""
    import pyarrow.compute as pc

    pos = table.column("pos")
    if len(pos) < 2 or pc.all(pc.less(pos[:-1], pos[1:])).as_py():
        return table
    return table.sort_by("pos")


def compile_kind(kind: str, family: Family, backend: str, options: Options, columns: tuple[str, ...] | None,
                 joined: bool, text: bool = True, newline: bool = False) -> Compiled | str:
    """Stage -> facts -> plan for one kind as one SELECT over `raw`, or why it cannot be (text False:
    the decisions' JSON text is not built, '' stands in for it; newline: each text ends with one)."""
    try:
        dialect = importlib.import_module("engine.columnar.dialect").Dialect(backend)
        module = importlib.import_module(MODULES[kind])
        plan_module = importlib.import_module("engine.columnar.plan")
        sql_backend = importlib.import_module("engine.lang.backends.sql")
    except ImportError as exc:
        return f"no SQL for {kind} records yet ({exc.name} is missing)"
    if not hasattr(module, "shape"):
        return f"no SQL plan for {kind} records yet ({MODULES[kind]} gives no FactsShape)"
    try:
        plan = plan_module.compile_plan(family, kind, dialect, options)
        # JSON lines (JSONL, CSV through a mapping, Parquet rows that do not fit the kind's typed layout)
        # or a Parquet chunk fitted to that layout (engine.columnar.layout)
        if columns is None:
            stage = module.stage_sql(dialect, "raw_in")
        else:
            stage = module.stage_sql(dialect, "raw_in", columns=list(columns))
        facts = module.facts_sql(family, dialect, "staged", options)
    except sql_backend.Uncompilable as exc:
        return f"rules the SQL cannot express ({exc})"
    except NotImplementedError as exc:
        return f"not compiled for {backend} ({exc})"
    newline = newline and text  # no text, no line to end
    needed = tuple(_needed_facts(kind, module.FACT_TYPES))
    keep = (f"NOT ({_has_key(dialect, 'outages', typed=columns is not None)})" if joined else "FALSE")
    extra = [f"d.{c}" for c in needed] + summary_columns(kind, "d")
    # staged and facts are read twice (the decisions, and the rows without facts): DuckDB is told to
    # compute each once (it would run the clocks twice otherwise). The decisions are not joined to
    # anything: a join copied each one's text into its hash table (2 GB at 1M, ≈1 CPU-s with the page
    # faults), so the facts the summary reads come through `decided` and the rows the SQL does not decide
    # (not sure, or no facts row) are a second branch. No ORDER BY: the rows are put in input order in
    # Python (by `pos`), which is cheaper than sorting the decisions' text in SQL (1M cases: ≈1.3 CPU-s
    # and 45 MB of peak less) and a no-op when every row is decided (one thread keeps their order)
    once = " MATERIALIZED" if backend == "duckdb" else ""
    decided = plan.sql("facts", text, SUMMARY_VALUES[kind], newline, passed=needed)
    sql = (f"WITH raw_in AS (SELECT * FROM raw WHERE NOT ({keep})),\n"
           f"staged AS{once} ({stage}),\nfacts AS{once} ({facts}),\ndecided AS ({decided})\n"
           f"SELECT d.pos AS pos, TRUE AS sure, FALSE AS joined, d.decision AS decision, {', '.join(extra)} FROM decided d\n"
           f"UNION ALL SELECT s.pos, s.sure, FALSE, NULL{', NULL' * len(extra)} FROM staged s\n"
           f"WHERE NOT EXISTS (SELECT 1 FROM facts f WHERE f.pos = s.pos)\n"
           f"UNION ALL SELECT pos, FALSE, TRUE, NULL{', NULL' * len(extra)} FROM raw WHERE {keep}")
    return Compiled(sql, needed, False, newline)


# Values of a decision the summary reads (besides its facts): column -> the value's name (Plan.value_sql).
SUMMARY_VALUES = {
    "case": {"target": "result.response_target_minutes"},
    "credit_claim": {"eligible": "result.eligible", "amount": "result.credit_amount", "currency": "result.currency",
                     "result_reasons": "result.reasons"},
    "uptime": {"customer": "customer", "uptime": "result.uptime_percent", "credit": "result.credit_percent",
               "version": "version"},
}


def summary_columns(kind: str, decided: str) -> list[str]:
    """SQL of what the summary needs from a decided row (alias `decided` of the plan's output, which
    was asked for the kind's SUMMARY_VALUES), so that Python parses no decision: `record`, `breached`
    and `violation` (some finding has that outcome) and the values the decision shows."""
    return [f"{decided}.record AS record", f"{decided}.breached AS breached", f"{decided}.violation AS violation",
            *(f"{decided}.{column} AS {column}" for column in SUMMARY_VALUES[kind])]


def _has_key(dialect: Any, key: str, typed: bool = False) -> str:
    """SQL: the JSON line `j` has a top-level `key` (a line that is not JSON counts as having it:
    the stage is not sure of it anyway); typed (a Parquet chunk in the kind's layout): its column
    holds a value (a NULL there is an absent field)."""
    if typed:
        return f"({dialect.ident(key)} IS NOT NULL)"
    if dialect.name == "spark":
        return f"(get_json_object(j, '$.{key}') IS NOT NULL OR json_object_keys(j) IS NULL OR array_contains(json_object_keys(j), '{key}'))"
    return f"(NOT json_valid(j) OR json_type(j) <> 'OBJECT' OR list_contains(json_keys(j), '{key}'))"


def _needed_facts(kind: str, types: dict[str, str]) -> list[str]:
    """The fact columns the summary reads for a kind (engine.check.work's contributions)."""
    if kind != "case":
        return []
    missing = [f for f in ("clock_severity", "response_minutes", "response_met") if f not in types]
    if missing:
        raise UsageError(f"the case SQL has no fact {', '.join(missing)} that the summary needs")
    return ["clock_severity", "response_minutes__n", "response_minutes__d", "response_met"]


def _contributions(kind: str, c: dict[str, list[Any]]) -> list[Contribution | None]:
    """What each decision of the SQL adds to the summary (None where the SQL did not decide): the same
    fields engine.check.work takes, from the facts and the decision's values (summary_columns)."""
    if kind == "case":
        out: list[Contribution | None] = []
        for decided, breached, violation, severity, n, d, met, target in zip(
                c["decision"], c["breached"], c["violation"], c["clock_severity"], c["response_minutes__n"],
                c["response_minutes__d"], c["response_met"], c["target"]):
            if decided is None:
                out.append(None)
                continue
            out.append(CaseRow(breached, violation, int(severity), _response_micros(n, d), met, target))
        return out
    return [None if decided is None else ClaimRow(b, v, e, a, cur, tuple(r))
            for decided, b, v, e, a, cur, r in zip(c["decision"], c["breached"], c["violation"], c["eligible"], c["amount"],
                                                  c["currency"], c["result_reasons"])]


def _micros(n: Any, d: Any) -> int:
    """A number of minutes (a fact's numerator and denominator) as the summary's integer microseconds."""
    return int(n) * MICROS_PER_MINUTE // int(d)


def _response_micros(n: Any, d: Any) -> int | None:
    """A response time in minutes (the facts' numerator and denominator) as the summary's integer microseconds."""
    return None if n is None else _micros(n, d)


def _owed(row: dict[str, Any]) -> Credit | None:
    """The credit a contract is owed for a credited month the SQL decided, as engine.core.credit.settle
    makes it: eligible when neither the uptime findings nor the month's claim rules gave a reason; None
    when the SQL has not worked it out (no OWED_COLUMNS), or eligible without a base amount to
    credit (a policy whose rules let that through: the row engine says what that is)."""
    if "month_reasons" not in row:
        return None
    reasons = (*row["uptime_reasons"], *row["month_reasons"])
    eligible = not reasons
    if eligible and row["base_amount__n"] is None:
        return None
    amount = row["credit_amount"] if eligible else row["zero_amount"]
    return Credit(eligible, amount, row["currency"], row["billing"], row["settlement"] if eligible else None, reasons)


def _month_row(row: dict[str, Any], owed: Credit | None) -> MonthRow:
    """What a customer-month the SQL decided adds to the summary (`owed`: its contract's credit, if any)."""
    def micros(name: str) -> int:
        return _micros(row[f"{name}__n"], row[f"{name}__d"])

    n, d = row["tier_below__n"], row["tier_below__d"]
    tier = None if n is None else decimal_text(Fraction(int(n), int(d)))
    return MonthRow(row["breached"], row["violation"], row["customer"], row["month"],
                    micros("unavailable_minutes") - micros("excluded_minutes"), micros("total_minutes"), row["uptime"],
                    row["credit"], tier, row["version"], owed)


def _shim(decision: dict[str, Any], family: Family) -> Any:
    """The parts of a Decision a JUnit test case shows, from its JSON. A finding names the revision of
    its anchor: a credit claim's uptime rules run under the month's revision (result.uptime_version)."""
    label = f"{decision['policy']}@{decision['version']}"
    earlier = {}
    for anchor in kinds.get(decision["type"]).anchors[:-1]:
        key = f"{anchor.rules}_version"  # e.g. a claim's result.uptime_version
        version = decision.get(key) or (decision.get("result") or {}).get(key)
        if version is not None:
            earlier.update({rule.id: f"{decision['policy']}@{version}" for r in family.revisions
                            for rule in r.rules.get(anchor.rules, ())})
    findings = [SimpleNamespace(outcome=f["outcome"], rule=f["rule"], clause=f["clause"], message=f["message"],
                                revision=SimpleNamespace(label=earlier.get(f["rule"], label))) for f in decision["findings"]]
    return SimpleNamespace(record=SimpleNamespace(id=decision["record"]), findings=findings)


def run_columnar(config: Config, family: Family, options: Options, io: Any, backend: str, threads: int,
                 master: str | None) -> int:
    """`sla check` on the duckdb or spark backend."""
    return ColumnarCheck(config, family, options, io, backend, threads, master).run()
