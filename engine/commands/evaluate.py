"""`sla evaluate`: one decision per record, in input order.

Decisions are written as they are made, so a file of any size streams through
in bounded memory: to `-o FILE` through a temporary file renamed into place at
the end (see `engine.atomic`), to standard output through a spool on disk that
is printed only when the run is clean, because bad input without --keep-going
prints nothing. With --keep-going, decisions go to standard output as they come.
The `table` format aligns its columns over all rows, so it holds the decisions
until the end; use json or jsonl for large inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import Protocol

from engine.io.atomic import AtomicFile, Spool
from engine.batch import Rejected, Tally
from engine.core.evaluate import Decision
from engine.render.decisions import as_table
from engine.commands._common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Streams, add_record_options, as_of, engine, family, now
from engine.commands._log import add_log_option, log_path, open_log
from engine.io.inputs import expand
from engine.io.jsontext import encode_compact
from engine.core.evaluate import what_if_label

NAME, ORDER = "evaluate", 40

FAIL_ON = {"any": {"breached", "violation"}, "breached": {"breached"}, "violation": {"violation"}, "none": set()}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="decide records against the policies",
                       description="Evaluate records and print one decision per record, in input order. "
                                   "Each decision names the policy, revision and file sha256 it used.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="FILE is .json (object or array), .jsonl, .yaml/.yml (one document or a list), a folder of "
                              "those, or - for standard input. Files are streamed: json and jsonl output of any size "
                              "runs in bounded memory (table holds its rows to align them).\n\nexit codes: 0 no "
                              "breached/violation finding · 1 findings · 2 bad input (nothing is printed or written "
                              "unless --keep-going)")
    p.add_argument("files", nargs="+", metavar="FILE", help="record files")
    add_record_options(p)
    p.add_argument("--format", choices=("json", "jsonl", "table"), help="output format (default: table on a terminal, else json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write decisions to FILE (atomically) instead of standard output")
    p.add_argument("--near-duplicate-ids", action="store_true",
                   help="warn (on standard error) when a record id differs from an earlier one only by surrounding "
                        "spaces, case or look-alike characters: the same record from two exports")
    p.add_argument("--keep-going", action="store_true", help="evaluate the valid records and report each rejected one (exit 2 if any)")
    p.add_argument("--fail-on", choices=tuple(FAIL_ON), default="any",
                   help="which findings make the exit code 1: any breached or violation (default), only one kind, or none")
    add_log_option(p)


class _Out(Protocol):
    def write(self, text: str) -> None: ...


class DecisionWriter:
    """Decisions in one output format, written as they come. The JSON array is
    byte for byte what `render.as_json` prints for the same decisions."""

    def __init__(self, fmt: str, out: _Out, lang: str):
        self.fmt, self.out, self.lang = fmt, out, lang
        self.count = 0
        self.held: list[Decision] = []  # table only

    def add(self, decision: Decision) -> None:
        self.count += 1
        if self.fmt == "jsonl":
            self.out.write(encode_compact(decision.to_json()) + "\n")
        elif self.fmt == "json":
            text = json.dumps(decision.to_json(), ensure_ascii=False, indent=2).replace("\n", "\n  ")
            self.out.write(("[\n  " if self.count == 1 else ",\n  ") + text)
        else:
            self.held.append(decision)

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if self.count else "[]\n")
        elif self.fmt == "table":
            self.out.write(as_table(self.held, self.lang))


def io_paths(args: argparse.Namespace) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """What this run reads and writes, for the collision check in `engine.cli`."""
    return [("FILE", name) for name in expand(args.files)], [("-o", args.output), ("--log", log_path(args))]


def run(args: argparse.Namespace, io: Streams) -> int:
    instant, day = now(args.now), as_of(args.as_of)
    api = engine(args)
    fam = family(args, api)
    log = open_log(args, NAME, what_if=what_if_label(day))  # --log: decisions are logged in one transaction once the output is complete
    if day is not None:
        print(f"WHAT-IF ({what_if_label(day)}): every record decided under the revision in force then, "
              f"not under the one that governed it; these are not the decisions", file=io.stderr)
    fmt = args.format or ("table" if (args.output is None and io.stdout.isatty()) else "json")
    # -o: a temporary file renamed into place; stdout: a spool printed only when the
    # run is clean, or, with --keep-going, standard output itself as decisions come.
    target: AtomicFile | Spool | None = AtomicFile(args.output) if args.output else None if args.keep_going else Spool()
    tally = Tally()
    failing = FAIL_ON[args.fail_on]
    found = False
    with target or contextlib.nullcontext():
        writer = DecisionWriter(fmt, target or io.stdout, args.lang)
        for item in api.stream(args.files, policy=fam.name, now=instant, as_of=day, lang=args.lang, stdin=io.stdin,
                               tally=tally, near_duplicates=args.near_duplicate_ids):
            for warning in tally.warnings:
                print(warning, file=io.stderr)
            tally.warnings.clear()
            if isinstance(item, Rejected):
                for problem in item.problems:
                    print(problem.render(), file=io.stderr)
            elif args.keep_going or not tally.rejected:  # after a rejection without --keep-going nothing is written
                found = found or any(f.outcome in failing for f in item.findings)
                writer.add(item)
                log.add(item)
        if tally.rejected and not args.keep_going:
            print(f"{tally.rejected} of {tally.read} record(s) rejected; nothing was written "
                  f"(use --keep-going to evaluate the valid ones)", file=io.stderr)
            return EXIT_INPUT
        writer.close()
        log.commit()
        if isinstance(target, AtomicFile):
            target.commit()
        elif isinstance(target, Spool):
            target.copy_to(io.stdout)
    if tally.rejected:
        print(f"{tally.rejected} of {tally.read} record(s) rejected, {tally.evaluated} evaluated", file=io.stderr)
        return EXIT_INPUT
    return EXIT_FINDINGS if found else EXIT_OK
