"""`sla evaluate`: one decision per record, in input order."""

from __future__ import annotations

import argparse

from ..atomic import write_atomic
from ..batch import evaluate_files
from ..evaluate import Options
from ..render import as_json, as_jsonl, as_table
from ._common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Streams, add_record_options, as_of, family, now

NAME, ORDER = "evaluate", 40

FAIL_ON = {"any": {"breached", "violation"}, "breached": {"breached"}, "violation": {"violation"}, "none": set()}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="decide records against the policies",
                       description="Evaluate records and print one decision per record, in input order. "
                                   "Each decision names the policy, revision and file sha256 it used.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="FILE is .json (object or array), .jsonl, .yaml/.yml (one document or a list), a folder of "
                              "those, or - for standard input.\n\nexit codes: 0 no breached/violation finding · 1 findings · "
                              "2 bad input (nothing is printed unless --keep-going)")
    p.add_argument("files", nargs="+", metavar="FILE", help="record files")
    add_record_options(p)
    p.add_argument("--format", choices=("json", "jsonl", "table"), help="output format (default: table on a terminal, else json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write decisions to FILE (atomically) instead of standard output")
    p.add_argument("--keep-going", action="store_true", help="evaluate the valid records and report each rejected one (exit 2 if any)")
    p.add_argument("--fail-on", choices=tuple(FAIL_ON), default="any",
                   help="which findings make the exit code 1: any breached or violation (default), only one kind, or none")


def run(args: argparse.Namespace, io: Streams) -> int:
    options = Options(now=now(args.now), as_of=as_of(args.as_of), lang=args.lang)
    batch = evaluate_files(args.files, family(args), options, io.stdin)
    for problem in batch.problems:
        print(problem.render(), file=io.stderr)
    if batch.rejected and not args.keep_going:
        print(f"{len(batch.rejected)} of {batch.read} record(s) rejected; nothing was written "
              f"(use --keep-going to evaluate the valid ones)", file=io.stderr)
        return EXIT_INPUT
    fmt = args.format or ("table" if (args.output is None and io.stdout.isatty()) else "json")
    text = as_table(batch.decisions, args.lang) if fmt == "table" else {"json": as_json, "jsonl": as_jsonl}[fmt](batch.decisions)
    if args.output:
        write_atomic(args.output, text)
    else:
        io.stdout.write(text)
    if batch.rejected:
        print(f"{len(batch.rejected)} of {batch.read} record(s) rejected, {len(batch.decisions)} evaluated", file=io.stderr)
        return EXIT_INPUT
    failing = FAIL_ON[args.fail_on]
    found = any(f.outcome in failing for d in batch.decisions for f in d.findings)
    return EXIT_FINDINGS if found else EXIT_OK
