"""The `sla` command line. Only this module turns errors into exit codes.

Exit codes (every command):
  0  all good: policies valid, every decision met (or no failing finding)
  1  findings: a decision has a `breached` or `violation` finding (evaluate),
     or a policy file is invalid (validate)
  2  bad input or usage: a record, file or policy that cannot be read or
     evaluated, or a command line that cannot be followed
  3  internal error: a bug in the engine (never caused by input)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence, TextIO

from . import __version__, diff, policytest
from .atomic import write_atomic
from .batch import evaluate_files
from .errors import PolicyError, Problem, SlaError, UsageError
from .evaluate import Options
from .explain import explain
from .lint import lint_paths
from .policy import Family, load_family_dir, load_policies, load_revision
from .render import as_json, as_jsonl, as_table
from .resources import policies_dir
from .timeutil import TimeFormatError, parse_date, parse_instant

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

DESCRIPTION = """\
Evaluate support cases, uptime months and credit claims against versioned,
declarative SLA policies (YAML, one file per revision), and say which clause
decided what.

exit codes: 0 all met · 1 findings (breached/violation) or invalid policy ·
2 bad input or usage · 3 internal error
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as UsageError (exit 2) instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sla", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sla-engine {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("versions", help="list each policy family's revisions",
                       description="List every revision of every policy family: effective date, title and the sha256 of its file.")
    _policies_option(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")

    p = sub.add_parser("validate", help="check policy files against the schema",
                       description="Check policy files against schemas/policy.schema.json and their own consistency "
                                   "(clause ids, channels, rule names). Prints every problem as FILE:LINE: path: message "
                                   "and exits 1 if there is any, 0 if all are valid.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="policy files or folders (default: the bundled policies/)")

    p = sub.add_parser("lint", help="validate policies and check that they make sense",
                       description="Everything validate checks, plus semantic checks: tiers that overlap, credits that do "
                                   "not rise as uptime falls, thresholds outside 0-100, unknown or duplicate clause ids, "
                                   "rules naming unknown fields, facts, params, severities or channels, revisions whose "
                                   "effective dates are equal or out of order, dates that are not real dates, unknown keys "
                                   "(with a did-you-mean). Prints FILE:LINE: path: message for each; exit 1 if any.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="policy files or folders (default: the bundled policies/)")

    p = sub.add_parser("diff", help="what changed between two revisions, as a lawyer reads it",
                       description="Show what changed between two policy revisions: parameters, tiers, windows, "
                                   "requirements, rules and clause texts added, removed or changed, each with the clause "
                                   "it belongs to, next to the SLA's own change log. Exit 0 when a diff was printed "
                                   "(even an empty one), 2 for an unknown family, revision or file.")
    p.add_argument("operands", nargs="+", metavar="ARG", help="FAMILY REV_A REV_B, or FILE_A FILE_B")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of labels and values (default: en)")
    _policies_option(p)

    p = sub.add_parser("test", help="run the policy tests written in YAML",
                       description="Run policy tests written in YAML next to the policies "
                                   "(policies/FAMILY/tests/*.yaml): each names a record and the outcome expected. "
                                   "A failure prints file:line, the test's name, expected and actual, and the clause "
                                   "involved. Exit 0 all pass, 1 some failed, 2 a test file is invalid.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="test files, tests/ folders or policy roots (default: every FAMILY/tests/*.yaml under --policies)")
    _policies_option(p)
    p.add_argument("-v", "--verbose", action="store_true", help="list passing tests too")

    p = sub.add_parser("evaluate", help="decide records against the policies",
                       description="Evaluate records and print one decision per record, in input order. "
                                   "Each decision names the policy, revision and file sha256 it used.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="FILE is .json (object or array), .jsonl, .yaml/.yml (one document or a list), a folder of "
                              "those, or - for standard input.\n\nexit codes: 0 no breached/violation finding · 1 findings · "
                              "2 bad input (nothing is printed unless --keep-going)")
    p.add_argument("files", nargs="+", metavar="FILE", help="record files")
    _record_options(p)
    p.add_argument("--format", choices=("json", "jsonl", "table"), help="output format (default: table on a terminal, else json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write decisions to FILE (atomically) instead of standard output")
    p.add_argument("--keep-going", action="store_true", help="evaluate the valid records and report each rejected one (exit 2 if any)")
    p.add_argument("--fail-on", choices=("any", "breached", "violation", "none"), default="any",
                   help="which findings make the exit code 1: any breached or violation (default), only one kind, or none")

    p = sub.add_parser("explain", help="show why each record was decided as it was",
                       description="For each record, the decision as a readable trace: which revision governed and why "
                                   "(its effective date against the record's date), every derived fact with its arithmetic "
                                   "(A, B, C, uptime, the tier chosen and the tier rows skipped), each rule's outcomes as "
                                   "tried, and the clause quoted. Wording and clause texts come from the policy YAML.")
    p.add_argument("files", nargs="+", metavar="FILE", help="record files, as for evaluate")
    _record_options(p)
    return parser


def _record_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", metavar="DATE", help="evaluate everything under the revision in force on DATE (YYYY-MM-DD)")
    p.add_argument("--now", metavar="INSTANT", help="the current time, for pending response clocks (RFC 3339 with offset; default: now)")
    _policies_option(p)
    p.add_argument("--policy", metavar="FAMILY", help="the policy family (default: the only one in --policies)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of messages and clause quotes (default: en)")


def _policies_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policies", metavar="DIR", type=Path, help="policy folder, one subfolder per family (default: the bundled policies/)")


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run `sla`; returns the exit code. Never raises for bad input."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        with contextlib.redirect_stdout(stdout):  # --help and --version print through sys.stdout
            args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(stderr)
            return EXIT_INPUT
        return COMMANDS[args.command](args, stdin, stdout, stderr)
    except SlaError as exc:
        for problem in exc.problems:
            text = problem.render()
            print(text if problem.file or text.startswith("sla") else f"sla: {text}", file=stderr)
        return exc.exit_code
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=stderr)
        return 130
    except Exception as exc:  # a bug in the engine, not in the input
        if os.environ.get("SLA_DEBUG"):
            raise
        print(f"sla: internal error: {type(exc).__name__}: {exc} (a bug; rerun with SLA_DEBUG=1 for details)", file=stderr)
        return EXIT_INTERNAL


def _families(args: argparse.Namespace) -> dict[str, Family]:
    return load_policies(args.policies or policies_dir())


def _family(args: argparse.Namespace) -> Family:
    families = _families(args)
    if args.policy:
        if args.policy not in families:
            raise UsageError(f"no policy family {args.policy!r}; have {', '.join(families)}")
        return families[args.policy]
    if len(families) > 1:
        raise UsageError(f"several policy families ({', '.join(families)}); choose one with --policy")
    return next(iter(families.values()))


def cmd_versions(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    rows = [
        {"policy": f.name, "revision": r.revision, "effective": r.effective.isoformat(),
         "title": r.data["title"]["en"], "file": r.path.name, "sha256": r.sha256}
        for f in _families(args).values() for r in f.revisions
    ]
    if args.format == "json":
        stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    keys = ("policy", "revision", "effective", "title", "sha256")
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in keys}
    stdout.write("  ".join(k.upper().ljust(widths[k]) for k in keys).rstrip() + "\n")
    for row in rows:
        stdout.write("  ".join(row[k].ljust(widths[k]) for k in keys).rstrip() + "\n")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    problems: list[Problem] = []
    count = 0
    for name in args.paths or [str(policies_dir())]:
        path = Path(name)
        try:
            if path.is_file():
                load_revision(path)
                count += 1
            elif any(path.glob("*.yaml")):
                count += len(load_family_dir(path).revisions)
            else:
                count += sum(len(f.revisions) for f in load_policies(path).values())
        except PolicyError as exc:
            problems += exc.problems
    for problem in problems:
        print(problem.render(), file=stdout)
    if problems:
        print(f"{len(problems)} problem(s)", file=stderr)
        return EXIT_FINDINGS
    print(f"ok: {count} policy revision(s) valid", file=stdout)
    return EXIT_OK


def cmd_lint(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    problems, count = lint_paths([Path(p) for p in args.paths] or [policies_dir()])
    for problem in problems:
        print(problem.render(), file=stdout)
    if problems:
        print(f"{len(problems)} problem(s) in {count} revision file(s)", file=stderr)
        return EXIT_FINDINGS
    print(f"ok: {count} policy revision(s) lint clean", file=stdout)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    options = Options(now=_now(args.now), as_of=_as_of(args.as_of), lang=args.lang)
    family = _family(args)
    batch = evaluate_files(args.files, family, options, stdin)
    for problem in batch.problems:
        print(problem.render(), file=stderr)
    if batch.rejected and not args.keep_going:
        print(f"{len(batch.rejected)} of {batch.read} record(s) rejected; nothing was written "
              f"(use --keep-going to evaluate the valid ones)", file=stderr)
        return EXIT_INPUT
    fmt = args.format or ("table" if (args.output is None and stdout.isatty()) else "json")
    text = as_table(batch.decisions, args.lang) if fmt == "table" else {"json": as_json, "jsonl": as_jsonl}[fmt](batch.decisions)
    if args.output:
        write_atomic(args.output, text)
    else:
        stdout.write(text)
    if batch.rejected:
        print(f"{len(batch.rejected)} of {batch.read} record(s) rejected, {len(batch.decisions)} evaluated", file=stderr)
        return EXIT_INPUT
    failing = {"any": {"breached", "violation"}, "breached": {"breached"}, "violation": {"violation"}, "none": set()}[args.fail_on]
    found = any(f.outcome in failing for d in batch.decisions for f in d.findings)
    return EXIT_FINDINGS if found else EXIT_OK


def cmd_explain(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    options = Options(now=_now(args.now), as_of=_as_of(args.as_of), lang=args.lang, explain=True)
    family = _family(args)
    batch = evaluate_files(args.files, family, options, stdin)
    if batch.rejected:
        for problem in batch.problems:
            print(problem.render(), file=stderr)
        return EXIT_INPUT
    stdout.write("\n".join(explain(d, family, args.lang) for d in batch.decisions))
    return EXIT_OK


def cmd_test(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    return policytest.run_command(args.paths, args.policies, stdout, stderr, verbose=args.verbose)


def cmd_diff(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    return diff.run(args.operands, args.format, args.lang, args.policies, stdout, stderr)


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(timezone.utc)
    try:
        return parse_instant(text)
    except TimeFormatError as exc:
        raise UsageError(f"--now: {exc}") from None


def _as_of(text: str | None):  # type: ignore[no-untyped-def]
    if text is None:
        return None
    try:
        return parse_date(text)
    except TimeFormatError as exc:
        raise UsageError(f"--as-of: {exc}") from None


COMMANDS = {"versions": cmd_versions, "validate": cmd_validate, "lint": cmd_lint, "evaluate": cmd_evaluate,
            "explain": cmd_explain, "diff": cmd_diff, "test": cmd_test}


if __name__ == "__main__":
    sys.exit(main())
