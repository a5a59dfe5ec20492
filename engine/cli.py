"""The `sla` command line. Only this module turns errors into exit codes.

Each command lives in `engine/commands/<name>.py`. Exit codes (every command):
  0  all good: policies valid, every decision met (or no failing finding)
  1  findings: a decision has a `breached` or `violation` finding (evaluate),
     or a policy file is invalid (validate, lint), or a policy test failed (test)
  2  bad input or usage: a record, file or policy that cannot be read or
     evaluated, or a command line that cannot be followed
  3  internal error: a bug in the engine (never caused by input)
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import sys
from typing import Sequence, TextIO

from engine import __version__
from engine.commands import command_modules
from engine.commands._common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, Streams
from engine.errors import SlaError, UsageError
from engine.io.collisions import refuse_collisions
from engine.io.schemas import did_you_mean
from engine.textsafe import SafeStream

NO_SPACE = frozenset(e for e in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", None)) if e is not None)

DESCRIPTION = """\
Evaluate support cases, uptime months and credit claims against versioned,
declarative SLA policies (YAML, one file per revision), and say which clause
decided what.

exit codes: 0 all met · 1 findings (breached/violation) or invalid policy ·
2 bad input or usage · 3 internal error
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as UsageError (exit 2) instead of exiting, with a
    did-you-mean for a mistyped subcommand, flag or choice."""

    argv: Sequence[str] = ()

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        if args is not None and not self.argv:
            self.argv = list(args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}{suggest(self, message)} (see {self.prog} --help)")


def suggest(parser: argparse.ArgumentParser, message: str) -> str:
    """`; did you mean ...?` for argparse's "invalid choice" and "unrecognized arguments"."""
    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if choice:
        return did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)) or choice.group(2).split(", "))
    unknown = re.match(r"unrecognized arguments: (.*)$", message)
    if not unknown:
        return ""
    options = _options_for(parser)
    for word in unknown.group(1).split():
        if word.startswith("-"):
            hint = did_you_mean(word.split("=", 1)[0], options)
            if hint:
                return f" ({word}{hint.replace('; did', ': did', 1)})"
    return ""


def _options_for(parser: argparse.ArgumentParser) -> list[str]:
    """The flags of the subcommand named on the command line (or of `sla` itself)."""
    names = [o for a in parser._actions for o in a.option_strings]  # noqa: SLF001 - argparse has no public accessor
    commands = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})  # noqa: SLF001
    argv = getattr(parser, "argv", ())
    for word in argv:
        if word in commands:
            names += [o for a in commands[word]._actions for o in a.option_strings]  # noqa: SLF001
            break
    return [n for n in names if n.startswith("--")]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sla", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sla-engine {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run `sla`; returns the exit code. Never raises for bad input."""
    # Untrusted strings (ids, receipt fields) never reach the terminal raw (engine.textsafe).
    io = Streams(stdin or sys.stdin, SafeStream(stdout or sys.stdout), SafeStream(stderr or sys.stderr))  # type: ignore[arg-type]
    try:
        with contextlib.redirect_stdout(io.stdout):  # --help and --version print through sys.stdout
            args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        if args.command is None:
            build_parser().print_help(io.stderr)
            return EXIT_INPUT
        command = {m.NAME: m for m in command_modules()}[args.command]
        if hasattr(command, "io_paths"):  # no output may be an input or another output (engine.io.collisions)
            refuse_collisions(*command.io_paths(args))
        return command.run(args, io)
    except SlaError as exc:
        for problem in exc.problems:
            text = problem.render()
            print(text if problem.file or text.startswith("sla") else f"sla: {text}", file=io.stderr)
        return exc.exit_code
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=io.stderr)
        return 130
    except Exception as exc:  # a bug in the engine, not in the input; or a full disk, which is not one
        if isinstance(exc, OSError) and exc.errno in NO_SPACE:
            where = f" {exc.filename}" if exc.filename else ""
            print(f"sla: cannot write{where}: {exc.strerror or exc} (no space left, or a file-size limit)", file=io.stderr)
            return EXIT_INPUT
        if os.environ.get("SLA_DEBUG"):
            raise
        print(f"sla: internal error: {type(exc).__name__}: {exc} (a bug; rerun with SLA_DEBUG=1 for details)", file=io.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
